//! `/userinfo` (OIDC Core §5.3, RFC 6750): the three ways to present the
//! token, and the errors for bad or unsuitable tokens.

use reqwest::{StatusCode, header};
use serde_json::Value;

use super::flow::{self, ClientAuth};
use crate::helpers::TestApp;

async fn signed_in(scope: &str) -> (TestApp, flow::Tokens) {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client("web", &[]);
    let tokens = flow::tokens_for(&app, &secret, scope).await;
    (app, tokens)
}

async fn assert_userinfo_ok(response: reqwest::Response, expected_sub: &Value) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        flow::header_of(&response, header::CACHE_CONTROL),
        "no-store"
    );
    assert_eq!(
        flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    assert!(flow::header_of(&response, header::CONTENT_TYPE).starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(&body["sub"], expected_sub, "{body}");
    body
}

#[tokio::test]
async fn userinfo_answers_get_and_post_with_the_header_and_post_with_the_form() {
    let (app, tokens) = signed_in("openid email profile").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let (_, id_token) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    let sub = &id_token["sub"];
    let http = reqwest::Client::new();

    let get = flow::userinfo(&app, access_token).await;
    let body = assert_userinfo_ok(get, sub).await;
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["email_verified"], false);
    assert_eq!(body["name"], "Alice Liddell");
    assert_eq!(body["preferred_username"], "alice");
    assert!(body["updated_at"].is_i64(), "{body}");

    let post_header = http
        .post(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(assert_userinfo_ok(post_header, sub).await, body);

    let post_form = http
        .post(app.url("/userinfo"))
        .form(&[("access_token", access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(assert_userinfo_ok(post_form, sub).await, body);

    // The scheme name is case-insensitive (RFC 7235).
    let lower = http
        .get(app.url("/userinfo"))
        .header(header::AUTHORIZATION, format!("bearer {access_token}"))
        .send()
        .await
        .unwrap();
    assert_userinfo_ok(lower, sub).await;
}

#[tokio::test]
async fn userinfo_releases_only_the_claims_of_the_granted_scopes() {
    let (app, tokens) = signed_in("openid").await;
    let response = flow::userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let names: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(names, vec!["sub"], "{body}");
}

#[tokio::test]
async fn a_missing_or_bad_token_is_a_401_with_a_bearer_challenge() {
    let (app, tokens) = signed_in("openid").await;
    let http = reqwest::Client::new();

    let none = http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let challenge = flow::header_of(&none, header::WWW_AUTHENTICATE);
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    // No error code when no credentials were sent (RFC 6750 §3.1).
    assert!(!challenge.contains("error="), "{challenge}");

    let access_token = tokens["access_token"].as_str().unwrap();
    let (head, _) = access_token.rsplit_once('.').unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    for bad in [
        "garbage".to_owned(),
        // A broken signature.
        format!("{head}.AAAA"),
        // Our ID token is not an access token.
        id_token.to_owned(),
    ] {
        let response = flow::userinfo(&app, &bad).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad}");
        let challenge = flow::header_of(&response, header::WWW_AUTHENTICATE);
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert_eq!(
            flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "*"
        );
    }

    // Expired: the access token lives access_token_ttl_secs.
    app.clock
        .advance(app.state.settings.tokens.access_token_ttl_secs + 1);
    let response = flow::userinfo(&app, access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(flow::header_of(&response, header::WWW_AUTHENTICATE).contains("invalid_token"));
}

#[tokio::test]
async fn a_token_sent_two_ways_at_once_is_a_bad_request() {
    let (app, tokens) = signed_in("openid").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let response = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .bearer_auth(access_token)
        .form(&[("access_token", access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(flow::header_of(&response, header::WWW_AUTHENTICATE).contains("invalid_request"));
}

#[tokio::test]
async fn a_token_without_openid_is_insufficient_scope() {
    // An authorization code flow without openid.
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client(
        "web",
        &[
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
        ],
    );
    let tokens = flow::tokens_for(&app, &secret, "profile").await;
    assert!(tokens.get("id_token").is_none(), "{tokens}");
    assert_eq!(tokens["scope"], "profile");
    let (_, claims) = flow::jwt_parts(tokens["access_token"].as_str().unwrap());
    // With no API, `aud` is the userinfo endpoint (RFC 9068 §2.2 requires
    // one), but without `openid` the token is still not for userinfo.
    assert_eq!(claims["aud"], app.url("/userinfo"));

    let response = flow::userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = flow::header_of(&response, header::WWW_AUTHENTICATE);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );

    // A service account gets no token without an API to be its audience,
    // so none that could pass for a userinfo token.
    let response = flow::token_request(
        &app,
        ClientAuth::Basic("web", &secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    flow::assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_target").await;
}

#[tokio::test]
async fn userinfo_answers_cors_preflights() {
    let (app, _) = signed_in("openid").await;
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/userinfo"))
        .header("Origin", "https://spa.example.com")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    let allowed = flow::header_of(&response, header::ACCESS_CONTROL_ALLOW_HEADERS).to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
}
