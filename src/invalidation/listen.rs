//! The fast path on PostgreSQL: every server listens for the change
//! epoch's announcements (`db::notifications`) on a connection of its own
//! and re-reads what it holds as soon as one arrives — milliseconds after
//! the change commits on whichever node or process made it. The epoch poll
//! ([`super::watch`]) stays as the fallback, and is the only path on SQLite.
//!
//! Announcements made while the connection is down are lost, so every
//! (re)connection begins by re-reading everything; reconnecting backs off
//! from a quarter of a second to five.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::{Refresh, refresh_all};
use crate::app::AppState;
use crate::db::{DbError, notifications::ChangeListener};

/// How often the connection is asked for announcements (diesel cannot
/// wait on it; each ask is one non-blocking read).
const ASK_EVERY: Duration = Duration::from_millis(25);
/// How often a quiet connection is checked with a round trip.
const CHECK_EVERY: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Listens for the life of the server (returns at once on SQLite). The
/// listening runs on a blocking thread, which stops within `ASK_EVERY`
/// once this task is dropped (the server stopping aborts it).
pub async fn listen(state: AppState) {
    let Some(url) = state.db.postgres_url().map(str::to_owned) else {
        return;
    };
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopWhenDropped(stop.clone());
    let listening = tokio::task::spawn_blocking(move || listen_blocking(&state, &url, &stop));
    if let Err(error) = listening.await {
        tracing::error!(%error, "the change listener stopped; the epoch poll remains");
    }
}

struct StopWhenDropped(Arc<AtomicBool>);

impl Drop for StopWhenDropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn listen_blocking(state: &AppState, url: &str, stop: &AtomicBool) {
    let refreshers = super::refreshers(state);
    let mut retry = FIRST_RETRY;
    let mut lost = false;
    while !stop.load(Ordering::Relaxed) {
        let mut listener = match ChangeListener::connect(url) {
            Ok(listener) => listener,
            Err(error) => {
                if !lost {
                    tracing::warn!(%error, "cannot listen for changes; retrying");
                    lost = true;
                }
                sleep_unless_stopped(retry, stop);
                retry = (retry * 2).min(LAST_RETRY);
                continue;
            }
        };
        retry = FIRST_RETRY;
        if lost {
            tracing::info!("listening for changes again");
            lost = false;
        }
        // Whatever was announced while nobody listened is lost.
        refresh(state, &refreshers);
        if let Err(error) = follow(state, &refreshers, &mut listener, stop) {
            tracing::warn!(%error, "lost the change notifications; reconnecting");
            lost = true;
        }
    }
}

/// Refreshes on every announcement until stopped (`Ok`) or the connection
/// fails (`Err`).
fn follow(
    state: &AppState,
    refreshers: &[Arc<dyn Refresh>],
    listener: &mut ChangeListener,
    stop: &AtomicBool,
) -> Result<(), DbError> {
    let mut checked = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(ASK_EVERY);
        if listener.arrived()? > 0 {
            refresh(state, refreshers);
        } else if checked.elapsed() >= CHECK_EVERY {
            listener.check()?;
            checked = Instant::now();
        }
    }
    Ok(())
}

fn refresh(state: &AppState, refreshers: &[Arc<dyn Refresh>]) {
    let now = state.clock.now();
    let outcome = state
        .db
        .run_blocking(|conn| Ok::<_, DbError>(refresh_all(conn, refreshers, now)));
    match outcome {
        Ok(failures) if failures.is_empty() => {}
        Ok(failures) => tracing::warn!(failures = %failures.join("; "), "refresh failed"),
        Err(error) => {
            // No connection to re-read with: at least serve nothing stale
            // from the caches; the epoch poll re-reads the keys later.
            state.caches.clear();
            tracing::warn!(%error, "refresh after a change skipped");
        }
    }
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let until = Instant::now() + duration;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(ASK_EVERY);
    }
}
