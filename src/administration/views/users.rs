//! Users: one with their roles and live sessions, and pages of them.

use crate::accounts::sessions::is_live;
use crate::config::SessionSettings;
use crate::db::{self, DbConnection, DbError};

pub use crate::db::sessions::SessionRow;
pub use crate::db::user_search::UserCursor;
pub use crate::db::users::UserRow;

/// A user with the roles they hold.
#[derive(Debug, Clone)]
pub struct UserWithRoles {
    pub user: UserRow,
    /// Role names, by name.
    pub roles: Vec<String>,
}

/// A user with their roles and the sessions that would still sign them in.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: UserRow,
    pub roles: Vec<String>,
    /// Live by `accounts::sessions::is_live`, newest first.
    pub sessions: Vec<SessionRow>,
}

/// One page of users, with the cursor of the next.
#[derive(Debug, Clone)]
pub struct UserListing {
    pub users: Vec<UserWithRoles>,
    /// `None` on the last page.
    pub next: Option<UserCursor>,
}

/// The user called `username` and their roles: 2 queries.
pub fn with_roles(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<UserWithRoles>, DbError> {
    let Some(user) = db::users::find_by_username(conn, username)? else {
        return Ok(None);
    };
    let roles = roles_of(conn, &user.id)?;
    Ok(Some(UserWithRoles { user, roles }))
}

/// The role names a user holds, by name: 1 query.
pub fn roles_of(conn: &mut DbConnection, user_id: &str) -> Result<Vec<String>, DbError> {
    db::users::role_names(conn, user_id)
}

/// The user called `username`, their roles and their live sessions: 3
/// queries.
pub fn detail(
    conn: &mut DbConnection,
    username: &str,
    settings: &SessionSettings,
    now: i64,
) -> Result<Option<UserDetail>, DbError> {
    let Some(UserWithRoles { user, roles }) = with_roles(conn, username)? else {
        return Ok(None);
    };
    let sessions = live_sessions(conn, &user.id, settings, now)?;
    Ok(Some(UserDetail {
        user,
        roles,
        sessions,
    }))
}

/// The user's sessions that are live by the one rule, newest first: 1
/// query (the idle timeout is applied here, by `is_live`).
pub fn live_sessions(
    conn: &mut DbConnection,
    user_id: &str,
    settings: &SessionSettings,
    now: i64,
) -> Result<Vec<SessionRow>, DbError> {
    Ok(db::sessions::live_for_user(conn, user_id, now)?
        .into_iter()
        .filter(|session| is_live(session, settings, now))
        .collect())
}

/// Up to `limit` users after `after` (all by username without a prefix,
/// else those whose username or email starts with it), each with their
/// roles: the search (at most 5 queries whatever the directory size, see
/// `db::user_search`) and 1 for
/// the roles of the whole page.
pub fn page(
    conn: &mut DbConnection,
    prefix: Option<&str>,
    after: &UserCursor,
    limit: i64,
) -> Result<UserListing, DbError> {
    let found = db::user_search::search(conn, prefix, after, limit)?;
    let ids: Vec<String> = found.users.iter().map(|u| u.id.clone()).collect();
    let mut roles = db::users::role_names_of(conn, &ids)?;
    let users = found
        .users
        .into_iter()
        .map(|user| UserWithRoles {
            roles: roles.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect();
    Ok(UserListing {
        users,
        next: found.next,
    })
}
