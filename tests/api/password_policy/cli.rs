//! `gatehouse user add … --password-stdin` and `gatehouse user
//! set-password`: a refused password is one line on stderr, exit 1, and
//! nothing stored.

use gatehouse::db;

use super::{COMMON, CONTAINS_USERNAME, DENY_LISTED, GOOD, TOO_SHORT, stored_hash};
use crate::helpers::TestApp;

#[tokio::test]
async fn the_command_line_refuses_a_deny_listed_password_in_one_line() {
    let app = TestApp::spawn().await;
    let stdin = format!("{DENY_LISTED}\n");

    let add = app.cli(&["user", "add", "rahul", "--password-stdin"], Some(&stdin));
    assert_eq!(add.fails_with(1), format!("gatehouse: {COMMON}"));
    assert!(
        app.db(|conn| db::users::find_by_username(conn, "rahul"))
            .is_none(),
        "a refused password makes no user"
    );

    let good = format!("{GOOD}\n");
    app.cli(&["user", "add", "rahul", "--password-stdin"], Some(&good))
        .ok();
    let before = stored_hash(&app, "rahul").unwrap();
    for (password, message) in [
        (DENY_LISTED, COMMON),
        ("Rahul-violet-anchor-2931", CONTAINS_USERNAME),
        ("too-short-pw", TOO_SHORT),
    ] {
        let set = app.cli(
            &["user", "set-password", "rahul", "--password-stdin"],
            Some(&format!("{password}\n")),
        );
        assert_eq!(set.fails_with(1), format!("gatehouse: {message}"));
    }
    assert_eq!(stored_hash(&app, "rahul").unwrap(), before);

    app.cli(
        &["user", "set-password", "rahul", "--password-stdin"],
        Some("violet-anchor-meadow-2931\n"),
    )
    .ok();
    assert_ne!(stored_hash(&app, "rahul").unwrap(), before);
}
