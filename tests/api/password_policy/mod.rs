//! The password policy (issue 14, NIST SP 800-63B-4) through the real
//! interfaces: first-run setup, the admin API, the console and the command
//! line refuse what `accounts::password_policy` refuses, each with its
//! message and leaving nothing changed; and a hash made with older argon2
//! parameters is upgraded at the next successful sign-in. The table of
//! rules itself is the unit test in `src/accounts/password_policy.rs`.

mod admin_api;
mod cli;
mod console;
mod rehash;
mod second_factor;
mod setup;

use gatehouse::db;

use crate::helpers::TestApp;

/// A deny-listed password long enough for any minimum (SecLists' top
/// 100,000 has it), in another case than the list's.
pub const DENY_LISTED: &str = "PasswordPassword";
/// What the deny-list refusal says, wherever it is shown.
pub const COMMON: &str =
    "This password is too common or has appeared in a data breach; choose another.";
pub const CONTAINS_USERNAME: &str = "The password must not contain the username.";
pub const CONTAINS_EMAIL: &str =
    "The password must not contain the part of the email address before the @.";
pub const TOO_SHORT: &str = "The password is too short: use at least 15 characters.";
/// A password the policy accepts for every user these tests make.
pub const GOOD: &str = "granite-lantern-orchard-4417";

/// The stored PHC string of `username`'s password, if any.
pub fn stored_hash(app: &TestApp, username: &str) -> Option<String> {
    let username = username.to_owned();
    app.db(move |conn| db::users::find_by_username(conn, &username))
        .and_then(|user| user.password_hash)
}
