//! Changes to clients (applications and service accounts).

use serde_json::json;

use super::{Actor, privilege};
use crate::accounts::{AccountError, roles};
use crate::db::{self, DbConnection};
use crate::oauth::client_registration::{self, ClientSpec, Registered};
use crate::secret::Secret;

pub fn register(
    conn: &mut DbConnection,
    actor: &Actor,
    spec: ClientSpec,
    now: i64,
) -> Result<Registered, AccountError> {
    privilege::may_configure_client(
        conn,
        actor,
        &spec.client_id,
        &privilege::ClientPowers {
            resources: &spec.resources,
            introspect: &spec.introspect,
            skip_consent: spec.skip_consent,
        },
    )?;
    let registered = client_registration::register(conn, spec, now)?;
    actor.record(
        conn,
        "admin.client.created",
        &registered.client_id,
        json!({ "client_id": registered.client_id }),
        now,
    )?;
    Ok(registered)
}

/// A new secret (returned once); the old one stops working now.
pub fn rotate_secret(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    now: i64,
) -> Result<Secret<String>, AccountError> {
    privilege::may_manage_client(conn, actor, client_id)?;
    let secret = client_registration::rotate_secret(conn, client_id, now)?;
    actor.record(
        conn,
        "admin.client.secret_rotated",
        client_id,
        json!({ "client_id": client_id }),
        now,
    )?;
    Ok(secret)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), AccountError> {
    privilege::may_manage_client(conn, actor, client_id)?;
    if disabled {
        privilege::not_this_client(actor, client_id, "disable")?;
    }
    client_registration::set_disabled(conn, client_id, disabled, now)?;
    let kind = if disabled {
        "admin.client.disabled"
    } else {
        "admin.client.enabled"
    };
    actor.record(
        conn,
        kind,
        client_id,
        json!({ "client_id": client_id }),
        now,
    )?;
    Ok(())
}

/// Deletes a client; its codes, refresh tokens and consents go with it.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    now: i64,
) -> Result<(), AccountError> {
    privilege::may_manage_client(conn, actor, client_id)?;
    privilege::not_this_client(actor, client_id, "delete")?;
    client_registration::delete(conn, client_id)?;
    actor.record(
        conn,
        "admin.client.deleted",
        client_id,
        json!({ "client_id": client_id }),
        now,
    )?;
    Ok(())
}

/// Gives a role to the client's service account (`client_credentials`).
pub fn grant_role(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    role_name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, role_name)?;
    must_exist(conn, client_id)?;
    privilege::may_manage_client(conn, actor, client_id)?;
    privilege::may_hand_out(conn, actor, &role)?;
    db::roles::grant_to_client(conn, &role.id, client_id)?;
    actor.record(
        conn,
        "admin.client.role_granted",
        client_id,
        json!({ "client_id": client_id, "role": role.name }),
        now,
    )?;
    Ok(())
}

/// Revoking a role the client does not hold is an error, so a typo shows.
pub fn revoke_role(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    role_name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let role = roles::find(conn, role_name)?;
    must_exist(conn, client_id)?;
    privilege::may_manage_client(conn, actor, client_id)?;
    if db::roles::revoke_from_client(conn, &role.id, client_id)? == 0 {
        return Err(AccountError::Invalid(format!(
            "client {client_id:?} does not hold role {role_name:?}"
        )));
    }
    actor.record(
        conn,
        "admin.client.role_revoked",
        client_id,
        json!({ "client_id": client_id, "role": role.name }),
        now,
    )?;
    Ok(())
}

fn must_exist(conn: &mut DbConnection, client_id: &str) -> Result<(), AccountError> {
    match db::clients::find(conn, client_id)? {
        Some(_) => Ok(()),
        None => Err(AccountError::NotFound(format!("client {client_id:?}"))),
    }
}
