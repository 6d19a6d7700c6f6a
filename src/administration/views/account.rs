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
    /// The second factors set up, and the recovery codes left.
    pub two_step: crate::administration::account_totp::Status,
}

/// The person `user_id` with their live sessions, consents and second
/// factors: 6 queries.
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
    let two_step = crate::administration::account_totp::status(conn, user_id)?;
    Ok(Some(AccountOverview {
        user,
        sessions,
        applications,
        two_step,
    }))
}

/// The person `user_id`, if the account still exists, and whether they
/// have a second factor (the password policy allows a shorter password
/// then): 3 queries.
pub fn person(conn: &mut DbConnection, user_id: &str) -> Result<Option<(UserRow, bool)>, DbError> {
    let Some(user) = db::users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    let has_second_factor = crate::accounts::second_factor::enrolled(conn, user_id)?.any();
    Ok(Some((user, has_second_factor)))
}
