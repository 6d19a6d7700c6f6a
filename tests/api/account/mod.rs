//! The account page, `/account` (issue 14): who is signed in, a new
//! password (the current one required, a recent sign-in required), live
//! sessions ended one by one or all but this one, consents withdrawn with
//! their refresh tokens, CSRF on every form. People, pages and set-up are
//! the test kit's (`helpers`); this file adds what the account tests share.
//! The browser walk-through is `browser::account`.

#![allow(dead_code)] // Each test file uses a different part of the kit.

mod access;
mod applications;
mod csrf;
mod password;
mod recent_sign_in;
mod sessions;

use gatehouse::db::{self, audit::AuditRow};

pub use crate::helpers::browser::{CSRF_COOKIE, Page, Person};
pub use crate::helpers::{PASSWORD, TestApp};

/// The new password every test changes to (passes any length or
/// deny-list policy, and holds no username).
pub const NEW_PASSWORD: &str = "violet-anchor-meadow-2931";

/// A person signed in through the account page's own login (signed out →
/// login → back at `/account`).
pub async fn signed_in<'a>(app: &'a TestApp, username: &str) -> Person<'a> {
    let person = Person::new(app);
    person.sign_in(username, "/account").await;
    person
}

/// The password form as the page submits it.
pub async fn change_password(person: &Person<'_>, current: &str, new: &str, again: &str) -> Page {
    person
        .submit(
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_again", again),
            ],
        )
        .await
}

/// Audit events of exactly `kind`, newest first.
pub fn audit(app: &TestApp, kind: &str) -> Vec<AuditRow> {
    let prefix = kind.to_owned();
    app.db(move |conn| db::audit::recent(conn, Some(&prefix), 1000))
        .into_iter()
        .filter(|event| event.kind == kind)
        .collect()
}

/// The user's sessions that have not ended, by the database.
pub fn open_sessions(app: &TestApp, user_id: &str) -> Vec<db::sessions::SessionRow> {
    let (id, now) = (user_id.to_owned(), app.now());
    app.db(move |conn| db::sessions::live_for_user(conn, &id, now))
}

/// The `sid` of every session the page lists, in its order.
pub fn listed_sids(page: &Page) -> Vec<String> {
    page.html
        .split("name=\"sid\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}
