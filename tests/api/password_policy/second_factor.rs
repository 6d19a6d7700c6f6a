//! The lower minimum (`password_policy.min_length_with_second_factor`)
//! applies only to someone with a confirmed second factor: the
//! administration layer asks `accounts::second_factor::enrolled`.

use gatehouse::db::{self, second_factors::TotpRow};
use serde_json::json;

use super::{TOO_SHORT, stored_hash};
use crate::admin_api::Api;
use crate::helpers::TestApp;

/// Ten characters, not deny-listed: enough only beside a second factor.
const SHORT_BUT_FINE: &str = "tq8#vLm2xk";

fn give_totp(app: &TestApp, username: &str, confirmed_at: Option<i64>) {
    let user_id = app
        .db(|conn| db::users::find_by_username(conn, username))
        .unwrap()
        .id;
    let row = TotpRow {
        user_id,
        // Never opened here: only whether the app is confirmed counts.
        secret: vec![0; 32],
        created_at: app.now(),
        confirmed_at,
        last_used_step: 0,
    };
    app.db(move |conn| db::second_factors::replace_totp(conn, &row));
}

#[tokio::test]
async fn a_confirmed_second_factor_lets_a_shorter_password_in() {
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let admin = Api::ops(&app).await;
    let set = |password: &'static str| {
        let admin = &admin;
        async move {
            admin
                .put(
                    "/users/rahul/password",
                    Some(json!({ "password": password })),
                )
                .await
        }
    };
    assert_eq!(
        set(SHORT_BUT_FINE).await.expect_error(422, "invalid_input"),
        TOO_SHORT
    );

    // An app set up but never confirmed is no second factor.
    give_totp(&app, "rahul", None);
    assert_eq!(
        set(SHORT_BUT_FINE).await.expect_error(422, "invalid_input"),
        TOO_SHORT
    );

    let before = stored_hash(&app, "rahul").unwrap();
    give_totp(&app, "rahul", Some(app.now()));
    set(SHORT_BUT_FINE).await.expect(204);
    assert_ne!(stored_hash(&app, "rahul").unwrap(), before);
    // Still: not below the lower minimum, and never deny-listed.
    let message = set("tq8#vLm").await.expect_error(422, "invalid_input");
    assert_eq!(
        message,
        "The password is too short: use at least 8 characters."
    );
    let message = set("qwertyuiop").await.expect_error(422, "invalid_input");
    assert_eq!(message, super::COMMON);
}
