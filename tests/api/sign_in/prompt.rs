//! `prompt` and `max_age`: silent sign-in, forced fresh logins, and the
//! `auth_time` they leave in the ID token.

use reqwest::StatusCode;
use serde_json::Value;

use super::flow::{self, AuthRequest, ClientAuth, Next};
use crate::helpers::TestApp;

async fn app_with_web() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client("web", &[]);
    (app, secret)
}

/// The ID token's claims for a callback's code.
async fn id_token_claims(
    app: &TestApp,
    secret: &str,
    request: &AuthRequest,
    callback: &reqwest::Url,
) -> Value {
    let code = flow::code_from(app, callback, request);
    let tokens =
        flow::token_ok(flow::redeem(app, ClientAuth::Basic("web", secret), &code, None).await)
            .await;
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    let (_, access) = flow::jwt_parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["auth_time"], access["auth_time"]);
    claims
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let (app, _) = app_with_web().await;
    let request = AuthRequest::new("web").set("prompt", "none");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "login_required");
}

#[tokio::test]
async fn prompt_none_with_a_session_but_no_consent_is_consent_required() {
    let (app, _) = app_with_web().await;
    app.add_client("other", &[]);
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;
    let request = AuthRequest::new("other").set("prompt", "none");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "consent_required");
}

#[tokio::test]
async fn prompt_none_with_a_session_and_consent_returns_a_code_without_any_page() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let first_claims = id_token_claims(&app, &secret, &first, &callback).await;

    let request = AuthRequest::new("web")
        .set("prompt", "none")
        .set("state", "silent")
        .set("nonce", "silent-nonce");
    // One response, straight to the client.
    let callback = flow::start(&app, &app.client, &request).await.client();
    let claims = id_token_claims(&app, &secret, &request, &callback).await;
    assert_eq!(claims["sub"], first_claims["sub"]);
    assert_eq!(claims["sid"], first_claims["sid"]);
    assert_eq!(claims["auth_time"], first_claims["auth_time"]);
    assert_eq!(claims["nonce"], "silent-nonce");
}

#[tokio::test]
async fn prompt_login_forces_a_fresh_login_once() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let before = id_token_claims(&app, &secret, &first, &callback).await;

    app.clock.advance(30);
    let request = AuthRequest::new("web").set("prompt", "login");
    // The session is there, yet the login page comes first …
    let id = flow::start(&app, &app.client, &request).await.login();
    // … and after it the code (consent is on record), not the login again.
    let callback = flow::login(&app, &app.client, &id, "alice").await.client();
    let after = id_token_claims(&app, &secret, &request, &callback).await;
    assert_eq!(after["sub"], before["sub"]);
    assert_eq!(
        after["auth_time"].as_i64().unwrap(),
        before["auth_time"].as_i64().unwrap() + 30,
        "a fresh login has a fresh auth_time"
    );
    assert_ne!(
        after["sid"], before["sid"],
        "a fresh login starts a new session"
    );

    // With consent to ask as well: login, then consent, then the code.
    let request = AuthRequest::new("web")
        .set("prompt", "login consent")
        .set("scope", "openid email");
    let id = flow::start(&app, &app.client, &request).await.login();
    let consent = flow::login(&app, &app.client, &id, "alice").await.consent();
    let response = flow::submit_consent(&app, &app.client, &consent, "allow").await;
    flow::next(&app, response).await.client();
}

#[tokio::test]
async fn max_age_exceeded_forces_a_fresh_login_once() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let before = id_token_claims(&app, &secret, &first, &callback).await;

    app.clock.advance(5);
    let request = AuthRequest::new("web").set("max_age", "1");
    let id = flow::start(&app, &app.client, &request).await.login();
    // After logging in, max_age=1 is satisfied: no loop back to login.
    let callback = flow::login(&app, &app.client, &id, "alice").await.client();
    let after = id_token_claims(&app, &secret, &request, &callback).await;
    assert_eq!(
        after["auth_time"].as_i64().unwrap(),
        before["auth_time"].as_i64().unwrap() + 5
    );
}

