//! Keeping SQLite's write-ahead log small under constant load.
//!
//! SQLite's own checkpoints after each commit are PASSIVE: they copy what
//! no reader still needs and never reset the log while any reader is
//! active, so under unbroken load the log only grows (4.4 GB in 80 s of
//! tokens, measured) and with it memory and the cost of every read. A
//! checkpoint that resets the log (TRUNCATE) waits, through the busy
//! handler, until the readers of older snapshots have finished — ours
//! finish in microseconds, since no connection holds a snapshot across an
//! await — so it completes under load where the passive ones cannot.

use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::{DbConnection, DbError};

/// Log pages beyond which the log is reset: 16 MiB at SQLite's 4 KiB pages.
pub const RESET_AFTER_PAGES: i64 = 4096;

#[derive(QueryableByName)]
struct CheckpointOutcome {
    #[diesel(sql_type = Integer)]
    busy: i32,
    #[diesel(sql_type = Integer)]
    log: i32,
}

/// What one call found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Pages in the log before.
    pub log_pages: i64,
    /// Whether the log was reset to empty.
    pub reset: bool,
}

/// Checkpoints passively, then resets the log if it is still longer than
/// [`RESET_AFTER_PAGES`]. `None` on PostgreSQL, which has no such log to
/// tend.
pub fn tend(conn: &mut DbConnection) -> Result<Option<Checkpoint>, DbError> {
    let DbConnection::Sqlite(sqlite) = conn else {
        return Ok(None);
    };
    let passive: CheckpointOutcome =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(sqlite)?;
    let log_pages = i64::from(passive.log);
    if log_pages <= RESET_AFTER_PAGES {
        return Ok(Some(Checkpoint {
            log_pages,
            reset: false,
        }));
    }
    let truncate: CheckpointOutcome =
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(sqlite)?;
    Ok(Some(Checkpoint {
        log_pages,
        reset: truncate.busy == 0,
    }))
}
