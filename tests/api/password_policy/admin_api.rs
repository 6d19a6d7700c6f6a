//! `POST /admin/api/v1/users` and `PUT …/users/{username}/password` refuse
//! a password the policy refuses: 422 `invalid_input` with the policy's
//! message, no user made, no hash changed, nothing audited.

use gatehouse::db;
use serde_json::json;

use super::{COMMON, CONTAINS_EMAIL, CONTAINS_USERNAME, DENY_LISTED, GOOD, TOO_SHORT, stored_hash};
use crate::admin_api::{Api, new_user};
use crate::helpers::TestApp;

fn password_events(app: &TestApp) -> usize {
    app.db(|conn| db::audit::recent(conn, Some("admin.user.password_set"), 100))
        .len()
}

#[tokio::test]
async fn creating_a_user_with_a_refused_password_says_why_and_makes_no_user() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let cases = [
        ("pnair", DENY_LISTED, COMMON),
        ("pnair", "short-but-fine", TOO_SHORT),
        ("pnair", "violet-PNAIR-anchor-2931", CONTAINS_USERNAME),
        ("pnair", "river-priya.nair-stone-4417", CONTAINS_EMAIL),
    ];
    for (username, password, message) in cases {
        let mut body = new_user(username);
        body["email"] = json!("Priya.Nair@school.example");
        body["password"] = json!(password);
        let refused = admin
            .post("/users", body)
            .await
            .expect_error(422, "invalid_input");
        assert_eq!(refused, message, "{password}");
        admin
            .get(&format!("/users/{username}"))
            .await
            .expect_error(404, "not_found");
    }
    let mut body = new_user("pnair");
    body["password"] = json!(GOOD);
    admin.post("/users", body).await.expect(201);
    assert!(stored_hash(&app, "pnair").is_some());
}

#[tokio::test]
async fn setting_a_refused_password_says_why_and_keeps_the_old_one() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let mut body = new_user("pnair");
    body["email"] = json!("Priya.Nair@school.example");
    admin.post("/users", body).await.expect(201);
    let before = stored_hash(&app, "pnair").unwrap();
    let events = password_events(&app);

    // The user's own username and email, read by the administration layer:
    // the request names neither.
    for (password, message) in [
        (DENY_LISTED, COMMON),
        ("qwertyuiopasdfgh", COMMON),
        ("my-PNair-passphrase-2931", CONTAINS_USERNAME),
        ("river-PRIYA.NAIR-stone-4417", CONTAINS_EMAIL),
        ("fourteen-chars", TOO_SHORT),
    ] {
        let refused = admin
            .put(
                "/users/pnair/password",
                Some(json!({ "password": password })),
            )
            .await
            .expect_error(422, "invalid_input");
        assert_eq!(refused, message, "{password}");
    }
    assert_eq!(stored_hash(&app, "pnair").unwrap(), before);
    assert_eq!(password_events(&app), events, "a refusal audits nothing");

    admin
        .put("/users/pnair/password", Some(json!({ "password": GOOD })))
        .await
        .expect(204);
    let after = stored_hash(&app, "pnair").unwrap();
    assert_ne!(after, before);
    assert!(app.state.passwords.verify(GOOD, Some(&after)));
    assert_eq!(password_events(&app), events + 1);
}
