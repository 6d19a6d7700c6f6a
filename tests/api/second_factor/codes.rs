//! The second step with an enrolled app: a code is accepted once (replay
//! refused), a recovery code once, wrong codes are throttled like
//! passwords.

use reqwest::StatusCode;

use super::{enrol_during_sign_in, password_step, request_for, submit_code, totp_code};
use crate::helpers::{
    TestApp,
    browser::{self, Auth, Next, code_from, jwt_parts, next, redeem, token_ok},
};

/// Alice, with an app enrolled (through a role that required it, then
/// switched off: she keeps the app), and the app's secret and recovery
/// codes.
async fn alice_with_app(
    customise: impl FnOnce(&mut gatehouse::config::Settings) + 'static,
) -> (TestApp, String, Vec<String>) {
    let app = TestApp::new()
        .with_client("web", &["--skip-consent"])
        .with_settings(customise)
        .start()
        .await;
    app.cli(&["role", "add", "staff"], None).ok();
    app.add_user("alice", &["staff"]);
    app.cli(&["role", "require-mfa", "staff"], None).ok();
    let browser = browser::browser();
    let (request, _) = request_for("web");
    let request_id = password_step(&app, &browser, &request, "alice").await;
    let enrolled = enrol_during_sign_in(&app, &browser, &request_id).await;
    enrolled.next.client();
    app.cli(&["role", "require-mfa", "staff", "--off"], None)
        .ok();
    // The confirmation used the current step; move past it.
    app.clock.advance(30);
    (app, enrolled.secret, enrolled.recovery_codes)
}

#[tokio::test]
async fn a_code_signs_in_once_and_its_replay_is_refused() {
    let (app, secret, _) = alice_with_app(|_| {}).await;
    let (request, pkce) = request_for("web");
    let browser = browser::browser();
    let request_id = password_step(&app, &browser, &request, "alice").await;
    let wrong = submit_code(&app, &browser, &request_id, "123456").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let code_now = totp_code(&app, &secret, 0);
    let accepted = submit_code(&app, &browser, &request_id, &code_now).await;
    let callback = next(&app, accepted).await.client();
    let code = code_from(&app, &callback, &request);
    let tokens = token_ok(
        redeem(
            &app,
            Auth::Basic("web", app.secret("web")),
            &code,
            Some(&pkce.verifier),
        )
        .await,
    )
    .await;
    let (_, id_token) = jwt_parts(tokens.id_token());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // The same code again, from another browser: refused.
    let other = browser::browser();
    let request_id = password_step(&app, &other, &request, "alice").await;
    let replay = submit_code(&app, &other, &request_id, &code_now).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "a replayed code");
    // The next step's code works.
    app.clock.advance(30);
    let fresh = submit_code(&app, &other, &request_id, &totp_code(&app, &secret, 0)).await;
    next(&app, fresh).await.client();
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let (app, _, recovery_codes) = alice_with_app(|_| {}).await;
    let (request, _) = request_for("web");
    let browser = browser::browser();
    let request_id = password_step(&app, &browser, &request, "alice").await;
    // Typed in lower case with spaces: still the code.
    let typed = recovery_codes[3].to_lowercase().replace('-', " ");
    let accepted = submit_code(&app, &browser, &request_id, &typed).await;
    next(&app, accepted).await.client();

    let other = browser::browser();
    let request_id = password_step(&app, &other, &request, "alice").await;
    let again = submit_code(&app, &other, &request_id, &recovery_codes[3]).await;
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "a spent recovery code"
    );
    let another = submit_code(&app, &other, &request_id, &recovery_codes[4]).await;
    next(&app, another).await.client();
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let (app, secret, _) = alice_with_app(|settings| {
        settings.login.pair_failures_before_delay = 3;
    })
    .await;
    let (request, _) = request_for("web");
    let browser = browser::browser();
    let request_id = password_step(&app, &browser, &request, "alice").await;
    for _ in 0..3 {
        let wrong = submit_code(&app, &browser, &request_id, "000000").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = submit_code(&app, &browser, &request_id, &totp_code(&app, &secret, 0)).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
    let body = throttled.text().await.unwrap();
    assert!(body.contains("Too many failed attempts"), "{body}");
}

#[tokio::test]
async fn the_second_step_is_not_a_sign_in_until_it_is_done() {
    let (app, _, _) = alice_with_app(|_| {}).await;
    let (request, _) = request_for("web");
    let browser = browser::browser();
    password_step(&app, &browser, &request, "alice").await;
    // The pending session neither answers prompt=none nor opens pages.
    let silent = browser::start(&app, &browser, &request.clone().set("prompt", "none")).await;
    browser::assert_error_redirect(&app, &silent.client(), &request, "login_required");
    let fresh = browser::start(&app, &browser, &request).await;
    assert!(matches!(fresh, Next::Login(_)), "{fresh:?}");
    // Another browser cannot use the request's second step.
    let request_id = password_step(&app, &browser, &request, "alice").await;
    let stranger = browser::browser();
    let (status, _) = super::second_step_page(&app, &stranger, &request_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
