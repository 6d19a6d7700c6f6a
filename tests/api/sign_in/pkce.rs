//! PKCE (RFC 7636): S256 only, required for public clients, checked at the
//! token endpoint, and never downgradable.

use reqwest::StatusCode;

use super::flow::{self, AuthRequest, ClientAuth, Pkce};
use crate::helpers::TestApp;

async fn app_with_clients() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    app.add_client("spa", &["--public"]);
    let secret = app.add_client("web", &[]);
    (app, secret)
}

#[tokio::test]
async fn the_right_verifier_succeeds_and_a_wrong_one_fails() {
    let (app, secret) = app_with_clients().await;
    for (auth, client_id) in [
        (ClientAuth::Public("spa"), "spa"),
        (ClientAuth::Basic("web", &secret), "web"),
    ] {
        let pkce = Pkce::new();
        let request = AuthRequest::new(client_id).pkce(&pkce);
        let code = flow::code_for(&app, &app.client, &request, "alice").await;
        let other = Pkce::new();
        let json = flow::assert_token_error(
            flow::redeem(&app, auth, &code, Some(&other.verifier)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        assert!(
            json["error_description"]
                .as_str()
                .unwrap()
                .contains("code_verifier"),
            "{json}"
        );

        // A fresh code with the right verifier works.
        let pkce = Pkce::new();
        let request = AuthRequest::new(client_id).pkce(&pkce);
        let code = flow::code_for(&app, &app.client, &request, "alice").await;
        let tokens =
            flow::token_ok(flow::redeem(&app, auth, &code, Some(&pkce.verifier)).await).await;
        assert!(tokens["access_token"].is_string());
    }
}

#[tokio::test]
async fn a_code_with_a_challenge_needs_the_verifier() {
    let (app, _) = app_with_clients().await;
    let pkce = Pkce::new();
    let request = AuthRequest::new("spa").pkce(&pkce);
    let code = flow::code_for(&app, &app.client, &request, "alice").await;
    flow::assert_token_error(
        flow::redeem(&app, ClientAuth::Public("spa"), &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_public_client_without_pkce_is_refused() {
    let (app, _) = app_with_clients().await;
    let request = AuthRequest::new("spa");
    let callback = flow::start(&app, &app.client, &request).await.client();
    let description = flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
    assert!(description.contains("PKCE"), "{description}");

    // A method without a challenge is no better.
    let request = AuthRequest::new("spa").set("code_challenge_method", "S256");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
}

#[tokio::test]
async fn plain_and_absent_methods_are_refused() {
    let (app, _) = app_with_clients().await;
    let pkce = Pkce::new();
    for client_id in ["spa", "web"] {
        // `plain`, explicitly.
        let request = AuthRequest::new(client_id)
            .pkce(&pkce)
            .set("code_challenge_method", "plain");
        let callback = flow::start(&app, &app.client, &request).await.client();
        let description = flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
        assert!(description.contains("S256"), "{description}");

        // No method means plain (RFC 7636 §4.3).
        let request = AuthRequest::new(client_id)
            .pkce(&pkce)
            .remove("code_challenge_method");
        let callback = flow::start(&app, &app.client, &request).await.client();
        flow::assert_error_redirect(&app, &callback, &request, "invalid_request");

        // Nor any other method.
        let request = AuthRequest::new(client_id)
            .pkce(&pkce)
            .set("code_challenge_method", "S512");
        let callback = flow::start(&app, &app.client, &request).await.client();
        flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
    }
}

#[tokio::test]
async fn a_malformed_challenge_is_refused() {
    let (app, _) = app_with_clients().await;
    for challenge in [
        "too-short",
        &"a".repeat(129),
        &format!("{}!", "a".repeat(43)),
    ] {
        let request = AuthRequest::new("spa")
            .set("code_challenge", challenge)
            .set("code_challenge_method", "S256");
        let callback = flow::start(&app, &app.client, &request).await.client();
        flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
    }
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_a_downgrade() {
    let (app, secret) = app_with_clients().await;
    let request = AuthRequest::new("web");
    let code = flow::code_for(&app, &app.client, &request, "alice").await;
    let pkce = Pkce::new();
    let json = flow::assert_token_error(
        flow::redeem(
            &app,
            ClientAuth::Basic("web", &secret),
            &code,
            Some(&pkce.verifier),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("without code_challenge"),
        "{json}"
    );
}
