//! `POST /token` with the code grant: single use (and what a replay
//! revokes), lifetime, binding to client and redirect URI, client
//! authentication, and the client credentials grant.

use reqwest::{StatusCode, header};

use super::flow::{self, AuthRequest, ClientAuth, REDIRECT_URI};
use crate::helpers::TestApp;

async fn app_with_web() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client("web", &[]);
    (app, secret)
}

async fn code(app: &TestApp) -> String {
    flow::code_for(app, &app.client, &AuthRequest::new("web"), "alice").await
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_the_tokens_it_bought() {
    let (app, secret) = app_with_web().await;
    let code = code(&app).await;
    let auth = ClientAuth::Basic("web", &secret);
    let first = flow::token_ok(flow::redeem(&app, auth, &code, None).await).await;
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(flow::userinfo(&app, access_token).await.status(), 200);

    let json = flow::assert_token_error(
        flow::redeem(&app, auth, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(json.get("access_token").is_none());

    let response = flow::userinfo(&app, access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = flow::header_of(&response, header::WWW_AUTHENTICATE);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");

    // A third try is refused as well.
    flow::assert_token_error(
        flow::redeem(&app, auth, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_replayed_code_also_revokes_the_refresh_token_it_bought() {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client(
        "web",
        &["--grant", "authorization_code", "--grant", "refresh_token"],
    );
    let auth = ClientAuth::Basic("web", &secret);
    let request = AuthRequest::new("web").set("scope", "openid offline_access");
    let code = flow::code_for(&app, &app.client, &request, "alice").await;
    let first = flow::token_ok(flow::redeem(&app, auth, &code, None).await).await;
    let refresh_token = first["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {first}"));

    flow::assert_token_error(
        flow::redeem(&app, auth, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    // RFC 6749 §4.1.2: revoke all tokens previously issued on that code.
    let response = flow::token_request(
        &app,
        auth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

/// Of concurrent redemptions at most one succeeds, and since the others are
/// replays, whatever it bought is revoked — whenever the replays land,
/// even while its tokens are still being made.
#[tokio::test]
async fn concurrent_redemptions_of_one_code_leave_no_usable_token() {
    let (app, secret) = app_with_web().await;
    let token_url = app.url("/token");
    for round in 0..3 {
        let code = code(&app).await;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let token_url = token_url.clone();
            let secret = secret.clone();
            let code = code.clone();
            tasks.spawn(async move {
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT_URI),
                ];
                let response =
                    flow::token_request_at(&token_url, ClientAuth::Basic("web", &secret), &form)
                        .await;
                let status = response.status();
                (status, response.text().await.unwrap())
            });
        }
        let mut successes = Vec::new();
        while let Some(result) = tasks.join_next().await {
            let (status, body) = result.unwrap();
            match status {
                StatusCode::OK => successes.push(body),
                StatusCode::BAD_REQUEST => {
                    assert!(body.contains("\"invalid_grant\""), "round {round}: {body}")
                }
                other => panic!("round {round}: unexpected {other}: {body}"),
            }
        }
        assert!(
            successes.len() <= 1,
            "round {round}: one code, one token response"
        );
        for body in successes {
            let tokens: serde_json::Value = serde_json::from_str(&body).unwrap();
            let access_token = tokens["access_token"].as_str().unwrap();
            assert_eq!(
                flow::userinfo(&app, access_token).await.status(),
                StatusCode::UNAUTHORIZED,
                "round {round}: a replayed code's token still works"
            );
        }
    }
}

#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let (app, secret) = app_with_web().await;
    let auth = ClientAuth::Basic("web", &secret);

    let fresh = code(&app).await;
    app.clock.advance(59);
    flow::token_ok(flow::redeem(&app, auth, &fresh, None).await).await;

    let stale = code(&app).await;
    app.clock.advance(61);
    let json = flow::assert_token_error(
        flow::redeem(&app, auth, &stale, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{json}"
    );
}

#[tokio::test]
async fn the_redirect_uri_must_match_the_authorization_request() {
    let (app, secret) = app_with_web().await;
    let auth = ClientAuth::Basic("web", &secret);

    // A different URI.
    let code_a = code(&app).await;
    let response = flow::token_request(
        &app,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code_a),
            ("redirect_uri", "http://127.0.0.1:3000/cb/other"),
        ],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // Missing, though /authorize had it.
    let code_b = code(&app).await;
    let response = flow::token_request(
        &app,
        auth,
        &[("grant_type", "authorization_code"), ("code", &code_b)],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // Not sent at /authorize (plain OAuth, one registered URI): not needed
    // at /token either, and if sent it must be the registered one.
    for sent in [None, Some(REDIRECT_URI)] {
        let request = AuthRequest::new("web")
            .remove("redirect_uri")
            .set("scope", "profile");
        let code = flow::code_for(&app, &app.client, &request, "alice").await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if let Some(uri) = sent {
            form.push(("redirect_uri", uri));
        }
        flow::token_ok(flow::token_request(&app, auth, &form).await).await;
    }
    let request = AuthRequest::new("web")
        .remove("redirect_uri")
        .set("scope", "profile");
    let code = flow::code_for(&app, &app.client, &request, "alice").await;
    let response = flow::token_request(
        &app,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:3000/elsewhere"),
        ],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_is_bound_to_the_client_it_was_issued_to() {
    let (app, _) = app_with_web().await;
    let other_secret = app.add_client("other", &[]);
    app.add_client("spa", &["--public"]);
    let code = code(&app).await;
    let json = flow::assert_token_error(
        flow::redeem(&app, ClientAuth::Basic("other", &other_secret), &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(json.get("access_token").is_none());
    flow::assert_token_error(
        flow::redeem(&app, ClientAuth::Public("spa"), &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn failed_client_authentication_is_a_401_with_a_challenge() {
    let (app, secret) = app_with_web().await;
    let code = code(&app).await;
    let wrong = format!("{secret}x");
    for auth in [
        ClientAuth::Basic("web", &wrong),
        ClientAuth::Post("web", &wrong),
        ClientAuth::Basic("nobody", &secret),
        ClientAuth::Post("nobody", &secret),
        // A confidential client cannot pass as a public one.
        ClientAuth::Public("web"),
    ] {
        let response = flow::redeem(&app, auth, &code, None).await;
        let challenge = flow::header_of(&response, header::WWW_AUTHENTICATE);
        flow::assert_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(challenge.starts_with("Basic"), "{auth:?}: {challenge:?}");
    }
    // None of that spent the code.
    flow::token_ok(flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await).await;

    // No credentials at all.
    let response = flow::token_request(
        &app,
        ClientAuth::Public(""),
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    flow::assert_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn malformed_token_requests_are_invalid_request() {
    let (app, secret) = app_with_web().await;
    let auth = ClientAuth::Basic("web", &secret);
    // Not a form.
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .json(&serde_json::json!({ "grant_type": "authorization_code" }))
        .send()
        .await
        .unwrap();
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    // No grant_type; no code; an unknown grant; an unknown code.
    let response = flow::token_request(&app, auth, &[("code", "x")]).await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = flow::token_request(&app, auth, &[("grant_type", "authorization_code")]).await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = flow::token_request(&app, auth, &[("grant_type", "password")]).await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let response = flow::redeem(&app, auth, "not-a-code", None).await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // A parameter twice.
    let code = code(&app).await;
    let response = flow::token_request(
        &app,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    // This client may not use client_credentials.
    let response = flow::token_request(&app, auth, &[("grant_type", "client_credentials")]).await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn the_token_response_is_not_cached_and_says_how_long_it_lasts() {
    let (app, secret) = app_with_web().await;
    let code = code(&app).await;
    let response = flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        flow::header_of(&response, header::CACHE_CONTROL),
        "no-store"
    );
    assert_eq!(flow::header_of(&response, header::PRAGMA), "no-cache");
    assert_eq!(
        flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    assert!(flow::header_of(&response, header::CONTENT_TYPE).starts_with("application/json"));
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 600, "{json}");
    assert_eq!(json["scope"], "openid");
    assert!(json["access_token"].is_string());
    assert!(json["id_token"].is_string());
    assert!(json.get("refresh_token").is_none(), "{json}");

    // Errors are not cached either and may be read cross-origin.
    let response = flow::redeem(&app, ClientAuth::Basic("web", &secret), &code, None).await;
    assert_eq!(
        flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // The CORS preflight.
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/token"))
        .header("Origin", "https://spa.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
}

#[tokio::test]
async fn authorization_codes_are_long_random_and_distinct() {
    let (app, _) = app_with_web().await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let code = code(&app).await;
        assert!(code.len() >= 43, "{code:?} carries less than 256 bits");
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{code:?}"
        );
        assert!(!codes.contains(&code));
        codes.push(code);
    }
}

#[tokio::test]
async fn client_credentials_gives_a_service_token_without_user_or_id_token() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", "reports"], None).ok();
    let secret = app.add_client(
        "svc",
        &["--grant", "client_credentials", "--resource", "reports"],
    );
    app.add_client("spa", &["--public"]);
    let response = flow::token_request(
        &app,
        ClientAuth::Post("svc", &secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        flow::header_of(&response, header::CACHE_CONTROL),
        "no-store"
    );
    let json = flow::token_ok(response).await;
    assert_eq!(json["token_type"], "Bearer");
    assert!(json["expires_in"].as_i64().unwrap() > 0);
    assert!(json.get("id_token").is_none(), "{json}");
    let (header, claims) = flow::jwt_parts(json["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["aud"], "reports");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert!(claims.get("auth_time").is_none(), "{claims}");

    // A public client cannot use it.
    let response = flow::token_request(
        &app,
        ClientAuth::Public("spa"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(
        status == StatusCode::BAD_REQUEST && body.contains("unauthorized_client"),
        "{status}: {body}"
    );
}
