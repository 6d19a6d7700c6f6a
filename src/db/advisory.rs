//! PostgreSQL advisory locks: how nodes sharing one database take turns.
//! A lock is a number; PostgreSQL frees a session's locks when its
//! connection ends, so a node that dies (even by SIGKILL) cannot keep one.
//! On SQLite there is one node, and its write lock already serialises
//! writers: every function here is a no-op there.

use diesel::{Connection, RunQueryDsl, pg::PgConnection, sql_types::Bool};

use super::{DbConnection, DbError};

/// What a lock guards. The numbers are part of the deployed system: nodes
/// of different versions meet during a rolling upgrade, so a number never
/// changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lock {
    /// Applying migrations (the number older versions already used).
    Migrations,
    /// Creating the first signing keys of a new database.
    InitialKeys,
    /// The scheduled rotation of signing keys.
    KeyRotation,
    /// The housekeeping sweep.
    Housekeeping,
}

impl Lock {
    pub fn id(self) -> i64 {
        // "gate" in the high half keeps clear of other applications'
        // locks in a shared database.
        const NAMESPACE: i64 = 0x6761_7465 << 32;
        match self {
            Lock::Migrations => 7201,
            Lock::InitialKeys => NAMESPACE + 1,
            Lock::KeyRotation => NAMESPACE + 2,
            Lock::Housekeeping => NAMESPACE + 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lock::Migrations => "migrations",
            Lock::InitialKeys => "initial keys",
            Lock::KeyRotation => "key rotation",
            Lock::Housekeeping => "housekeeping",
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

/// Waits for `lock` until the caller's transaction ends (it is released
/// by the commit or rollback, whichever comes).
pub fn lock_for_transaction(conn: &mut DbConnection, lock: Lock) -> Result<(), DbError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", lock.id())).execute(pg)?;
    }
    Ok(())
}

/// Runs `work` holding `lock` for the session of `conn` (waiting for it
/// first), and releases it afterwards whatever `work` answered.
pub fn with_session_lock<T, E>(
    conn: &mut DbConnection,
    lock: Lock,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_lock({})", lock.id()))
            .execute(pg)
            .map_err(|e| E::from(e.into()))?;
    }
    let outcome = work(conn);
    if let DbConnection::Postgres(pg) = conn {
        // Should the unlock fail the connection is broken, and the lock
        // went with it.
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({})", lock.id())).execute(pg);
    }
    outcome
}

/// A connection of its own, outside the pool, that holds session-level
/// locks for as long as this process keeps it: the cluster-wide jobs' right
/// to run. Each job asks for its lock before each run and keeps it once
/// taken, so one node runs each job; when that node dies its connection
/// closes, PostgreSQL frees the lock, and the next node to ask takes over.
pub struct SessionLocks {
    url: String,
    conn: Option<PgConnection>,
    held: std::collections::HashSet<Lock>,
}

impl SessionLocks {
    pub fn new(url: &str) -> Self {
        SessionLocks {
            url: url.to_owned(),
            conn: None,
            held: Default::default(),
        }
    }

    /// True if this process holds `lock` now: kept from before (the
    /// connection is checked to be alive) or just taken. Never waits for
    /// another holder.
    pub fn try_hold(&mut self, lock: Lock) -> Result<bool, DbError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                self.held.clear();
                let conn = PgConnection::establish(&self.url)
                    .map_err(|e| DbError::Unavailable(one_line(&e.to_string())))?;
                self.conn.insert(conn)
            }
        };
        let outcome = if self.held.contains(&lock) {
            // Still ours if the session that took it is still alive.
            diesel::sql_query("SELECT true AS taken").get_result::<Taken>(conn)
        } else {
            diesel::sql_query(format!(
                "SELECT pg_try_advisory_lock({}) AS taken",
                lock.id()
            ))
            .get_result::<Taken>(conn)
        };
        match outcome {
            Ok(Taken { taken }) => {
                if taken {
                    self.held.insert(lock);
                }
                Ok(taken)
            }
            Err(error) => {
                // The session (and every lock it held) is gone or going:
                // start afresh next time.
                self.conn = None;
                self.held.clear();
                Err(error.into())
            }
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
