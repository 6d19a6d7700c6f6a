//! A change of password needs a recent sign-in (`require_recent_sign_in`):
//! past 5 minutes the form sends the person to the login page, which says
//! why, and back to the account page, where the change then goes through.

use super::{NEW_PASSWORD, PASSWORD, Person, TestApp, audit, change_password, signed_in};

const LOGIN_AGAIN: &str = "/login?return_to=%2Faccount&reason=recent";

#[tokio::test]
async fn a_sign_in_older_than_five_minutes_is_asked_for_again_before_a_new_password() {
    let app = TestApp::new().with_user("priya", &[]).start().await;
    let person = signed_in(&app, "priya").await;

    // Five minutes after signing in, still recent.
    app.clock.advance(300);
    let changed = change_password(&person, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.location(), "/account?notice=password");

    // A second later it is not: nothing is checked or changed.
    app.clock.advance(1);
    let checks = app.state.passwords.verification_count();
    let stale = change_password(&person, NEW_PASSWORD, PASSWORD, PASSWORD).await;
    assert_eq!(stale.location(), LOGIN_AGAIN);
    assert_eq!(app.state.passwords.verification_count(), checks);
    assert_eq!(audit(&app, "password.changed").len(), 1);

    // The login page says why, and brings the person back.
    let login = person.get(LOGIN_AGAIN).await;
    login.expect(200);
    assert_eq!(
        login.notice().as_deref(),
        Some(
            "For your security, sign in again to make this change: your last sign-in was more than 5 minutes ago."
        )
    );
    assert_eq!(login.value("return_to").as_deref(), Some("/account"));
    let csrf = login.value("csrf_token").unwrap();
    let back = person
        .post(
            "/login",
            &[
                ("return_to", "/account"),
                ("csrf_token", &csrf),
                ("username", "priya"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(back.location(), "/account");

    // Freshly signed in, the change goes through.
    let changed = change_password(&person, NEW_PASSWORD, PASSWORD, PASSWORD).await;
    assert_eq!(changed.location(), "/account?notice=password");
    assert_eq!(audit(&app, "password.changed").len(), 2);
    Person::new(&app).sign_in("priya", "/account").await;
}
