use diesel::prelude::*;

use super::schema::refresh_tokens;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resources: String,
    pub auth_time: i64,
    pub sid: String,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub family_expires_at: i64,
    pub used_at: Option<i64>,
    pub successor_hash: Option<String>,
    pub successor_sealed: Option<Vec<u8>>,
    pub revoked_at: Option<i64>,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &RefreshTokenRow) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, token_hash: &str) -> Result<Option<RefreshTokenRow>, DbError> {
    super::unique_row(
        refresh_tokens::table
            .find(token_hash)
            .select(RefreshTokenRow::as_select()),
        conn,
    )
}

/// Marks the token used (rotated) and names its successor, if nobody did
/// yet: exactly one of several concurrent refreshes wins, in one statement.
pub fn mark_used(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
    successor_hash: &str,
    successor_sealed: &[u8],
) -> Result<bool, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .find(token_hash)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((
        refresh_tokens::used_at.eq(now),
        refresh_tokens::successor_hash.eq(successor_hash),
        refresh_tokens::successor_sealed.eq(successor_sealed),
    ))
    .execute(conn)?
        == 1)
}

/// Records an access token issued with this refresh token. Within the
/// grace window one refresh token can buy several, so the row keeps a
/// space-separated list (and the latest expiry): revoking the family must
/// reach every one of them. False if the token was revoked meanwhile (the
/// access token must then not be handed out).
pub fn record_access_token(
    conn: &mut DbConnection,
    token_hash: &str,
    jti: &str,
    expires_at: i64,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        // Write first: the row (PostgreSQL) or the database (SQLite) is
        // locked before it is read, so parallel refreshes do not lose an
        // entry.
        diesel::update(refresh_tokens::table.find(token_hash))
            .set(
                refresh_tokens::access_token_expires_at.eq(refresh_tokens::access_token_expires_at),
            )
            .execute(conn)?;
        let (recorded, until, revoked_at): (Option<String>, Option<i64>, Option<i64>) =
            refresh_tokens::table
                .find(token_hash)
                .select((
                    refresh_tokens::access_token_jti,
                    refresh_tokens::access_token_expires_at,
                    refresh_tokens::revoked_at,
                ))
                .first(conn)?;
        if revoked_at.is_some() {
            return Ok(false);
        }
        let jtis = match recorded.filter(|list| !list.trim().is_empty()) {
            Some(list) => format!("{list} {jti}"),
            None => jti.to_owned(),
        };
        let until = until.map_or(expires_at, |t| t.max(expires_at));
        diesel::update(refresh_tokens::table.find(token_hash))
            .set((
                refresh_tokens::access_token_jti.eq(jtis),
                refresh_tokens::access_token_expires_at.eq(until),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

/// Takes the write lock for `token_hash` before a transaction reads it:
/// the row lock on PostgreSQL, the database's write lock on SQLite (whose
/// transaction must begin with its write, or a concurrent writer makes it
/// fail instead of wait).
pub fn lock(conn: &mut DbConnection, token_hash: &str) -> Result<(), DbError> {
    diesel::update(refresh_tokens::table.find(token_hash))
        .set(refresh_tokens::revoked_at.eq(refresh_tokens::revoked_at))
        .execute(conn)?;
    Ok(())
}

/// Revokes every token of the family; returns the access tokens issued
/// with them, so the caller can revoke those too.
pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    now: i64,
) -> Result<Vec<(String, i64)>, DbError> {
    // Until nothing is left: a refresh that held a row of the family while
    // the first pass waited may have added a successor that pass could not
    // see (PostgreSQL's READ COMMITTED); the next statement sees it.
    while diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?
        > 0
    {}
    let issued: Vec<(Option<String>, Option<i64>)> = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(family_id))
        .select((
            refresh_tokens::access_token_jti,
            refresh_tokens::access_token_expires_at,
        ))
        .load(conn)?;
    Ok(flatten(issued))
}

/// Revokes every refresh token of a user (disabled account).
pub fn revoke_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
) -> Result<Vec<(String, i64)>, DbError> {
    // Until nothing is left, as in `revoke_family`.
    while diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?
        > 0
    {}
    let issued: Vec<(Option<String>, Option<i64>)> = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .select((
            refresh_tokens::access_token_jti,
            refresh_tokens::access_token_expires_at,
        ))
        .load(conn)?;
    Ok(flatten(issued))
}

/// Revokes every refresh token `user_id` holds at `client_id` (a consent
/// withdrawn); returns the access tokens issued with them, as
/// `revoke_for_user` does.
pub fn revoke_for_user_at_client(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<Vec<(String, i64)>, DbError> {
    // Until nothing is left, as in `revoke_family`.
    while diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::client_id.eq(client_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?
        > 0
    {}
    let issued: Vec<(Option<String>, Option<i64>)> = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::client_id.eq(client_id))
        .select((
            refresh_tokens::access_token_jti,
            refresh_tokens::access_token_expires_at,
        ))
        .load(conn)?;
    Ok(flatten(issued))
}

/// Deletes rows whose family has expired (reuse detection needs rotated
/// tokens until then). At most `limit` rows per call.
pub fn purge_expired(conn: &mut DbConnection, now: i64, limit: i64) -> Result<usize, DbError> {
    let doomed: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::family_expires_at.lt(now))
        .select(refresh_tokens::token_hash)
        .limit(limit)
        .load(conn)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::token_hash.eq_any(doomed)))
            .execute(conn)?,
    )
}

/// `(jti, expires_at)` of every access token recorded (a row may list several).
fn flatten(issued: Vec<(Option<String>, Option<i64>)>) -> Vec<(String, i64)> {
    issued
        .into_iter()
        .filter_map(|(jtis, expires_at)| Some((jtis?, expires_at?)))
        .flat_map(|(jtis, expires_at)| {
            jtis.split_whitespace()
                .map(|jti| (jti.to_owned(), expires_at))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Families whose first token was issued alongside the access token `jti`
/// (the exchange of an authorization code).
pub fn families_started_by(conn: &mut DbConnection, jti: &str) -> Result<Vec<String>, DbError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::access_token_jti.eq(jti))
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?)
}
