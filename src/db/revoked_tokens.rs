use diesel::prelude::*;

use super::schema::revoked_tokens;
use super::{DbConnection, DbError};

/// Records a revoked access token until it would have expired anyway.
/// Revoking twice is not an error. `ON CONFLICT DO NOTHING`, not a caught
/// unique violation: on PostgreSQL a failed statement aborts the whole
/// transaction it runs in, and this runs inside others (code replay,
/// family revocation).
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), DbError> {
    let row = (
        revoked_tokens::jti.eq(jti),
        revoked_tokens::expires_at.eq(expires_at),
        revoked_tokens::revoked_at.eq(now),
    );
    // diesel's upsert is per backend; the statement is the same on both.
    let statement = diesel::insert_into(revoked_tokens::table)
        .values(row)
        .on_conflict_do_nothing();
    match conn {
        DbConnection::Postgres(pg) => statement.execute(pg)?,
        DbConnection::Sqlite(sqlite) => statement.execute(sqlite)?,
    };
    Ok(())
}

/// The key under which the end of the sign-in session `sid` is recorded
/// beside revoked token ids (a `jti` is base64url and never holds `:`).
pub fn session_key(sid: &str) -> String {
    format!("sid:{sid}")
}

/// When each of `keys` was revoked, for those that were: one lookup for a
/// token's own id and its session's.
pub fn revoked_at_of(
    conn: &mut DbConnection,
    keys: &[String],
) -> Result<Vec<(String, i64)>, DbError> {
    Ok(revoked_tokens::table
        .filter(revoked_tokens::jti.eq_any(keys))
        .select((revoked_tokens::jti, revoked_tokens::revoked_at))
        .load(conn)?)
}

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, DbError> {
    let count: i64 = revoked_tokens::table.find(jti).count().get_result(conn)?;
    Ok(count > 0)
}
