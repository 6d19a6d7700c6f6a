//! Changes to users. Passwords are hashed by the caller before the
//! transaction starts (argon2id is slow and must not hold a connection),
//! and checked against the password policy here, for the user they are
//! meant for (`set_password`; a new user's in `accounts::users::prepare_user`).

use serde_json::json;

use super::{Actor, privilege};
use crate::accounts::password_policy::{PasswordPolicy, PolicyNames};
use crate::accounts::users::NewPassword;
use crate::accounts::{AccountError, names, roles, second_factor, throttle, users};
use crate::db::{self, DbConnection, users::UserRow};
use crate::oauth::refresh;
use crate::oidc::backchannel;

/// A profile edit; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct ProfileChange {
    pub email: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub name: Option<Option<String>>,
}

/// The user, and whether the rules let the actor manage them.
fn managed_user(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
) -> Result<UserRow, AccountError> {
    let user = users::find_by_username(conn, username)?;
    privilege::may_manage_user(conn, actor, &user)?;
    Ok(user)
}

/// Ends everything a sign-in of the user left behind: their live sessions
/// (queueing back-channel logout tokens for the clients that joined them),
/// their refresh token families, and every access token issued until now
/// (`tokens_valid_after`, so nothing per token is kept). `keep` spares the
/// session the user is changing their own account from. Returns how many
/// sessions ended.
pub(super) fn end_sign_ins(
    conn: &mut DbConnection,
    user: &UserRow,
    keep: Option<&str>,
    now: i64,
) -> Result<usize, AccountError> {
    for session in db::sessions::live_for_user(conn, &user.id, now)? {
        if Some(session.id_hash.as_str()) != keep {
            backchannel::enqueue(conn, &session.sid, &user.id, now)?;
        }
    }
    let ended = db::sessions::end_all_for_user(conn, &user.id, keep, now)?;
    refresh::revoke_all_of_user(conn, &user.id, now)?;
    db::users::cut_off_tokens(conn, &user.id, now)?;
    Ok(ended)
}

/// The session to spare: only the actor's own, when changing themselves.
fn own_session<'a>(actor: &Actor, user: &UserRow, session: Option<&'a str>) -> Option<&'a str> {
    match actor {
        Actor::Administrator { who, .. } if who.sub == user.id => session,
        _ => None,
    }
}

/// Stores a prepared user (see `accounts::users::prepare_user`) with roles.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &UserRow,
    role_names: &[String],
    now: i64,
) -> Result<(), AccountError> {
    for name in role_names {
        let role = roles::find(conn, name)?;
        privilege::may_hand_out(conn, actor, &role)?;
    }
    users::insert_user(conn, row, role_names)?;
    actor.record(
        conn,
        "admin.user.created",
        &row.id,
        json!({ "username": row.username, "roles": role_names }),
        now,
    )?;
    Ok(())
}

pub fn update_profile(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    change: ProfileChange,
    now: i64,
) -> Result<UserRow, AccountError> {
    let user = managed_user(conn, actor, username)?;
    let email = match change.email {
        Some(Some(email)) if !email.trim().is_empty() => Some(Some(names::email(email.trim())?)),
        Some(_) => Some(None),
        None => None,
    };
    let name = change
        .name
        .map(|n| n.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()))
        .map(|n| n.map(|n| names::display_name(&n)).transpose())
        .transpose()?;
    let new_address = email.as_ref().is_some_and(|e| *e != user.email);
    // A new address has not been verified by anyone, whatever the old
    // one was; only an explicit flag says otherwise.
    let email_verified = change.email_verified.or(new_address.then_some(false));
    let mut changed = Vec::new();
    if new_address {
        changed.push("email");
    }
    if email_verified.is_some_and(|v| v != user.email_verified) {
        changed.push("email_verified");
    }
    if name.as_ref().is_some_and(|n| *n != user.name) {
        changed.push("name");
    }
    db::users::update_profile(conn, &user.id, email, email_verified, name, now)?;
    actor.record(
        conn,
        "admin.user.updated",
        &user.id,
        json!({ "username": user.username, "changed": changed }),
        now,
    )?;
    users::find_by_username(conn, username)
}

/// Sets the password, if the password policy accepts it for this user
/// (their username, email and second factors), and ends the user's
/// sign-ins (sessions, refresh tokens, access tokens): whoever knew the
/// old one is out. `session` is the actor's current session, kept if they
/// change their own password.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    password: &NewPassword,
    policy: &PasswordPolicy,
    session: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    let names = PolicyNames {
        username: &user.username,
        email: user.email.as_deref(),
    };
    // A confirmed second factor lets a shorter password in
    // (`password_policy.min_length_with_second_factor`).
    let second_factor = second_factor::enrolled(conn, &user.id)?.any();
    let hash = password.accepted_for(policy, &names, second_factor)?;
    db::users::set_password_hash(conn, &user.id, hash, now)?;
    end_sign_ins(conn, &user, own_session(actor, &user, session), now)?;
    actor.record(
        conn,
        "admin.user.password_set",
        &user.id,
        json!({ "username": user.username }),
        now,
    )?;
    Ok(())
}

