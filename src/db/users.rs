use diesel::prelude::*;

use super::schema::{roles, user_roles, users};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Tokens issued before this (unix seconds) are refused: see
    /// `end_sessions_and_tokens`.
    pub tokens_valid_after: i64,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> Result<(), DbError> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<UserRow>, DbError> {
    super::unique_row(
        users::table
            .filter(users::username.eq(username))
            .select(UserRow::as_select()),
        conn,
    )
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    super::unique_row(users::table.find(id).select(UserRow::as_select()), conn)
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    id: &str,
    hash: &str,
    now: i64,
) -> Result<(), DbError> {
    let updated = diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Replaces the hash only if it is still `old`: a rehash with new
/// parameters at sign-in must not undo a password change made meanwhile.
/// Not a change of the person's record, so `updated_at` stays. Returns
/// whether it was replaced.
pub fn upgrade_password_hash(
    conn: &mut DbConnection,
    id: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let updated = diesel::update(users::table.find(id).filter(users::password_hash.eq(old)))
        .set(users::password_hash.eq(new))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn role_names(conn: &mut DbConnection, user_id: &str) -> Result<Vec<String>, DbError> {
    Ok(user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(user_id))
        .select(roles::name)
        .order(roles::name.asc())
        .load(conn)?)
}

/// The role names of each of `user_ids`, in one query (a page of users).
pub fn role_names_of(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<String>>, DbError> {
    let mut held: std::collections::HashMap<String, Vec<String>> = Default::default();
    if user_ids.is_empty() {
        return Ok(held);
    }
    let pairs: Vec<(String, String)> = user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq_any(user_ids))
        .select((user_roles::user_id, roles::name))
        .order(roles::name.asc())
        .load(conn)?;
    for (user_id, role) in pairs {
        held.entry(user_id).or_default().push(role);
    }
    Ok(held)
}

/// Whether any enabled user holds the built-in `admin` role.
pub fn any_admin_exists(conn: &mut DbConnection) -> Result<bool, DbError> {
    let count: i64 = user_roles::table
        .inner_join(roles::table)
        .inner_join(users::table)
        .filter(roles::name.eq(super::roles::ADMIN_ROLE))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: &str,
    email: Option<Option<String>>,
    email_verified: Option<bool>,
    name: Option<Option<String>>,
    now: i64,
) -> Result<(), DbError> {
    if let Some(email) = email {
        diesel::update(users::table.find(id))
            .set(users::email.eq(email))
            .execute(conn)?;
    }
    if let Some(verified) = email_verified {
        diesel::update(users::table.find(id))
            .set(users::email_verified.eq(verified))
            .execute(conn)?;
    }
    if let Some(name) = name {
        diesel::update(users::table.find(id))
            .set(users::name.eq(name))
            .execute(conn)?;
    }
    diesel::update(users::table.find(id))
        .set(users::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Deletes the user; sessions, codes, tokens, roles and consents go with it.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(users::table.find(id)).execute(conn)?)
}

/// `(id, username)` of those of `ids` that are users, in one query (an
/// audit page names up to two users per event).
pub fn usernames_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load(conn)?)
}

/// Refuses every token of the user issued before or during the second
/// `now` (see `oauth::access_token::verify`): `iat` has whole seconds, and a
/// token minted in the same second as the change may predate it.
pub fn cut_off_tokens(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set(users::tokens_valid_after.eq(now.saturating_add(1)))
        .execute(conn)?;
    Ok(())
}
