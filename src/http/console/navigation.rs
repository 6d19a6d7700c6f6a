//! The console's pages and the permission each needs to be read: one table
//! for the landing page (`/admin`) and the navigation bar, so a link is
//! shown exactly when following it would not end in a 403.

use crate::administration::access::Administrator;

/// A page of the console, in landing order: `/admin` opens the first one
/// the person may read.
pub struct ConsolePage {
    pub permission: &'static str,
    pub path: &'static str,
    pub label: &'static str,
}

const PAGES: [ConsolePage; 5] = [
    ConsolePage {
        permission: "users:read",
        path: "/admin/users",
        label: "Users",
    },
    ConsolePage {
        permission: "clients:read",
        path: "/admin/clients",
        label: "Clients",
    },
    ConsolePage {
        permission: "roles:read",
        path: "/admin/roles",
        label: "Roles & APIs",
    },
    ConsolePage {
        permission: "keys:read",
        path: "/admin/keys",
        label: "Signing keys",
    },
    ConsolePage {
        permission: "audit:read",
        path: "/admin/audit",
        label: "Audit log",
    },
];

/// The pages `who` may read, in landing order.
pub fn readable(who: &Administrator) -> Vec<&'static ConsolePage> {
    PAGES
        .iter()
        .filter(|page| who.may(page.permission))
        .collect()
}

/// Where `/admin` leads `who`; `None` when no page is open to them (they
/// hold only write permissions, such as `sessions:write`).
pub fn landing(who: &Administrator) -> Option<&'static str> {
    readable(who).first().map(|page| page.path)
}
