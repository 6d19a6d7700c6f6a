//! The second factors that live in Gatehouse's own tables: an authenticator
//! app (TOTP) per user and the one-time recovery codes.

use diesel::prelude::*;

use super::schema::{recovery_codes, roles, totp_factors, user_roles};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = totp_factors)]
pub struct TotpRow {
    pub user_id: String,
    /// Sealed under the master key.
    pub secret: Vec<u8>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_used_step: i64,
}

pub fn find_totp(conn: &mut DbConnection, user_id: &str) -> Result<Option<TotpRow>, DbError> {
    super::unique_row(
        totp_factors::table
            .find(user_id)
            .select(TotpRow::as_select()),
        conn,
    )
}

/// Replaces whatever app the user had with a new, unconfirmed one.
pub fn replace_totp(conn: &mut DbConnection, row: &TotpRow) -> Result<(), DbError> {
    diesel::delete(totp_factors::table.find(&row.user_id)).execute(conn)?;
    diesel::insert_into(totp_factors::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Confirms the app and records the step of the code that confirmed it.
/// False if it was already confirmed or that step was already used.
pub fn confirm_totp(
    conn: &mut DbConnection,
    user_id: &str,
    step: i64,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        totp_factors::table
            .find(user_id)
            .filter(totp_factors::confirmed_at.is_null())
            .filter(totp_factors::last_used_step.lt(step)),
    )
    .set((
        totp_factors::confirmed_at.eq(now),
        totp_factors::last_used_step.eq(step),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Accepts a step of a confirmed app once: the conditional update moves
/// `last_used_step` forward, so the same code (or an older one) fails on
/// every node afterwards.
pub fn use_totp_step(conn: &mut DbConnection, user_id: &str, step: i64) -> Result<bool, DbError> {
    let updated = diesel::update(
        totp_factors::table
            .find(user_id)
            .filter(totp_factors::confirmed_at.is_not_null())
            .filter(totp_factors::last_used_step.lt(step)),
    )
    .set(totp_factors::last_used_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn delete_totp(conn: &mut DbConnection, user_id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(totp_factors::table.find(user_id)).execute(conn)? == 1)
}

/// Replaces the user's recovery codes with new ones (hashes only).
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: &str,
    code_hashes: &[String],
    now: i64,
) -> Result<(), DbError> {
    delete_recovery_codes(conn, user_id)?;
    // One row per statement: ten rows, rarely, and MultiConnection cannot
    // carry a multi-row VALUES.
    for hash in code_hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::code_hash.eq(hash),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Spends a recovery code: true exactly once per code.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: &str,
    code_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        recovery_codes::table
            .find(code_hash)
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn unused_recovery_codes(conn: &mut DbConnection, user_id: &str) -> Result<i64, DbError> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn delete_recovery_codes(conn: &mut DbConnection, user_id: &str) -> Result<usize, DbError> {
    Ok(
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?,
    )
}

/// Whether any role the user holds requires a second factor.
pub fn mfa_required_for(conn: &mut DbConnection, user_id: &str) -> Result<bool, DbError> {
    let required: i64 = user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(user_id))
        .filter(roles::require_mfa.eq(true))
        .count()
        .get_result(conn)?;
    Ok(required > 0)
}

pub fn set_role_requires_mfa(
    conn: &mut DbConnection,
    role_id: &str,
    required: bool,
) -> Result<(), DbError> {
    diesel::update(roles::table.find(role_id))
        .set(roles::require_mfa.eq(required))
        .execute(conn)?;
    Ok(())
}
