//! Password sign-in: throttled, timing-equalised, audited.
//!
//! The attempt is counted against the throttle first (one conditional
//! statement per key, committed at once), so that concurrent attempts
//! cannot all pass a check made before any of them was counted; only a
//! counted attempt gets a password check, which waits for a hashing slot.
//! A match against a hash made with older `[passwords]` parameters is
//! hashed again in that same slot and stored with the success's own
//! bookkeeping: hashes follow the configuration as people sign in.

use std::net::IpAddr;

use serde_json::json;

use super::throttle::{self, Admission, AttemptKeys};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::crypto::password::{HashError, HashLimiter, Verification};
use crate::db::{self, DbError, users::UserRow};

#[derive(Debug)]
pub enum LoginOutcome {
    Success(UserRow),
    /// Wrong username or password — deliberately not saying which.
    Invalid,
    /// Too many recent failures for this account or address.
    Throttled {
        retry_after_secs: i64,
    },
    /// Every password-hashing slot stayed busy; nothing was checked or
    /// counted.
    Busy {
        retry_after_secs: u64,
    },
}

/// Why a password is being checked. Both count against the same throttle
/// (the account's and the address's), wait for a hashing slot and cost
/// one argon2 verification; they differ only in what the audit log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Signing in: `login.success` / `login.failure`.
    SignIn,
    /// A signed-in person confirming their current password before a
    /// change (the account page): `password.confirm_failed` on a wrong
    /// one; a right one is recorded by the change it allows.
    Confirm,
}

pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: String,
    client_ip: Option<IpAddr>,
) -> Result<LoginOutcome, DbError> {
    check(state, username, password, client_ip, Purpose::SignIn).await
}

/// Checks a signed-in person's current password, exactly as a sign-in
/// would (throttled, on a hashing slot), so that a stolen session cannot
/// guess it faster than the login form allows.
pub async fn confirm_password(
    state: &AppState,
    username: &str,
    password: String,
    client_ip: Option<IpAddr>,
) -> Result<LoginOutcome, DbError> {
    check(state, username, password, client_ip, Purpose::Confirm).await
}

async fn check(
    state: &AppState,
    username: &str,
    password: String,
    client_ip: Option<IpAddr>,
    purpose: Purpose,
) -> Result<LoginOutcome, DbError> {
    let now = state.clock.now();
    let keys = AttemptKeys::new(username, client_ip);
    let settings = state.settings.login.clone();
    let (admission, user) = {
        let (keys, settings, name) = (keys.clone(), settings.clone(), username.to_owned());
        state
            .db
            .run(move |conn| {
                let admission = throttle::count(conn, &keys, &settings, now)?;
                let user = match admission {
                    Admission::Counted => db::users::find_by_username(conn, &name)?,
                    Admission::Delayed { .. } => None,
                };
                Ok::<_, DbError>((admission, user))
            })
            .await?
    };
    if let Admission::Delayed { retry_after_secs } = admission {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }

    let slot = match state.hash_limiter.acquire().await {
        Ok(slot) => slot,
        Err(HashError::Busy { retry_after_secs }) => {
            let settings = settings.clone();
            state
                .db
                .run(move |conn| throttle::not_checked(conn, &keys, &settings))
                .await?;
            return Ok(LoginOutcome::Busy { retry_after_secs });
        }
        Err(other) => return Err(DbError::Unavailable(other.to_string())),
    };
    // Unknown, disabled and password-less users are checked against the
    // dummy hash: every path costs one argon2 verification.
    let usable = user.filter(|u| !u.disabled && u.password_hash.is_some());
    let stored = usable.as_ref().and_then(|u| u.password_hash.clone());
    let hasher = state.passwords.clone();
    let Verification {
        matched,
        upgraded_hash,
    } = HashLimiter::run_in(slot, move || {
        hasher.verify_and_upgrade(&password, stored.as_deref())
    })
    .await
    .map_err(|e| DbError::Unavailable(e.to_string()))?;

    let ip = client_ip.map(|ip| ip.to_string());
    let name = username.to_owned();
    match (matched, usable) {
        (true, Some(user)) => {
            let user_id = user.id.clone();
            let old_hash = user.password_hash.clone().unwrap_or_default();
            state
                .db
                .run(move |conn| {
                    throttle::succeeded(conn, &keys, &settings)?;
                    let rehashed = match &upgraded_hash {
                        Some(new_hash) => {
                            db::users::upgrade_password_hash(conn, &user_id, &old_hash, new_hash)?
                        }
                        None => false,
                    };
                    if purpose == Purpose::Confirm {
                        return Ok(());
                    }
                    let details = if rehashed {
                        json!({ "method": "pwd", "rehashed": true })
                    } else {
                        json!({ "method": "pwd" })
                    };
                    audit::record(
                        conn,
                        Event {
                            kind: "login.success",
                            actor: Some(&user_id),
                            subject: Some(&user_id),
                            client_ip: ip.as_deref(),
                            details: Some(details),
                        },
                        now,
                    )
                })
                .await?;
            Ok(LoginOutcome::Success(user))
        }
        // The failure was counted before the check.
        _ => {
            state
                .audit
                .record(
                    Event {
                        kind: match purpose {
                            Purpose::SignIn => "login.failure",
                            Purpose::Confirm => "password.confirm_failed",
                        },
                        actor: None,
                        subject: Some(&name),
                        client_ip: ip.as_deref(),
                        details: None,
                    },
                    now,
                )
                .await?;
            Ok(LoginOutcome::Invalid)
        }
    }
}
