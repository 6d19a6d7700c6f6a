//! With an IP-literal issuer WebAuthn cannot work (it binds credentials to
//! a domain): passkeys are off, and no page offers them.

use super::on_localhost;
use crate::helpers::{TestApp, TestEnv, browser::Person};
use crate::polish::served::Served;

async fn login_page(app: &TestApp) -> String {
    let person = Person::new(app);
    let page = person.get("/login?return_to=%2Faccount%2Fpasskeys").await;
    page.expect(200);
    page.html
}

#[tokio::test]
async fn an_ip_literal_issuer_offers_no_passkeys_anywhere() {
    let app = TestApp::new().with_user("amara", &[]).start().await;
    assert!(
        app.issuer.starts_with("http://127.0.0.1:"),
        "{}",
        app.issuer
    );
    let html = login_page(&app).await;
    assert!(!html.contains("Sign in with a passkey"), "{html}");
    assert!(!html.contains("data-passkey-sign-in"), "{html}");
    assert!(!html.contains("passkeys.js"), "{html}");

    let person = Person::new(&app);
    person.sign_in("amara", "/account/passkeys").await;
    let page = person.get("/account/passkeys").await;
    page.expect(200);
    assert!(
        page.html
            .contains("Passkeys are not available on this server")
    );
    assert!(!page.html.contains("passkey-register"));
    let response = person
        .client
        .post(app.url("/account/passkeys/register/start"))
        .header("content-type", "application/json")
        .header("x-csrf-token", person.csrf())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "Passkeys are not available on this server.");

    // The same server at localhost offers them.
    let app = on_localhost(TestApp::new()).start().await;
    let html = login_page(&app).await;
    assert!(html.contains("Sign in with a passkey"), "{html}");
    assert!(html.contains("data-passkey-sign-in"), "{html}");
}

#[test]
fn the_server_says_once_at_start_why_passkeys_are_off() {
    let env = TestEnv::new();
    // The default issuer, http://127.0.0.1:8080.
    let served = Served::start(&env, env.data_dir());
    let line = served.wait_for_log(|line| line.contains("passkeys are off"));
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains("IP address"), "{line}");
    assert!(line.contains("http://127.0.0.1:8080"), "{line}");
    assert!(
        line.contains("localhost"),
        "says what to use instead: {line}"
    );
    let said = served.lines_containing("passkeys are off");
    assert_eq!(said, 1, "once, not per request or worker");
}
