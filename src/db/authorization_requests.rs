use diesel::prelude::*;

use super::schema::authorization_requests;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_requests)]
pub struct AuthorizationRequestRow {
    pub id: String,
    pub browser_binding: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub scope: String,
    pub resources: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: String,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub user_id: Option<String>,
    pub session_id_hash: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub client_ip: Option<String>,
    pub acr_values: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &AuthorizationRequestRow) -> Result<(), DbError> {
    diesel::insert_into(authorization_requests::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_live(
    conn: &mut DbConnection,
    id: &str,
    now: i64,
) -> Result<Option<AuthorizationRequestRow>, DbError> {
    super::unique_row(
        authorization_requests::table
            .find(id)
            .filter(authorization_requests::expires_at.gt(now))
            .select(AuthorizationRequestRow::as_select()),
        conn,
    )
}

/// Records who signed in for this request, and with which session.
pub fn set_user(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
    session_id_hash: &str,
) -> Result<(), DbError> {
    diesel::update(authorization_requests::table.find(id))
        .set((
            authorization_requests::user_id.eq(user_id),
            authorization_requests::session_id_hash.eq(session_id_hash),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the request; true if this call removed it (so exactly one
/// concurrent completion wins).
pub fn take(conn: &mut DbConnection, id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(authorization_requests::table.find(id)).execute(conn)? == 1)
}

/// Live requests started by one browser (its hashed binding).
pub fn live_for_browser(
    conn: &mut DbConnection,
    browser_binding: &str,
    now: i64,
) -> Result<i64, DbError> {
    Ok(authorization_requests::table
        .filter(authorization_requests::browser_binding.eq(browser_binding))
        .filter(authorization_requests::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// Live requests started from one address.
pub fn live_from_ip(conn: &mut DbConnection, client_ip: &str, now: i64) -> Result<i64, DbError> {
    Ok(authorization_requests::table
        .filter(authorization_requests::client_ip.eq(client_ip))
        .filter(authorization_requests::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// Deletes a browser's `count` oldest requests, live or not.
pub fn drop_oldest_for_browser(
    conn: &mut DbConnection,
    browser_binding: &str,
    count: i64,
) -> Result<(), DbError> {
    let oldest: Vec<String> = authorization_requests::table
        .filter(authorization_requests::browser_binding.eq(browser_binding))
        .order((
            authorization_requests::created_at.asc(),
            authorization_requests::id.asc(),
        ))
        .limit(count)
        .select(authorization_requests::id)
        .load(conn)?;
    diesel::delete(authorization_requests::table.filter(authorization_requests::id.eq_any(oldest)))
        .execute(conn)?;
    Ok(())
}
