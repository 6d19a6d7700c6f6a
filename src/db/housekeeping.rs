//! Batched deletes of rows nobody needs any more. Each call removes at
//! most `limit` rows in short statements: no long locks, and safe for
//! several nodes to run at once (a row deleted twice is deleted once).

use diesel::prelude::*;

use super::schema::{
    authorization_codes, authorization_requests, backchannel_deliveries, login_failures,
    refresh_tokens, revoked_tokens, sessions, setup_tokens,
};
use super::{DbConnection, DbError};

/// What one sweep removed, per table.
#[derive(Debug, Default, Clone, Copy)]
pub struct Purged {
    pub authorization_requests: usize,
    pub authorization_codes: usize,
    pub sessions: usize,
    pub refresh_tokens: usize,
    pub revoked_tokens: usize,
    pub login_failures: usize,
    pub setup_tokens: usize,
    pub backchannel_deliveries: usize,
    pub sealed_successors: usize,
}

impl Purged {
    pub fn total(&self) -> usize {
        self.authorization_requests
            + self.authorization_codes
            + self.sessions
            + self.refresh_tokens
            + self.revoked_tokens
            + self.login_failures
            + self.setup_tokens
            + self.backchannel_deliveries
    }
}

/// Cut-offs, all in unix seconds, decided by the caller's policy.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub now: i64,
    /// Codes are kept while the access token they bought may live, so a
    /// replay can still revoke it.
    pub codes_before: i64,
    /// Failure counters idle since before this are forgotten.
    pub failures_before: i64,
    /// Finished deliveries and ended sessions are kept this long for audit.
    pub history_before: i64,
    /// Sealed successors older than the grace window are erased.
    pub grace_before: i64,
}

macro_rules! purge {
    ($conn:expr, $table:ident, $key:ident, $filter:expr, $limit:expr) => {{
        let doomed: Vec<String> = $table::table
            .filter($filter)
            .select($table::$key)
            .limit($limit)
            .load($conn)?;
        if doomed.is_empty() {
            0
        } else {
            diesel::delete($table::table.filter($table::$key.eq_any(doomed))).execute($conn)?
        }
    }};
}

pub fn sweep(conn: &mut DbConnection, cut: Cutoffs, limit: i64) -> Result<Purged, DbError> {
    let mut purged = Purged {
        authorization_requests: purge!(
            conn,
            authorization_requests,
            id,
            authorization_requests::expires_at.lt(cut.now),
            limit
        ),
        // A live session's codes stay: they say which clients the session
        // signed in to, whom its logout must reach (back-channel logout).
        authorization_codes: purge!(
            conn,
            authorization_codes,
            code_hash,
            authorization_codes::expires_at.lt(cut.codes_before).and(
                authorization_codes::sid.ne_all(
                    sessions::table
                        .filter(sessions::ended_at.is_null())
                        .filter(sessions::expires_at.gt(cut.now))
                        .select(sessions::sid)
                )
            ),
            limit
        ),
        sessions: purge!(
            conn,
            sessions,
            id_hash,
            sessions::expires_at
                .lt(cut.history_before)
                .or(sessions::ended_at.lt(cut.history_before)),
            limit
        ),
        refresh_tokens: purge!(
            conn,
            refresh_tokens,
            token_hash,
            refresh_tokens::family_expires_at.lt(cut.now),
            limit
        ),
        revoked_tokens: purge!(
            conn,
            revoked_tokens,
            jti,
            revoked_tokens::expires_at.lt(cut.now),
            limit
        ),
        login_failures: purge!(
            conn,
            login_failures,
            throttle_key,
            login_failures::last_failure_at
                .lt(cut.failures_before)
                .and(login_failures::blocked_until.lt(cut.failures_before)),
            limit
        ),
        setup_tokens: purge!(
            conn,
            setup_tokens,
            token_hash,
            setup_tokens::expires_at.lt(cut.now),
            limit
        ),
        backchannel_deliveries: purge!(
            conn,
            backchannel_deliveries,
            id,
            backchannel_deliveries::created_at
                .lt(cut.history_before)
                .and(
                    backchannel_deliveries::delivered_at
                        .is_not_null()
                        .or(backchannel_deliveries::failed_at.is_not_null())
                ),
            limit
        ),
        sealed_successors: 0,
    };
    purged.sealed_successors = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::successor_sealed.is_not_null())
            .filter(refresh_tokens::used_at.lt(cut.grace_before)),
    )
    .set(refresh_tokens::successor_sealed.eq(None::<Vec<u8>>))
    .execute(conn)?;
    Ok(purged)
}