/// Disabling ends every session (with back-channel logout), revokes every
/// refresh token and the access tokens issued with them.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    disabled: bool,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    if disabled {
        privilege::not_yourself(actor, &user, "disable")?;
    }
    let was_administrator = privilege::is_enabled_administrator(conn, &user)?;
    db::users::set_disabled(conn, &user.id, disabled, now)?;
    if disabled {
        end_sign_ins(conn, &user, None, now)?;
        if was_administrator {
            privilege::an_administrator_remains(conn)?;
        }
    }
    let kind = if disabled {
        "admin.user.disabled"
    } else {
        "admin.user.enabled"
    };
    actor.record(
        conn,
        kind,
        &user.id,
        json!({ "username": user.username }),
        now,
    )?;
    Ok(())
}

/// Lifts the sign-in throttle on the account (not on IP addresses).
pub fn unlock(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    throttle::unlock_account(conn, &user.username)?;
    actor.record(
        conn,
        "admin.user.unlocked",
        &user.id,
        json!({ "username": user.username }),
        now,
    )?;
    Ok(())
}

/// Deletes the user; sessions, codes, tokens, roles and consents go with it.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    privilege::not_yourself(actor, &user, "delete")?;
    let was_administrator = privilege::is_enabled_administrator(conn, &user)?;
    end_sign_ins(conn, &user, None, now)?;
    db::users::delete(conn, &user.id)?;
    if was_administrator {
        privilege::an_administrator_remains(conn)?;
    }
    actor.record(
        conn,
        "admin.user.deleted",
        &user.id,
        json!({ "username": user.username }),
        now,
    )?;
    Ok(())
}

pub fn grant_role(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    role_name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    let role = roles::find(conn, role_name)?;
    privilege::may_hand_out(conn, actor, &role)?;
    db::roles::grant_to_user(conn, &role.id, &user.id)?;
    actor.record(
        conn,
        "admin.user.role_granted",
        &user.id,
        json!({ "username": user.username, "role": role.name }),
        now,
    )?;
    Ok(())
}

/// Revoking a role the user does not hold is an error, so a typo shows.
pub fn revoke_role(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    role_name: &str,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    let role = roles::find(conn, role_name)?;
    if db::roles::revoke_from_user(conn, &role.id, &user.id)? == 0 {
        return Err(AccountError::Invalid(format!(
            "user {username:?} does not hold role {role_name:?}"
        )));
    }
    if role.name == db::roles::ADMIN_ROLE && !user.disabled {
        privilege::an_administrator_remains(conn)?;
    }
    actor.record(
        conn,
        "admin.user.role_revoked",
        &user.id,
        json!({ "username": user.username, "role": role.name }),
        now,
    )?;
    Ok(())
}

/// Ends every live session of the user with their refresh and access
/// tokens (sparing `session`, the actor's own, as `set_password` does);
/// returns how many sessions ended.
pub fn end_sessions(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    session: Option<&str>,
    now: i64,
) -> Result<usize, AccountError> {
    let user = managed_user(conn, actor, username)?;
    let ended = end_sign_ins(conn, &user, own_session(actor, &user, session), now)?;
    actor.record(
        conn,
        "admin.user.sessions_ended",
        &user.id,
        json!({ "username": user.username, "ended": ended }),
        now,
    )?;
    Ok(ended)
}

/// Removes every second factor of the user (authenticator app, recovery
/// codes, passkeys) and ends their sign-ins: for a person who lost their factors.
/// If a role requires a second factor, they enrol a new one at their next
/// sign-in.
pub fn reset_factors(
    conn: &mut DbConnection,
    actor: &Actor,
    username: &str,
    now: i64,
) -> Result<(), AccountError> {
    let user = managed_user(conn, actor, username)?;
    let totp = db::second_factors::delete_totp(conn, &user.id)?;
    let recovery_codes = db::second_factors::delete_recovery_codes(conn, &user.id)?;
    let passkeys = db::passkeys::remove_all_for_user(conn, &user.id)?;
    let ended = end_sign_ins(conn, &user, None, now)?;
    actor.record(
        conn,
        "admin.user.factors_reset",
        &user.id,
        json!({
            "username": user.username,
            "totp": totp,
            "recovery_codes": recovery_codes,
            "passkeys": passkeys,
            "sessions_ended": ended,
        }),
        now,
    )?;
    Ok(())
}
