//! Signing key rotation: a new key is published before it signs, a token
//! signed before a rotation still verifies after it, `--now` and `retire`
//! act at once without ever leaving an algorithm without a signer, and
//! scheduled rotation happens when a key reaches its age.

use gatehouse::crypto::SigningAlgorithm;

use super::flow::{
    self, Auth, catch_up, is_active, jwt_parts, refresh_keys, token_ok, verify_with_jwks,
};
use crate::helpers::TestApp;

const DAY: i64 = 86_400;

/// `svc`, a machine client; returns its secret.
fn add_service(app: &TestApp) -> String {
    app.cli(&["api", "add", "svc-api"], None).ok();
    let out = app.cli(
        &[
            "client",
            "add",
            "svc",
            "--grant",
            "client_credentials",
            "--resource",
            "svc-api",
        ],
        None,
    );
    out.ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no secret: {out}"))
        .trim()
        .to_owned()
}

/// A client-credentials access token (signed with ES256).
async fn access_token(app: &TestApp, secret: &str) -> String {
    let response = flow::post_as(
        app,
        "/token",
        Auth::Basic("svc", secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    token_ok(response).await.access_token
}

fn kid_of(token: &str) -> String {
    let (header, _) = jwt_parts(token);
    header["kid"].as_str().unwrap().to_owned()
}

fn signing_kid(app: &TestApp, alg: SigningAlgorithm) -> String {
    app.state
        .keys
        .signer(alg)
        .unwrap_or_else(|| panic!("no {alg} signer"))
        .kid()
        .to_owned()
}

/// The kid `keys rotate` printed for `alg`.
fn printed_kid(stdout: &str, alg: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{alg}: new key ")))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no new {alg} key printed:\n{stdout}"))
        .to_owned()
}

/// The token verifies against the published JWKS and the server still
/// takes it (introspection by its own client).
async fn assert_still_valid(app: &TestApp, secret: &str, token: &str) {
    let claims = verify_with_jwks(app, token).await;
    assert_eq!(claims["client_id"], "svc");
    assert!(
        is_active(app, Auth::Basic("svc", secret), token).await,
        "a token signed before the rotation is no longer accepted"
    );
}

#[tokio::test]
async fn a_rotated_key_is_published_at_once_and_signs_after_the_jwks_max_age() {
    let app = TestApp::spawn().await;
    let secret = add_service(&app);
    let old_kid = signing_kid(&app, SigningAlgorithm::ES256);
    let before = access_token(&app, &secret).await;
    assert_eq!(kid_of(&before), old_kid);

    let out = app.cli(&["keys", "rotate"], None);
    let stdout = out.ok().to_owned();
    let new_kid = printed_kid(&stdout, "ES256");
    let new_rs256 = printed_kid(&stdout, "RS256");
    assert_ne!(new_kid, old_kid);
    catch_up(&app);
    refresh_keys(&app);

    // Published at once, for every algorithm, beside the old keys...
    let kids = app.published_kids().await;
    assert_eq!(kids.len(), 6, "{kids:?}");
    assert!(
        kids.contains(&new_kid) && kids.contains(&old_kid),
        "{kids:?}"
    );
    assert!(kids.contains(&new_rs256), "{kids:?}");
    // ... but not signing yet: resource servers may cache the JWKS 300 s.
    let during = access_token(&app, &secret).await;
    assert_eq!(
        kid_of(&during),
        old_kid,
        "a new key signed before it was cached"
    );

    app.clock.advance(301);
    refresh_keys(&app);
    let after = access_token(&app, &secret).await;
    assert_eq!(kid_of(&after), new_kid);
    assert_eq!(signing_kid(&app, SigningAlgorithm::RS256), new_rs256);
    assert_still_valid(&app, &secret, &after).await;
    // Tokens signed before the rotation still verify.
    assert_still_valid(&app, &secret, &before).await;
    assert_still_valid(&app, &secret, &during).await;
    assert!(app.published_kids().await.contains(&old_kid));

    // Once every token it signed has expired, the old key leaves the JWKS.
    app.clock.advance(601);
    refresh_keys(&app);
    let kids = app.published_kids().await;
    assert!(!kids.contains(&old_kid), "{kids:?}");
    assert!(kids.contains(&new_kid), "{kids:?}");
    assert_eq!(kids.len(), 3, "{kids:?}");
}

#[tokio::test]
async fn rotate_now_signs_with_the_new_key_at_once() {
    let app = TestApp::spawn().await;
    let secret = add_service(&app);
    let old_kid = signing_kid(&app, SigningAlgorithm::ES256);
    let before = access_token(&app, &secret).await;

    let out = app.cli(&["keys", "rotate", "--alg", "ES256", "--now"], None);
    let new_kid = printed_kid(out.ok(), "ES256");
    catch_up(&app);
    refresh_keys(&app);
    let after = access_token(&app, &secret).await;
    assert_eq!(kid_of(&after), new_kid);
    let kids = app.published_kids().await;
    assert!(
        kids.contains(&old_kid),
        "the old key must stay published: {kids:?}"
    );
    assert_eq!(kids.len(), 4, "only ES256 rotated: {kids:?}");
    assert_still_valid(&app, &secret, &before).await;
    assert_still_valid(&app, &secret, &after).await;
}

