use diesel::prelude::*;

use super::schema::authorization_codes;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub scope: String,
    pub resources: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub sid: String,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &AuthorizationCodeRow) -> Result<(), DbError> {
    diesel::insert_into(authorization_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Marks the code used with one conditional update: of any number of
/// concurrent redemptions, exactly one sees `true`.
/// Redeems the code if nobody did yet, recording the id of the access
/// token it will buy in the same statement: exactly one caller gets `true`,
/// and from then on a replay can find what to revoke.
pub fn redeem(
    conn: &mut DbConnection,
    code_hash: &str,
    now: i64,
    access_token_jti: &str,
    access_token_expires_at: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        authorization_codes::table
            .find(code_hash)
            .filter(authorization_codes::used_at.is_null()),
    )
    .set((
        authorization_codes::used_at.eq(now),
        authorization_codes::access_token_jti.eq(access_token_jti),
        authorization_codes::access_token_expires_at.eq(access_token_expires_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records that the exchange which redeemed the code was refused (a wrong
/// `redirect_uri` or `code_verifier`, …): it bought no token, so the token
/// id `redeem` reserved is cleared. A later presentation then finds a
/// spent code with nothing to revoke, and is not taken for a replay.
pub fn record_failed_exchange(conn: &mut DbConnection, code_hash: &str) -> Result<(), DbError> {
    diesel::update(authorization_codes::table.find(code_hash))
        .set((
            authorization_codes::access_token_jti.eq(None::<String>),
            authorization_codes::access_token_expires_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    code_hash: &str,
) -> Result<Option<AuthorizationCodeRow>, DbError> {
    super::unique_row(
        authorization_codes::table
            .find(code_hash)
            .select(AuthorizationCodeRow::as_select()),
        conn,
    )
}

pub fn record_access_token(
    conn: &mut DbConnection,
    code_hash: &str,
    jti: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    diesel::update(authorization_codes::table.find(code_hash))
        .set((
            authorization_codes::access_token_jti.eq(jti),
            authorization_codes::access_token_expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}
