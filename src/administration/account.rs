//! A signed-in person's changes to their own account (the account page,
//! `/account`): a new password, sessions ended, consents withdrawn.
//!
//! Unlike the rest of `administration` the actor is the account's owner,
//! who needs no privilege over it, so there is no `Actor` here (whose
//! privilege rules let anyone but an administrator through): every
//! function acts on `Me` only, and cannot reach another person's account.
//! Each still runs in one transaction with its audit event (actor and
//! subject: the person's `sub`), so a refusal rolls both back.

use serde_json::{Value, json};

use crate::accounts::{
    AccountError,
    password_policy::{self, PasswordPolicy, PolicyNames},
    sessions,
};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::config::{SessionSettings, TokenSettings};
use crate::db::{self, DbConnection, DbError, users::UserRow};
use crate::oauth::refresh;
use crate::oidc::logout;

/// The person changing their own account, from which session, from where.
#[derive(Debug, Clone)]
pub struct Me {
    pub user_id: String,
    /// The session they act from (its hashed id): the one kept when they
    /// change their password or end their other sessions.
    pub session_id_hash: String,
    pub client_ip: Option<String>,
}

/// Runs one change as `me`, now, in one transaction (a refusal rolls back
/// the change and its audit event together). Afterwards this server
/// forgets what it held in memory (a new password cuts off the person's
/// tokens, which the token path caches), and the back-channel sender is
/// woken: ending sessions queued logout tokens, to be delivered now rather
/// than at its next tick (a wake with nothing queued costs one query).
pub async fn perform<T, F>(state: &AppState, me: Me, operation: F) -> Result<T, AccountError>
where
    F: FnOnce(&mut DbConnection, &Me, i64) -> Result<T, AccountError> + Send + 'static,
    T: Send + 'static,
{
    let now = state.clock.now();
    let outcome = state
        .db
        .transaction(move |conn| operation(conn, &me, now))
        .await?;
    crate::invalidation::refresh_now(state).await;
    state.backchannel_wake.notify_one();
    Ok(outcome)
}

pub(super) fn record(
    conn: &mut DbConnection,
    me: &Me,
    kind: &str,
    details: Value,
    now: i64,
) -> Result<(), DbError> {
    audit::record(
        conn,
        Event {
            kind,
            actor: Some(&me.user_id),
            subject: Some(&me.user_id),
            client_ip: me.client_ip.as_deref(),
            details: Some(details),
        },
        now,
    )
}

/// The person, who may have been deleted since their session was read.
pub(super) fn myself(conn: &mut DbConnection, me: &Me) -> Result<UserRow, AccountError> {
    db::users::find_by_id(conn, &me.user_id)?
        .ok_or_else(|| AccountError::NotFound("your account".into()))
}

/// Whether `password` may become `user`'s new password, in words for the
/// page. The one place the account page applies the password rules, so
/// that a stricter policy needs changing only here.
pub fn check_new_password(
    policy: &PasswordPolicy,
    password: &str,
    user: &UserRow,
    has_second_factor: bool,
) -> Result<(), AccountError> {
    let names = PolicyNames {
        username: &user.username,
        email: user.email.as_deref(),
    };
    Ok(password_policy::check(
        policy,
        password,
        &names,
        has_second_factor,
    )?)
}

/// Sets the new password (hashed by the caller, off the transaction) and
/// ends whatever the old one opened, as an administrator's new password
/// does: the person's other sessions (with back-channel logout), their
/// refresh tokens and the access tokens issued until now. The session they
/// changed it from stays signed in. Returns how many sessions ended.
pub fn change_password(
    conn: &mut DbConnection,
    me: &Me,
    hash: &str,
    now: i64,
) -> Result<usize, AccountError> {
    let user = myself(conn, me)?;
    db::users::set_password_hash(conn, &user.id, hash, now)?;
    let ended = super::users::end_sign_ins(conn, &user, Some(&me.session_id_hash), now)?;
    record(
        conn,
        me,
        "password.changed",
        json!({ "username": user.username, "sessions_ended": ended }),
        now,
    )?;
    // The cut-off of the person's tokens is cached on the token path.
    db::change_epoch::bump(conn)?;
    Ok(ended)
}

/// My sessions that would still sign me in, by `sessions::is_live`.
fn live_sessions(
    conn: &mut DbConnection,
    me: &Me,
    settings: &SessionSettings,
    now: i64,
) -> Result<Vec<sessions::Session>, DbError> {
    Ok(db::sessions::live_for_user(conn, &me.user_id, now)?
        .into_iter()
        .filter(|row| sessions::is_live(row, settings, now))
        .map(sessions::Session::from)
        .collect())
}

/// Ends my session `sid` as a logout would (`oidc::logout::end_in`: the
/// session, the access tokens issued in it, back-channel logout). Not the
/// one I act from: that is what signing out is for.
pub fn end_session(
    conn: &mut DbConnection,
    me: &Me,
    sid: &str,
    sessions: &SessionSettings,
    tokens: &TokenSettings,
    now: i64,
) -> Result<(), AccountError> {
    let session = live_sessions(conn, me, sessions, now)?
        .into_iter()
        .find(|session| session.sid == sid)
        .ok_or_else(|| AccountError::Invalid("that session has already ended".into()))?;
    if session.id_hash == me.session_id_hash {
        return Err(AccountError::Invalid(
            "this is the session you are using; sign out to end it".into(),
        ));
    }
    let queued = logout::end_in(conn, &session, tokens.access_token_ttl_secs, now)?;
    record(
        conn,
        me,
        "session.ended",
        json!({ "ended": 1, "backchannel_clients": queued }),
        now,
    )?;
    Ok(())
}

/// Ends every live session of mine but the one I act from, each as a
/// logout would. Returns how many ended.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    me: &Me,
    sessions: &SessionSettings,
    tokens: &TokenSettings,
    now: i64,
) -> Result<usize, AccountError> {
    let mut ended = 0;
    let mut queued = 0;
    for session in live_sessions(conn, me, sessions, now)? {
        if session.id_hash != me.session_id_hash {
            queued += logout::end_in(conn, &session, tokens.access_token_ttl_secs, now)?;
            ended += 1;
        }
    }
    record(
        conn,
        me,
        "session.ended",
        json!({ "ended": ended, "backchannel_clients": queued }),
        now,
    )?;
    Ok(ended)
}

/// Withdraws my consent to `client_id`: the client must ask again, and the
/// refresh tokens it holds for me stop working, with the access tokens
/// issued with them.
pub fn revoke_consent(
    conn: &mut DbConnection,
    me: &Me,
    client_id: &str,
    now: i64,
) -> Result<(), AccountError> {
    if db::consents::delete(conn, &me.user_id, client_id)? == 0 {
        return Err(AccountError::Invalid(
            "that application no longer has your consent".into(),
        ));
    }
    refresh::revoke_all_of_user_at_client(conn, &me.user_id, client_id, now)?;
    record(
        conn,
        me,
        "consent.revoked",
        json!({ "client_id": client_id }),
        now,
    )?;
    Ok(())
}
