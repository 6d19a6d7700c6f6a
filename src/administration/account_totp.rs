//! A person's own authenticator app and recovery codes (`/account/totp`):
//! set up, removed, codes renewed — each with its audit event, acting on
//! `Me` only (see `account.rs`).

use serde_json::json;

use super::account::{Me, myself, record};
use crate::accounts::{AccountError, recovery_codes, second_factor, totp};
use crate::crypto::MasterKey;
use crate::db::{self, DbConnection, DbError};
use crate::secret::Secret;

/// Starts setting up an app (or shows the one being set up again).
pub fn begin(
    conn: &mut DbConnection,
    me: &Me,
    sealer: &MasterKey,
    issuer: &str,
    now: i64,
) -> Result<totp::Enrolment, AccountError> {
    let user = myself(conn, me)?;
    let label = totp::Label {
        issuer,
        account: &user.username,
    };
    totp::begin(conn, sealer, &user.id, &label, now)
}

/// Turns the app on with a current code from it. `None` for a wrong code
/// (nothing changes); else the new recovery codes, to be shown once.
pub fn confirm(
    conn: &mut DbConnection,
    me: &Me,
    sealer: &MasterKey,
    code: &str,
    now: i64,
) -> Result<Option<Vec<Secret<String>>>, AccountError> {
    if !totp::confirm(conn, sealer, &me.user_id, code, now)? {
        return Ok(None);
    }
    let codes = recovery_codes::replace(conn, &me.user_id, now)?;
    record(conn, me, "factor.totp_added", json!({}), now)?;
    Ok(Some(codes))
}

/// Removes the app. Refused when a role of the person requires a second
/// factor and this is their last; the recovery codes go with the last
/// factor.
pub fn remove(conn: &mut DbConnection, me: &Me, now: i64) -> Result<(), AccountError> {
    let factors = second_factor::enrolled(conn, &me.user_id)?;
    if !factors.totp {
        return Err(AccountError::Invalid(
            "No authenticator app is set up.".into(),
        ));
    }
    if !factors.passkeys && db::second_factors::mfa_required_for(conn, &me.user_id)? {
        return Err(AccountError::Invalid(
            "A role of yours requires a second factor: add a passkey before removing your authenticator app.".into(),
        ));
    }
    db::second_factors::delete_totp(conn, &me.user_id)?;
    if !factors.passkeys {
        db::second_factors::delete_recovery_codes(conn, &me.user_id)?;
    }
    Ok(record(conn, me, "factor.totp_removed", json!({}), now)?)
}

/// New recovery codes in place of the old ones, for a person with a
/// second factor.
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    me: &Me,
    now: i64,
) -> Result<Vec<Secret<String>>, AccountError> {
    if !second_factor::enrolled(conn, &me.user_id)?.any() {
        return Err(AccountError::Invalid(
            "Recovery codes stand in for a second factor: set one up first.".into(),
        ));
    }
    let codes = recovery_codes::replace(conn, &me.user_id, now)?;
    record(conn, me, "factor.recovery_codes_renewed", json!({}), now)?;
    Ok(codes)
}

/// What the account pages show about the app and the codes.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    pub factors: second_factor::Factors,
    pub recovery_codes_left: i64,
}

pub fn status(conn: &mut DbConnection, user_id: &str) -> Result<Status, DbError> {
    Ok(Status {
        factors: second_factor::enrolled(conn, user_id)?,
        recovery_codes_left: recovery_codes::remaining(conn, user_id)?,
    })
}

/// What `/account/totp` shows: the person's name, the status, and while no
/// app is on, the enrolment in progress (started here if need be).
pub struct Page {
    pub username: String,
    pub status: Status,
    pub enrolment: Option<totp::Enrolment>,
}

pub fn page(
    conn: &mut DbConnection,
    me: &Me,
    sealer: &MasterKey,
    issuer: &str,
    now: i64,
) -> Result<Page, AccountError> {
    let username = myself(conn, me)?.username;
    let status = status(conn, &me.user_id)?;
    let enrolment = if status.factors.totp {
        None
    } else {
        Some(begin(conn, me, sealer, issuer, now)?)
    };
    Ok(Page {
        username,
        status,
        enrolment,
    })
}
