//! Bounds how many password hashes run at once. Each argon2id computation
//! holds `memory_kib` of memory and a core for tens of milliseconds: 150
//! concurrent sign-ins once took the server from 0.8 to 1.6 GB. A request
//! that finds every slot taken waits briefly, then is told to come back
//! (503 with Retry-After) instead of queueing without bound.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::PasswordSettings;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed taken for the whole wait.
    #[error("password hashing is busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// The hashing task itself failed (it panicked).
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// A slot, held for one hash. Dropping it frees the slot.
#[derive(Debug)]
pub struct HashSlot {
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug)]
pub struct HashLimiter {
    slots: Arc<Semaphore>,
    size: usize,
    wait: Duration,
}

impl HashLimiter {
    pub fn new(settings: &PasswordSettings) -> Self {
        let size = match settings.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Self {
            slots: Arc::new(Semaphore::new(size)),
            size,
            wait: Duration::from_millis(settings.hash_queue_timeout_ms),
        }
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Waits up to the configured time for a slot.
    pub async fn acquire(&self) -> Result<HashSlot, HashError> {
        let busy = HashError::Busy {
            // The wait is short, and so is a hash: a second is plenty.
            retry_after_secs: 1,
        };
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(HashSlot { _permit: permit }),
            // The semaphore is never closed; treat it like a full queue.
            Ok(Err(_)) | Err(_) => Err(busy),
        }
    }

    /// Runs `work` (a hash or a verification) on the blocking pool once a
    /// slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = self.acquire().await?;
        Self::run_in(slot, work).await
    }

    /// Runs `work` in a slot already held. The slot travels with the work:
    /// if the request is dropped mid-hash, the slot stays taken until the
    /// hash has finished, so the bound holds.
    pub async fn run_in<T, F>(slot: HashSlot, work: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: usize, wait_ms: u64) -> HashLimiter {
        HashLimiter::new(&PasswordSettings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            max_concurrent_hashes: max,
            hash_queue_timeout_ms: wait_ms,
        })
    }

    #[tokio::test]
    async fn a_full_limiter_answers_busy_after_its_wait_and_frees_slots_after_work() {
        let limiter = limiter(1, 10);
        assert_eq!(limiter.size(), 1);
        let held = limiter.acquire().await.unwrap();
        assert!(matches!(
            limiter.run(|| 1).await,
            Err(HashError::Busy {
                retry_after_secs: 1
            })
        ));
        drop(held);
        assert_eq!(limiter.run(|| 2).await.unwrap(), 2);
        // The slot came back after the work.
        assert_eq!(limiter.run(|| 3).await.unwrap(), 3);
    }

    #[test]
    fn zero_means_one_slot_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(limiter(0, 0).size(), cores);
    }
}
