//! Changes to clients (applications and service accounts).

use serde_json::json;

use super::{Actor, privilege};
use crate::accounts::{AccountError, roles};
use crate::db::{self, DbConnection};
use crate::oauth::client_registration::{self, ClientSpec, Registered};
use crate::oauth::client_update::{self, RegistrationChange};
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

/// An edit of a client: its registration, its service account's roles,
/// and whether the consents people gave it are forgotten.
#[derive(Debug, Default, Clone)]
pub struct ClientChange {
    pub registration: RegistrationChange,
    pub add_roles: Vec<String>,
    pub remove_roles: Vec<String>,
    /// Never implied by any other change: new redirect URIs or APIs leave
    /// the consents given so far in place unless this asks otherwise.
    pub drop_consents: bool,
}

/// Edits a client as `client add` would have registered it: the same
/// validation, the same privilege rules, one audit event with what changed.
/// The secret, the client's type and its state never change here.
///
/// Editing a client that, after the edit, reaches `gatehouse-admin` or
/// skips consent needs every admin permission, whatever the edit: a new
/// redirect URI on such a client would carry its power to whoever holds
/// the URI. Taking those powers away needs no more than `clients:write`.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    change: ClientChange,
    now: i64,
) -> Result<(), AccountError> {
    let planned = client_update::plan(conn, client_id, &change.registration)?;
    let changes = differences(&planned.before, &planned.after);
    let unchanged = changes.as_object().is_some_and(serde_json::Map::is_empty);
    if unchanged
        && change.add_roles.is_empty()
        && change.remove_roles.is_empty()
        && !change.drop_consents
    {
        // Nothing to do, so nothing to record (adding what is there
        // already, or saving an untouched form).
        return Ok(());
    }
    privilege::may_manage_client(conn, actor, client_id)?;
    privilege::may_configure_client(
        conn,
        actor,
        client_id,
        &privilege::ClientPowers {
            resources: &planned.after.resources,
            introspect: &planned.after.introspect,
            skip_consent: planned.after.skip_consent,
        },
    )?;
    let mut roles_added = Vec::new();
    for role_name in &change.add_roles {
        let role = roles::find(conn, role_name)?;
        privilege::may_hand_out(conn, actor, &role)?;
        db::roles::grant_to_client(conn, &role.id, client_id)?;
        roles_added.push(role.name);
    }
    let mut roles_removed = Vec::new();
    for role_name in &change.remove_roles {
        let role = roles::find(conn, role_name)?;
        if db::roles::revoke_from_client(conn, &role.id, client_id)? == 0 {
            return Err(AccountError::Invalid(format!(
                "client {client_id:?} does not hold role {role_name:?}"
            )));
        }
        roles_removed.push(role.name);
    }
    client_update::store(conn, &planned.after, now)?;
    let consents_dropped = if change.drop_consents {
        db::consents::delete_for_client(conn, client_id)?
    } else {
        0
    };
    actor.record(
        conn,
        "admin.client.updated",
        client_id,
        json!({
            "client_id": client_id,
            "changes": changes,
            "roles_added": roles_added,
            "roles_removed": roles_removed,
            "consents_dropped": consents_dropped,
        }),
        now,
    )?;
    Ok(())
}

/// What an edit changed, field by field, as `{field: {before, after}}`;
/// never the secret (an edit cannot touch it).
fn differences(before: &ClientSpec, after: &ClientSpec) -> serde_json::Value {
    let mut changed = serde_json::Map::new();
    let grants =
        |spec: &ClientSpec| -> Vec<&str> { spec.grant_types.iter().map(|g| g.as_str()).collect() };
    let alg = |spec: &ClientSpec| spec.id_token_alg.map(|a| a.as_str());
    let fields = [
        ("name", json!(before.name), json!(after.name)),
        (
            "redirect_uris",
            json!(before.redirect_uris),
            json!(after.redirect_uris),
        ),
        (
            "post_logout_redirect_uris",
            json!(before.post_logout_redirect_uris),
            json!(after.post_logout_redirect_uris),
        ),
        ("grant_types", json!(grants(before)), json!(grants(after))),
        ("scopes", json!(before.scopes), json!(after.scopes)),
        ("resources", json!(before.resources), json!(after.resources)),
        (
            "introspect",
            json!(before.introspect),
            json!(after.introspect),
        ),
        (
            "skip_consent",
            json!(before.skip_consent),
            json!(after.skip_consent),
        ),
        ("id_token_alg", json!(alg(before)), json!(alg(after))),
        (
            "backchannel_logout_uri",
            json!(before.backchannel_logout_uri),
            json!(after.backchannel_logout_uri),
        ),
    ];
    for (field, was, is) in fields {
        if was != is {
            changed.insert(field.to_owned(), json!({ "before": was, "after": is }));
        }
    }
    serde_json::Value::Object(changed)
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
