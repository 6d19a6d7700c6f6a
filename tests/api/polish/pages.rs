//! Point 8: pages that say where to go — `/`, `/login` opened directly,
//! and the end of the first-run setup.

use gatehouse::{accounts::setup::issue_token, clock::Clock};

use crate::helpers::{TestApp, form_value};

fn links(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[tokio::test]
async fn the_root_says_what_this_server_is_and_links_its_public_parts() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("OpenID Connect provider"), "{html}");
    assert!(html.contains(&app.issuer), "{html}");
    let links = links(&html);
    for wanted in ["/.well-known/openid-configuration", "/jwks.json", "/admin"] {
        assert!(links.contains(&wanted), "{wanted} not in {links:?}");
    }
    // Every link it offers works.
    for link in links {
        let status = app.get(link).await.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "{link}: {status}"
        );
    }
}

#[tokio::test]
async fn login_opened_directly_says_where_to_go_rather_than_expired() {
    let app = TestApp::spawn().await;
    let response = app.get("/login").await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(!html.contains("expired"), "{html}");
    assert!(
        html.contains("Open the application you want to use"),
        "{html}"
    );
    assert!(links(&html).contains(&"/admin"), "{html}");
    // A real pending request still gets the form, and a stale one still
    // says it expired.
    let stale = app.get("/login?request=gone").await;
    assert_eq!(stale.status(), 400);
    assert!(stale.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn the_end_of_setup_links_to_the_console() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let token = app
        .db(|conn| Ok(issue_token(conn, now)))
        .unwrap()
        .map(|token| token.into_inner())
        .unwrap();
    let html = app
        .get(&format!("/setup?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let password = "a long enough passphrase";
    let done = app
        .post_form(
            "/setup",
            &[
                ("token", token.as_str()),
                ("csrf_token", &csrf),
                ("username", "root"),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    let html = done.text().await.unwrap();
    assert!(html.contains("Gatehouse is ready"), "{html}");
    assert!(links(&html).contains(&"/admin"), "{html}");
}
