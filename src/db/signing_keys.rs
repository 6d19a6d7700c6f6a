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

pub fn retire(conn: &mut DbConnection, kid: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(signing_keys::table.find(kid))
        .set(signing_keys::retired_at.eq(at))
        .execute(conn)?)
}

/// Removes keys whose last token has expired.
pub fn delete_retired_before(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(signing_keys::table.filter(signing_keys::retired_at.lt(before)))
            .execute(conn)?,
    )
}
