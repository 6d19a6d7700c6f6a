//! Refresh tokens: rotation on every use, reuse detection that revokes the
//! family (with a grace window for a client's parallel refreshes), scope
//! narrowing, the ID token on refresh, and the events that stop a family.

use diesel::prelude::*;
use gatehouse::clock::Clock;
use gatehouse::db::schema::refresh_tokens;
use reqwest::StatusCode;

use super::flow::{
    self, Auth, Browser, OFFLINE, Pkce, add_refreshing_client, assert_oauth_error,
    assert_signed_in, assert_signed_out, is_active, jwt_parts, refresh, token_ok, userinfo_status,
};
use crate::helpers::TestApp;

/// alice, a confidential client `web` that may refresh, and alice's first
/// tokens (with a refresh token) from a sign-in in `browser`.
struct Family {
    app: TestApp,
    secret: String,
    sub: String,
    browser: Browser,
    first: flow::Tokens,
}

impl Family {
    async fn start() -> Self {
        Self::start_in(TestApp::spawn().await).await
    }

    async fn start_in(app: TestApp) -> Self {
        let sub = app.add_user("alice", &[]);
        let secret = add_refreshing_client(&app, "web", &["--skip-consent"]);
        let browser = Browser::new();
        let first = flow::tokens_in(
            &app,
            &browser,
            Auth::Basic("web", &secret),
            "web",
            OFFLINE,
            "alice",
        )
        .await;
        assert!(first.refresh_token.is_some(), "{}", first.json);
        Self {
            app,
            secret,
            sub,
            browser,
            first,
        }
    }

    fn auth(&self) -> Auth<'_> {
        Auth::Basic("web", &self.secret)
    }

    async fn refresh(&self, token: &str) -> reqwest::Response {
        refresh(&self.app, self.auth(), token, &[]).await
    }

    async fn refresh_ok(&self, token: &str) -> flow::Tokens {
        token_ok(self.refresh(token).await).await
    }

    async fn refresh_refused(&self, token: &str) {
        assert_oauth_error(
            self.refresh(token).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }

    /// Rows in the family of `token` (by its stored hash).
    fn family_rows(&self, token: &str) -> i64 {
        let hash = flow::token_hash(token);
        self.app.db(move |conn| {
            let row = gatehouse::db::refresh_tokens::find(conn, &hash)?
                .unwrap_or_else(|| panic!("no stored refresh token"));
            Ok(refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(&row.family_id))
                .count()
                .get_result::<i64>(conn)?)
        })
    }
}

#[tokio::test]
async fn each_refresh_rotates_the_refresh_token_and_issues_working_tokens() {
    let f = Family::start().await;
    let first_rt = f.first.refresh_token();
    let second = f.refresh_ok(first_rt).await;
    assert_eq!(second.json["token_type"], "Bearer", "{}", second.json);
    assert!(second.json["expires_in"].as_i64().unwrap() > 0);
    let second_rt = second.refresh_token();
    assert_ne!(second_rt, first_rt, "the refresh token must rotate");
    assert!(second_rt.len() >= 43, "a short refresh token: {second_rt}");
    assert_ne!(second.access_token, f.first.access_token);
    assert_eq!(second.scope, f.first.scope, "the grant keeps its scope");

    assert_eq!(userinfo_status(&f.app, &second.access_token).await, 200);
    // Only the newest refresh token of the family is live.
    assert!(!is_active(&f.app, f.auth(), first_rt).await);
    assert!(is_active(&f.app, f.auth(), second_rt).await);

    let third = f.refresh_ok(second_rt).await;
    assert_ne!(third.refresh_token(), second_rt);
    assert_ne!(third.refresh_token(), first_rt);
    assert_eq!(f.family_rows(third.refresh_token()), 3);
}

