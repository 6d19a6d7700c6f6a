//! Password sign-in: throttled, timing-equalised, audited.

use serde_json::json;

use super::throttle;
use crate::audit::{self, Event};
use crate::db::{self, DbError, users::UserRow};
use crate::startup::AppState;

#[derive(Debug)]
pub enum LoginOutcome {
    Success(UserRow),
    /// Wrong username or password — deliberately not saying which.
    Invalid,
    /// Too many recent failures for this account or address.
    Throttled {
        retry_after_secs: i64,
    },
}

pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: String,
    client_ip: &str,
) -> Result<LoginOutcome, DbError> {
    let now = state.clock.now();
    let keys = vec![throttle::account_key(username), throttle::ip_key(client_ip)];
    let lookup_name = username.to_owned();
    let lookup_keys = keys.clone();
    let (blocked, user) = state
        .db
        .run(move |conn| {
            let blocked = throttle::blocked_for(conn, &lookup_keys, now)?;
            let user = match blocked {
                Some(_) => None,
                None => db::users::find_by_username(conn, &lookup_name)?,
            };
            Ok((blocked, user))
        })
        .await?;
    if let Some(retry_after_secs) = blocked {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }

    // Unknown, disabled and password-less users are checked against the
    // dummy hash: every path costs one argon2 verification.
    let usable = user.filter(|u| !u.disabled && u.password_hash.is_some());
    let stored = usable.as_ref().and_then(|u| u.password_hash.clone());
    let hasher = state.passwords.clone();
    let verified = tokio::task::spawn_blocking(move || hasher.verify(&password, stored.as_deref()))
        .await
        .map_err(|e| DbError::Unavailable(format!("password check failed: {e}")))?;

    let settings = state.settings.login.clone();
    let ip = client_ip.to_owned();
    let name = username.to_owned();
    match (verified, usable) {
        (true, Some(user)) => {
            let user_id = user.id.clone();
            state
                .db
                .run(move |conn| {
                    throttle::clear(conn, &keys[0])?;
                    audit::record(
                        conn,
                        Event {
                            kind: "login.success",
                            actor: Some(&user_id),
                            subject: Some(&user_id),
                            client_ip: Some(&ip),
                            details: Some(json!({ "method": "pwd" })),
                        },
                        now,
                    )
                })
                .await?;
            Ok(LoginOutcome::Success(user))
        }
        _ => {
            state
                .db
                .run(move |conn| {
                    throttle::record_failure(
                        conn,
                        &keys[0],
                        settings.account_failures_before_delay,
                        &settings,
                        now,
                    )?;
                    throttle::record_failure(
                        conn,
                        &keys[1],
                        settings.ip_failures_before_delay,
                        &settings,
                        now,
                    )?;
                    audit::record(
                        conn,
                        Event {
                            kind: "login.failure",
                            actor: None,
                            subject: Some(&name),
                            client_ip: Some(&ip),
                            details: None,
                        },
                        now,
                    )
                })
                .await?;
            Ok(LoginOutcome::Invalid)
        }
    }
}
