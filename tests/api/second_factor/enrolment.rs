//! `gatehouse role require-mfa`: people holding the role enrol an
//! authenticator app at their next sign-in before any code is issued; the
//! tokens then say how they signed in.

use gatehouse::clock::Clock;
use reqwest::StatusCode;

use super::{MFA_ACR, PASSWORD_ACR, enrol_during_sign_in, password_step, request_for};
use crate::helpers::{
    TestApp,
    browser::{self, Auth, code_from, jwt_parts, redeem, token_ok},
};

async fn app_with_staff() -> (TestApp, String) {
    let app = TestApp::new()
        .with_client("web", &["--skip-consent"])
        .start()
        .await;
    app.cli(&["role", "add", "staff"], None).ok();
    app.add_user("alice", &["staff"]);
    let secret = app.secret("web").to_owned();
    (app, secret)
}

#[tokio::test]
async fn a_role_that_requires_mfa_makes_its_holders_enrol_before_any_code_and_the_tokens_say_so() {
    let (app, secret) = app_with_staff().await;
    let out = app.cli(&["role", "require-mfa", "staff"], None);
    let out = out.ok();
    assert!(out.contains("requires a second factor"), "{out}");
    assert!(
        app.cli(&["role", "list"], None)
            .ok()
            .contains("[requires MFA]"),
        "the listing shows the switch"
    );

    let browser = browser::browser();
    let (request, pkce) = request_for("web");
    let request_id = password_step(&app, &browser, &request, "alice").await;
    // No code yet: the password alone does not sign anyone in.
    assert_eq!(
        app.get_json("/.well-known/openid-configuration").await["acr_values_supported"],
        serde_json::json!([PASSWORD_ACR, MFA_ACR, "phr"])
    );
    let enrolled = enrol_during_sign_in(&app, &browser, &request_id).await;
    let callback = enrolled.next.client();
    let code = code_from(&app, &callback, &request);
    let tokens = token_ok(
        redeem(
            &app,
            Auth::Basic("web", &secret),
            &code,
            Some(&pkce.verifier),
        )
        .await,
    )
    .await;

    let (_, id_token) = jwt_parts(tokens.id_token());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id_token["acr"], MFA_ACR);
    let (_, access) = jwt_parts(&tokens.access_token);
    assert_eq!(
        access["acr"], MFA_ACR,
        "RFC 9068 §2.2.1: acr in the access token"
    );
    assert_eq!(access["auth_time"], id_token["auth_time"]);
    assert!(access["auth_time"].as_i64().unwrap() <= app.clock.now());
}

#[tokio::test]
async fn without_the_switch_a_password_signs_in_alone_and_says_so() {
    let (app, secret) = app_with_staff().await;
    let browser = browser::browser();
    let (request, pkce) = request_for("web");
    let code = browser::code_for(&app, &browser, &request, "alice").await;
    let tokens = token_ok(
        redeem(
            &app,
            Auth::Basic("web", &secret),
            &code,
            Some(&pkce.verifier),
        )
        .await,
    )
    .await;
    let (_, id_token) = jwt_parts(tokens.id_token());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id_token["acr"], PASSWORD_ACR);
}

#[tokio::test]
async fn a_session_from_before_the_switch_steps_up_before_its_next_code_and_prompt_none_is_refused()
{
    let (app, _) = app_with_staff().await;
    let browser = browser::browser();
    let (request, _) = request_for("web");
    browser::code_for(&app, &browser, &request, "alice").await;

    app.cli(&["role", "require-mfa", "staff"], None).ok();
    let silent = browser::start(&app, &browser, &request.clone().set("prompt", "none")).await;
    let description =
        browser::assert_error_redirect(&app, &silent.client(), &request, "interaction_required");
    assert!(description.contains("second factor"), "{description}");

    // With the page allowed, the signed-in person is asked to enrol.
    let request_id = browser::start(&app, &browser, &request)
        .await
        .second_factor();
    let enrolled = enrol_during_sign_in(&app, &browser, &request_id).await;
    enrolled.next.client();

    // Switched off again: the app stays, and is still asked for.
    app.cli(&["role", "require-mfa", "staff", "--off"], None)
        .ok();
    let other = browser::browser();
    password_step(&app, &other, &request, "alice").await;
}

#[tokio::test]
async fn an_administrator_reset_removes_the_factors_and_ends_the_sessions() {
    let (app, _) = app_with_staff().await;
    app.cli(&["role", "require-mfa", "staff"], None).ok();
    let browser = browser::browser();
    let (request, _) = request_for("web");
    let request_id = password_step(&app, &browser, &request, "alice").await;
    let enrolled = enrol_during_sign_in(&app, &browser, &request_id).await;
    enrolled.next.client();
    browser::start(&app, &browser, &request.clone().set("prompt", "none"))
        .await
        .client();

    let out = app.cli(&["user", "reset-factors", "alice"], None);
    let out = out.ok();
    assert!(out.contains("removed the second factors of alice"), "{out}");
    let silent = browser::start(&app, &browser, &request.clone().set("prompt", "none")).await;
    browser::assert_error_redirect(&app, &silent.client(), &request, "login_required");
    // The next sign-in enrols afresh: the old app's codes are gone.
    let request_id = password_step(&app, &browser, &request, "alice").await;
    let (status, html) = super::second_step_page(&app, &browser, &request_id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("totp-secret"), "an enrolment page:\n{html}");
    assert!(!html.contains(&enrolled.secret), "a new secret");
}
