//! Changes to roles, APIs and permissions. The built-in API
//! `gatehouse-admin` and the built-in `admin` role are fixed: their
//! permissions are what the admin console, API and privilege rules rely on.

use serde_json::json;

use super::{Actor, privilege};
use crate::accounts::{AccountError, apis, roles};
use crate::db::{
    self, DbConnection,
    apis::{ApiRow, PermissionRow},
    roles::RoleRow,
};

fn built_in_role_is_kept(role: &RoleRow) -> Result<(), AccountError> {
    if role.built_in {
        return Err(AccountError::Invalid(format!(
            "role {:?} is built in and cannot be removed",
            role.name
        )));
    }
    Ok(())
}

/// What a built-in role grants on the built-in API is fixed; what it was
/// given on other APIs can be taken back.
fn built_in_grant_is_fixed(role: &RoleRow, api: &ApiRow) -> Result<(), AccountError> {
    if role.built_in && api.built_in {
        return Err(AccountError::Invalid(format!(
            "role {:?} is built in: it always grants every permission on {}",
            role.name, api.identifier
        )));
    }
    Ok(())
}

fn built_in_api_is_fixed(api: &ApiRow) -> Result<(), AccountError> {
    if api.built_in {
        return Err(AccountError::Invalid(format!(
            "API {:?} is built in: its permissions are fixed",
            api.identifier
        )));
    }
    Ok(())
}

fn permission_of(
    conn: &mut DbConnection,
    api: &ApiRow,
    name: &str,
) -> Result<PermissionRow, AccountError> {
    db::apis::find_permission(conn, &api.id, name)?
        .ok_or_else(|| AccountError::NotFound(format!("permission {name:?} on {}", api.identifier)))
}

pub fn create_role(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
    description: &str,
    now: i64,
) -> Result<RoleRow, AccountError> {
    let role = roles::create(conn, name.trim(), description.trim(), now)?;
    actor.record(
        conn,
        "admin.role.created",
        &role.name,
        json!({ "role": role.name }),
        now,
    )?;
    Ok(role)
}

/// Deletes a role and every grant of it: who held it loses what it gave.
pub fn delete_role(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, name)?;
    built_in_role_is_kept(&role)?;
    privilege::may_hand_out(conn, actor, &role)?;
    db::roles::delete(conn, &role.id)?;
    actor.record(
        conn,
        "admin.role.deleted",
        &role.name,
        json!({ "role": role.name }),
        now,
    )?;
    Ok(())
}

/// Makes people holding `role` sign in with a second factor (enrolling one
/// at their next sign-in if they have none), or stops requiring it. The
/// built-in `admin` role may require it too.
pub fn require_mfa(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
    required: bool,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, name)?;
    privilege::may_hand_out(conn, actor, &role)?;
    db::second_factors::set_role_requires_mfa(conn, &role.id, required)?;
    actor.record(
        conn,
        "admin.role.mfa_requirement",
        &role.name,
        json!({ "role": role.name, "require_mfa": required }),
        now,
    )?;
    Ok(())
}

/// Lets `role` use `permission` on the API `api_identifier`.
pub fn allow(
    conn: &mut DbConnection,
    actor: &Actor,
    role_name: &str,
    api_identifier: &str,
    permission: &str,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, role_name)?;
    let api = apis::find(conn, api_identifier)?;
    let permission_row = permission_of(conn, &api, permission)?;
    privilege::may_hand_out(conn, actor, &role)?;
    privilege::may_allow(actor, &api.identifier, permission)?;
    db::roles::allow_permission(conn, &role.id, &permission_row.id)?;
    actor.record(
        conn,
        "admin.role.allowed",
        &role.name,
        json!({ "role": role.name, "api": api.identifier, "permission": permission }),
        now,
    )?;
    Ok(())
}

/// Stops `role` granting `permission`; an error if it did not.
pub fn disallow(
    conn: &mut DbConnection,
    actor: &Actor,
    role_name: &str,
    api_identifier: &str,
    permission: &str,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, role_name)?;
    let api = apis::find(conn, api_identifier)?;
    built_in_grant_is_fixed(&role, &api)?;
    let permission_row = permission_of(conn, &api, permission)?;
    privilege::may_hand_out(conn, actor, &role)?;
    if db::roles::disallow_permission(conn, &role.id, &permission_row.id)? == 0 {
        return Err(AccountError::Invalid(format!(
            "role {role_name:?} does not grant {permission:?} on {api_identifier}"
        )));
    }
    actor.record(
        conn,
        "admin.role.disallowed",
        &role.name,
        json!({ "role": role.name, "api": api.identifier, "permission": permission }),
        now,
    )?;
    Ok(())
}

pub fn create_api(
    conn: &mut DbConnection,
    actor: &Actor,
    identifier: &str,
    name: Option<&str>,
    now: i64,
) -> Result<ApiRow, AccountError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let api = apis::create(conn, identifier.trim(), name, now)?;
    actor.record(
        conn,
        "admin.api.created",
        &api.identifier,
        json!({ "api": api.identifier, "name": api.name }),
        now,
    )?;
    Ok(api)
}

/// Taking a permission away from every role that grants it changes those
/// roles: the actor must be one who may hand each of them out.
fn may_change_every_role_granting(
    conn: &mut DbConnection,
    actor: &Actor,
    permission_ids: &[String],
) -> Result<(), AccountError> {
    for role in db::roles::granting(conn, permission_ids)? {
        privilege::may_hand_out(conn, actor, &role)?;
    }
    Ok(())
}

/// Deletes an API with its permissions and their grants.
pub fn remove_api(
    conn: &mut DbConnection,
    actor: &Actor,
    identifier: &str,
    now: i64,
) -> Result<(), AccountError> {
    let api = apis::find(conn, identifier)?;
    let permission_ids: Vec<String> = db::apis::permissions_of(conn, &api.id)?
        .into_iter()
        .map(|p| p.id)
        .collect();
    may_change_every_role_granting(conn, actor, &permission_ids)?;
    apis::remove(conn, identifier)?;
    actor.record(
        conn,
        "admin.api.removed",
        identifier,
        json!({ "api": identifier }),
        now,
    )?;
    Ok(())
}

pub fn add_permission(
    conn: &mut DbConnection,
    actor: &Actor,
    api_identifier: &str,
    name: &str,
    now: i64,
) -> Result<PermissionRow, AccountError> {
    built_in_api_is_fixed(&apis::find(conn, api_identifier)?)?;
    let permission = apis::add_permission(conn, api_identifier, name.trim())?;
    actor.record(
        conn,
        "admin.api.permission_added",
        api_identifier,
        json!({ "api": api_identifier, "permission": permission.name }),
        now,
    )?;
    Ok(permission)
}

/// Deletes a permission; every role stops granting it.
pub fn remove_permission(
    conn: &mut DbConnection,
    actor: &Actor,
    api_identifier: &str,
    name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let api = apis::find(conn, api_identifier)?;
    built_in_api_is_fixed(&api)?;
    let permission = permission_of(conn, &api, name)?;
    may_change_every_role_granting(conn, actor, std::slice::from_ref(&permission.id))?;
    db::apis::delete_permission(conn, &permission.id)?;
    actor.record(
        conn,
        "admin.api.permission_removed",
        api_identifier,
        json!({ "api": api_identifier, "permission": name }),
        now,
    )?;
    Ok(())
}
