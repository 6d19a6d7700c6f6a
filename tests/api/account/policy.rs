//! The password policy on the account page: a new password the policy
//! refuses is refused beside the form with the policy's words, before the
//! current password is checked (no throttle attempt, no hash), and the form
//! says the minimum that applies to the person.

use gatehouse::accounts::users::NewUser;

use super::{NEW_PASSWORD, PASSWORD, Person, TestApp, audit, change_password, signed_in};
use crate::password_policy::{COMMON, CONTAINS_EMAIL, CONTAINS_USERNAME, DENY_LISTED, TOO_SHORT};

#[tokio::test]
async fn the_account_page_refuses_what_the_password_policy_refuses() {
    let app = TestApp::new().start().await;
    app.add_user_with(NewUser {
        username: "rahul.sharma".into(),
        email: Some("Priya.Nair@school.example".into()),
        ..NewUser::default()
    });
    let person = signed_in(&app, "rahul.sharma").await;
    let page = person.get("/account").await;
    assert!(
        page.text().contains("At least 15 characters"),
        "{}",
        page.html
    );
    assert!(page.html.contains("minlength=\"15\""), "{}", page.html);

    let checks = app.state.passwords.verification_count();
    for (candidate, why) in [
        ("tq8#vLm2xk", TOO_SHORT),
        (DENY_LISTED, COMMON),
        ("my-name-is-RAHUL.SHARMA-ok", CONTAINS_USERNAME),
        ("ask-priya.nair-for-the-keys", CONTAINS_EMAIL),
    ] {
        let refused = change_password(&person, PASSWORD, candidate, candidate).await;
        refused.expect(422);
        assert_eq!(refused.error().as_deref(), Some(why), "{candidate}");
    }
    // Refused before the current password was even checked.
    assert_eq!(app.state.passwords.verification_count(), checks);
    assert!(audit(&app, "password.changed").is_empty());

    // A long passphrase is accepted, and signs in.
    let changed = change_password(&person, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.location(), "/account?notice=password");
    let back = Person::new(&app)
        .log_in("/account", "rahul.sharma", NEW_PASSWORD)
        .await;
    assert_eq!(back.location(), "/account");
}