#[tokio::test]
async fn a_generous_max_age_does_not_reauthenticate() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let before = id_token_claims(&app, &secret, &first, &callback).await;

    app.clock.advance(5);
    let request = AuthRequest::new("web").set("max_age", "10000");
    let next = flow::start(&app, &app.client, &request).await;
    let Next::Client(callback) = next else {
        panic!("max_age=10000 five seconds after login must not ask again: {next:?}");
    };
    let after = id_token_claims(&app, &secret, &request, &callback).await;
    assert_eq!(after["auth_time"], before["auth_time"]);
    assert!(
        after["auth_time"].is_i64(),
        "auth_time is required with max_age"
    );

    // max_age=0 always asks.
    let request = AuthRequest::new("web").set("max_age", "0");
    app.clock.advance(1);
    flow::start(&app, &app.client, &request).await.login();
}

#[tokio::test]
async fn prompt_none_with_an_exceeded_max_age_is_login_required() {
    let (app, _) = app_with_web().await;
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;
    app.clock.advance(10);
    let request = AuthRequest::new("web")
        .set("prompt", "none")
        .set("max_age", "5");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "login_required");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let (app, _) = app_with_web().await;
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;
    app.clock
        .advance(app.state.settings.sessions.idle_timeout_secs + 1);
    let request = AuthRequest::new("web").set("prompt", "none");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "login_required");
    // And an interactive request shows the login page again.
    let response = flow::authorize(&app, &app.client, &AuthRequest::new("web")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    flow::next(&app, response).await.login();
}

#[tokio::test]
async fn an_id_token_hint_of_the_current_user_is_accepted() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let code = flow::code_from(&app, &callback, &first);
    let tokens =
        flow::token_ok(flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await)
            .await;
    let hint = tokens["id_token"].as_str().unwrap();
    let request = AuthRequest::new("web")
        .set("prompt", "none")
        .set("id_token_hint", hint);
    let callback = flow::start(&app, &app.client, &request).await.client();
    let claims = id_token_claims(&app, &secret, &request, &callback).await;
    assert_eq!(claims["sub"], flow::jwt_parts(hint).1["sub"]);
}

/// OIDC Core 3.1.2.1: a hint naming someone other than the signed-in user
/// must not be answered with the signed-in user's tokens.
#[tokio::test]
async fn an_id_token_hint_of_another_user_needs_that_user_to_sign_in() {
    let (app, secret) = app_with_web().await;
    app.add_user("bob", &[]);
    // Bob signs in in his own browser; his ID token becomes the hint.
    let bobs_browser = flow::browser();
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &bobs_browser, &first, "bob").await;
    let code = flow::code_from(&app, &callback, &first);
    let tokens =
        flow::token_ok(flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await)
            .await;
    let bobs_hint = tokens["id_token"].as_str().unwrap().to_owned();
    // Alice is signed in here.
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;

    let silent = AuthRequest::new("web")
        .set("prompt", "none")
        .set("id_token_hint", &bobs_hint);
    let callback = flow::start(&app, &app.client, &silent).await.client();
    flow::assert_error_redirect(&app, &callback, &silent, "login_required");

    // Interactive: the login page, not Alice's code.
    let interactive = AuthRequest::new("web").set("id_token_hint", &bobs_hint);
    flow::start(&app, &app.client, &interactive).await.login();
}

#[tokio::test]
async fn an_id_token_hint_that_does_not_verify_names_nobody() {
    let (app, secret) = app_with_web().await;
    let first = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &first, "alice").await;
    let code = flow::code_from(&app, &callback, &first);
    let tokens =
        flow::token_ok(flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await)
            .await;
    // Alice's own ID token with the signature's last characters changed.
    let genuine = tokens["id_token"].as_str().unwrap();
    let mut forged = genuine[..genuine.len() - 4].to_owned();
    forged.push_str(if genuine.ends_with("AAAA") {
        "BBBB"
    } else {
        "AAAA"
    });
    for hint in [forged.as_str(), "not-a-jwt"] {
        let request = AuthRequest::new("web")
            .set("prompt", "none")
            .set("id_token_hint", hint);
        let callback = flow::start(&app, &app.client, &request).await.client();
        flow::assert_error_redirect(&app, &callback, &request, "login_required");
    }
}
