//! Passkeys (registered WebAuthn credentials) and the WebAuthn ceremonies
//! in progress between their start and their finish.

use diesel::prelude::*;

use super::schema::{passkeys, webauthn_ceremonies};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    /// base64url (no padding) of the credential id, unique across users.
    pub credential_id: String,
    /// webauthn-rs's serialised `Passkey` (public key, counter, flags).
    pub passkey: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Inserts a passkey; `DbError::Conflict` if its credential id is known.
pub fn insert(conn: &mut DbConnection, row: &PasskeyRow) -> Result<(), DbError> {
    diesel::insert_into(passkeys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The user's passkeys, oldest first.
pub fn for_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<PasskeyRow>, DbError> {
    Ok(passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order((passkeys::created_at.asc(), passkeys::id.asc()))
        .select(PasskeyRow::as_select())
        .load(conn)?)
}

pub fn count_for_user(conn: &mut DbConnection, user_id: &str) -> Result<i64, DbError> {
    Ok(passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

pub fn find_by_credential_id(
    conn: &mut DbConnection,
    credential_id: &str,
) -> Result<Option<PasskeyRow>, DbError> {
    super::unique_row(
        passkeys::table
            .filter(passkeys::credential_id.eq(credential_id))
            .select(PasskeyRow::as_select()),
        conn,
    )
}

/// After a successful assertion: the updated credential (counter, backup
/// flags) and when it was used.
pub fn record_use(
    conn: &mut DbConnection,
    id: &str,
    passkey: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(passkeys::table.find(id))
        .set((
            passkeys::passkey.eq(passkey),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Renames one of the user's passkeys; false if the user has no such one.
pub fn rename(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
    name: &str,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        passkeys::table
            .find(id)
            .filter(passkeys::user_id.eq(user_id)),
    )
    .set(passkeys::name.eq(name))
    .execute(conn)?
        == 1)
}

/// Removes one of the user's passkeys; the removed row, if there was one.
pub fn remove(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> Result<Option<PasskeyRow>, DbError> {
    let Some(row) = super::unique_row(
        passkeys::table
            .find(id)
            .filter(passkeys::user_id.eq(user_id))
            .select(PasskeyRow::as_select()),
        conn,
    )?
    else {
        return Ok(None);
    };
    let deleted = diesel::delete(
        passkeys::table
            .find(id)
            .filter(passkeys::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok((deleted == 1).then_some(row))
}

/// Removes every passkey of a user (an administrator's factor reset).
pub fn remove_all_for_user(conn: &mut DbConnection, user_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(passkeys::table.filter(passkeys::user_id.eq(user_id))).execute(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webauthn_ceremonies)]
pub struct CeremonyRow {
    pub id_hash: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub browser_binding: String,
    pub client_ip: Option<String>,
    /// webauthn-rs's serialised ceremony state (challenge, policy).
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert_ceremony(conn: &mut DbConnection, row: &CeremonyRow) -> Result<(), DbError> {
    diesel::insert_into(webauthn_ceremonies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Live ceremonies started from one address.
pub fn live_ceremonies_from_ip(
    conn: &mut DbConnection,
    client_ip: &str,
    now: i64,
) -> Result<i64, DbError> {
    Ok(webauthn_ceremonies::table
        .filter(webauthn_ceremonies::client_ip.eq(client_ip))
        .filter(webauthn_ceremonies::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// Takes a live ceremony of `kind`: reads it, then deletes it with a
/// statement that succeeds for exactly one caller, so that of two
/// finishes racing (on any nodes) one gets the row and the other nothing.
pub fn take_ceremony(
    conn: &mut DbConnection,
    id_hash: &str,
    kind: &str,
    now: i64,
) -> Result<Option<CeremonyRow>, DbError> {
    let Some(row) = super::unique_row(
        webauthn_ceremonies::table
            .find(id_hash)
            .select(CeremonyRow::as_select()),
        conn,
    )?
    else {
        return Ok(None);
    };
    let deleted = diesel::delete(webauthn_ceremonies::table.find(id_hash)).execute(conn)?;
    let usable = deleted == 1 && row.kind == kind && row.expires_at > now;
    Ok(usable.then_some(row))
}

/// Deletes up to `limit` expired ceremonies; how many went.
pub fn purge_expired_ceremonies(
    conn: &mut DbConnection,
    now: i64,
    limit: i64,
) -> Result<usize, DbError> {
    let doomed: Vec<String> = webauthn_ceremonies::table
        .filter(webauthn_ceremonies::expires_at.lt(now))
        .select(webauthn_ceremonies::id_hash)
        .limit(limit)
        .load(conn)?;
    if doomed.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(
        webauthn_ceremonies::table.filter(webauthn_ceremonies::id_hash.eq_any(doomed)),
    )
    .execute(conn)?)
}
