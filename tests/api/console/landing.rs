//! `/admin` opens the first page the person may read (users, clients,
//! roles, keys, audit), and the navigation shows only the pages they may
//! read.

use super::{ADMIN_API, Page, Person, add_root};
use crate::helpers::TestApp;

/// A navigation link: where it goes and what it says.
type Link<'a> = (&'a str, &'a str);

/// The navigation bar's links, as `(href, label)`.
fn nav_links(page: &Page) -> Vec<(String, String)> {
    let nav = super::between(&page.html, "<nav class=\"admin-nav\">", "</nav>")
        .unwrap_or_else(|| panic!("no navigation: {page:?}"));
    nav.split("<a href=\"")
        .skip(1)
        .map(|link| {
            let (href, rest) = link.split_once("\">").unwrap();
            let label = rest.split("</a>").next().unwrap();
            (href.to_owned(), super::unescape(label))
        })
        .collect()
}

#[tokio::test]
async fn admin_lands_on_the_first_page_the_person_may_read() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_role("auditor", ADMIN_API, &["audit:read"]);
    app.add_role(
        "client-manager",
        ADMIN_API,
        &["clients:read", "clients:write"],
    );
    app.add_role("key-keeper", ADMIN_API, &["keys:read", "audit:read"]);
    app.add_role("session-ender", ADMIN_API, &["sessions:write"]);
    app.add_user("audrey", &["auditor"]);
    app.add_user("cleo", &["client-manager"]);
    app.add_user("kim", &["key-keeper"]);
    app.add_user("sid", &["session-ender"]);

    let everything = [
        ("/admin/users", "Users"),
        ("/admin/clients", "Clients"),
        ("/admin/roles", "Roles & APIs"),
        ("/admin/keys", "Signing keys"),
        ("/admin/audit", "Audit log"),
    ];
    let cases: [(&str, &str, &[Link]); 4] = [
        ("root", "/admin/users", &everything),
        ("audrey", "/admin/audit", &[("/admin/audit", "Audit log")]),
        ("cleo", "/admin/clients", &[("/admin/clients", "Clients")]),
        (
            "kim",
            "/admin/keys",
            &[
                ("/admin/keys", "Signing keys"),
                ("/admin/audit", "Audit log"),
            ],
        ),
    ];
    for (username, landing, links) in cases {
        let person = Person::signed_in(&app, username).await;
        let answer = person.get("/admin").await;
        assert_eq!(answer.location(), landing, "{username}");
        let page = person.get(landing).await;
        page.expect(200);
        let expected: Vec<(String, String)> = links
            .iter()
            .map(|(href, label)| ((*href).to_owned(), (*label).to_owned()))
            .collect();
        assert_eq!(nav_links(&page), expected, "{username}'s navigation");
        // Every link the navigation shows opens.
        for (href, _) in &expected {
            person.get(href).await.expect(200);
        }
    }

    // Someone who may change but read nothing has no page to land on.
    let sid = Person::signed_in(&app, "sid").await;
    let answer = sid.get("/admin").await;
    answer.expect(403);
    assert_eq!(
        answer.error().as_deref(),
        Some("Your permissions open no administration page to read.")
    );
}

#[tokio::test]
async fn signed_out_admin_goes_to_the_login_page_and_back_to_the_landing_page() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_role("auditor", ADMIN_API, &["audit:read"]);
    app.add_user("audrey", &["auditor"]);
    let person = Person::new(&app);
    // Signing in from `/admin` comes back to `/admin`, which now knows
    // whose landing page to open.
    person.sign_in("audrey", "/admin").await;
    assert_eq!(person.get("/admin").await.location(), "/admin/audit");
    let log = person.get("/admin/audit").await;
    log.expect(200);
    assert!(log.html.contains("<h1>Audit log</h1>"));
}
