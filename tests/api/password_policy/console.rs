//! The console's create-user and set-password forms show a refused
//! password's reason on the page (422) and change nothing.

use super::{COMMON, CONTAINS_USERNAME, DENY_LISTED, GOOD, stored_hash};
use crate::helpers::{TestApp, browser::Person};

#[tokio::test]
async fn the_console_shows_why_a_password_was_refused() {
    let app = TestApp::new()
        .with_user("root", &["admin"])
        .with_user("carol", &[])
        .start()
        .await;
    let admin = Person::signed_in(&app, "root").await;
    let before = stored_hash(&app, "carol").unwrap();

    let refused = admin
        .submit("/admin/users/carol/password", &[("password", DENY_LISTED)])
        .await;
    refused.expect(422);
    assert_eq!(refused.error().as_deref(), Some(COMMON));
    assert_eq!(stored_hash(&app, "carol").unwrap(), before);

    let created = admin
        .submit(
            "/admin/users",
            &[
                ("username", "dora"),
                ("email", ""),
                ("name", ""),
                ("password", "all-about-DORA-2931"),
                ("role", ""),
            ],
        )
        .await;
    created.expect(422);
    assert_eq!(created.error().as_deref(), Some(CONTAINS_USERNAME));
    assert!(stored_hash(&app, "dora").is_none());

    admin
        .submit("/admin/users/carol/password", &[("password", GOOD)])
        .await
        .expect(303);
    assert_ne!(stored_hash(&app, "carol").unwrap(), before);
}
