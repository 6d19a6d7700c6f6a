//! PostgreSQL `LISTEN/NOTIFY` for the change epoch: every bump notifies
//! (inside the change's transaction, so the notification is delivered when
//! it commits and never for a change rolled back), and every server listens
//! on a connection of its own (see `crate::invalidation::listen`).
//!
//! The listening connection is never a pooled one: a pool hands its
//! connections to other work, and a transaction pooler (PgBouncer) would
//! not keep a session's `LISTEN`. diesel reads notifications without
//! waiting for them (`PgConnection::notifications_iter`), so the listener
//! asks again every few milliseconds; each ask reads what the socket holds.

use diesel::{Connection, RunQueryDsl, pg::PgConnection};

use super::{DbConnection, DbError};

/// The channel every change is announced on.
pub const CHANNEL: &str = "gatehouse_change";

/// Announces a change inside the caller's transaction (delivered when it
/// commits). Nothing on SQLite, which has one node.
pub fn announce(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("NOTIFY {CHANNEL}")).execute(pg)?;
    }
    Ok(())
}

/// A connection of its own that listens on [`CHANNEL`].
pub struct ChangeListener {
    conn: PgConnection,
}

impl ChangeListener {
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let mut conn = PgConnection::establish(url).map_err(|e| {
            DbError::Unavailable(
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
        diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
        Ok(ChangeListener { conn })
    }

    /// How many announcements arrived since the last call (without
    /// waiting); an error means the connection is lost, and with it
    /// whatever was announced meanwhile.
    pub fn arrived(&mut self) -> Result<usize, DbError> {
        let mut count = 0;
        for notification in self.conn.notifications_iter() {
            notification.map_err(|e| DbError::Unavailable(e.to_string()))?;
            count += 1;
        }
        Ok(count)
    }

    /// A round trip, to find a connection that died silently.
    pub fn check(&mut self) -> Result<(), DbError> {
        diesel::sql_query("SELECT 1").execute(&mut self.conn)?;
        Ok(())
    }
}
