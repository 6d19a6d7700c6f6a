//! `/setup` refuses a first administrator's password the policy refuses,
//! shows why, and keeps the link usable.

use gatehouse::{accounts::setup::issue_token, clock::Clock};

use super::{COMMON, CONTAINS_USERNAME, DENY_LISTED, GOOD, TOO_SHORT, stored_hash};
use crate::helpers::{TestApp, browser::between, form_value};

#[tokio::test]
async fn setup_refuses_a_short_password_and_the_link_still_works() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let token = app
        .db(|conn| Ok(issue_token(conn, now)))
        .unwrap()
        .unwrap()
        .into_inner();
    let page = app.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // The form says the minimum before anyone types.
    assert!(html.contains("minlength=\"15\""), "{html}");
    assert!(html.contains("At least 15 characters"), "{html}");
    let csrf = form_value(&html, "csrf_token").unwrap();

    for (password, message) in [
        ("fourteen-chars", TOO_SHORT),
        (DENY_LISTED, COMMON),
        ("the-ROOTS-of-it-2931", CONTAINS_USERNAME),
    ] {
        let refused = app
            .post_form(
                "/setup",
                &[
                    ("token", &token),
                    ("csrf_token", &csrf),
                    ("username", "roots"),
                    ("password", password),
                    ("password_confirm", password),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{password}");
        let html = refused.text().await.unwrap();
        let error = between(&html, "<p class=\"error\" role=\"alert\">", "</p>");
        assert_eq!(error.as_deref(), Some(message), "{password}");
        assert!(stored_hash(&app, "roots").is_none());
    }

    let done = app
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("csrf_token", &csrf),
                ("username", "roots"),
                ("password", GOOD),
                ("password_confirm", GOOD),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    let hash = stored_hash(&app, "roots").unwrap();
    assert!(app.state.passwords.verify(GOOD, Some(&hash)));
}