#[tokio::test]
async fn the_id_token_on_refresh_keeps_sub_auth_time_and_sid_and_has_no_nonce() {
    let f = Family::start().await;
    let (_, original) = jwt_parts(f.first.id_token());
    assert_eq!(original["nonce"], flow::NONCE, "{original}");
    f.app.clock.advance(120);
    let refreshed = f.refresh_ok(f.first.refresh_token()).await;
    let claims = flow::verify_with_jwks(&f.app, refreshed.id_token()).await;
    assert_eq!(claims["sub"], f.sub.as_str(), "{claims}");
    assert_eq!(claims["aud"], "web", "{claims}");
    assert_eq!(claims["auth_time"], original["auth_time"], "{claims}");
    assert_eq!(claims["sid"], original["sid"], "{claims}");
    assert!(
        claims.get("nonce").is_none(),
        "no nonce on refresh: {claims}"
    );
    assert_eq!(claims["iat"], f.app.clock.now(), "a new ID token: {claims}");
    assert!(claims["iat"].as_i64() > original["iat"].as_i64());
    // The access token keeps the session's sid and auth_time too.
    let (_, access) = jwt_parts(&refreshed.access_token);
    assert_eq!(access["sub"], f.sub.as_str());
    assert_eq!(access["auth_time"], original["auth_time"]);
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_or_the_refresh_grant() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let web = add_refreshing_client(&app, "web", &["--skip-consent"]);
    let plain = app.add_client("plain", &["--skip-consent"]);
    let browser = Browser::new();

    let online = flow::tokens_in(
        &app,
        &browser,
        Auth::Basic("web", &web),
        "web",
        "openid profile",
        "alice",
    )
    .await;
    assert_eq!(online.refresh_token, None, "{}", online.json);

    let no_grant = flow::tokens_in(
        &app,
        &browser,
        Auth::Basic("plain", &plain),
        "plain",
        OFFLINE,
        "alice",
    )
    .await;
    assert_eq!(no_grant.refresh_token, None, "{}", no_grant.json);

    // And a client without the grant cannot use someone else's either.
    let offline = flow::tokens_in(
        &app,
        &browser,
        Auth::Basic("web", &web),
        "web",
        OFFLINE,
        "alice",
    )
    .await;
    let response = refresh(
        &app,
        Auth::Basic("plain", &plain),
        offline.refresh_token(),
        &[],
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn reusing_a_rotated_token_revokes_the_family_and_its_access_tokens() {
    let f = Family::start().await;
    let second = f.refresh_ok(f.first.refresh_token()).await;
    let third = f.refresh_ok(second.refresh_token()).await;
    for access in [
        &f.first.access_token,
        &second.access_token,
        &third.access_token,
    ] {
        assert_eq!(userinfo_status(&f.app, access).await, 200);
    }
    f.app.clock.advance(11); // past the grace window

    // Someone replays the first token: refused, and the family goes.
    f.refresh_refused(f.first.refresh_token()).await;
    f.refresh_refused(third.refresh_token()).await;
    assert!(!is_active(&f.app, f.auth(), third.refresh_token()).await);
    for access in [
        &f.first.access_token,
        &second.access_token,
        &third.access_token,
    ] {
        assert_eq!(userinfo_status(&f.app, access).await, 401, "{access}");
        assert!(!is_active(&f.app, f.auth(), access).await);
    }
    // The session itself is not the family: it still signs in.
    assert_signed_in(&f.app, &f.browser, "web").await;
}

#[tokio::test]
async fn within_the_grace_window_the_old_token_gets_the_same_successor() {
    let f = Family::start().await;
    let first_rt = f.first.refresh_token();
    let a = f.refresh_ok(first_rt).await;
    f.app.clock.advance(9);
    let b = f.refresh_ok(first_rt).await;
    assert_eq!(a.refresh_token(), b.refresh_token(), "the same successor");
    assert_ne!(a.access_token, b.access_token, "but a new access token");
    assert_eq!(f.family_rows(first_rt), 2, "no second successor");
    assert_eq!(userinfo_status(&f.app, &b.access_token).await, 200);

    // Once the successor is used, the old token is reuse even in the window.
    let c = f.refresh_ok(a.refresh_token()).await;
    f.refresh_refused(first_rt).await;
    f.refresh_refused(c.refresh_token()).await;
    assert_eq!(userinfo_status(&f.app, &c.access_token).await, 401);
}

#[tokio::test]
async fn after_the_grace_window_the_old_token_is_reuse() {
    let f = Family::start().await;
    let first_rt = f.first.refresh_token();
    let a = f.refresh_ok(first_rt).await;
    f.app.clock.advance(11);
    f.refresh_refused(first_rt).await;
    f.refresh_refused(a.refresh_token()).await;
    assert_eq!(userinfo_status(&f.app, &a.access_token).await, 401);
}

#[tokio::test]
async fn the_grace_window_is_configurable() {
    let app = TestApp::spawn_with(|s| s.tokens.refresh_token_reuse_grace_secs = 60).await;
    let f = Family::start_in(app).await;
    let first_rt = f.first.refresh_token();
    let a = f.refresh_ok(first_rt).await;
    f.app.clock.advance(45);
    let b = f.refresh_ok(first_rt).await;
    assert_eq!(a.refresh_token(), b.refresh_token());
    f.app.clock.advance(20);
    f.refresh_refused(first_rt).await;
}

#[tokio::test]
async fn access_tokens_issued_in_the_grace_window_are_revoked_with_the_family() {
    let f = Family::start().await;
    let first_rt = f.first.refresh_token();
    let a = f.refresh_ok(first_rt).await;
    let b = f.refresh_ok(first_rt).await;
    assert_eq!(a.refresh_token(), b.refresh_token());
    f.app.clock.advance(11);
    f.refresh_refused(first_rt).await;
    for (name, access) in [("first", &a.access_token), ("second", &b.access_token)] {
        assert_eq!(
            userinfo_status(&f.app, access).await,
            401,
            "the {name} access token of the grace window outlived its family"
        );
        assert!(!is_active(&f.app, f.auth(), access).await, "{name}");
    }
}

/// Fires `n` refreshes of one token at once.
async fn parallel_refreshes(
    f: &Family,
    token: &str,
    n: usize,
) -> Vec<(StatusCode, serde_json::Value)> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let url = f.app.url("/token");
        let (secret, token) = (f.secret.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(url)
                .basic_auth("web", Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test]
async fn parallel_refreshes_of_one_token_share_exactly_one_successor() {
    let f = Family::start().await;
    let mut current = f.first.refresh_token().to_owned();
    let mut rows = 1;
    for round in 0..3 {
        let results = parallel_refreshes(&f, &current, 8).await;
        let mut successors: Vec<String> = Vec::new();
        for (status, body) in &results {
            assert_eq!(*status, StatusCode::OK, "round {round}: {body}");
            successors.push(body["refresh_token"].as_str().unwrap().to_owned());
        }
        successors.dedup();
        assert_eq!(
            successors.len(),
            1,
            "round {round}: several successors: {successors:?}"
        );
        rows += 1;
        assert_eq!(f.family_rows(&successors[0]), rows, "round {round}");
        // Every access token of the round works.
        for (_, body) in &results {
            let access = body["access_token"].as_str().unwrap();
            assert_eq!(userinfo_status(&f.app, access).await, 200, "round {round}");
        }
        current = successors.remove(0);
    }
    // The chain is intact: the last successor refreshes.
    f.refresh_ok(&current).await;
}

#[tokio::test]
async fn parallel_refreshes_past_the_grace_window_revoke_the_family_once() {
    // A grace window of zero seconds still covers the same second; move
    // on a second so every parallel request is reuse of a rotated token.
    let app = TestApp::spawn_with(|s| s.tokens.refresh_token_reuse_grace_secs = 0).await;
    let f = Family::start_in(app).await;
    let successor = f.refresh_ok(f.first.refresh_token()).await;
    f.app.clock.advance(1);
    let results = parallel_refreshes(&f, f.first.refresh_token(), 6).await;
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    f.refresh_refused(successor.refresh_token()).await;
    assert_eq!(userinfo_status(&f.app, &successor.access_token).await, 401);
}

#[tokio::test]
async fn scope_narrows_only_the_new_access_token() {
    let f = Family::start().await;
    let narrowed = token_ok(
        refresh(
            &f.app,
            f.auth(),
            f.first.refresh_token(),
            &[("scope", "openid")],
        )
        .await,
    )
    .await;
    assert_eq!(narrowed.scope, "openid", "{}", narrowed.json);
    let (_, access) = jwt_parts(&narrowed.access_token);
    assert_eq!(access["scope"], "openid", "{access}");
    // The successor still carries the whole original grant.
    let widened = f.refresh_ok(narrowed.refresh_token()).await;
    assert_eq!(widened.scope, f.first.scope, "{}", widened.json);
    let (_, access) = jwt_parts(&widened.access_token);
    assert_eq!(access["scope"], f.first.scope.as_str());
    // Narrowing a refresh to a scope without openid: no ID token.
    let no_openid = token_ok(
        refresh(
            &f.app,
            f.auth(),
            widened.refresh_token(),
            &[("scope", "profile")],
        )
        .await,
    )
    .await;
    assert_eq!(no_openid.scope, "profile");
    assert_eq!(no_openid.id_token, None, "{}", no_openid.json);
}

#[tokio::test]
async fn a_scope_beyond_the_original_is_invalid_scope_and_leaves_the_token_usable() {
    let f = Family::start().await;
    let token = f.first.refresh_token();
    for scope in [
        "openid phone",
        "openid offline_access profile email address",
    ] {
        let response = refresh(&f.app, f.auth(), token, &[("scope", scope)]).await;
        assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
    // The refusal must not have spent the token: well past the grace
    // window, it still refreshes (and is not taken for reuse).
    f.app.clock.advance(60);
    let next = f.refresh_ok(token).await;
    assert_eq!(next.scope, f.first.scope);
    assert_eq!(userinfo_status(&f.app, &f.first.access_token).await, 200);
}

#[tokio::test]
async fn a_disabled_user_stops_refreshing_and_loses_sessions_and_tokens() {
    let f = Family::start().await;
    let second = f.refresh_ok(f.first.refresh_token()).await;
    assert_signed_in(&f.app, &f.browser, "web").await;

    f.app.cli(&["user", "disable", "alice"], None).ok();
    f.refresh_refused(second.refresh_token()).await;
    assert!(!is_active(&f.app, f.auth(), second.refresh_token()).await);
    for access in [&f.first.access_token, &second.access_token] {
        assert_eq!(userinfo_status(&f.app, access).await, 401);
        assert!(!is_active(&f.app, f.auth(), access).await);
    }
    assert_signed_out(&f.app, &f.browser, "web").await;

    // Enabling the account again does not bring the tokens back.
    f.app.cli(&["user", "enable", "alice"], None).ok();
    f.refresh_refused(second.refresh_token()).await;
    assert_signed_out(&f.app, &f.browser, "web").await;
}

#[tokio::test]
async fn a_disabled_client_stops_refreshing_until_enabled_again() {
    let f = Family::start().await;
    f.app.cli(&["client", "disable", "web"], None).ok();
    let response = f.refresh(f.first.refresh_token()).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    f.app.cli(&["client", "enable", "web"], None).ok();
    let next = f.refresh_ok(f.first.refresh_token()).await;
    assert_eq!(userinfo_status(&f.app, &next.access_token).await, 200);
}

#[tokio::test]
async fn a_deleted_client_stops_refreshing_and_its_tokens_do_not_pass_to_a_namesake() {
    let f = Family::start().await;
    f.app.cli(&["client", "delete", "web", "--yes"], None).ok();
    let response = f.refresh(f.first.refresh_token()).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // A new client registered under the same id inherits nothing.
    let secret = add_refreshing_client(&f.app, "web", &[]);
    let response = refresh(
        &f.app,
        Auth::Basic("web", &secret),
        f.first.refresh_token(),
        &[],
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn another_client_cannot_use_the_refresh_token_nor_spend_it() {
    let f = Family::start().await;
    let other = add_refreshing_client(&f.app, "other", &[]);
    let response = refresh(
        &f.app,
        Auth::Basic("other", &other),
        f.first.refresh_token(),
        &[],
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // The owner is unaffected, even after the grace window.
    f.app.clock.advance(60);
    let next = f.refresh_ok(f.first.refresh_token()).await;
    assert_eq!(userinfo_status(&f.app, &f.first.access_token).await, 200);
    assert_eq!(userinfo_status(&f.app, &next.access_token).await, 200);
}

#[tokio::test]
async fn a_public_client_refreshes_with_its_client_id() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    app.add_client(
        "spa",
        &[
            "--public",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--skip-consent",
        ],
    );
    let browser = Browser::new();
    let pkce = Pkce::new();
    let url = flow::authorize_url(
        &app,
        "spa",
        OFFLINE,
        &[
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let callback = flow::sign_in_at(&app, &browser, &url, "alice").await;
    let code = flow::callback_code(&app, &callback);
    let first =
        token_ok(flow::redeem(&app, Auth::Public("spa"), &code, Some(&pkce.verifier)).await).await;
    let next = token_ok(refresh(&app, Auth::Public("spa"), first.refresh_token(), &[]).await).await;
    assert_ne!(next.refresh_token(), first.refresh_token());
    // Without its client_id it is nobody.
    let response = refresh(&app, Auth::None, next.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    token_ok(refresh(&app, Auth::Public("spa"), next.refresh_token(), &[]).await).await;
}

#[tokio::test]
async fn refresh_tokens_expire_when_idle_and_at_the_family_limit() {
    let app = TestApp::spawn_with(|s| {
        s.tokens.refresh_token_idle_ttl_secs = 3_000;
        s.tokens.refresh_token_absolute_ttl_secs = 5_000;
    })
    .await;
    let f = Family::start_in(app).await;
    // Idle for longer than 3000 s: gone.
    let idle = flow::tokens_in(&f.app, &f.browser, f.auth(), "web", OFFLINE, "alice").await;
    f.app.clock.advance(2_500);
    let second = f.refresh_ok(f.first.refresh_token()).await;
    f.app.clock.advance(600);
    f.refresh_refused(idle.refresh_token()).await;
    // Used every 2500 s, but the family ends 5000 s after it began.
    let third = f.refresh_ok(second.refresh_token()).await;
    f.app.clock.advance(1_950);
    f.refresh_refused(third.refresh_token()).await;
}

#[tokio::test]
async fn a_missing_or_unknown_refresh_token_is_refused() {
    let f = Family::start().await;
    let response = flow::post_as(
        &f.app,
        "/token",
        f.auth(),
        &[("grant_type", "refresh_token")],
    )
    .await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    f.refresh_refused("not-a-refresh-token").await;
    f.refresh_refused(&f.first.access_token).await;
    // None of it touched the real token.
    f.refresh_ok(f.first.refresh_token()).await;
}
