//! `/authorize` rejections: an error page when the client or its redirect
//! URI cannot be trusted, otherwise an error at the client's redirect URI
//! with `state` and `iss`; and what is merely ignored.

use reqwest::StatusCode;

use super::flow::{self, AuthRequest, Next, REDIRECT_URI, param};
use crate::helpers::{TestApp, form_value};

async fn app_with_web() -> TestApp {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    app.add_client("web", &[]);
    app
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_and_no_redirect() {
    let app = app_with_web().await;
    let request = AuthRequest::new("nobody");
    let page = flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(page.contains("not registered"), "{page}");

    // What the page repeats from the request is escaped.
    let request = AuthRequest::new("<script>alert(1)</script>");
    let page = flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(!page.contains("<script>alert"), "{page}");

    // No client_id at all: the same.
    let request = AuthRequest::new("web").remove("client_id");
    flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let app = app_with_web().await;
    for bad in [
        "http://127.0.0.1:3000/cb/other",
        "http://127.0.0.1:3000/cb?x=1",
        "http://127.0.0.1:3000/CB",
        "https://evil.example.com/cb",
        // Another loopback port is only for public (native) clients.
        "http://127.0.0.1:4000/cb",
    ] {
        let request = AuthRequest::new("web").set("redirect_uri", bad);
        let page = flow::assert_error_page(
            flow::authorize(&app, &app.client, &request).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(page.contains("redirect_uri"), "{bad}: {page}");
    }
    // OpenID Connect requires the redirect URI, even with one registered.
    let request = AuthRequest::new("web").remove("redirect_uri");
    flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Errors in other parameters of such a request are not reported to the
    // untrusted URI either.
    let request = AuthRequest::new("web")
        .set("redirect_uri", "https://evil.example.com/cb")
        .remove("response_type");
    flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_public_client_may_use_another_loopback_port() {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    app.add_client("cli", &["--public"]);
    let pkce = flow::Pkce::new();
    let other_port = "http://127.0.0.1:54321/cb";
    let request = AuthRequest::new("cli")
        .set("redirect_uri", other_port)
        .pkce(&pkce);
    let callback = flow::sign_in(&app, &app.client, &request, "alice").await;
    assert!(callback.as_str().starts_with(other_port), "{callback}");
    let code = flow::code_from(&app, &callback, &request);
    // The token request must name the same URI.
    let response = flow::token_request(
        &app,
        flow::ClientAuth::Public("cli"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", other_port),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    flow::token_ok(response).await;
    // But not another path or host.
    let request = AuthRequest::new("cli")
        .set("redirect_uri", "http://127.0.0.1:54321/other")
        .pkce(&pkce);
    flow::assert_error_page(
        flow::authorize(&app, &app.client, &request).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn request_objects_are_refused_at_the_redirect_uri() {
    let app = app_with_web().await;
    let request = AuthRequest::new("web").set("request", "eyJhbGciOiJub25lIn0.e30.");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "request_not_supported");

    let request = AuthRequest::new("web").set("request_uri", "https://client.example.com/req");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "request_uri_not_supported");
}

#[tokio::test]
async fn a_missing_or_unsupported_response_type_is_reported_to_the_client() {
    let app = app_with_web().await;
    let request = AuthRequest::new("web").remove("response_type");
    let callback = flow::start(&app, &app.client, &request).await.client();
    let description = flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
    assert!(description.contains("response_type"), "{description}");

    let request = AuthRequest::new("web").set("response_type", "token");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "unsupported_response_type");

    // Without state the error carries none (and still iss).
    let request = AuthRequest::new("web")
        .remove("response_type")
        .remove("state");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "invalid_request");
}

#[tokio::test]
async fn other_invalid_parameters_are_reported_to_the_client() {
    let app = app_with_web().await;
    for (request, error) in [
        (
            AuthRequest::new("web").add("scope", "openid email"),
            "invalid_request",
        ),
        (
            AuthRequest::new("web").set("prompt", "none login"),
            "invalid_request",
        ),
        (
            AuthRequest::new("web").set("prompt", "sometimes"),
            "invalid_request",
        ),
        (
            AuthRequest::new("web").set("max_age", "-1"),
            "invalid_request",
        ),
        (
            AuthRequest::new("web").set("response_mode", "fragment"),
            "invalid_request",
        ),
        (
            AuthRequest::new("web").set("scope", "openid bad\\scope"),
            "invalid_scope",
        ),
        (
            AuthRequest::new("web").set("resource", "https://api.example.com"),
            "invalid_target",
        ),
    ] {
        let callback = flow::start(&app, &app.client, &request).await.client();
        flow::assert_error_redirect(&app, &callback, &request, error);
    }
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_refused() {
    let app = TestApp::spawn().await;
    app.add_client(
        "svc",
        &[
            "--grant",
            "client_credentials",
            "--redirect-uri",
            flow::REDIRECT_URI,
        ],
    );
    let request = AuthRequest::new("svc");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "unauthorized_client");
}

#[tokio::test]
async fn unknown_and_informational_parameters_are_ignored() {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client("web", &[]);
    let request = AuthRequest::new("web")
        .set("display", "popup")
        .set("ui_locales", "fr-CA en")
        .set("claims_locales", "en")
        .set("acr_values", "urn:mace:incommon:iap:silver")
        .set("login_hint", "alice")
        .set("x_custom", "whatever")
        .set("foo", "bar");
    let request_id = flow::start(&app, &app.client, &request).await.login();
    let (status, html) = flow::login_page(&app, &app.client, &request_id).await;
    assert_eq!(status, StatusCode::OK);
    // login_hint pre-fills the username.
    assert_eq!(form_value(&html, "username").as_deref(), Some("alice"));

    // Escaped, when it is not a plain name.
    let hostile = AuthRequest::new("web").set("login_hint", "\"><script>alert(1)</script>");
    let hostile_id = flow::start(&app, &app.client, &hostile).await.login();
    let (_, hostile_html) = flow::login_page(&app, &app.client, &hostile_id).await;
    assert!(!hostile_html.contains("<script>alert"), "{hostile_html}");
    let callback = flow::finish(&app, &app.client, Next::Login(request_id), "alice").await;
    flow::code_from(&app, &callback, &request);

    // display=page too, and a request without nonce or state.
    let request = AuthRequest::new("web")
        .set("display", "page")
        .remove("nonce")
        .remove("state");
    let callback = flow::start(&app, &app.client, &request).await.client();
    let code = flow::code_from(&app, &callback, &request);
    assert_eq!(param(&callback, "state"), None);
    let tokens = flow::token_ok(
        flow::redeem(&app, flow::ClientAuth::Post("web", &secret), &code, None).await,
    )
    .await;
    let (_, id_token) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("nonce").is_none(), "{id_token}");
}

#[tokio::test]
async fn post_authorize_with_a_session_works_like_get() {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    let secret = app.add_client("web", &[]);
    // Sign in once, so the browser has a session and consent is on record.
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;

    let request = AuthRequest::new("web").set("state", "via-post");
    let response = app
        .client
        .post(app.url("/authorize"))
        .form(&request.params)
        .send()
        .await
        .unwrap();
    let callback = flow::next(&app, response).await.client();
    let code = flow::code_from(&app, &callback, &request);
    flow::token_ok(flow::redeem(&app, flow::ClientAuth::Basic("web", &secret), &code, None).await)
        .await;

    // Errors are answered the same way.
    let bad = AuthRequest::new("web").remove("response_type");
    let response = app
        .client
        .post(app.url("/authorize"))
        .form(&bad.params)
        .send()
        .await
        .unwrap();
    let callback = flow::next(&app, response).await.client();
    flow::assert_error_redirect(&app, &callback, &bad, "invalid_request");
}

#[tokio::test]
async fn a_cross_site_post_without_a_session_is_turned_into_the_same_get() {
    let app = app_with_web().await;
    let pkce = flow::Pkce::new();
    let request = AuthRequest::new("web")
        .set("scope", "openid email")
        .set("login_hint", "alice")
        .pkce(&pkce);
    let browser = flow::browser();
    let response = browser
        .post(app.url("/authorize"))
        .form(&request.params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = flow::location(&app, &response);
    assert_eq!(target.path(), "/authorize");
    let mut sent: Vec<(String, String)> = request.params.clone();
    let mut got: Vec<(String, String)> = target.query_pairs().into_owned().collect();
    sent.sort();
    got.sort();
    assert_eq!(got, sent, "the GET must carry the same request");
    // That GET starts the flow as usual.
    let callback = flow::sign_in_at(&app, &browser, target.as_str(), "alice").await;
    flow::code_from(&app, &callback, &request);
}

/// RFC 6749 §3.1: a repeated parameter is an error — also when a POST
/// without a session becomes a GET on the way.
#[tokio::test]
async fn a_cross_site_post_with_a_repeated_parameter_stays_an_error() {
    let app = app_with_web().await;
    let request = AuthRequest::new("web").set("state", "first");
    let mut params = request.params.clone();
    params.push(("state".to_owned(), "second".to_owned()));
    let browser = flow::browser();
    let response = browser
        .post(app.url("/authorize"))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = flow::location(&app, &response);
    let states: Vec<String> = target
        .query_pairs()
        .filter(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .collect();
    assert_eq!(states, ["first", "second"], "{target}");
    let callback = flow::next(&app, flow::get(&browser, target.as_str()).await)
        .await
        .client();
    assert_eq!(
        param(&callback, "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn state_comes_back_exactly_as_sent() {
    let app = app_with_web().await;
    let state = "a b&c=d/é?#+%20";
    let request = AuthRequest::new("web").set("state", state);
    let callback = flow::sign_in(&app, &app.client, &request, "alice").await;
    assert_eq!(param(&callback, "state").as_deref(), Some(state));
    let request = AuthRequest::new("web")
        .set("state", state)
        .set("prompt", "sometimes");
    let callback = flow::start(&app, &app.client, &request).await.client();
    assert_eq!(param(&callback, "state").as_deref(), Some(state));
}

#[tokio::test]
async fn every_authorization_response_carries_iss() {
    let app = app_with_web().await;
    // Success (covered by code_from), login_required, access_denied and a
    // validation error: all with iss = the issuer.
    let request = AuthRequest::new("web");
    let callback = flow::sign_in(&app, &app.client, &request, "alice").await;
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(app.issuer.as_str())
    );

    let request = AuthRequest::new("web").set("prompt", "none");
    let callback = flow::start(&app, &flow::browser(), &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "login_required");

    let request = AuthRequest::new("web").set("scope", "openid email");
    let id = flow::start(&app, &app.client, &request).await.consent();
    let response = flow::submit_consent(&app, &app.client, &id, "deny").await;
    let callback = flow::next(&app, response).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "access_denied");

    let request = AuthRequest::new("web").set("response_type", "id_token");
    let callback = flow::start(&app, &app.client, &request).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "unsupported_response_type");
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
}
