//! Browser sessions: a random id in a cookie, its hash in the database,
//! idle and absolute timeouts, and a separate random `sid` for tokens.

use crate::config::SessionSettings;
use crate::crypto::random;
use crate::db::{self, DbConnection, DbError, sessions::SessionRow};
use crate::secret::Secret;

/// Writes to `last_seen_at` at most this often, so reads stay reads.
const TOUCH_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    /// The password was right; a second factor is still awaited. Such a
    /// session signs nobody in: only the second-step page reads it.
    pub pending: bool,
}

/// How long a person has to give the second factor after the password.
const PENDING_TTL_SECS: i64 = 10 * 60;

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Self {
            id_hash: row.id_hash,
            sid: row.sid,
            user_id: row.user_id,
            auth_time: row.auth_time,
            amr: row.amr.split_whitespace().map(str::to_owned).collect(),
            pending: row.pending,
        }
    }
}

/// Starts a session; the returned secret goes into the cookie and nowhere
/// else. A `pending` one awaits a second factor and lives minutes, not
/// hours.
pub fn start<S: AsRef<str>>(
    conn: &mut DbConnection,
    user_id: &str,
    amr: &[S],
    pending: bool,
    settings: &SessionSettings,
    now: i64,
) -> Result<(Secret<String>, Session), DbError> {
    let cookie = random::new_token();
    let lifetime = if pending {
        PENDING_TTL_SECS.min(settings.absolute_timeout_secs)
    } else {
        settings.absolute_timeout_secs
    };
    let row = SessionRow {
        id_hash: random::token_hash(cookie.expose()),
        sid: random::new_token().into_inner(),
        user_id: user_id.to_owned(),
        auth_time: now,
        amr: amr.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" "),
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime,
        ended_at: None,
        pending,
    };
    db::sessions::insert(conn, &row)?;
    Ok((cookie, row.into()))
}

/// The one liveness rule, for signing in with a session and for every
/// listing of sessions (console, admin API, command line): not ended,
/// before its absolute expiry, and used within the idle timeout.
pub fn is_live(row: &SessionRow, settings: &SessionSettings, now: i64) -> bool {
    row.ended_at.is_none()
        && row.expires_at > now
        && row.last_seen_at + settings.idle_timeout_secs > now
}

/// The live session for a cookie value: live by [`is_live`], and its user
/// still enabled.
pub fn current(
    conn: &mut DbConnection,
    cookie: &str,
    settings: &SessionSettings,
    now: i64,
) -> Result<Option<Session>, DbError> {
    let id_hash = random::token_hash(cookie);
    let Some(row) = db::sessions::find_live(conn, &id_hash, now)? else {
        return Ok(None);
    };
    if !is_live(&row, settings, now) {
        db::sessions::end(conn, &id_hash, now)?;
        return Ok(None);
    }
    let enabled = db::users::find_by_id(conn, &row.user_id)?.is_some_and(|user| !user.disabled);
    if !enabled {
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_INTERVAL_SECS {
        db::sessions::touch(conn, &id_hash, now)?;
    }
    Ok(Some(row.into()))
}

pub fn end(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), DbError> {
    db::sessions::end(conn, id_hash, now)
}

/// The session a browser brought to the second-step page: awaiting a
/// factor, or complete but asked for a stronger sign-in (step-up). Its
/// user must still be enabled.
pub fn awaiting_factor(
    conn: &mut DbConnection,
    cookie: &str,
    settings: &SessionSettings,
    now: i64,
) -> Result<Option<Session>, DbError> {
    let id_hash = random::token_hash(cookie);
    let Some(row) = db::sessions::find_open(conn, &id_hash, now)? else {
        return Ok(None);
    };
    if !row.pending {
        return current(conn, cookie, settings, now);
    }
    let enabled = db::users::find_by_id(conn, &row.user_id)?.is_some_and(|user| !user.disabled);
    Ok(enabled.then(|| row.into()))
}

/// The live session for an optional cookie value, off the async workers.
pub async fn lookup(
    state: &crate::app::AppState,
    cookie: Option<String>,
) -> Result<Option<Session>, DbError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let settings = state.settings.sessions.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| current(conn, &cookie, &settings, now))
        .await
}

/// Starts a fresh session for `user_id` after a factor, ending the one the
/// browser brought (a new id at every sign-in and every added factor: no
/// fixation). The session is pending when the person must still give (or
/// first enrol) a second factor.
pub async fn sign_in(
    state: &crate::app::AppState,
    user_id: String,
    amr: Vec<String>,
    old_cookie: Option<String>,
) -> Result<(Secret<String>, Session), DbError> {
    let settings = state.settings.sessions.clone();
    let now = state.clock.now();
    state
        .db
        .transaction(move |conn| {
            if let Some(old) = old_cookie {
                end(conn, &random::token_hash(&old), now)?;
            }
            let pending = super::second_factor::awaited(conn, &user_id, &amr, None)?;
            start(conn, &user_id, &amr, pending, &settings, now)
        })
        .await
}
