//! First run: a one-time link lets the first administrator be created in a
//! browser. The link stops working once any administrator exists.

use crate::crypto::random;
use crate::db::{self, DbConnection, roles::ADMIN_ROLE, users::UserRow};
use crate::secret::Secret;

use super::AccountError;

/// How long a printed setup link stays valid.
pub const SETUP_TOKEN_TTL_SECS: i64 = 24 * 3600;

/// A new setup token, or `None` when an administrator already exists.
pub fn issue_token(
    conn: &mut DbConnection,
    now: i64,
) -> Result<Option<Secret<String>>, AccountError> {
    if db::users::any_admin_exists(conn)? {
        return Ok(None);
    }
    let token = random::new_token();
    db::setup_tokens::insert(
        conn,
        &random::token_hash(token.expose()),
        now,
        now + SETUP_TOKEN_TTL_SECS,
    )?;
    Ok(Some(token))
}

#[derive(Debug, PartialEq, Eq)]
pub enum SetupState {
    /// The token is live and no administrator exists: show the form.
    Open,
    AlreadyDone,
    InvalidToken,
}

pub fn state(conn: &mut DbConnection, token: &str, now: i64) -> Result<SetupState, AccountError> {
    if db::users::any_admin_exists(conn)? {
        return Ok(SetupState::AlreadyDone);
    }
    if db::setup_tokens::is_live(conn, &random::token_hash(token), now)? {
        Ok(SetupState::Open)
    } else {
        Ok(SetupState::InvalidToken)
    }
}

/// Uses up the token and creates `admin` with the built-in admin role.
/// Call in a transaction: both happen or neither.
pub fn complete(
    conn: &mut DbConnection,
    token: &str,
    admin: &UserRow,
    now: i64,
) -> Result<SetupState, AccountError> {
    if db::users::any_admin_exists(conn)? {
        return Ok(SetupState::AlreadyDone);
    }
    if !db::setup_tokens::consume(conn, &random::token_hash(token), now)? {
        return Ok(SetupState::InvalidToken);
    }
    super::users::insert_user(conn, admin, &[ADMIN_ROLE.to_owned()])?;
    Ok(SetupState::Open)
}
