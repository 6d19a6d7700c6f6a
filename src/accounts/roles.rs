use crate::db::{self, DbConnection, roles::RoleRow};

use super::{AccountError, error::duplicate_as, names};

pub fn create(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
    now: i64,
) -> Result<RoleRow, AccountError> {
    let row = RoleRow {
        id: db::new_id(),
        name: names::role(name)?,
        description: description.to_owned(),
        built_in: false,
        created_at: now,
    };
    db::roles::insert(conn, &row).map_err(duplicate_as(format!("role {name:?}")))?;
    Ok(row)
}

pub fn find(conn: &mut DbConnection, name: &str) -> Result<RoleRow, AccountError> {
    db::roles::find_by_name(conn, name)?
        .ok_or_else(|| AccountError::NotFound(format!("role {name:?}")))
}

pub fn grant_to_user(
    conn: &mut DbConnection,
    role: &str,
    username: &str,
) -> Result<(), AccountError> {
    let role = find(conn, role)?;
    let user = super::users::find(conn, username)?;
    Ok(db::roles::grant_to_user(conn, &role.id, &user.id)?)
}

pub fn grant_to_client(
    conn: &mut DbConnection,
    role: &str,
    client_id: &str,
) -> Result<(), AccountError> {
    let role = find(conn, role)?;
    if db::clients::find(conn, client_id)?.is_none() {
        return Err(AccountError::NotFound(format!("client {client_id:?}")));
    }
    Ok(db::roles::grant_to_client(conn, &role.id, client_id)?)
}

/// Lets `role` use `permission` on the API `api_identifier`.
pub fn allow(
    conn: &mut DbConnection,
    role: &str,
    api_identifier: &str,
    permission: &str,
) -> Result<(), AccountError> {
    let role = find(conn, role)?;
    let api = super::apis::find(conn, api_identifier)?;
    let permission = db::apis::find_permission(conn, &api.id, permission)?.ok_or_else(|| {
        AccountError::NotFound(format!("permission {permission:?} on {api_identifier}"))
    })?;
    Ok(db::roles::allow_permission(conn, &role.id, &permission.id)?)
}

/// Takes a role away from a user. Revoking a role the user does not hold is
/// an error, so a typo is noticed.
pub fn revoke_from_user(
    conn: &mut DbConnection,
    role: &str,
    username: &str,
) -> Result<(), AccountError> {
    let role_row = find(conn, role)?;
    let user = super::users::find(conn, username)?;
    if db::roles::revoke_from_user(conn, &role_row.id, &user.id)? == 0 {
        return Err(AccountError::Invalid(format!(
            "user {username:?} does not hold role {role:?}"
        )));
    }
    Ok(())
}

/// Deletes a role and every grant of it. Built-in roles stay.
pub fn remove(conn: &mut DbConnection, role: &str) -> Result<(), AccountError> {
    let row = find(conn, role)?;
    if row.built_in {
        return Err(AccountError::Invalid(format!(
            "role {role:?} is built in and cannot be removed"
        )));
    }
    db::roles::delete(conn, &row.id)?;
    Ok(())
}
