//! The account page's read side: the signed-in person, their live
//! sessions and the applications they have consented to.

use crate::config::SessionSettings;
use crate::db::{self, DbConnection, DbError};

pub use crate::db::consents::ConsentWithClient;
pub use crate::db::sessions::SessionRow;
pub use crate::db::users::UserRow;

/// What `/account` shows.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    pub user: UserRow,
    /// Live by `accounts::sessions::is_live`, newest first.
    pub sessions: Vec<SessionRow>,
    /// Consents given, newest first, with each client's name.
    pub applications: Vec<ConsentWithClient>,
    /// How many passkeys the person has registered.
    pub passkeys: i64,
}

/// The person `user_id` with their live sessions, consents and the number
/// of their passkeys: 4 queries.
/// `None` when the account no longer exists.
pub fn overview(
    conn: &mut DbConnection,
    user_id: &str,
    settings: &SessionSettings,
    now: i64,
) -> Result<Option<AccountOverview>, DbError> {
    let Some(user) = db::users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    let sessions = super::users::live_sessions(conn, user_id, settings, now)?;
    let applications = db::consents::of_user(conn, user_id)?;
    let passkeys = db::passkeys::count_for_user(conn, user_id)?;
    Ok(Some(AccountOverview {
        user,
        sessions,
        applications,
        passkeys,
    }))
}

/// The person `user_id`, if the account still exists: 1 query.
pub fn person(conn: &mut DbConnection, user_id: &str) -> Result<Option<UserRow>, DbError> {
    db::users::find_by_id(conn, user_id)
}
