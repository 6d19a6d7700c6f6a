//! Cluster-wide jobs run on one node at a time: the scheduled key rotation
//! and the housekeeping sweep. Before each run a node asks for the job's
//! PostgreSQL advisory lock on a connection of its own
//! (`db::advisory::SessionLocks`); the node that gets it keeps it — and the
//! job — for as long as that connection lives. A node that dies, even by
//! SIGKILL, loses the connection, PostgreSQL frees the lock, and the next
//! node to ask takes the job over (within one job interval).
//!
//! Back-channel deliveries need no lock: each is claimed by a conditional
//! update that pushes its next attempt out (`db::backchannel::claim`), so
//! every node works on the queue and none sends one twice; a node that dies
//! holding a claim leaves it to be retried when the claim runs out.
//!
//! On SQLite there is one node: every job is always its turn.

use std::sync::{Arc, Mutex};

use crate::db::{
    Db,
    advisory::{Lock, SessionLocks},
};

/// The jobs, each named by the lock that guards it.
pub use crate::db::advisory::Lock as Job;

/// One per server, shared by its job loops.
#[derive(Clone)]
pub struct Jobs {
    locks: Option<Arc<Mutex<SessionLocks>>>,
}

impl Jobs {
    pub fn new(db: &Db) -> Self {
        Jobs {
            locks: db
                .postgres_url()
                .map(|url| Arc::new(Mutex::new(SessionLocks::new(url)))),
        }
    }

    /// True if this node is to run the job guarded by `lock` now. A node
    /// that cannot reach the database runs nothing.
    pub async fn my_turn(&self, lock: Lock) -> bool {
        let Some(locks) = self.locks.clone() else {
            return true;
        };
        let asked = tokio::task::spawn_blocking(move || {
            locks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .try_hold(lock)
        })
        .await;
        match asked {
            Ok(Ok(mine)) => mine,
            Ok(Err(error)) => {
                tracing::warn!(job = lock.name(), %error, "cannot take the job's lock");
                false
            }
            Err(error) => {
                tracing::error!(job = lock.name(), %error, "the job's lock task failed");
                false
            }
        }
    }
}
