//! The change epoch: one counter, bumped in the transaction of every
//! administrative change and polled by every server (see
//! `crate::invalidation`), so that what a server holds in memory follows a
//! change made by another node or by the command line within a second.
//! It commits or rolls back with the change itself: a server that reads a
//! new epoch then reads the change too.

use diesel::prelude::*;

use super::schema::change_epoch;
use super::{DbConnection, DbError};

/// The one row's key.
const ROW: i64 = 1;

/// The current epoch (0 if the row is missing, which a migration prevents).
pub fn current(conn: &mut DbConnection) -> Result<i64, DbError> {
    let epochs: Vec<i64> = change_epoch::table
        .find(ROW)
        .select(change_epoch::epoch)
        .load(conn)?;
    Ok(epochs.into_iter().next().unwrap_or(0))
}

/// Moves the epoch on, inside the caller's transaction. On PostgreSQL the
/// row stays locked until that transaction ends, so concurrent changes
/// bump it one after the other and none is lost; and the bump is announced
/// to every listening server (`super::notifications`), delivered when the
/// transaction commits, so they need not wait for their next poll.
pub fn bump(conn: &mut DbConnection) -> Result<(), DbError> {
    diesel::update(change_epoch::table.find(ROW))
        .set(change_epoch::epoch.eq(change_epoch::epoch + 1))
        .execute(conn)?;
    super::notifications::announce(conn)
}
