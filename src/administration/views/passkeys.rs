//! A person's passkeys, as the account page lists them.

use crate::db::{self, DbConnection, DbError};

pub use crate::db::passkeys::PasskeyRow;

/// Whose passkeys, and the passkeys, oldest first.
#[derive(Debug, Clone)]
pub struct OwnPasskeys {
    pub username: String,
    pub passkeys: Vec<PasskeyRow>,
}

/// The user's name and passkeys: 2 queries. `None` for an unknown user.
pub fn of_user(conn: &mut DbConnection, user_id: &str) -> Result<Option<OwnPasskeys>, DbError> {
    let Some(user) = db::users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    Ok(Some(OwnPasskeys {
        username: user.username,
        passkeys: db::passkeys::for_user(conn, user_id)?,
    }))
}
