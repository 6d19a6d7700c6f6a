//! A token that lives longer than Gatehouse gives its kind is refused even
//! with a genuine signature (issue 10, defect 5): Gatehouse never signs
//! one, so it was made with a leaked key. Access tokens are held to
//! `tokens.access_token_ttl_secs`, ID tokens used as `id_token_hint` to
//! `tokens.id_token_ttl_secs`. Each test signs with the server's own key,
//! once at exactly the TTL (trusted) and once a second over (refused).

use gatehouse::crypto::SigningAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::flow::{
    self, Auth, Browser, POST_LOGOUT_URI, authorize_url, is_active, jwt_parts, location, param,
    userinfo_status,
};
use crate::admin_api::{Api, OPS, add_service_account, service_token};
use crate::helpers::TestApp;

/// `token`'s claims with `exp = iat + lifetime` and a fresh `jti`, signed
/// again by the server's current `alg` key as `typ`.
fn resigned(app: &TestApp, token: &str, alg: SigningAlgorithm, typ: &str, lifetime: i64) -> String {
    let (_, mut claims) = jwt_parts(token);
    let iat = claims["iat"].as_i64().unwrap();
    claims["exp"] = json!(iat + lifetime);
    if claims.get("jti").is_some() {
        claims["jti"] = json!(gatehouse::crypto::random::new_token().into_inner());
    }
    app.state
        .keys
        .signer(alg)
        .unwrap()
        .sign_jwt(typ, &claims)
        .unwrap()
}

fn lifetime_of(token: &str) -> i64 {
    let claims: Value = jwt_parts(token).1;
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[tokio::test]
async fn an_access_token_living_longer_than_the_access_token_ttl_is_refused() {
    let app = TestApp::new()
        .with_user("alice", &[])
        .with_client("web", &["--skip-consent"])
        .start()
        .await;
    let ttl = app.state.settings.tokens.access_token_ttl_secs;
    let web = Auth::Basic("web", app.secret("web"));
    let tokens = flow::tokens_in(&app, &Browser::new(), web, "web", "openid", "alice").await;
    assert_eq!(lifetime_of(&tokens.access_token), ttl);
    let ops_secret = add_service_account(&app, OPS, &["admin"]);
    let admin_token = service_token(&app, OPS, &ops_secret).await;

    let es256 = SigningAlgorithm::ES256;
    let exact = resigned(&app, &tokens.access_token, es256, "at+jwt", ttl);
    let over = resigned(&app, &tokens.access_token, es256, "at+jwt", ttl + 1);
    let years = resigned(
        &app,
        &tokens.access_token,
        es256,
        "at+jwt",
        10 * 365 * 86_400,
    );
    assert!(is_active(&app, web, &exact).await);
    assert_eq!(userinfo_status(&app, &exact).await, StatusCode::OK);
    for token in [&over, &years] {
        assert!(!is_active(&app, web, token).await);
        assert_eq!(userinfo_status(&app, token).await, StatusCode::UNAUTHORIZED);
    }

    // The admin API's bearer tokens too.
    let exact = Api::new(&app, resigned(&app, &admin_token, es256, "at+jwt", ttl));
    let over = Api::new(&app, resigned(&app, &admin_token, es256, "at+jwt", ttl + 1));
    exact.get("/keys").await.expect(200);
    over.get("/keys").await.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn an_id_token_hint_living_longer_than_the_id_token_ttl_names_nobody() {
    let app = TestApp::spawn().await;
    let ttl = app.state.settings.tokens.id_token_ttl_secs;
    app.add_user("alice", &[]);
    let secret = app.add_client(
        "web",
        &[
            "--skip-consent",
            "--post-logout-redirect-uri",
            POST_LOGOUT_URI,
        ],
    );
    let browser = Browser::new();
    let tokens = flow::tokens_in(
        &app,
        &browser,
        Auth::Basic("web", &secret),
        "web",
        "openid",
        "alice",
    )
    .await;
    let id_token = tokens.id_token();
    assert_eq!(lifetime_of(id_token), ttl);
    let rs256 = SigningAlgorithm::RS256;
    let exact = resigned(&app, id_token, rs256, "JWT", ttl);
    let over = resigned(&app, id_token, rs256, "JWT", ttl + 1);

    // At /authorize: only a hint that verifies lets prompt=none answer.
    let silent = |hint: String| {
        let url = authorize_url(
            &app,
            "web",
            "openid",
            &[("prompt", "none"), ("id_token_hint", &hint)],
        );
        let browser = browser.clone();
        let app = &app;
        async move {
            let response = browser.get(&url).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
            let callback = location(app, &response);
            (param(&callback, "code"), param(&callback, "error"))
        }
    };
    let (code, _) = silent(exact.clone()).await;
    assert!(code.is_some(), "a hint of the usual lifetime was refused");
    let (code, error) = silent(over.clone()).await;
    assert_eq!(code, None);
    assert_eq!(error.as_deref(), Some("login_required"));

    // At /logout: an over-long hint asks the person to confirm...
    let logout = |hint: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", hint)
            .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
            .append_pair("state", "bye")
            .finish();
        app.url(&format!("/logout?{query}"))
    };
    let response = browser.get(&logout(&over)).await;
    assert_eq!(response.status(), StatusCode::OK, "no confirmation page");
    assert_eq!(response.headers().get("location"), None);
    // ... one of the usual lifetime goes straight back to the client.
    let response = browser.get(&logout(&exact)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&app, &response);
    assert!(target.as_str().starts_with(POST_LOGOUT_URI), "{target}");
}
