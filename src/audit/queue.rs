//! Group commit for protocol events. A token request would otherwise pay
//! for an INSERT and a commit of its own; here one writer takes whatever
//! has queued while its previous batch was being written and inserts it in
//! one statement, so under load a commit carries many events.
//!
//! Durability is unchanged: [`AuditQueue::record`] returns only once the
//! event's batch has committed, and the caller answers only then, so a
//! crash cannot lose the record of a token it already handed out. The queue
//! is bounded, so a slow database pushes back on requests instead of
//! growing memory; a request whose event is not committed within
//! [`GIVE_UP_AFTER`] fails as "unavailable" (503) instead of hanging.
//!
//! Administrative changes do not come here: their audit row is part of the
//! change's own transaction (`administration::Actor::record`).

use std::time::Duration;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::Event;
use crate::db::{self, Db, DbError, audit::NewAuditRow};

/// Events waiting to be written, at most.
const QUEUE_CAPACITY: usize = 4096;
/// Events per INSERT, at most (well under PostgreSQL's 65,535 bind
/// parameters at seven per row, and SQLite's 32,766).
const MAX_BATCH: usize = 512;
/// How long a request waits for its event to commit.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(1);

struct Queued {
    row: NewAuditRow,
    committed: oneshot::Sender<bool>,
}

/// The sending side, shared by every request; the writer is
/// [`AuditQueue::run_writer`], started with the server.
pub struct AuditQueue {
    sender: mpsc::Sender<Queued>,
    receiver: Mutex<Option<mpsc::Receiver<Queued>>>,
}

impl Default for AuditQueue {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        AuditQueue {
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }
}

impl std::fmt::Debug for AuditQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditQueue").finish_non_exhaustive()
    }
}

impl AuditQueue {
    /// Records `event` and returns once it is committed; `Unavailable` if
    /// that did not happen within [`GIVE_UP_AFTER`] (the event may still be
    /// written later, but the caller must not act as if it were).
    pub async fn record(&self, event: Event<'_>, now: i64) -> Result<(), DbError> {
        let row = super::row_for(event, now);
        let (committed, outcome) = oneshot::channel();
        let waited = tokio::time::timeout(GIVE_UP_AFTER, async {
            self.sender
                .send(Queued { row, committed })
                .await
                .map_err(|_| ())?;
            outcome.await.map_err(|_| ())
        })
        .await;
        match waited {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(DbError::Unavailable("the audit log write failed".into())),
            Ok(Err(())) => Err(DbError::Unavailable(
                "the audit writer is not running".into(),
            )),
            Err(_) => Err(DbError::Unavailable(
                "the audit log did not commit in time".into(),
            )),
        }
    }

    /// Writes queued events in batches for as long as the server runs. Only
    /// the first call writes; a second finds the queue taken and returns.
    pub async fn run_writer(&self, db: Db) {
        let Some(mut receiver) = self.receiver.lock().await.take() else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let (rows, waiters): (Vec<NewAuditRow>, Vec<oneshot::Sender<bool>>) = batch
                .drain(..)
                .map(|queued| (queued.row, queued.committed))
                .unzip();
            let count = rows.len();
            let written = db
                .run(move |conn| db::audit::insert_many(conn, &rows))
                .await;
            if let Err(error) = &written {
                tracing::error!(%error, events = count, "audit events were not written");
            }
            for waiter in waiters {
                // The request may have given up already; nothing to tell it.
                let _ = waiter.send(written.is_ok());
            }
        }
    }
}
