//! What an access token is for (issue 10, defects 1 and 9): `aud` is an API
//! or our own userinfo endpoint, never the client id; `roles` names the
//! roles that mean something to the audience; and a token for the admin
//! API is never minted without the person saying so.

use serde_json::json;

use super::flow::{
    AuthRequest, ClientAuth, Next, REDIRECT_URI, add_alice, assert_error_redirect, browser,
    code_for, jwt_parts, redeem, sign_in, start, token_ok,
};
use crate::helpers::TestApp;

fn school(app: &TestApp) {
    for args in [
        &["api", "add", "school"][..],
        &["permission", "add", "school", "grades:read"],
        &["role", "add", "student"],
        &["role", "allow", "student", "school", "grades:read"],
        &["role", "add", "member"],
        &["role", "allow", "admin", "school", "grades:read"],
        &["role", "add", "helpdesk"],
        &["role", "allow", "helpdesk", "gatehouse-admin", "users:read"],
    ] {
        app.cli(args, None).ok();
    }
    for role in ["student", "member", "helpdesk"] {
        app.cli(&["role", "grant", role, "alice"], None).ok();
    }
}

async fn access_claims(app: &TestApp, secret: &str, request: AuthRequest) -> serde_json::Value {
    let code = code_for(app, &browser(), &request, "alice").await;
    let tokens = token_ok(redeem(app, ClientAuth::Basic("web", secret), &code, None).await).await;
    jwt_parts(tokens["access_token"].as_str().unwrap()).1
}

#[tokio::test]
async fn roles_in_a_token_are_those_of_its_audience() {
    let app = TestApp::spawn().await;
    add_alice(&app);
    school(&app);
    let secret = app.add_client("web", &["--resource", "school", "--skip-consent"]);
    let plain = access_claims(&app, &secret, AuthRequest::new("web")).await;
    assert_eq!(plain["aud"], json!(["school", app.url("/userinfo")]));
    assert_eq!(plain["roles"], json!(["student"]));
    let with_roles = access_claims(
        &app,
        &secret,
        AuthRequest::new("web").set("scope", "openid roles"),
    )
    .await;
    // `helpdesk` only administers Gatehouse: no business of the school.
    assert_eq!(with_roles["roles"], json!(["member", "student"]));
    // `admin` shows in a school token only because it grants there.
    app.cli(&["role", "grant", "admin", "alice"], None).ok();
    let admin = access_claims(&app, &secret, AuthRequest::new("web")).await;
    assert_eq!(admin["roles"], json!(["admin", "student"]));
}

#[tokio::test]
async fn without_an_api_the_audience_is_userinfo_never_the_client() {
    let app = TestApp::spawn().await;
    add_alice(&app);
    let secret = app.add_client("web", &["--skip-consent"]);
    let claims = access_claims(
        &app,
        &secret,
        AuthRequest::new("web").set("scope", "profile"),
    )
    .await;
    assert_eq!(claims["aud"], app.url("/userinfo"));
}

#[tokio::test]
async fn an_admin_audience_token_always_asks_and_never_answers_prompt_none() {
    let app = TestApp::spawn().await;
    add_alice(&app);
    app.cli(&["role", "grant", "admin", "alice"], None).ok();
    app.add_client("tool", &["--resource", "gatehouse-admin", "--skip-consent"]);
    let browser = browser();
    let request = AuthRequest::new("tool");
    // Signed in, consented once: still asked, every time.
    let callback = sign_in(&app, &browser, &request, "alice").await;
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert!(matches!(
        start(&app, &browser, &request).await,
        Next::Consent(_)
    ));
    let silent = start(&app, &browser, &request.clone().set("prompt", "none"))
        .await
        .client();
    assert_error_redirect(&app, &silent, &request, "consent_required");
}
