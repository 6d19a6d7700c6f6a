//! Which second factors a person has, what a sign-in still needs, and the
//! second step itself (an authenticator code or a recovery code, counted
//! against the same throttle as passwords).

use std::net::IpAddr;

use serde_json::json;

use super::assurance::{self, Level};
use super::sessions::{self, Session};
use super::throttle::{self, Admission, AttemptKeys};
use super::{AccountError, recovery_codes, totp};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::config::SessionSettings;
use crate::db::{self, DbConnection, DbError};

/// The second factors a person has enrolled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Factors {
    pub totp: bool,
    pub passkeys: bool,
}

impl Factors {
    pub fn any(self) -> bool {
        self.totp || self.passkeys
    }

    /// The strongest level these factors can reach.
    fn reachable(self) -> Level {
        if self.passkeys {
            Level::PhishingResistant
        } else {
            Level::MultiFactor
        }
    }
}

pub fn enrolled(conn: &mut DbConnection, user_id: &str) -> Result<Factors, DbError> {
    let totp =
        db::second_factors::find_totp(conn, user_id)?.is_some_and(|row| row.confirmed_at.is_some());
    Ok(Factors {
        totp,
        passkeys: super::passkeys::count_for_user(conn, user_id)? > 0,
    })
}

/// What a sign-in must still do before a code is issued or a page of
/// Gatehouse's own opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    Nothing,
    /// Give one of the enrolled factors.
    Factor,
    /// Enrol a factor first (none yet, and one is required).
    Enrol,
}

/// The level a sign-in must reach: what the client asked for, raised to
/// multi-factor for people holding a role that requires it. A request for
/// more than the person's factors can reach asks for the most they can
/// (`acr_values` is a wish, OIDC Core 3.1.2.1; the `acr` claim tells the
/// client what was done).
pub fn needed<S: AsRef<str>>(
    conn: &mut DbConnection,
    user_id: &str,
    amr: &[S],
    requested: Option<Level>,
) -> Result<Needed, DbError> {
    let level = required_level(conn, user_id, requested)?;
    let reached = Level::of(amr);
    // The factors are read only when the level is not reached: the common
    // case (a code issued, a console page) costs one query.
    if reached >= level {
        return Ok(Needed::Nothing);
    }
    Ok(still_needed(level, reached, enrolled(conn, user_id)?))
}

fn required_level(
    conn: &mut DbConnection,
    user_id: &str,
    requested: Option<Level>,
) -> Result<Level, DbError> {
    let level = requested.unwrap_or(Level::Password);
    Ok(if db::second_factors::mfa_required_for(conn, user_id)? {
        level.max(Level::MultiFactor)
    } else {
        level
    })
}

/// What a sign-in that reached `reached` needs to reach `level`, for a
/// person with `factors`.
fn still_needed(level: Level, reached: Level, factors: Factors) -> Needed {
    if reached >= level {
        Needed::Nothing
    } else if !factors.any() {
        Needed::Enrol
    } else if reached >= level.min(factors.reachable()) {
        Needed::Nothing
    } else {
        Needed::Factor
    }
}

/// Whether a sign-in that has reached `amr` must wait for a second factor
/// before its session signs anyone in: after a password alone, whenever a
/// factor is enrolled, and whenever the level asked for is not reached.
pub fn awaited<S: AsRef<str>>(
    conn: &mut DbConnection,
    user_id: &str,
    amr: &[S],
    requested: Option<Level>,
) -> Result<bool, DbError> {
    let level = required_level(conn, user_id, requested)?;
    let reached = Level::of(amr);
    let password_only = reached == Level::Password;
    if reached >= level && !password_only {
        return Ok(false);
    }
    let factors = enrolled(conn, user_id)?;
    Ok(password_only && factors.any() || still_needed(level, reached, factors) != Needed::Nothing)
}

/// A person at the second-step page: the session the browser brought (a
/// pending one, or a complete one asked to step up), and what it needs.
#[derive(Debug)]
pub struct Awaiting {
    pub session: Session,
    pub username: String,
    pub factors: Factors,
    pub needed: Needed,
}

pub fn awaiting(
    conn: &mut DbConnection,
    cookie: &str,
    settings: &SessionSettings,
    requested: Option<Level>,
    now: i64,
) -> Result<Option<Awaiting>, DbError> {
    let Some(session) = sessions::awaiting_factor(conn, cookie, settings, now)? else {
        return Ok(None);
    };
    let Some(user) = db::users::find_by_id(conn, &session.user_id)? else {
        return Ok(None);
    };
    let factors = enrolled(conn, &user.id)?;
    let level = required_level(conn, &user.id, requested)?;
    let needed = match still_needed(level, Level::of(&session.amr), factors) {
        // A pending session has not signed in yet: the enrolled factor is
        // asked for even when the level is reached on paper.
        Needed::Nothing if session.pending => Needed::Factor,
        other => other,
    };
    Ok(Some(Awaiting {
        session,
        username: user.username,
        factors,
        needed,
    }))
}

/// The same for a page of Gatehouse's own (no authorization request).
pub async fn awaiting_for_page(
    state: &AppState,
    cookie: Option<String>,
) -> Result<Option<Awaiting>, DbError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let settings = state.settings.sessions.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| awaiting(conn, &cookie, &settings, None, now))
        .await
}

#[derive(Debug)]
pub enum CodeOutcome {
    /// The `amr` value the accepted code adds.
    Accepted(&'static str),
    /// Wrong, already used, or not a code at all — not saying which.
    Invalid,
    Throttled {
        retry_after_secs: i64,
    },
}

/// Checks a second-step code for `user_id`: an authenticator code (each
/// accepted once) or a recovery code (spent by its use). Counted against
/// the login throttle before it is checked, like a password.
pub async fn check_code(
    state: &AppState,
    user_id: String,
    username: String,
    code: String,
    client_ip: Option<IpAddr>,
) -> Result<CodeOutcome, AccountError> {
    let now = state.clock.now();
    let keys = AttemptKeys::new(&username, client_ip);
    let settings = state.settings.login.clone();
    let sealer = state.sealer.clone();
    let ip = client_ip.map(|ip| ip.to_string());
    // Not one transaction: a counted attempt stays counted when the code is
    // wrong, and a spent code stays spent.
    state
        .db
        .run(move |conn| {
            if let Admission::Delayed { retry_after_secs } =
                throttle::count(conn, &keys, &settings, now)?
            {
                return Ok(CodeOutcome::Throttled { retry_after_secs });
            }
            let method = if totp::normalise(&code).is_some() {
                totp::verify(conn, &sealer, &user_id, &code, now)?
                    .then_some(assurance::amr::ONE_TIME_CODE)
            } else {
                recovery_codes::redeem(conn, &user_id, &code, now)?.then_some("recovery")
            };
            let (kind, details) = match method {
                Some(method) => ("login.second_factor", json!({ "method": method })),
                None => ("login.second_factor_failure", json!({})),
            };
            audit::record(
                conn,
                Event {
                    kind,
                    actor: Some(&user_id),
                    subject: Some(&user_id),
                    client_ip: ip.as_deref(),
                    details: Some(details),
                },
                now,
            )?;
            match method {
                Some(_) => {
                    throttle::succeeded(conn, &keys, &settings)?;
                    // A recovery code is a one-time password too (RFC 8176).
                    Ok(CodeOutcome::Accepted(assurance::amr::ONE_TIME_CODE))
                }
                None => Ok(CodeOutcome::Invalid),
            }
        })
        .await
}
