//! Writes that two requests make at the same moment — two tabs, two
//! nodes — must both succeed.

use std::time::Duration;

use gatehouse::db::{self, DbError, consents::ConsentRow};

use crate::helpers::TestApp;

fn consent(user_id: &str, scope: &str, granted_at: i64) -> ConsentRow {
    ConsentRow {
        user_id: user_id.into(),
        client_id: "web".into(),
        scope: scope.into(),
        resources: String::new(),
        granted_at,
    }
}

/// Two approvals of one person's consent for one client overlap: the one
/// that commits second must neither fail nor be lost.
#[tokio::test]
async fn two_consents_saved_at_once_both_succeed_and_the_later_stands() {
    let app = TestApp::spawn().await;
    app.cli(&["user", "add", "rahul"], None).ok();
    app.cli(
        &[
            "client",
            "add",
            "web",
            "--redirect-uri",
            "http://127.0.0.1:3000/cb",
        ],
        None,
    )
    .ok();
    let user = app
        .db(|conn| db::users::find_by_username(conn, "rahul"))
        .unwrap()
        .id;
    let user_id = user.clone();
    let (saved, wait_saved) = std::sync::mpsc::channel();
    let first_db = app.state.db.clone();
    let first = std::thread::spawn(move || {
        first_db.run_blocking(|conn| {
            diesel::connection::Connection::transaction::<_, DbError, _>(conn, |conn| {
                db::consents::save(conn, &consent(&user_id, "openid", 1))?;
                saved.send(()).unwrap();
                // Still uncommitted while the second one saves.
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
        })
    });
    wait_saved.recv().unwrap();
    let second = app
        .state
        .db
        .run_blocking(|conn| db::consents::save(conn, &consent(&user, "openid profile", 2)));
    first.join().unwrap().unwrap();
    second.unwrap();
    let stored = app.db(|conn| db::consents::find(conn, &user, "web"));
    assert_eq!(stored.map(|c| c.scope).as_deref(), Some("openid profile"));
}
