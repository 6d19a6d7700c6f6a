//! `gatehouse role disallow`, `permission remove|list`, and the audit trail
//! every changing command leaves (actor "cli").

use gatehouse::db;

use crate::cli_users::{audit_events, audited_by_cli};
use crate::helpers::TestApp;

const API: &str = "https://api.example.com";

/// The `API:permission` pairs `role list` shows for `role`.
fn grants_of(app: &TestApp, role: &str) -> Vec<String> {
    let out = app.cli(&["role", "list"], None);
    let line = out
        .ok()
        .lines()
        .find(|l| l.split_whitespace().next() == Some(role))
        .unwrap_or_else(|| panic!("no role {role}: {out}"))
        .to_owned();
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

fn permissions_of(app: &TestApp, api: &str) -> Vec<String> {
    let out = app.cli(&["permission", "list", api], None);
    out.ok().lines().map(str::to_owned).collect()
}

/// An API with `things:read` and `things:write`, and a role `editor`
/// allowed both.
fn editor_with_two_permissions(app: &TestApp) {
    app.cli(&["api", "add", API], None).ok();
    app.cli(&["role", "add", "editor"], None).ok();
    for permission in ["things:read", "things:write"] {
        app.cli(&["permission", "add", API, permission], None).ok();
        app.cli(&["role", "allow", "editor", API, permission], None)
            .ok();
    }
}

#[tokio::test]
async fn role_disallow_stops_a_role_granting_a_permission() {
    let app = TestApp::spawn().await;
    editor_with_two_permissions(&app);
    assert_eq!(
        grants_of(&app, "editor"),
        [format!("{API}:things:read"), format!("{API}:things:write")]
    );

    let out = app.cli(&["role", "disallow", "editor", API, "things:write"], None);
    assert!(out.ok().contains("no longer grants things:write"), "{out}");
    assert_eq!(grants_of(&app, "editor"), [format!("{API}:things:read")]);
    let event = audited_by_cli(&app, "admin.role.disallowed", "editor");
    assert!(event.details.contains("things:write"), "{event:#?}");

    let again = app.cli(&["role", "disallow", "editor", API, "things:write"], None);
    assert!(again.fails_with(1).contains("does not grant"), "{again}");
    let cases: [(&[&str], &str); 4] = [
        (
            &["role", "disallow", "ghost", API, "things:read"],
            "\"ghost\" not found",
        ),
        (
            &[
                "role",
                "disallow",
                "editor",
                "https://nope.example.com",
                "things:read",
            ],
            "not found",
        ),
        (
            &["role", "disallow", "editor", API, "things:delete"],
            "not found",
        ),
        (
            &["role", "disallow", "admin", "gatehouse-admin", "users:read"],
            "built in",
        ),
    ];
    for (args, expected) in cases {
        let out = app.cli(args, None);
        assert!(out.fails_with(1).contains(expected), "{args:?}: {out}");
    }
    assert_eq!(grants_of(&app, "editor"), [format!("{API}:things:read")]);
    assert!(
        grants_of(&app, "admin").contains(&"gatehouse-admin:users:read".to_owned()),
        "the built-in role keeps its permissions"
    );
    assert_eq!(audit_events(&app, "admin.role.disallowed").len(), 1);

    // What the built-in role was given on another API can be taken back.
    app.cli(&["role", "allow", "admin", API, "things:read"], None)
        .ok();
    app.cli(&["role", "disallow", "admin", API, "things:read"], None)
        .ok();
    assert!(!grants_of(&app, "admin").contains(&format!("{API}:things:read")));
}

#[tokio::test]
async fn permission_remove_and_list() {
    let app = TestApp::spawn().await;
    editor_with_two_permissions(&app);
    assert_eq!(permissions_of(&app, API), ["things:read", "things:write"]);
    assert!(
        permissions_of(&app, "gatehouse-admin").contains(&"users:write".to_owned()),
        "built-in permissions are listed too"
    );

    let out = app.cli(&["permission", "remove", API, "things:read"], None);
    assert!(out.ok().contains("removed permission things:read"), "{out}");
    assert_eq!(permissions_of(&app, API), ["things:write"]);
    assert_eq!(
        grants_of(&app, "editor"),
        [format!("{API}:things:write")],
        "no role grants a removed permission"
    );
    let event = audited_by_cli(&app, "admin.api.permission_removed", API);
    assert!(event.details.contains("things:read"), "{event:#?}");

    let cases: [(&[&str], &str); 4] = [
        (&["permission", "remove", API, "things:read"], "not found"),
        (
            &["permission", "remove", "https://nope.example.com", "x"],
            "not found",
        ),
        (
            &["permission", "remove", "gatehouse-admin", "users:write"],
            "built in",
        ),
        (
            &["permission", "list", "https://nope.example.com"],
            "not found",
        ),
    ];
    for (args, expected) in cases {
        let out = app.cli(args, None);
        assert!(out.fails_with(1).contains(expected), "{args:?}: {out}");
    }
    assert!(permissions_of(&app, "gatehouse-admin").contains(&"users:write".to_owned()));
    assert_eq!(audit_events(&app, "admin.api.permission_removed").len(), 1);
}

/// Every changing command, old and new, goes through the administration
/// layer: one audit event each, actor "cli", about the right subject.
#[tokio::test]
async fn every_change_from_the_command_line_is_audited_as_cli() {
    let app = TestApp::spawn().await;
    app.cli(
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        Some("correct horse battery"),
    )
    .ok();
    let root = app
        .db(|conn| db::users::find_by_username(conn, "root"))
        .unwrap()
        .id;
    audited_by_cli(&app, "admin.user.created", &root);

    // (command, stdin, event kind, subject)
    let steps: &[(&[&str], Option<&str>, &str, &str)] = &[
        (&["user", "add", "dave"], None, "admin.user.created", "dave"),
        (
            &["user", "set-password", "dave", "--password-stdin"],
            Some("a long enough password"),
            "admin.user.password_set",
            "dave",
        ),
        (
            &["user", "disable", "dave"],
            None,
            "admin.user.disabled",
            "dave",
        ),
        (
            &["user", "enable", "dave"],
            None,
            "admin.user.enabled",
            "dave",
        ),
        (
            &["role", "add", "editor"],
            None,
            "admin.role.created",
            "editor",
        ),
        (&["api", "add", API], None, "admin.api.created", API),
        (
            &["permission", "add", API, "things:read"],
            None,
            "admin.api.permission_added",
            API,
        ),
        (
            &["role", "allow", "editor", API, "things:read"],
            None,
            "admin.role.allowed",
            "editor",
        ),
        (
            &["role", "grant", "editor", "dave"],
            None,
            "admin.user.role_granted",
            "dave",
        ),
        (
            &["role", "revoke", "editor", "dave"],
            None,
            "admin.user.role_revoked",
            "dave",
        ),
        (
            &["client", "add", "reporter", "--grant", "client_credentials"],
            None,
            "admin.client.created",
            "reporter",
        ),
        (
            &["client", "grant-role", "reporter", "editor"],
            None,
            "admin.client.role_granted",
            "reporter",
        ),
        (
            &["client", "revoke-role", "reporter", "editor"],
            None,
            "admin.client.role_revoked",
            "reporter",
        ),
        (
            &["client", "rotate-secret", "reporter"],
            None,
            "admin.client.secret_rotated",
            "reporter",
        ),
        (
            &["client", "disable", "reporter"],
            None,
            "admin.client.disabled",
            "reporter",
        ),
        (
            &["client", "enable", "reporter"],
            None,
            "admin.client.enabled",
            "reporter",
        ),
        (
            &["client", "delete", "reporter", "--yes"],
            None,
            "admin.client.deleted",
            "reporter",
        ),
        (
            &["role", "remove", "editor"],
            None,
            "admin.role.deleted",
            "editor",
        ),
        (&["api", "remove", API], None, "admin.api.removed", API),
        (
            &["user", "delete", "dave", "--yes"],
            None,
            "admin.user.deleted",
            "dave",
        ),
    ];
    let mut dave = String::new();
    for (args, stdin, kind, subject) in steps {
        app.cli(args, *stdin).ok();
        if dave.is_empty() {
            dave = app
                .db(|conn| db::users::find_by_username(conn, "dave"))
                .unwrap()
                .id;
        }
        // Users are audited by their id (the `sub`), which outlives renames.
        let subject = if *subject == "dave" { &dave } else { *subject };
        let newest = app
            .db(|conn| db::audit::recent(conn, Some("admin."), 1))
            .pop()
            .unwrap_or_else(|| panic!("{args:?} left no admin event"));
        assert_eq!(newest.kind, *kind, "{args:?}: {newest:#?}");
        assert_eq!(newest.actor.as_deref(), Some("cli"), "{args:?}");
        assert_eq!(newest.subject.as_deref(), Some(subject), "{args:?}");
    }
    let all = app.db(|conn| db::audit::recent(conn, Some("admin."), 100));
    assert_eq!(all.len(), steps.len() + 1, "one event per change: {all:#?}");
    assert!(all.iter().all(|e| e.actor.as_deref() == Some("cli")));
}
