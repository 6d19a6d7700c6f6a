use diesel::prelude::*;

use super::schema::signing_keys;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    /// Sealed under the master key; never leaves `crypto` in the clear.
    pub private_key: Vec<u8>,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    /// Set when the key was revoked (leaked): from then on it neither signs
    /// nor verifies, and is not published.
    pub revoked_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &SigningKeyRow) -> Result<(), DbError> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<SigningKeyRow>, DbError> {
    Ok(signing_keys::table
        .select(SigningKeyRow::as_select())
        .order((signing_keys::alg.asc(), signing_keys::activates_at.asc()))
        .load(conn)?)
}

/// Sets `retired_at` on keys of `alg` that are not yet retired, except `keep`.
pub fn retire_others(
    conn: &mut DbConnection,
    alg: &str,
    keep: &str,
    at: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        signing_keys::table
            .filter(signing_keys::alg.eq(alg))
            .filter(signing_keys::kid.ne(keep))
            .filter(signing_keys::retired_at.is_null()),
    )
    .set(signing_keys::retired_at.eq(at))
    .execute(conn)?)
}

/// Retires a key at `at`, unless it retired earlier (retiring twice never
/// moves its retirement, and with it its time in the JWKS, later).
pub fn retire(conn: &mut DbConnection, kid: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        signing_keys::table.find(kid).filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(at)),
        ),
    )
    .set(signing_keys::retired_at.eq(at))
    .execute(conn)?)
}

/// Marks a key revoked at `at`, and retired then too unless it already
/// retired earlier (so the sweep removes it like any retired key). Only a
/// key not yet revoked changes; returns how many rows did (0 or 1).
pub fn revoke(conn: &mut DbConnection, kid: &str, at: i64) -> Result<usize, DbError> {
    let target = signing_keys::table
        .find(kid)
        .filter(signing_keys::revoked_at.is_null());
    let changed = diesel::update(target)
        .set(signing_keys::revoked_at.eq(at))
        .execute(conn)?;
    retire(conn, kid, at)?;
    Ok(changed)
}

/// Removes keys whose last token has expired.
pub fn delete_retired_before(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(signing_keys::table.filter(signing_keys::retired_at.lt(before)))
            .execute(conn)?,
    )
}
