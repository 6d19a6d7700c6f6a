//! Waiting for something another process or node does in its own time.

use std::time::{Duration, Instant};

/// Within how long a change made elsewhere (another node, the command
/// line) must be in force on a running server.
pub const WITHIN: Duration = Duration::from_secs(2);

/// Asks `holds` every 50 ms until it says yes; panics if that takes longer
/// than `WITHIN` (plus one check's time). Returns how long it took.
pub async fn within_two_seconds<F, Fut>(what: &str, mut holds: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if holds().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < WITHIN,
            "{what}: not in force after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