#[tokio::test]
async fn a_retired_key_stops_signing_at_once_but_stays_published() {
    let app = TestApp::spawn().await;
    let secret = add_service(&app);
    let old_kid = signing_kid(&app, SigningAlgorithm::ES256);
    let before = access_token(&app, &secret).await;

    app.cli(&["keys", "retire", &old_kid], None).ok();
    catch_up(&app);
    refresh_keys(&app);
    let after = access_token(&app, &secret).await;
    assert_ne!(kid_of(&after), old_kid, "a retired key still signs");
    let kids = app.published_kids().await;
    assert!(kids.contains(&old_kid), "{kids:?}");
    assert!(kids.contains(&kid_of(&after)), "{kids:?}");
    assert_still_valid(&app, &secret, &before).await;
    assert_still_valid(&app, &secret, &after).await;

    app.clock.advance(601);
    refresh_keys(&app);
    assert!(!app.published_kids().await.contains(&old_kid));
}

#[tokio::test]
async fn retiring_the_old_key_during_a_rotation_never_stops_signing() {
    let app = TestApp::spawn().await;
    let secret = add_service(&app);
    let old_kid = signing_kid(&app, SigningAlgorithm::ES256);
    let before = access_token(&app, &secret).await;

    // A rotation is under way (the new key signs in 300 s) when the old
    // key turns out to be leaked.
    let out = app.cli(&["keys", "rotate", "--alg", "ES256"], None);
    let pending = printed_kid(out.ok(), "ES256");
    app.cli(&["keys", "retire", &old_kid], None).ok();
    catch_up(&app);
    refresh_keys(&app);

    let response = flow::post_as(
        &app,
        "/token",
        Auth::Basic("svc", &secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "no ES256 key signs: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let after = json["access_token"].as_str().unwrap();
    assert_ne!(kid_of(after), old_kid, "the retired key still signs");
    assert_still_valid(&app, &secret, after).await;
    assert_still_valid(&app, &secret, &before).await;
    assert!(app.published_kids().await.contains(&pending));
}

#[tokio::test]
async fn keys_are_rotated_on_schedule() {
    let app = TestApp::spawn_with(|s| s.keys.rotation_interval_days = 30).await;
    let secret = add_service(&app);
    let old: Vec<String> = SigningAlgorithm::ALL
        .iter()
        .map(|alg| signing_kid(&app, *alg))
        .collect();

    // Not yet due.
    app.clock.advance(29 * DAY);
    gatehouse::housekeeping::rotate_due_keys(&app.state)
        .await
        .unwrap();
    assert_eq!(app.published_kids().await.len(), 3);

    app.clock.advance(DAY + 1);
    gatehouse::housekeeping::rotate_due_keys(&app.state)
        .await
        .unwrap();
    let kids = app.published_kids().await;
    assert_eq!(kids.len(), 6, "one new key per algorithm: {kids:?}");
    // Running it again does not rotate again.
    gatehouse::housekeeping::rotate_due_keys(&app.state)
        .await
        .unwrap();
    assert_eq!(app.published_kids().await.len(), 6);
    // Published ahead, signing later.
    let still: Vec<String> = SigningAlgorithm::ALL
        .iter()
        .map(|alg| signing_kid(&app, *alg))
        .collect();
    assert_eq!(still, old);
    let before = access_token(&app, &secret).await;

    app.clock.advance(301);
    refresh_keys(&app);
    for (alg, old_kid) in SigningAlgorithm::ALL.iter().zip(&old) {
        let now_kid = signing_kid(&app, *alg);
        assert_ne!(&now_kid, old_kid, "{alg} was not rotated");
        assert!(
            kids.contains(&now_kid),
            "{alg}: {now_kid} was not published ahead"
        );
    }
    let after = access_token(&app, &secret).await;
    assert_ne!(kid_of(&after), kid_of(&before));
    assert_still_valid(&app, &secret, &before).await;
    assert_still_valid(&app, &secret, &after).await;
}

/// A node whose clock runs behind the node that made its keys sees them as
/// not yet signing: it signs with the published pending key, never fails.
#[tokio::test]
async fn a_server_whose_clock_runs_behind_its_keys_still_signs() {
    let app = TestApp::spawn().await;
    let secret = add_service(&app);
    app.clock.advance(-3600);
    refresh_keys(&app);
    let token = access_token(&app, &secret).await;
    assert!(app.published_kids().await.contains(&kid_of(&token)));
}
