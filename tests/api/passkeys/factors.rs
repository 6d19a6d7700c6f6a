//! Passkeys among a person's second factors: a password sign-in of someone
//! with a passkey waits for the second step, whose page offers it; an
//! administrator's factor reset removes passkeys too.

use gatehouse::db::{self, audit::AuditFilter, passkeys::PasskeyRow};

use super::on_localhost;
use crate::helpers::{TestApp, browser::Person};

/// A stored passkey for `username` (its content is never read here).
fn give_passkey(app: &TestApp, username: &str) {
    let username = username.to_owned();
    app.db(move |conn| {
        let user = db::users::find_by_username(conn, &username)?.unwrap();
        db::passkeys::insert(
            conn,
            &PasskeyRow {
                id: db::new_id(),
                user_id: user.id,
                credential_id: db::new_id(),
                passkey: "{}".into(),
                name: "Phone".into(),
                created_at: 0,
                last_used_at: None,
            },
        )
    });
}

#[tokio::test]
async fn a_password_is_not_enough_for_someone_with_a_passkey() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]).with_user("bao", &[]))
        .start()
        .await;
    give_passkey(&app, "amara");

    // bao has no second factor: the password signs him in.
    let bao = Person::new(&app);
    bao.sign_in("bao", "/account/passkeys").await;

    // amara's password leads to the second step, which offers her passkey
    // (and no code form: she has no authenticator app).
    let amara = Person::new(&app);
    let answer = amara
        .log_in("/account/passkeys", "amara", crate::helpers::PASSWORD)
        .await;
    let second = answer.location();
    assert!(second.starts_with("/login/second-factor?"), "{second}");
    let page = amara.get(&second).await;
    page.expect(200);
    assert!(
        page.html.contains("data-passkey-second-step"),
        "{}",
        page.html
    );
    assert!(page.html.contains("Use a passkey"), "{}", page.html);
    assert!(!page.html.contains("name=\"code\""), "{}", page.html);
    // Still signed out meanwhile.
    let account = amara.get("/account/passkeys").await;
    assert!(account.location().starts_with("/login?"), "{account:?}");
}

#[tokio::test]
async fn an_administrator_reset_removes_passkeys() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    give_passkey(&app, "amara");
    give_passkey(&app, "amara");
    app.cli(&["user", "reset-factors", "amara"], None).ok();
    let left = app.db(|conn| {
        let amara = db::users::find_by_username(conn, "amara")?.unwrap();
        db::passkeys::count_for_user(conn, &amara.id)
    });
    assert_eq!(left, 0);
    let filter = AuditFilter {
        kind_prefix: Some("admin.user.factors_reset".into()),
        ..AuditFilter::default()
    };
    let events = app.db(move |conn| db::audit::search(conn, &filter, 10));
    assert_eq!(events.len(), 1);
    assert!(
        events[0].details.contains("\"passkeys\":2"),
        "{}",
        events[0].details
    );
}
