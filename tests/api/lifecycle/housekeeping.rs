//! The housekeeping sweep: it purges what nobody needs any more — expired
//! codes, old sessions, refresh families past their absolute expiry,
//! revoked-token records past the token's expiry — and nothing that a
//! live session, a live token or reuse detection still needs.

use gatehouse::db::housekeeping::Purged;
use reqwest::StatusCode;

use super::flow::{
    self, Auth, Browser, OFFLINE, add_refreshing_client, assert_oauth_error, assert_signed_in,
    assert_signed_out, is_active, refresh, revoke, token_ok, userinfo_status,
};
use crate::helpers::TestApp;

const DAY: i64 = 86_400;

async fn sweep(app: &TestApp) -> Purged {
    gatehouse::housekeeping::sweep(&app.state)
        .await
        .unwrap_or_else(|e| panic!("sweep failed: {e}"))
}

fn stored(
    app: &TestApp,
    refresh_token: &str,
) -> Option<gatehouse::db::refresh_tokens::RefreshTokenRow> {
    let hash = flow::token_hash(refresh_token);
    app.db(move |conn| gatehouse::db::refresh_tokens::find(conn, &hash))
}

struct Setup {
    app: TestApp,
    secret: String,
    browser: Browser,
}

impl Setup {
    async fn start(app: TestApp) -> Self {
        app.add_user("alice", &[]);
        let secret = add_refreshing_client(&app, "web", &["--skip-consent"]);
        Self {
            app,
            secret,
            browser: Browser::new(),
        }
    }

    fn auth(&self) -> Auth<'_> {
        Auth::Basic("web", &self.secret)
    }

    async fn tokens(&self) -> flow::Tokens {
        flow::tokens_in(
            &self.app,
            &self.browser,
            self.auth(),
            "web",
            OFFLINE,
            "alice",
        )
        .await
    }
}

