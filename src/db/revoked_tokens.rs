use diesel::prelude::*;

use super::schema::revoked_tokens;
use super::{DbConnection, DbError};

/// Records a revoked access token until it would have expired anyway.
/// Revoking twice is not an error.
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), DbError> {
    if is_revoked(conn, jti)? {
        return Ok(());
    }
    match diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::expires_at.eq(expires_at),
            revoked_tokens::revoked_at.eq(now),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, DbError> {
    let count: i64 = revoked_tokens::table.find(jti).count().get_result(conn)?;
    Ok(count > 0)
}
