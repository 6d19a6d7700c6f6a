//! Signing in with a passkey in a browser: passwordless from the login page
//! of an authorization request (the ID token says `pop`), and as the second
//! step after a password. A replayed finish is refused.

use serde_json::Value;

use super::{NAVIGATION, PasskeyBrowser, at, on_localhost};
use crate::browser::{browser_available, screenshot_path};
use crate::helpers::{
    TestApp,
    browser::{Auth, jwt_parts, param, token_ok, token_request},
};

const CLIENT: &str = "photos";

/// A server at localhost with amara and a client that skips consent and
/// returns to this server's own (404) `/cb`, where the browser can land.
async fn app_with_client() -> (TestApp, String, String) {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let redirect_uri = format!("http://127.0.0.1:{}/cb", app.port);
    let secret = app.add_client(CLIENT, &["--redirect-uri", &redirect_uri, "--skip-consent"]);
    (app, redirect_uri, secret)
}

/// An authorization request that always shows the login page.
fn authorize_url(app: &TestApp, redirect_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", redirect_uri),
            ("scope", "openid"),
            ("state", "s-1"),
            ("prompt", "login"),
        ])
        .finish();
    at(app, &format!("/authorize?{query}"))
}

/// Waits for the browser to land at the client; the ID token's claims.
async fn id_token_at_callback(
    app: &TestApp,
    person: &PasskeyBrowser,
    redirect_uri: &str,
    secret: &str,
) -> Value {
    let landed = person
        .browser
        .wait_for_url(|url| url.starts_with(redirect_uri), NAVIGATION)
        .await;
    let landed = url::Url::parse(&landed).unwrap();
    let code = param(&landed, "code").unwrap_or_else(|| panic!("no code: {landed}"));
    let tokens = token_ok(
        token_request(
            app,
            Auth::Basic(CLIENT, secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
            ],
        )
        .await,
    )
    .await;
    jwt_parts(tokens.id_token()).1
}

fn amr(claims: &Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .unwrap_or_else(|| panic!("no amr: {claims}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Signs in with the password on the account page and adds a passkey.
async fn enrol(app: &TestApp, person: &PasskeyBrowser) {
    person
        .sign_in_with_password(app, "/account/passkeys", "amara")
        .await;
    person.browser.find("#passkey-add").await.click().await;
    person
        .browser
        .wait_for_url(|url| url.contains("done=added"), NAVIGATION)
        .await;
}

#[tokio::test]
async fn a_passkey_signs_in_without_a_username_and_its_finish_cannot_be_replayed() {
    if !browser_available() {
        return;
    }
    let (app, redirect_uri, secret) = app_with_client().await;
    let person = PasskeyBrowser::start().await;
    enrol(&app, &person).await;

    person
        .browser
        .goto(&authorize_url(&app, &redirect_uri))
        .await;
    let button = person.browser.find("[data-passkey-button]").await;
    let png = screenshot_path("login_with_passkey.png");
    person.browser.screenshot_to(&png).await;
    println!("login page with a passkey button: {}", png.display());
    button.click().await;
    let claims = id_token_at_callback(&app, &person, &redirect_uri, &secret).await;
    let values = amr(&claims);
    for value in ["pop", "user", "mfa"] {
        assert!(
            values.iter().any(|v| v == value),
            "{value} not in {values:?}"
        );
    }
    assert!(!values.iter().any(|v| v == "pwd"), "{values:?}");
    assert_eq!(claims["acr"], "phr", "{claims}");
    let amara = app.db(|conn| gatehouse::db::users::find_by_username(conn, "amara"));
    assert_eq!(claims["sub"], amara.unwrap().id);
    // The passkey's last use is recorded.
    let stored = app.db(|conn| {
        let amara = gatehouse::db::users::find_by_username(conn, "amara")?.unwrap();
        gatehouse::db::passkeys::for_user(conn, &amara.id)
    });
    assert!(stored[0].last_used_at.is_some(), "{stored:?}");

    // The same answer again, from a page of this origin: refused.
    person
        .browser
        .goto(&at(&app, "/login?return_to=%2Faccount%2Fpasskeys"))
        .await;
    let (status, body) = person.replay_finish("/login/passkey/finish").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expired or was already used"), "{body}");
}

#[tokio::test]
async fn a_passkey_is_the_second_step_after_a_password() {
    if !browser_available() {
        return;
    }
    let (app, redirect_uri, secret) = app_with_client().await;
    let person = PasskeyBrowser::start().await;
    enrol(&app, &person).await;

    let browser = &person.browser;
    browser.goto(&authorize_url(&app, &redirect_uri)).await;
    browser
        .find("input[name=username]")
        .await
        .type_text("amara")
        .await;
    browser
        .find("input[name=password]")
        .await
        .type_text(crate::helpers::PASSWORD)
        .await;
    browser.find("button[type=submit]").await.click().await;
    let second = at(&app, "/login/second-factor");
    browser
        .wait_for_url(|url| url.starts_with(&second), NAVIGATION)
        .await;
    let button = browser.find("[data-passkey-button]").await;
    assert_eq!(button.text().await, "Use a passkey");
    let png = screenshot_path("second_step_with_passkey.png");
    browser.screenshot_to(&png).await;
    println!("second step with a passkey button: {}", png.display());
    button.click().await;
    let claims = id_token_at_callback(&app, &person, &redirect_uri, &secret).await;
    let values = amr(&claims);
    for value in ["pwd", "pop", "mfa", "user"] {
        assert!(
            values.iter().any(|v| v == value),
            "{value} not in {values:?}"
        );
    }
    assert_eq!(claims["acr"], "phr", "{claims}");
}

#[tokio::test]
async fn where_the_browser_offers_passkeys_as_suggestions_the_login_page_uses_them() {
    if !browser_available() {
        return;
    }
    let (app, redirect_uri, secret) = app_with_client().await;
    let person = PasskeyBrowser::with_conditional_ui().await;
    enrol(&app, &person).await;
    // No click: the page asks for a passkey with conditional mediation as it
    // loads, and the authenticator answers as a person picking it would.
    person
        .browser
        .goto(&authorize_url(&app, &redirect_uri))
        .await;
    let claims = id_token_at_callback(&app, &person, &redirect_uri, &secret).await;
    assert!(amr(&claims).iter().any(|v| v == "pop"), "{claims}");
}
