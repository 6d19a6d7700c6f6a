//! Who may change what. An administrator holds some permissions on
//! `gatehouse-admin`; every rule here keeps them from reaching further:
//!
//! - they may hand out a role (to a user or a client) only if every admin
//!   permission it carries is one they hold, and add an admin permission to
//!   a role only if they hold it — or `users:write` alone would be a path
//!   to `admin`;
//! - they may manage a user or client (password, secret, profile, state,
//!   roles, sessions, deletion) only if its admin permissions are a subset
//!   of theirs — resetting an administrator's password is taking over the
//!   account;
//! - nobody disables or deletes themselves, and no change may leave the
//!   installation without an enabled holder of the built-in `admin` role.
//!
//! The command-line operator is exempt from the first two (they hold the
//! database already) but not from the last.

use super::Actor;
use crate::accounts::{AccountError, apis::ADMIN_API};
use crate::db::{self, DbConnection, roles::RoleRow, users::UserRow};

/// The admin permissions a role carries.
fn admin_permissions_of_role(
    conn: &mut DbConnection,
    role: &RoleRow,
) -> Result<Vec<String>, AccountError> {
    Ok(db::roles::permissions_of(conn, &role.id)?
        .into_iter()
        .filter(|(api, _)| api == ADMIN_API)
        .map(|(_, permission)| permission)
        .collect())
}

/// Fails unless the actor holds every one of `needed`.
fn holds_all(actor: &Actor, needed: &[String], refusal: &str) -> Result<(), AccountError> {
    let Actor::Administrator { who, .. } = actor else {
        return Ok(());
    };
    let missing: Vec<&str> = needed
        .iter()
        .filter(|p| !who.may(p))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AccountError::Forbidden(format!(
            "{refusal}: it needs {} on {ADMIN_API}, which you do not hold",
            missing.join(", ")
        )))
    }
}

/// Handing out `role` must not give anyone more than the actor holds.
pub fn may_hand_out(
    conn: &mut DbConnection,
    actor: &Actor,
    role: &RoleRow,
) -> Result<(), AccountError> {
    if matches!(actor, Actor::Operator) {
        return Ok(());
    }
    let needed = admin_permissions_of_role(conn, role)?;
    holds_all(
        actor,
        &needed,
        &format!("you may not hand out or change role {:?}", role.name),
    )
}

/// Adding an admin permission to a role needs the permission itself.
pub fn may_allow(
    actor: &Actor,
    api_identifier: &str,
    permission: &str,
) -> Result<(), AccountError> {
    if api_identifier != ADMIN_API {
        return Ok(());
    }
    holds_all(
        actor,
        &[permission.to_owned()],
        &format!("you may not let a role use {permission}"),
    )
}

/// Managing `user` must not reach an account more privileged than the actor.
pub fn may_manage_user(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &UserRow,
) -> Result<(), AccountError> {
    if matches!(actor, Actor::Operator) {
        return Ok(());
    }
    let held = db::roles::user_permissions_on(conn, &user.id, ADMIN_API)?;
    holds_all(
        actor,
        &held,
        &format!("you may not manage user {:?}", user.username),
    )
}

/// Managing a client must not reach a service account more privileged than
/// the actor (a rotated secret is a new way in).
pub fn may_manage_client(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
) -> Result<(), AccountError> {
    if matches!(actor, Actor::Operator) {
        return Ok(());
    }
    let held = db::roles::client_permissions_on(conn, client_id, ADMIN_API)?;
    holds_all(
        actor,
        &held,
        &format!("you may not manage client {client_id:?}"),
    )
}

/// What only a holder of every admin permission may give a client: the
/// admin API as its audience or introspection target makes it an admin
/// tool, and `skip_consent` lets it take tokens from any signed-in person
/// without asking — either would carry `clients:write` to full control.
pub fn may_configure_client(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &str,
    spec: &ClientPowers<'_>,
) -> Result<(), AccountError> {
    let reaches_admin_api = spec.resources.iter().any(|r| r == ADMIN_API)
        || spec.introspect.iter().any(|r| r == ADMIN_API);
    if !reaches_admin_api && !spec.skip_consent {
        return Ok(());
    }
    let every_admin_permission: Vec<String> = db::apis::find_by_identifier(conn, ADMIN_API)?
        .map(|api| db::apis::permissions_of(conn, &api.id))
        .transpose()?
        .unwrap_or_default()
        .into_iter()
        .map(|permission| permission.name)
        .collect();
    let what = if reaches_admin_api {
        format!("you may not give client {client_id:?} access to {ADMIN_API}")
    } else {
        format!("you may not let client {client_id:?} skip consent")
    };
    holds_all(actor, &every_admin_permission, &what)
}

/// The parts of a client's registration that `may_configure_client` guards.
#[derive(Debug, Default)]
pub struct ClientPowers<'a> {
    pub resources: &'a [String],
    pub introspect: &'a [String],
    pub skip_consent: bool,
}

/// An administrator cannot lock themselves out by mistake.
pub fn not_yourself(actor: &Actor, user: &UserRow, what: &str) -> Result<(), AccountError> {
    match actor {
        Actor::Administrator { who, .. } if who.sub == user.id => Err(AccountError::Forbidden(
            format!("you cannot {what} your own account; ask another administrator"),
        )),
        _ => Ok(()),
    }
}

/// A service account cannot switch itself off either.
pub fn not_this_client(actor: &Actor, client_id: &str, what: &str) -> Result<(), AccountError> {
    match actor {
        Actor::Administrator { who, .. } if who.sub == client_id => Err(AccountError::Forbidden(
            format!("a client cannot {what} itself; ask another administrator"),
        )),
        _ => Ok(()),
    }
}

/// Whether `user` is one of the enabled administrators the installation
/// depends on, before a change that might remove them.
pub fn is_enabled_administrator(
    conn: &mut DbConnection,
    user: &UserRow,
) -> Result<bool, AccountError> {
    Ok(!user.disabled
        && db::users::role_names(conn, &user.id)?
            .iter()
            .any(|r| r == db::roles::ADMIN_ROLE))
}

/// The post-condition of every change that can remove an administrator;
/// checked after the change, inside its transaction, so failing it rolls
/// the change back.
pub fn an_administrator_remains(conn: &mut DbConnection) -> Result<(), AccountError> {
    if db::users::any_admin_exists(conn)? {
        Ok(())
    } else {
        Err(AccountError::Forbidden(format!(
            "this would leave no enabled user with the {:?} role; make someone else an administrator first",
            db::roles::ADMIN_ROLE
        )))
    }
}
