//! Revoking a signing key (issue 10, defect 5): the key leaves the JWKS and
//! nothing Gatehouse verifies trusts a token it signed — at once on the
//! server that made the change, within 2 s on a server that learns of it
//! through the change epoch (a command-line revocation) — and the only
//! signer of an algorithm is replaced by a key that signs at once.

use std::time::{Duration, Instant};

use gatehouse::{crypto::SigningAlgorithm, db};
use reqwest::StatusCode;
use serde_json::Value;

use super::flow::{
    self, Auth, Browser, POST_LOGOUT_URI, authorize_url, catch_up, is_active, jwt_parts, location,
    param, refresh_keys, userinfo_status,
};
use crate::admin_api::{Api, OPS, add_service_account, service_token};
use crate::helpers::TestApp;

fn kid_of(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().unwrap().to_owned()
}

fn signing_kid(app: &TestApp, alg: SigningAlgorithm) -> String {
    app.state.keys.signer(alg).unwrap().kid().to_owned()
}

/// `prompt=none` at `web` with `hint`: the code, or the error.
async fn silent_authorize(app: &TestApp, browser: &Browser, hint: &str) -> Result<String, String> {
    let url = authorize_url(
        app,
        "web",
        "openid",
        &[("prompt", "none"), ("id_token_hint", hint)],
    );
    let response = browser.get(&url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
    let callback = location(app, &response);
    param(&callback, "code").ok_or_else(|| param(&callback, "error").unwrap_or_default())
}

/// `/logout` with `hint` and the registered URI: `true` when it signed out
/// and went straight back to the client (the hint verified), `false` when
/// it asks the person to confirm (it did not).
async fn logout_is_silent(app: &TestApp, browser: &Browser, hint: &str) -> bool {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", hint)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
        .append_pair("state", "bye")
        .finish();
    let response = browser.get(&app.url(&format!("/logout?{query}"))).await;
    match response.status() {
        StatusCode::SEE_OTHER => {
            let target = location(app, &response);
            assert!(target.as_str().starts_with(POST_LOGOUT_URI), "{target}");
            true
        }
        StatusCode::OK => false,
        status => panic!("/logout answered {status}"),
    }
}

fn kids_in(keys: &Value) -> Vec<&str> {
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_revoked_key_is_trusted_nowhere_at_once_and_a_replacement_signs() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = app.add_client(
        "web",
        &[
            "--skip-consent",
            "--post-logout-redirect-uri",
            POST_LOGOUT_URI,
        ],
    );
    let web = Auth::Basic("web", &secret);
    let browser = Browser::new();
    let tokens = flow::tokens_in(&app, &browser, web, "web", "openid", "alice").await;
    let (access, id_token) = (tokens.access_token.clone(), tokens.id_token().to_owned());
    let ops_secret = add_service_account(&app, OPS, &["admin"]);
    let admin = Api::new(&app, service_token(&app, OPS, &ops_secret).await);
    let (es256, rs256) = (kid_of(&access), kid_of(&id_token));
    assert_eq!(es256, signing_kid(&app, SigningAlgorithm::ES256));
    assert_eq!(rs256, signing_kid(&app, SigningAlgorithm::RS256));
    assert_eq!(kid_of(&admin.token), es256);

    // Every place that verifies Gatehouse's own tokens takes them now.
    assert!(is_active(&app, web, &access).await);
    assert_eq!(userinfo_status(&app, &access).await, StatusCode::OK);
    admin.get("/keys").await.expect(200);
    assert!(silent_authorize(&app, &browser, &id_token).await.is_ok());

    // RS256 (the ID tokens' key) first, then ES256: the caller's own.
    let answer = admin
        .post_empty(&format!("/keys/{rs256}/revoke"))
        .await
        .expect(200)
        .clone();
    let new_rs256 = answer["replacement"].as_str().unwrap().to_owned();
    let answer = admin
        .post_empty(&format!("/keys/{es256}/revoke"))
        .await
        .expect(200)
        .clone();
    let new_es256 = answer["replacement"].as_str().unwrap().to_owned();
    assert_eq!(answer["kid"], es256.as_str());
    assert_eq!(answer["already_revoked"], false);
    let states: Vec<(&str, &str)> = answer["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    for (kid, state) in [
        (es256.as_str(), "revoked"),
        (rs256.as_str(), "revoked"),
        (new_es256.as_str(), "active"),
        (new_rs256.as_str(), "active"),
    ] {
        assert!(states.contains(&(kid, state)), "{kid} {state}: {states:?}");
    }

    // No waiting: this server neither publishes nor trusts them any more.
    let published = app.published_kids().await;
    assert!(!published.contains(&es256) && !published.contains(&rs256));
    assert!(published.contains(&new_es256) && published.contains(&new_rs256));
    assert_eq!(published.len(), 3, "{published:?}");
    admin
        .get("/keys")
        .await
        .expect_error(401, "unauthenticated");
    assert_eq!(
        userinfo_status(&app, &access).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(!is_active(&app, web, &access).await);
    assert_eq!(
        silent_authorize(&app, &browser, &id_token).await,
        Err("login_required".to_owned()),
        "a hint signed by a revoked key still names its user"
    );
    assert!(!logout_is_silent(&app, &browser, &id_token).await);

    // The replacements sign at once, and what they sign is trusted.
    let fresh = Api::new(&app, service_token(&app, OPS, &ops_secret).await);
    assert_eq!(kid_of(&fresh.token), new_es256);
    let keys = fresh.get("/keys").await.expect(200).clone();
    assert!(kids_in(&keys).contains(&es256.as_str()), "still listed");
    let tokens = flow::tokens_in(&app, &browser, web, "web", "openid", "alice").await;
    assert_eq!(kid_of(&tokens.access_token), new_es256);
    assert_eq!(kid_of(tokens.id_token()), new_rs256);
    assert!(is_active(&app, web, &tokens.access_token).await);
    assert!(
        silent_authorize(&app, &browser, tokens.id_token())
            .await
            .is_ok()
    );
    assert!(logout_is_silent(&app, &browser, tokens.id_token()).await);
}

#[tokio::test]
async fn a_key_revoked_at_the_command_line_is_refused_by_a_running_server_within_two_seconds() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", "svc-api"], None).ok();
    let secret = app.add_client(
        "svc",
        &["--grant", "client_credentials", "--resource", "svc-api"],
    );
    let svc = Auth::Basic("svc", &secret);
    let token = flow::token_ok(
        flow::post_as(&app, "/token", svc, &[("grant_type", "client_credentials")]).await,
    )
    .await
    .access_token;
    let kid = kid_of(&token);
    assert!(is_active(&app, svc, &token).await);

    // Another process: this server hears of it only through the database.
    let out = app.cli(&["keys", "revoke", &kid], None);
    let revoked = Instant::now();
    let stdout = out.ok();
    assert!(stdout.contains(&format!("revoked {kid} (ES256)")), "{out}");
    let replacement = stdout
        .lines()
        .find_map(|l| l.strip_prefix("new key "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no replacement printed: {out}"))
        .to_owned();

    // Its 30 s refresh is far off: only the change epoch can tell it.
    let deadline = revoked + Duration::from_secs(2);
    while app.state.keys.published_key(&kid).is_some() {
        assert!(
            Instant::now() < deadline,
            "the server still trusts {kid} 2 s after the command line revoked it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!is_active(&app, svc, &token).await);
    let published = app.published_kids().await;
    assert!(!published.contains(&kid), "{published:?}");
    assert!(published.contains(&replacement), "{published:?}");

    // The command line stamps the replacement with the real clock; once the
    // server's clock is there too, it signs.
    catch_up(&app);
    refresh_keys(&app);
    let token = flow::token_ok(
        flow::post_as(&app, "/token", svc, &[("grant_type", "client_credentials")]).await,
    )
    .await
    .access_token;
    assert_eq!(kid_of(&token), replacement);
    assert!(is_active(&app, svc, &token).await);
}

#[tokio::test]
async fn revoking_a_key_that_does_not_sign_makes_no_replacement() {
    let app = TestApp::spawn().await;
    let old = signing_kid(&app, SigningAlgorithm::EdDSA);
    let out = app.cli(&["keys", "rotate", "--alg", "EdDSA", "--now"], None);
    out.ok();
    catch_up(&app);
    refresh_keys(&app);
    let current = signing_kid(&app, SigningAlgorithm::EdDSA);
    assert_ne!(current, old);

    // The retired key still verifies what it signed; revoked, it does not.
    assert!(app.published_kids().await.contains(&old));
    let out = app.cli(&["keys", "revoke", &old], None);
    assert!(!out.ok().contains("new key"), "{out}");
    refresh_keys(&app);
    let published = app.published_kids().await;
    assert!(!published.contains(&old), "{published:?}");
    assert_eq!(published.len(), 3, "no key was added: {published:?}");
    assert_eq!(signing_kid(&app, SigningAlgorithm::EdDSA), current);
}

#[tokio::test]
async fn every_administrative_change_moves_the_change_epoch_and_a_refused_one_does_not() {
    let app = TestApp::spawn().await;
    let epoch = |app: &TestApp| app.db(db::change_epoch::current);
    let start = epoch(&app);
    app.cli(&["role", "add", "reporter"], None).ok();
    assert_eq!(epoch(&app), start + 1);
    // A duplicate is refused and rolls back, the epoch with it.
    assert_ne!(app.cli(&["role", "add", "reporter"], None).code, 0);
    assert_eq!(epoch(&app), start + 1);
    // Revoking a revoked key changes nothing.
    let kid = signing_kid(&app, SigningAlgorithm::RS256);
    app.cli(&["keys", "revoke", &kid], None).ok();
    assert_eq!(epoch(&app), start + 2);
    let again = app.cli(&["keys", "revoke", &kid], None);
    assert!(again.ok().contains("already revoked"), "{again}");
    assert_eq!(epoch(&app), start + 2);
}
