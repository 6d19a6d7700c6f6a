//! The background sweep: expired codes, sessions, tokens, counters and
//! deliveries are purged in batches; retired signing keys whose tokens have
//! all expired leave the JWKS; keys due for rotation are rotated.

use std::time::Duration;

use crate::app::AppState;
use crate::crypto::SigningAlgorithm;
use crate::db::{
    self,
    housekeeping::{Cutoffs, Purged},
};

const DAY: i64 = 86_400;

/// One sweep, until every table is below its cut-off (batch by batch).
pub async fn sweep(state: &AppState) -> Result<Purged, db::DbError> {
    let now = state.clock.now();
    let tokens = &state.settings.tokens;
    let cut = Cutoffs {
        now,
        codes_before: now - tokens.access_token_ttl_secs - tokens.authorization_code_ttl_secs,
        failures_before: now
            - crate::accounts::throttle::longest_window_secs(&state.settings.login),
        history_before: now - 7 * DAY,
        grace_before: now - tokens.refresh_token_reuse_grace_secs,
    };
    let limit = state.settings.housekeeping.batch_size;
    let mut total = Purged::default();
    loop {
        let round = state
            .db
            .run(move |conn| db::housekeeping::sweep(conn, cut, limit))
            .await?;
        total = add(total, round);
        if round.total() == 0 {
            break;
        }
        // Let other work in between batches.
        tokio::task::yield_now().await;
    }
    // Passkey ceremonies nobody finished.
    while state
        .db
        .run(move |conn| db::passkeys::purge_expired_ceremonies(conn, now, limit))
        .await?
        > 0
    {
        tokio::task::yield_now().await;
    }
    let retain = crate::startup::key_policy(&state.settings).retain_after_retire_secs;
    state
        .db
        .run(move |conn| db::signing_keys::delete_retired_before(conn, now - retain))
        .await?;
    Ok(total)
}

fn add(a: Purged, b: Purged) -> Purged {
    Purged {
        authorization_requests: a.authorization_requests + b.authorization_requests,
        authorization_codes: a.authorization_codes + b.authorization_codes,
        sessions: a.sessions + b.sessions,
        refresh_tokens: a.refresh_tokens + b.refresh_tokens,
        revoked_tokens: a.revoked_tokens + b.revoked_tokens,
        login_failures: a.login_failures + b.login_failures,
        setup_tokens: a.setup_tokens + b.setup_tokens,
        backchannel_deliveries: a.backchannel_deliveries + b.backchannel_deliveries,
        sealed_successors: a.sealed_successors + b.sealed_successors,
    }
}

/// Rotates each algorithm whose newest key is older than the interval, and
/// then re-reads the keys.
pub async fn rotate_due_keys(state: &AppState) -> Result<(), db::DbError> {
    let days = state.settings.keys.rotation_interval_days;
    if days <= 0 {
        return Ok(());
    }
    let now = state.clock.now();
    let keys = state.keys.clone();
    state
        .db
        .run(move |conn| {
            let rows = db::signing_keys::list(conn)?;
            let mut rotated = false;
            for alg in SigningAlgorithm::ALL {
                let newest = rows
                    .iter()
                    .filter(|r| r.alg == alg.as_str())
                    .map(|r| r.created_at)
                    .max();
                if newest.is_some_and(|created| created + days * DAY <= now) {
                    match keys.rotate(conn, alg, now, false) {
                        Ok(kid) => {
                            tracing::info!(target: "audit", %alg, %kid, "scheduled key rotation");
                            // Other nodes publish the new key at once.
                            db::change_epoch::bump(conn)?;
                            rotated = true;
                        }
                        Err(error) => {
                            tracing::error!(%alg, %error, "scheduled key rotation failed")
                        }
                    }
                }
            }
            if rotated && let Err(error) = keys.refresh(conn, now) {
                tracing::error!(%error, "signing key refresh after rotation failed");
            }
            Ok(())
        })
        .await
}

/// How often SQLite's write-ahead log is looked at (`db::wal`).
const WAL_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Keeps SQLite's write-ahead log bounded for the life of the server;
/// returns at once on PostgreSQL.
pub async fn tend_wal(state: AppState) {
    if state.db.backend() != db::Backend::Sqlite {
        return;
    }
    let mut ticker = tokio::time::interval(WAL_CHECK_EVERY);
    loop {
        ticker.tick().await;
        match state.db.run(db::wal::tend).await {
            Ok(Some(checkpoint)) if checkpoint.log_pages > db::wal::RESET_AFTER_PAGES => {
                if checkpoint.reset {
                    tracing::debug!(pages = checkpoint.log_pages, "SQLite log reset");
                } else {
                    tracing::warn!(
                        pages = checkpoint.log_pages,
                        "SQLite log could not be reset: a reader held it"
                    );
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "SQLite checkpoint failed"),
        }
    }
}

/// Sweeps every `housekeeping.interval_secs` when it is this node's turn
/// (`crate::jobs`: one node of a cluster sweeps).
pub async fn run(state: AppState, jobs: crate::jobs::Jobs) {
    let every = Duration::from_secs(state.settings.housekeeping.interval_secs.max(1));
    loop {
        if !jobs.my_turn(db::advisory::Lock::Housekeeping).await {
            tokio::time::sleep(every).await;
            continue;
        }
        match sweep(&state).await {
            Ok(purged) if purged.total() > 0 => {
                tracing::info!(?purged, "housekeeping purged expired rows")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "housekeeping sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}
