//! Who reaches the console: signed out → the login page and back to the
//! page that asked (same-origin paths only); signed in without permissions
//! on `gatehouse-admin` → 403; a partial role sees only its pages.

use super::{ADMIN_API, PAGES, Person, add_root, console_changes, find_user};
use crate::helpers::TestApp;

/// `return_to` values that would leave the origin once a browser reads them.
const FOREIGN: [&str; 5] = [
    "//evil.example.com",
    "//evil.example.com/admin/users",
    "/\\evil.example.com",
    "/\\/evil.example.com",
    "https://evil.example.com/admin",
];

fn login_for(page: &str) -> String {
    format!(
        "/login?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", page)
            .finish()
    )
}

#[tokio::test]
async fn signed_out_every_page_leads_to_the_login_page_and_nothing_changes() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let person = Person::new(&app);

    // `/admin` depends on who is signed in: first sign in, then come back.
    let mut pages: Vec<&str> = PAGES.to_vec();
    pages.extend([
        "/admin",
        "/admin/users?q=ro&after=a",
        "/admin/audit?kind=admin.",
    ]);
    for page in pages {
        let answer = person.get(page).await;
        assert_eq!(answer.location(), login_for(page), "{page}");
        assert_eq!(answer.header("cache-control"), "no-store", "{page}");
    }

    // Forms posted without a session go to the login page too (back to the
    // console's start, not to a POST target), and change nothing.
    let posts: [(&str, &[(&str, &str)]); 6] = [
        (
            "/admin/users",
            &[
                ("username", "mallory"),
                ("password", "correct horse battery"),
            ],
        ),
        ("/admin/users/root/disable", &[]),
        ("/admin/users/root/delete", &[("confirm", "yes")]),
        (
            "/admin/clients",
            &[("client_id", "evil"), ("grant_types", "client_credentials")],
        ),
        ("/admin/roles", &[("name", "evil")]),
        ("/admin/keys/rotate", &[("now", "true")]),
    ];
    let kids = app.published_kids().await;
    for (path, fields) in posts {
        let answer = person.post(path, fields).await;
        assert_eq!(answer.location(), login_for("/admin"), "POST {path}");
    }
    assert!(find_user(&app, "mallory").is_none());
    let root = find_user(&app, "root").expect("root is still there");
    assert!(!root.disabled);
    assert_eq!(app.published_kids().await, kids);
    assert!(
        console_changes(&app).is_empty(),
        "{:#?}",
        console_changes(&app)
    );
}

