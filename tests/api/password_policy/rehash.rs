//! A hash made with older `[passwords]` parameters is replaced, at the
//! person's next successful sign-in, by one with the current parameters;
//! a failed sign-in changes nothing, and neither does an upgrade that
//! finds the password changed meanwhile.

use gatehouse::{db, secret::Secret};

use super::stored_hash;
use crate::helpers::{PASSWORD, TestApp, browser::Person};

/// The `m=…,t=…,p=…` part of a PHC string.
fn params(hash: &str) -> &str {
    hash.split('$').nth(3).unwrap_or_default()
}

#[tokio::test]
async fn a_sign_in_upgrades_a_hash_made_with_old_parameters() {
    // The kit hashes with m=1024, t=1.
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let old = stored_hash(&app, "rahul").unwrap();
    assert_eq!(params(&old), "m=1024,t=1,p=1");

    // The operator raises the cost and restarts.
    let app = app
        .restart_with(|settings| {
            settings.passwords.memory_kib = 2048;
            settings.passwords.iterations = 2;
        })
        .await;

    // A wrong password upgrades nothing.
    let guesser = Person::new(&app);
    guesser
        .log_in("/admin/users", "rahul", "not-the-password-at-all")
        .await
        .expect(401);
    assert_eq!(stored_hash(&app, "rahul").unwrap(), old);

    Person::signed_in(&app, "rahul").await;
    let upgraded = stored_hash(&app, "rahul").unwrap();
    assert_eq!(params(&upgraded), "m=2048,t=2,p=1");
    assert!(app.state.passwords.verify(PASSWORD, Some(&upgraded)));
    let events = app.db(|conn| db::audit::recent(conn, Some("login.success"), 10));
    assert_eq!(events.len(), 1);
    assert!(
        events[0].details.contains("\"rehashed\":true"),
        "{events:?}"
    );

    // Current parameters: the next sign-in stores nothing new.
    Person::signed_in(&app, "rahul").await;
    assert_eq!(stored_hash(&app, "rahul").unwrap(), upgraded);
}

#[tokio::test]
async fn an_upgrade_never_overwrites_a_password_changed_meanwhile() {
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let user = app
        .db(|conn| db::users::find_by_username(conn, "rahul"))
        .unwrap();
    let current = user.password_hash.clone().unwrap();
    let id = user.id.clone();
    // An upgrade computed from a hash that is no longer stored.
    let replaced = app.db(move |conn| {
        db::users::upgrade_password_hash(conn, &id, "$argon2id$v=19$stale", "$argon2id$v=19$new")
    });
    assert!(!replaced);
    assert_eq!(stored_hash(&app, "rahul").unwrap(), current);
    // From the hash still stored, it is replaced.
    let new = app
        .state
        .passwords
        .hash(&Secret::new(PASSWORD.to_owned()))
        .unwrap();
    let (id, stored, upgrade) = (user.id.clone(), current.clone(), new.clone());
    assert!(app.db(move |conn| db::users::upgrade_password_hash(conn, &id, &stored, &upgrade)));
    assert_eq!(stored_hash(&app, "rahul").unwrap(), new);
}
