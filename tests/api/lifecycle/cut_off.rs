//! Two review findings about ending what a sign-in bought (issue 10): a new
//! password or "end sessions" from the command line ends the user's
//! sessions, refresh tokens and access tokens (defect 8), and a code replay
//! racing a revocation of the same tokens fails neither on PostgreSQL, where
//! a caught unique violation used to abort the transaction (defect 11).

use reqwest::StatusCode;

use super::flow::{
    self, Auth, Browser, OFFLINE, PASSWORD, add_refreshing_client, assert_oauth_error,
    assert_signed_in, assert_signed_out, callback_code, is_active, redeem, refresh, revoke,
    token_ok, userinfo_status,
};
use crate::helpers::TestApp;

async fn signed_in(app: &TestApp, secret: &str, browser: &Browser) -> flow::Tokens {
    flow::tokens_in(
        app,
        browser,
        Auth::Basic("web", secret),
        "web",
        OFFLINE,
        "alice",
    )
    .await
}

#[tokio::test]
async fn set_password_and_end_sessions_on_the_command_line_end_every_sign_in() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = add_refreshing_client(&app, "web", &["--skip-consent"]);
    let auth = Auth::Basic("web", &secret);
    for command in [
        vec!["user", "set-password", "alice", "--password-stdin"],
        vec!["user", "end-sessions", "alice"],
    ] {
        let browser = Browser::new();
        let tokens = signed_in(&app, &secret, &browser).await;
        assert_eq!(
            userinfo_status(&app, &tokens.access_token).await,
            StatusCode::OK
        );
        app.clock.advance(1);

        app.cli(&command, Some(PASSWORD)).ok();

        assert_signed_out(&app, &browser, "web").await;
        assert_eq!(
            userinfo_status(&app, &tokens.access_token).await,
            StatusCode::UNAUTHORIZED,
            "{command:?}"
        );
        assert!(!is_active(&app, auth, &tokens.access_token).await);
        assert_oauth_error(
            refresh(&app, auth, tokens.refresh_token(), &[]).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        // The command line runs on the real clock; move past it, then a
        // new sign-in works again.
        app.clock.advance(5);
        let browser = Browser::new();
        let fresh = signed_in(&app, &secret, &browser).await;
        assert_eq!(
            userinfo_status(&app, &fresh.access_token).await,
            StatusCode::OK
        );
        assert_signed_in(&app, &browser, "web").await;
    }
}

#[tokio::test]
async fn a_code_replay_racing_a_revocation_fails_neither() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = add_refreshing_client(&app, "web", &["--skip-consent"]);
    let auth = Auth::Basic("web", &secret);
    for round in 0..8 {
        let browser = Browser::new();
        let url = flow::authorize_url(&app, "web", OFFLINE, &[]);
        let callback = flow::sign_in_at(&app, &browser, &url, "alice").await;
        let code = callback_code(&app, &callback);
        let tokens = token_ok(redeem(&app, auth, &code, None).await).await;
        // The replay revokes the code's access token (no transaction) while
        // the client revokes the refresh family, whose transaction revokes
        // the same access token: one of the two inserts meets the other's row.
        let (replay, revocation) = tokio::join!(
            redeem(&app, auth, &code, None),
            revoke(&app, auth, tokens.refresh_token(), None),
        );
        assert_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert_eq!(revocation.status(), StatusCode::OK, "round {round}");
        assert_eq!(
            userinfo_status(&app, &tokens.access_token).await,
            StatusCode::UNAUTHORIZED
        );
        assert_oauth_error(
            refresh(&app, auth, tokens.refresh_token(), &[]).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}
