//! A new password ends what the old one opened (issue 10, defect 8): the
//! user's sessions, refresh tokens and access tokens — except the session
//! of a person changing their own password, who stays signed in there.

use gatehouse::db;

use super::{PASSWORD, Person, add_refreshing_client, add_root, token, tokens_for};
use crate::helpers::TestApp;

async fn userinfo_status(app: &TestApp, access_token: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn live_sessions(app: &TestApp, user_id: &str) -> usize {
    let (id, now) = (user_id.to_owned(), app.now());
    app.db(move |conn| db::sessions::live_for_user(conn, &id, now))
        .len()
}

#[tokio::test]
async fn a_password_set_in_the_console_ends_the_users_sign_ins() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let alice = app.add_user("alice", &[]);
    let secret = add_refreshing_client(&app, "web");
    let tokens = tokens_for(&app, "alice", "web", &secret, "openid offline_access").await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, access).await, 200);
    assert_eq!(live_sessions(&app, &alice), 1);

    app.clock.advance(1);
    let root = Person::signed_in(&app, "root").await;
    root.submit("/admin/users/alice/password", &[("password", PASSWORD)])
        .await
        .expect(303);

    assert_eq!(live_sessions(&app, &alice), 0);
    assert_eq!(userinfo_status(&app, access).await, 401);
    let (status, body) = token(
        &app,
        "web",
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The new password opens a new sign-in, whose tokens work.
    app.clock.advance(1);
    let fresh = tokens_for(&app, "alice", "web", &secret, "openid").await;
    assert_eq!(
        userinfo_status(&app, fresh["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test]
async fn changing_your_own_password_keeps_the_session_you_changed_it_from() {
    let app = TestApp::spawn().await;
    let root_id = add_root(&app);
    let here = Person::signed_in(&app, "root").await;
    let elsewhere = Person::signed_in(&app, "root").await;
    assert_eq!(live_sessions(&app, &root_id), 2);

    here.submit("/admin/users/root/password", &[("password", PASSWORD)])
        .await
        .expect(303);

    here.get("/admin/users").await.expect(200);
    let signed_out = elsewhere.get("/admin/users").await;
    assert!(
        signed_out.location().starts_with("/login"),
        "the other session survived: {signed_out:?}"
    );
    // "End sessions" on yourself likewise ends only the others.
    let third = Person::signed_in(&app, "root").await;
    here.submit("/admin/users/root/end-sessions", &[])
        .await
        .expect(303);
    here.get("/admin/users").await.expect(200);
    assert!(
        third
            .get("/admin/users")
            .await
            .location()
            .starts_with("/login")
    );
}
