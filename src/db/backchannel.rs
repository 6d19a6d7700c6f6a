use diesel::prelude::*;

use super::schema::{authorization_codes, backchannel_deliveries, clients, refresh_tokens};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = backchannel_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub client_id: String,
    pub uri: String,
    pub sub: String,
    pub sid: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// `(client_id, backchannel_logout_uri)` of enabled clients that received
/// tokens in the session `sid`.
pub fn clients_of_session(
    conn: &mut DbConnection,
    sid: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let mut ids: Vec<String> = authorization_codes::table
        .filter(authorization_codes::sid.eq(sid))
        .select(authorization_codes::client_id)
        .distinct()
        .load(conn)?;
    let refreshed: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::sid.eq(sid))
        .select(refresh_tokens::client_id)
        .distinct()
        .load(conn)?;
    ids.extend(refreshed);
    ids.sort();
    ids.dedup();
    let found: Vec<(String, Option<String>)> = clients::table
        .filter(clients::client_id.eq_any(&ids))
        .filter(clients::disabled.eq(false))
        .select((clients::client_id, clients::backchannel_logout_uri))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter_map(|(id, uri)| Some((id, uri?)))
        .collect())
}

pub fn insert(conn: &mut DbConnection, row: &DeliveryRow) -> Result<(), DbError> {
    diesel::insert_into(backchannel_deliveries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn due(conn: &mut DbConnection, now: i64, limit: i64) -> Result<Vec<DeliveryRow>, DbError> {
    Ok(backchannel_deliveries::table
        .filter(backchannel_deliveries::delivered_at.is_null())
        .filter(backchannel_deliveries::failed_at.is_null())
        .filter(backchannel_deliveries::next_attempt_at.le(now))
        .select(DeliveryRow::as_select())
        .order(backchannel_deliveries::next_attempt_at.asc())
        .limit(limit)
        .load(conn)?)
}

/// Claims a due delivery for one attempt (pushes its next attempt out), so
/// two nodes do not deliver the same one at once. True if this caller won.
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    seen_next_attempt_at: i64,
    lease_until: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        backchannel_deliveries::table
            .find(id)
            .filter(backchannel_deliveries::next_attempt_at.eq(seen_next_attempt_at))
            .filter(backchannel_deliveries::delivered_at.is_null()),
    )
    .set(backchannel_deliveries::next_attempt_at.eq(lease_until))
    .execute(conn)?
        == 1)
}

pub fn delivered(
    conn: &mut DbConnection,
    id: &str,
    attempts: i32,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(backchannel_deliveries::table.find(id))
        .set((
            backchannel_deliveries::delivered_at.eq(now),
            backchannel_deliveries::attempts.eq(attempts),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn failed_attempt(
    conn: &mut DbConnection,
    id: &str,
    attempts: i32,
    next_attempt_at: Option<i64>,
    error: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(backchannel_deliveries::table.find(id))
        .set((
            backchannel_deliveries::attempts.eq(attempts),
            backchannel_deliveries::next_attempt_at.eq(next_attempt_at.unwrap_or(now)),
            backchannel_deliveries::failed_at.eq(next_attempt_at.is_none().then_some(now)),
            backchannel_deliveries::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn for_session(conn: &mut DbConnection, sid: &str) -> Result<Vec<DeliveryRow>, DbError> {
    Ok(backchannel_deliveries::table
        .filter(backchannel_deliveries::sid.eq(sid))
        .select(DeliveryRow::as_select())
        .load(conn)?)
}