#[tokio::test]
async fn the_login_form_carries_return_to_and_leads_back_to_the_page() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let person = Person::new(&app);
    let page = "/admin/users?q=ro";

    let login = person.get(page).await.location();
    assert_eq!(login, login_for(page));
    let form = person.get(&login).await;
    form.expect(200);
    assert!(form.text().contains("Gatehouse administration"), "{form:?}");
    assert_eq!(form.value("return_to").as_deref(), Some(page));
    let csrf = form.value("csrf_token").expect("csrf_token");
    assert_eq!(csrf.len(), 43, "a 256-bit token");
    assert_eq!(Some(csrf.clone()), person.cookie(super::CSRF_COOKIE));
    assert!(form.value("request").is_none(), "no authorization request");

    // A wrong password: the form again, still going back to the page.
    let wrong = person
        .post(
            "/login",
            &[
                ("return_to", page),
                ("csrf_token", &csrf),
                ("username", "root"),
                ("password", "not the password"),
            ],
        )
        .await;
    wrong.expect(401);
    assert_eq!(
        wrong.error().as_deref(),
        Some("Incorrect username or password.")
    );
    assert_eq!(wrong.value("return_to").as_deref(), Some(page));
    assert_eq!(wrong.value("username").as_deref(), Some("root"));
    assert!(person.cookie(super::SESSION_COOKIE).is_none());

    // The right one: back to the page, query and all, signed in.
    let back = person
        .post(
            "/login",
            &[
                ("return_to", page),
                ("csrf_token", &csrf),
                ("username", "root"),
                ("password", super::PASSWORD),
            ],
        )
        .await;
    assert_eq!(back.location(), page);
    assert!(person.cookie(super::SESSION_COOKIE).is_some());
    let users = person.get(page).await;
    users.expect(200);
    assert_eq!(users.value("q").as_deref(), Some("ro"));
    assert!(
        users
            .html
            .contains("<a href=\"/admin/users/root\">root</a>")
    );
    assert_eq!(users.header("cache-control"), "no-store");

    // Without the CSRF token the login form is refused.
    let stranger = Person::new(&app);
    let refused = stranger
        .post(
            "/login",
            &[
                ("return_to", page),
                ("username", "root"),
                ("password", super::PASSWORD),
            ],
        )
        .await;
    refused.expect(403);
    assert!(stranger.cookie(super::SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn return_to_must_stay_on_this_origin() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let person = Person::new(&app);
    // A genuine form first, for a valid CSRF cookie and token.
    let form = person.get(&login_for("/admin/users")).await;
    form.expect(200);
    let csrf = form.value("csrf_token").unwrap();

    for foreign in FOREIGN {
        let shown = person.get(&login_for(foreign)).await;
        shown.expect(400);
        assert!(shown.header("location").is_empty(), "{foreign}");
        assert!(!shown.html.contains("evil.example.com"), "{foreign}");
        assert!(shown.value("return_to").is_none(), "{foreign}: {shown:?}");

        // Posting the right password with it signs nobody in and sends
        // nobody anywhere.
        let posted = person
            .post(
                "/login",
                &[
                    ("return_to", foreign),
                    ("csrf_token", &csrf),
                    ("username", "root"),
                    ("password", super::PASSWORD),
                ],
            )
            .await;
        posted.expect(400);
        assert!(posted.header("location").is_empty(), "{foreign}");
        assert!(
            person.cookie(super::SESSION_COOKIE).is_none(),
            "{foreign} signed root in"
        );
    }
    // Still signed out.
    assert_eq!(
        person.get("/admin/users").await.location(),
        login_for("/admin/users")
    );
}

#[tokio::test]
async fn a_person_without_admin_permissions_gets_403_everywhere() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_user("bob", &[]);
    // A role on another API is no access to the console either.
    app.cli(&["api", "add", "reports"], None).ok();
    app.cli(&["permission", "add", "reports", "reports:read"], None)
        .ok();
    app.cli(&["role", "add", "reader"], None).ok();
    app.cli(
        &["role", "allow", "reader", "reports", "reports:read"],
        None,
    )
    .ok();
    app.add_user("rita", &["reader"]);

    for username in ["bob", "rita"] {
        let person = Person::signed_in(&app, username).await;
        for page in PAGES.iter().copied().chain(["/admin", "/admin/users?q=b"]) {
            let answer = person.get(page).await;
            answer.expect(403);
            assert_eq!(
                answer.error().as_deref(),
                Some("Your account does not have access to the administration pages."),
                "{username} at {page}"
            );
            assert!(answer.header("location").is_empty());
        }
        // Forms with a valid token are refused as well, and change nothing.
        let created = person
            .submit(
                "/admin/users",
                &[("username", "mallory"), ("password", super::PASSWORD)],
            )
            .await;
        created.expect(403);
        person
            .submit("/admin/users/root/disable", &[])
            .await
            .expect(403);
        person
            .submit("/admin/roles", &[("name", "evil")])
            .await
            .expect(403);
    }
    assert!(find_user(&app, "mallory").is_none());
    assert!(!find_user(&app, "root").unwrap().disabled);
    assert!(console_changes(&app).is_empty());
}

#[tokio::test]
async fn an_auditor_reads_the_audit_log_and_nothing_else() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_role("auditor", ADMIN_API, &["audit:read"]);
    app.add_user("audrey", &["auditor"]);
    let person = Person::signed_in(&app, "audrey").await;

    let log = person.get("/admin/audit").await;
    log.expect(200);
    assert!(log.html.contains("<h1>Audit log</h1>"));
    // Her own sign-in is in it.
    assert!(log.html.contains("<td>login.success</td>"), "{log:?}");

    let needs = [
        ("/admin/users", "users:read"),
        ("/admin/users/root", "users:read"),
        ("/admin/clients", "clients:read"),
        ("/admin/roles", "roles:read"),
        ("/admin/keys", "keys:read"),
    ];
    for (page, permission) in needs {
        let answer = person.get(page).await;
        answer.expect(403);
        assert_eq!(
            answer.error(),
            Some(format!("This page needs the {permission} permission.")),
            "{page}"
        );
    }
    let posts: [(&str, &[(&str, &str)]); 7] = [
        (
            "/admin/users",
            &[("username", "mallory"), ("password", super::PASSWORD)],
        ),
        ("/admin/users/root/disable", &[]),
        ("/admin/users/root/end-sessions", &[]),
        (
            "/admin/clients",
            &[("client_id", "evil"), ("grant_types", "client_credentials")],
        ),
        ("/admin/roles", &[("name", "evil")]),
        ("/admin/apis", &[("identifier", "evil")]),
        ("/admin/keys/rotate", &[]),
    ];
    let kids = app.published_kids().await;
    for (path, fields) in posts {
        person.submit(path, fields).await.expect(403);
    }
    assert!(find_user(&app, "mallory").is_none());
    assert!(!find_user(&app, "root").unwrap().disabled);
    assert_eq!(app.published_kids().await, kids);
    assert!(console_changes(&app).is_empty());
}
