//! `/setup`: the first administrator, through a one-time link.

use gatehouse::{accounts::setup::issue_token, clock::Clock, db};

use crate::helpers::{TestApp, form_value};

fn issue(app: &TestApp) -> Option<String> {
    let now = app.clock.now();
    app.db(|conn| Ok(issue_token(conn, now)))
        .unwrap_or_else(|e| panic!("issue_token: {e}"))
        .map(|token| token.into_inner())
}

/// GET the form; returns its CSRF token (the cookie is in the client's jar).
async fn open_form(app: &TestApp, token: &str) -> String {
    let response = app.get(&format!("/setup?token={token}")).await;
    assert_eq!(response.status(), 200);
    let set_cookie: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let cookie = set_cookie
        .iter()
        .find(|c| c.starts_with("gatehouse_csrf="))
        .unwrap_or_else(|| panic!("no CSRF cookie: {set_cookie:?}"));
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Strict") || cookie.contains("SameSite=Lax"),
        "a cross-site POST must not carry the CSRF cookie: {cookie}"
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/setup\">"),
        "{html}"
    );
    assert_eq!(form_value(&html, "token").as_deref(), Some(token));
    let csrf = form_value(&html, "csrf_token").expect("csrf_token field");
    assert_eq!(csrf.len(), 43);
    assert!(
        cookie.starts_with(&format!("gatehouse_csrf={csrf};")),
        "{cookie}"
    );
    csrf
}

fn form<'a>(
    token: &'a str,
    csrf: &'a str,
    username: &'a str,
    password: &'a str,
    confirm: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("csrf_token", csrf),
        ("username", username),
        ("password", password),
        ("password_confirm", confirm),
    ]
}

#[tokio::test]
async fn first_run_setup_creates_one_administrator() {
    let app = TestApp::spawn().await;
    let token = issue(&app).expect("no administrator yet: a token is issued");
    let csrf = open_form(&app, &token).await;
    let password = "correct horse battery";

    // Without the CSRF field, with a wrong one, and without the cookie.
    let no_csrf = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("username", "root"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(no_csrf.status(), 403);
    let wrong = app
        .post_form(
            "/setup",
            &form(&token, "x".repeat(43).as_str(), "root", password, password),
        )
        .await;
    assert_eq!(wrong.status(), 403);
    let cookieless = reqwest::Client::new()
        .post(app.url("/setup"))
        .form(&form(&token, &csrf, "root", password, password))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cookieless.status(),
        403,
        "the token alone, without its cookie, is not enough"
    );

    // Mismatched passwords: the form again, keeping the username.
    let mismatch = app
        .post_form(
            "/setup",
            &form(&token, &csrf, "root", password, "something else"),
        )
        .await;
    assert_eq!(mismatch.status(), 422);
    let html = mismatch.text().await.unwrap();
    assert_eq!(form_value(&html, "username").as_deref(), Some("root"));
    assert!(html.contains("do not match"), "{html}");
    assert!(app.db(|c| db::users::find_by_username(c, "root")).is_none());

    // Too short a password: refused the same way.
    let short = app
        .post_form("/setup", &form(&token, &csrf, "root", "short", "short"))
        .await;
    assert_eq!(short.status(), 422);

    let created = app
        .post_form("/setup", &form(&token, &csrf, "root", password, password))
        .await;
    assert_eq!(created.status(), 200);
    assert!(created.text().await.unwrap().contains("ready"));

    let user = app
        .db(|c| db::users::find_by_username(c, "root"))
        .expect("the administrator exists");
    let roles = app.db(|c| db::users::role_names(c, &user.id));
    assert_eq!(roles, vec!["admin".to_owned()]);
    let hash = user.password_hash.expect("a password hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(app.state.passwords.verify(password, Some(&hash)));

    // The link is spent: neither the page nor the form work again.
    assert_eq!(
        app.get(&format!("/setup?token={token}")).await.status(),
        403
    );
    let again = app
        .post_form("/setup", &form(&token, &csrf, "root2", password, password))
        .await;
    assert_eq!(again.status(), 403);
    assert!(
        app.db(|c| db::users::find_by_username(c, "root2"))
            .is_none()
    );
    assert!(
        issue(&app).is_none(),
        "no setup token once an administrator exists"
    );
}

#[tokio::test]
async fn setup_refuses_unknown_and_expired_links() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/setup").await.status(), 403);
    assert_eq!(app.get("/setup?token=not-a-token").await.status(), 403);

    let token = issue(&app).unwrap();
    let csrf = open_form(&app, &token).await;
    app.clock
        .advance(gatehouse::accounts::setup::SETUP_TOKEN_TTL_SECS + 1);
    assert_eq!(
        app.get(&format!("/setup?token={token}")).await.status(),
        403
    );
    let late = app
        .post_form(
            "/setup",
            &form(&token, &csrf, "root", "long enough pw", "long enough pw"),
        )
        .await;
    assert_eq!(late.status(), 403);
    assert!(app.db(|c| db::users::find_by_username(c, "root")).is_none());
}

#[tokio::test]
async fn the_setup_form_escapes_what_it_echoes() {
    let app = TestApp::spawn().await;
    let token = issue(&app).unwrap();
    let csrf = open_form(&app, &token).await;
    let hostile = "\"><script>alert(1)</script>";
    let response = app
        .post_form(
            "/setup",
            &form(&token, &csrf, hostile, "long enough pw", "long enough pw"),
        )
        .await;
    assert_eq!(
        response.status(),
        422,
        "an invalid username re-shows the form"
    );
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
        "{html}"
    );
}

#[tokio::test]
async fn a_taken_username_does_not_use_up_the_setup_link() {
    let app = TestApp::spawn().await;
    app.cli(&["user", "add", "root"], None).ok(); // Not an administrator.
    let token = issue(&app).unwrap();
    let csrf = open_form(&app, &token).await;
    let password = "violet-anchor-meadow-2931";
    let taken = app
        .post_form("/setup", &form(&token, &csrf, "root", password, password))
        .await;
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("already exists"));
    let retry = app
        .post_form("/setup", &form(&token, &csrf, "root2", password, password))
        .await;
    assert_eq!(
        retry.status(),
        200,
        "the link must still work after a refused username"
    );
}
