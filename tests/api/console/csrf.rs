//! CSRF: every console form carries the token of the double-submit cookie
//! `gatehouse_csrf` (HttpOnly, SameSite=Lax); a POST without it, with a
//! wrong one, or with another browser's is refused with 403 and changes
//! nothing.

use gatehouse::accounts::users::NewUser;
use gatehouse::{
    administration::{clients, directory},
    db,
};

use super::{CSRF_COOKIE, PAGES, Person, add_root, console_changes, find_user, role_names};
use crate::helpers::TestApp;

/// The API `reports-api` with `reports:read`, granted by the role
/// `reporter`, which the client `reports` holds.
fn reporting(app: &TestApp) {
    app.operate(|conn, actor, now| {
        directory::create_api(conn, actor, "reports-api", None, now)?;
        directory::add_permission(conn, actor, "reports-api", "reports:read", now)?;
        directory::create_role(conn, actor, "reporter", "", now)?;
        directory::allow(conn, actor, "reporter", "reports-api", "reports:read", now)?;
        clients::grant_role(conn, actor, "reports", "reporter", now)
    });
}

/// What `reporting` set up, as it stands.
fn reporting_state(app: &TestApp) -> (Vec<(String, String)>, Vec<String>) {
    app.db(|conn| {
        let role = db::roles::find_by_name(conn, "reporter")?.expect("reporter");
        let grants = db::roles::permissions_of(conn, &role.id)?;
        let client = db::clients::find(conn, "reports")?.expect("client reports");
        Ok((grants, client.roles))
    })
}

#[tokio::test]
async fn every_console_form_carries_the_csrf_token_of_the_cookie() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_client("reports", &["--grant", "client_credentials"]);
    let admin = Person::new(&app);

    // The login page sets the cookie: HttpOnly, SameSite=Lax, whole site.
    let login = admin.get("/admin/users").await.location();
    let form = admin.get(&login).await;
    let set_cookie = form
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{CSRF_COOKIE}=")))
        .unwrap_or_else(|| panic!("no {CSRF_COOKIE} cookie: {:?}", form.headers));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    admin.sign_in("root", "/admin/users").await;
    let token = admin.csrf();
    assert_eq!(token.len(), 43);

    for page in PAGES {
        let answer = admin.get(page).await;
        answer.expect(200);
        // The cookie is kept, not reissued, on every page.
        assert!(
            !answer
                .headers
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with(CSRF_COOKIE)),
            "{page} reissued the CSRF cookie"
        );
        // No other site may frame the forms (clickjacking).
        assert!(
            answer
                .header("content-security-policy")
                .contains("frame-ancestors 'none'"),
            "{page}"
        );
        assert_eq!(answer.header("x-frame-options"), "DENY", "{page}");
        let posts = answer.html.matches("method=\"post\"").count();
        let tokens = answer
            .html
            .matches(&format!(
                "<input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">"
            ))
            .count();
        assert_eq!(posts, tokens, "{page}: {posts} forms, {tokens} tokens");
        if page != "/admin/audit" {
            assert!(posts > 0, "{page} has no form");
        }
    }
}

#[tokio::test]
async fn forms_without_the_right_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_user_with(NewUser {
        username: "carol".into(),
        email: Some("carol@example.com".into()),
        ..NewUser::default()
    });
    app.add_client("reports", &["--grant", "client_credentials"]);
    reporting(&app);
    let reported = reporting_state(&app);
    assert_eq!(
        reported,
        (
            vec![("reports-api".to_owned(), "reports:read".to_owned())],
            vec!["reporter".to_owned()]
        )
    );
    let admin = Person::signed_in(&app, "root").await;
    // Another signed-in administrator's token: valid, but not this browser's.
    let other = Person::signed_in(&app, "root").await;
    let others_token = other.csrf();
    assert_ne!(others_token, admin.csrf());
    let kids = app.published_kids().await;

    let attempts: [(&str, &[(&str, &str)]); 19] = [
        (
            "/admin/users",
            &[
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", "correct horse battery"),
                ("role", "admin"),
            ],
        ),
        (
            "/admin/users/carol/profile",
            &[("email", "mallory@example.com")],
        ),
        (
            "/admin/users/carol/password",
            &[("password", "mallory's password")],
        ),
        ("/admin/users/carol/grant-role", &[("role", "admin")]),
        ("/admin/users/root/revoke-role", &[("role", "admin")]),
        ("/admin/users/carol/disable", &[]),
        ("/admin/users/root/end-sessions", &[]),
        ("/admin/users/carol/delete", &[("confirm", "yes")]),
        (
            "/admin/clients",
            &[("client_id", "evil"), ("grant_types", "client_credentials")],
        ),
        ("/admin/clients/reports/rotate-secret", &[]),
        ("/admin/clients/reports/delete", &[("confirm", "yes")]),
        ("/admin/clients/reports/grant-role", &[("role", "admin")]),
        (
            "/admin/clients/reports/revoke-role",
            &[("role", "reporter")],
        ),
        ("/admin/roles", &[("name", "evil")]),
        (
            "/admin/roles/disallow",
            &[
                ("role", "reporter"),
                ("api", "reports-api"),
                ("permission", "reports:read"),
            ],
        ),
        ("/admin/apis", &[("identifier", "evil")]),
        (
            "/admin/apis/permissions/remove",
            &[("api", "reports-api"), ("permission", "reports:read")],
        ),
        (
            "/admin/apis/remove",
            &[("identifier", "reports-api"), ("confirm", "yes")],
        ),
        ("/admin/keys/rotate", &[("now", "true")]),
    ];
    for (path, fields) in attempts {
        for token in [
            None,
            Some(""),
            Some("forged-token"),
            Some(others_token.as_str()),
        ] {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            if let Some(token) = token {
                form.push(("csrf_token", token));
            }
            let answer = admin.post(path, &form).await;
            answer.expect(403);
            assert_eq!(
                answer.error().as_deref(),
                Some("The form could not be verified. Reload the page and try again."),
                "POST {path} with {token:?}"
            );
        }
    }

    // Nothing happened.
    assert!(find_user(&app, "mallory").is_none());
    let carol = find_user(&app, "carol").expect("carol was deleted");
    assert!(!carol.disabled);
    assert_eq!(carol.email.as_deref(), Some("carol@example.com"));
    assert!(role_names(&app, "carol").is_empty());
    assert_eq!(role_names(&app, "root"), ["admin"]);
    let clients = app.cli(&["client", "list"], None);
    assert!(clients.ok().contains("reports"), "{clients}");
    assert!(!clients.ok().contains("evil"), "{clients}");
    assert_eq!(app.published_kids().await, kids);
    assert_eq!(reporting_state(&app), reported);
    assert!(
        console_changes(&app).is_empty(),
        "{:#?}",
        console_changes(&app)
    );
    // The admin is still signed in (end-sessions did not run).
    admin.get("/admin/users").await.expect(200);
    // And the same form with the right token works.
    admin
        .submit("/admin/users/carol/disable", &[])
        .await
        .location();
    assert!(find_user(&app, "carol").unwrap().disabled);
}