#[tokio::test]
async fn a_sweep_keeps_rotated_tokens_so_reuse_is_still_detected() {
    let s = Setup::start(TestApp::spawn().await).await;
    let first = s.tokens().await;
    let second = token_ok(refresh(&s.app, s.auth(), first.refresh_token(), &[]).await).await;
    assert!(
        stored(&s.app, first.refresh_token())
            .unwrap()
            .successor_sealed
            .is_some()
    );

    s.app.clock.advance(3_600);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.refresh_tokens, 0, "{purged:?}");
    assert!(purged.sealed_successors >= 1, "{purged:?}");
    let row = stored(&s.app, first.refresh_token()).expect("the rotated token was purged");
    assert_eq!(
        row.successor_sealed, None,
        "the sealed successor outlived the grace window"
    );

    // The replay is recognised, and takes the family down.
    let response = refresh(&s.app, s.auth(), first.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = refresh(&s.app, s.auth(), second.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_sweep_leaves_live_tokens_and_sessions_alone() {
    let s = Setup::start(TestApp::spawn().await).await;
    let first = s.tokens().await;
    s.app.clock.advance(300);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.refresh_tokens, 0, "{purged:?}");
    assert_eq!(purged.sessions, 0, "{purged:?}");
    assert_eq!(purged.revoked_tokens, 0, "{purged:?}");
    assert_eq!(userinfo_status(&s.app, &first.access_token).await, 200);
    assert_signed_in(&s.app, &s.browser, "web").await;
    token_ok(refresh(&s.app, s.auth(), first.refresh_token(), &[]).await).await;
}

#[tokio::test]
async fn a_sweep_purges_refresh_families_past_their_absolute_expiry() {
    let app = TestApp::spawn_with(|s| {
        s.tokens.refresh_token_idle_ttl_secs = 3_600;
        s.tokens.refresh_token_absolute_ttl_secs = 3_600;
    })
    .await;
    let s = Setup::start(app).await;
    let old = s.tokens().await;
    let old_next = token_ok(refresh(&s.app, s.auth(), old.refresh_token(), &[]).await).await;

    s.app.clock.advance(1_800);
    let young = s.tokens().await;

    s.app.clock.advance(1_801); // the old family is 3601 s old
    let purged = sweep(&s.app).await;
    assert_eq!(purged.refresh_tokens, 2, "{purged:?}");
    assert!(stored(&s.app, old.refresh_token()).is_none());
    assert!(stored(&s.app, old_next.refresh_token()).is_none());
    assert!(stored(&s.app, young.refresh_token()).is_some());
    let response = refresh(&s.app, s.auth(), old_next.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    token_ok(refresh(&s.app, s.auth(), young.refresh_token(), &[]).await).await;
}

#[tokio::test]
async fn codes_are_kept_while_their_access_token_lives_then_purged() {
    let s = Setup::start(TestApp::spawn().await).await;
    // One code redeemed, one never.
    let url = flow::authorize_url(&s.app, "web", "openid", &[]);
    let callback = flow::sign_in_at(&s.app, &s.browser, &url, "alice").await;
    let redeemed = flow::callback_code(&s.app, &callback);
    let tokens = token_ok(flow::redeem(&s.app, s.auth(), &redeemed, None).await).await;
    let callback = flow::prompt_none(&s.app, &s.browser, "web").await;
    let unused = flow::callback_code(&s.app, &callback);

    // Both codes have expired (60 s), but the access token lives 600 s: a
    // replay must still find the code and revoke what it bought.
    s.app.clock.advance(300);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.authorization_codes, 0, "{purged:?}");
    let response = flow::redeem(&s.app, s.auth(), &redeemed, None).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(
        userinfo_status(&s.app, &tokens.access_token).await,
        401,
        "the replay revoked nothing"
    );

    // Past that, a live session's codes still stay: they tell its logout
    // which clients to notify.
    s.app.clock.advance(500);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.authorization_codes, 0, "{purged:?}");

    // Once the session has ended, they go.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", tokens.id_token())
        .finish();
    let response = s.browser.get(&s.app.url(&format!("/logout?{query}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.authorization_codes, 2, "{purged:?}");
    let response = flow::redeem(&s.app, s.auth(), &unused, None).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn sessions_are_purged_a_week_after_they_end_or_expire() {
    let s = Setup::start(TestApp::spawn().await).await;
    let tokens = flow::tokens_in(&s.app, &s.browser, s.auth(), "web", "openid", "alice").await;
    let staying = Browser::new();
    let url = flow::authorize_url(&s.app, "web", "openid", &[]);
    flow::sign_in_at(&s.app, &staying, &url, "alice").await;
    // End the first session.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", tokens.id_token())
        .finish();
    let response = s.browser.get(&s.app.url(&format!("/logout?{query}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_signed_out(&s.app, &s.browser, "web").await;

    s.app.clock.advance(7 * DAY - 10);
    assert_eq!(
        sweep(&s.app).await.sessions,
        0,
        "kept a week for the record"
    );
    s.app.clock.advance(20);
    assert_eq!(
        sweep(&s.app).await.sessions,
        1,
        "the ended session, after a week"
    );
    // The other one idled out long ago (and is ended when next seen); it
    // too goes a week later.
    assert_signed_out(&s.app, &staying, "web").await;
    s.app.clock.advance(14 * DAY);
    assert_eq!(sweep(&s.app).await.sessions, 1, "the expired session");
}

#[tokio::test]
async fn a_revoked_access_token_stays_revoked_until_it_expires() {
    let s = Setup::start(TestApp::spawn().await).await;
    let tokens = s.tokens().await;
    assert_eq!(
        revoke(&s.app, s.auth(), &tokens.access_token, None)
            .await
            .status(),
        200
    );
    s.app.clock.advance(500);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.revoked_tokens, 0, "{purged:?}");
    assert_eq!(userinfo_status(&s.app, &tokens.access_token).await, 401);
    assert!(!is_active(&s.app, s.auth(), &tokens.access_token).await);

    s.app.clock.advance(101);
    let purged = sweep(&s.app).await;
    assert_eq!(purged.revoked_tokens, 1, "{purged:?}");
    // Expired now anyway.
    assert_eq!(userinfo_status(&s.app, &tokens.access_token).await, 401);
}
