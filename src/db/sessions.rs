use diesel::prelude::*;

use super::schema::sessions;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    /// The password was right; a second factor is still awaited.
    pub pending: bool,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A complete session (no factor awaited) that has not ended and has not
/// hit its absolute expiry.
pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<SessionRow>, DbError> {
    Ok(find_open(conn, id_hash, now)?.filter(|row| !row.pending))
}

/// A session, complete or awaiting a factor, that has not ended and has
/// not hit its absolute expiry.
pub fn find_open(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<SessionRow>, DbError> {
    super::unique_row(
        sessions::table
            .find(id_hash)
            .filter(sessions::ended_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .select(SessionRow::as_select()),
        conn,
    )
}

pub fn touch(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), DbError> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn end(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), DbError> {
    diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Ends the user's sessions, except `keep` (a session id hash) if given.
pub fn end_all_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<usize, DbError> {
    let ending = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::id_hash.ne(keep.unwrap_or_default()));
    Ok(diesel::update(ending)
        .set(sessions::ended_at.eq(now))
        .execute(conn)?)
}

/// The user's live sessions, newest first.
pub fn live_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
) -> Result<Vec<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::pending.eq(false))
        .select(SessionRow::as_select())
        .order(sessions::created_at.desc())
        .load(conn)?)
}
