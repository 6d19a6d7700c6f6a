//! Cross-process invalidation. Every administrative change bumps the change
//! epoch in its own transaction (`administration::Actor::record`, so the
//! command line's changes too); every server polls the epoch and, when it
//! moves, re-reads everything it holds in memory. A change made on one node
//! is thus in force on every node within `POLL_EVERY` and one refresh.
//! The node that makes a change refreshes at once besides, once it has
//! committed ([`refresh_now`]; `administration::keys::apply` does so).
//!
//! On PostgreSQL the epoch's bumps are also announced with `NOTIFY`, and
//! every server follows them within milliseconds ([`listen`]); the poll is
//! then the fallback for announcements lost while a listener reconnects.
//!
//! To make a new cache follow changes: implement [`Refresh`] for it and add
//! it to [`refreshers`]. A cache that can simply be emptied ignores the
//! connection.

use std::{sync::Arc, time::Duration};

use tokio::time::{Instant, MissedTickBehavior};

use crate::app::AppState;
use crate::crypto::KeyStore;
use crate::db::{self, DbConnection};

mod listen;

pub use listen::listen;

/// How often each server reads the change epoch.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// Everything is re-read at least this often, epoch or not: the signing
/// keys' time-based transitions (a pending key starts signing, a retired
/// one leaves the JWKS), and a fallback for changes made outside
/// `administration` (a scheduled rotation on another node, a hand edit).
pub const REFRESH_AT_LEAST_EVERY: Duration = Duration::from_secs(30);

pub type RefreshError = Box<dyn std::error::Error + Send + Sync>;

/// Something a server holds in memory that an administrative change can
/// make stale.
pub trait Refresh: Send + Sync {
    /// For logs.
    fn name(&self) -> &'static str;

    /// Re-reads (or drops) what it holds. Runs on a blocking thread with a
    /// pooled connection, outside any transaction; `now` is the server's
    /// clock.
    fn refresh(&self, conn: &mut DbConnection, now: i64) -> Result<(), RefreshError>;
}

impl Refresh for KeyStore {
    fn name(&self) -> &'static str {
        "signing keys"
    }

    fn refresh(&self, conn: &mut DbConnection, now: i64) -> Result<(), RefreshError> {
        Ok(KeyStore::refresh(self, conn, now)?)
    }
}

/// What this server re-reads when the epoch moves: the extension point.
pub fn refreshers(state: &AppState) -> Vec<Arc<dyn Refresh>> {
    vec![state.keys.clone(), state.caches.clone()]
}

/// Refreshes each of `refreshers`, all of them even when one fails;
/// returns the failures ("what: error"), empty when all succeeded.
pub fn refresh_all(
    conn: &mut DbConnection,
    refreshers: &[Arc<dyn Refresh>],
    now: i64,
) -> Vec<String> {
    refreshers
        .iter()
        .filter_map(|refresher| {
            refresher
                .refresh(conn, now)
                .err()
                .map(|error| format!("{}: {error}", refresher.name()))
        })
        .collect()
}

/// Re-reads everything on this server now: after a change it committed
/// itself, so that the change is in force here before it answers. A
/// failure is logged; the next poll sees the epoch moved and retries.
pub async fn refresh_now(state: &AppState) {
    let refreshers = refreshers(state);
    let now = state.clock.now();
    let outcome = state
        .db
        .run(move |conn| Ok::<_, crate::db::DbError>(refresh_all(conn, &refreshers, now)))
        .await;
    match outcome {
        Ok(failures) if failures.is_empty() => {}
        Ok(failures) => {
            tracing::error!(failures = %failures.join("; "), "refresh after a change failed")
        }
        Err(error) => tracing::warn!(%error, "refresh after a change skipped"),
    }
}

/// What one poll saw and did.
struct Poll {
    epoch: i64,
    refreshed: bool,
    failures: Vec<String>,
}

/// Reads the epoch and refreshes everything when it is not `seen` (or on
/// the first poll) or when `due`; one pooled connection for both.
async fn poll(
    state: &AppState,
    refreshers: &[Arc<dyn Refresh>],
    seen: Option<i64>,
    due: bool,
) -> Result<Poll, db::DbError> {
    let refreshers = refreshers.to_vec();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let epoch = db::change_epoch::current(conn)?;
            let refreshed = due || seen != Some(epoch);
            let failures = if refreshed {
                refresh_all(conn, &refreshers, now)
            } else {
                Vec::new()
            };
            Ok(Poll {
                epoch,
                refreshed,
                failures,
            })
        })
        .await
}

/// Polls the change epoch for the life of the server. A failed poll or
/// refresh is retried at the next tick (`seen` stays behind) but logged at
/// most once per `REFRESH_AT_LEAST_EVERY`, so an outage does not flood the
/// log.
pub async fn watch(state: AppState) {
    let refreshers = refreshers(&state);
    let mut seen: Option<i64> = None;
    let mut refreshed_at = Instant::now();
    let mut quiet_until = Instant::now();
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let due = refreshed_at.elapsed() >= REFRESH_AT_LEAST_EVERY;
        let failure = match poll(&state, &refreshers, seen, due).await {
            Ok(poll) if poll.failures.is_empty() => {
                if poll.refreshed {
                    seen = Some(poll.epoch);
                    refreshed_at = Instant::now();
                }
                None
            }
            Ok(poll) => Some(format!("refresh failed: {}", poll.failures.join("; "))),
            Err(error) => Some(format!("change epoch poll failed: {error}")),
        };
        if let Some(failure) = failure
            && Instant::now() >= quiet_until
        {
            tracing::warn!(%failure, "in-memory state may be stale; retrying");
            quiet_until = Instant::now() + REFRESH_AT_LEAST_EVERY;
        }
    }
}
