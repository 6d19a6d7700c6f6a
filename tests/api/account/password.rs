//! A new password from the account page: the current one is required and
//! checked as a sign-in is (throttled), the new one is typed twice and
//! meets the password rules; afterwards the old one no longer signs in, the
//! new one does, the person's other sessions have ended and this one has
//! not, and `password.changed` is in the audit log.

use super::{
    NEW_PASSWORD, PASSWORD, Person, TestApp, audit, change_password, open_sessions, signed_in,
};

#[tokio::test]
async fn a_wrong_current_password_or_a_mistyped_new_one_changes_nothing() {
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let person = signed_in(&app, "rahul").await;

    let wrong = change_password(
        &person,
        "not-my-password-at-all",
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await;
    wrong.expect(422);
    assert_eq!(
        wrong.error().as_deref(),
        Some("Your current password is not correct.")
    );
    // Beside the password form, on the page itself.
    let form_at = wrong
        .html
        .find("action=\"/account/password#password\"")
        .unwrap();
    let error_at = wrong.html.find("role=\"alert\"").unwrap();
    let section_at = wrong.html.find("id=\"password\"").unwrap();
    assert!(
        section_at < error_at && error_at < form_at,
        "{}",
        wrong.html
    );
    assert_eq!(audit(&app, "password.confirm_failed").len(), 1);

    let mistyped =
        change_password(&person, PASSWORD, NEW_PASSWORD, "violet-anchor-meadow-2932").await;
    mistyped.expect(422);
    assert_eq!(
        mistyped.error().as_deref(),
        Some("The new passwords do not match.")
    );
    let short = change_password(&person, PASSWORD, "short", "short").await;
    short.expect(422);
    assert!(
        short.error().unwrap_or_default().contains("at least"),
        "{short:?}"
    );

    assert!(audit(&app, "password.changed").is_empty());
    // The password is still the old one.
    Person::new(&app).sign_in("rahul", "/account").await;
}

#[tokio::test]
async fn a_new_password_works_the_old_one_does_not_and_other_sessions_end() {
    let app = TestApp::new().start().await;
    let priya = app.add_user("priya", &[]);
    let here = signed_in(&app, "priya").await;
    let elsewhere = signed_in(&app, "priya").await;
    assert_eq!(open_sessions(&app, &priya).len(), 2);

    let changed = change_password(&here, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.location(), "/account?notice=password");
    let page = here.get("/account?notice=password").await;
    page.expect(200);
    assert!(
        page.notice()
            .unwrap_or_default()
            .starts_with("Your password has been changed."),
        "{page:?}"
    );

    // This session goes on; the other one has ended.
    let open = open_sessions(&app, &priya);
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(
        elsewhere.get("/account").await.location(),
        "/login?return_to=%2Faccount"
    );

    // The old password no longer signs in; the new one does.
    let old = Person::new(&app)
        .log_in("/account", "priya", PASSWORD)
        .await;
    old.expect(401);
    let new = Person::new(&app)
        .log_in("/account", "priya", NEW_PASSWORD)
        .await;
    assert_eq!(new.location(), "/account");

    let events = audit(&app, "password.changed");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].actor.as_deref(), Some(priya.as_str()));
    assert_eq!(events[0].subject.as_deref(), Some(priya.as_str()));
    assert!(
        events[0].details.contains("\"sessions_ended\":1"),
        "{events:#?}"
    );
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled_like_a_sign_in() {
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let person = signed_in(&app, "rahul").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let answer =
            change_password(&person, "a-wrong-guess-at-it", NEW_PASSWORD, NEW_PASSWORD).await;
        statuses.push(answer.status.as_u16());
        if answer.status == 429 {
            assert!(!answer.header("retry-after").is_empty(), "{answer:?}");
            assert!(
                answer
                    .error()
                    .unwrap_or_default()
                    .starts_with("Too many wrong passwords."),
                "{answer:?}"
            );
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Throttled, the right password is not even checked.
    let right = change_password(&person, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    right.expect(429);
    assert!(audit(&app, "password.changed").is_empty());
}
