use diesel::prelude::*;

use super::schema::setup_tokens;
use super::{DbConnection, DbError};

pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now),
            setup_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// True if the token was live and unused; it is used up by this call (one
/// conditional update, so two racing requests cannot both win).
pub fn consume(conn: &mut DbConnection, token_hash: &str, now: i64) -> Result<bool, DbError> {
    let updated = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash))
            .filter(setup_tokens::used_at.is_null())
            .filter(setup_tokens::expires_at.gt(now)),
    )
    .set(setup_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// True if the token would be accepted now (the form is shown only then).
pub fn is_live(conn: &mut DbConnection, token_hash: &str, now: i64) -> Result<bool, DbError> {
    let count: i64 = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash))
        .filter(setup_tokens::used_at.is_null())
        .filter(setup_tokens::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(count == 1)
}
