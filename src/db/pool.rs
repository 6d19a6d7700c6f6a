//! Our own r2d2 manager: the URL scheme alone picks the backend. (diesel's
//! `establish` on a `MultiConnection` tries each backend in turn, so a
//! mistyped Postgres URL would quietly become a SQLite file.)

use std::time::Duration;

use diesel::{Connection, RunQueryDsl, pg::PgConnection, sqlite::SqliteConnection};

use super::{DbConnection, DbError};
use crate::config::DatabaseUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(|e| {
                    // libpq's messages span lines; operators get one.
                    let reason = e
                        .to_string()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    ConnectError(format!("cannot connect to PostgreSQL: {reason}"))
                }),
            DatabaseUrl::Sqlite(path) => {
                let path_str = path.to_str().ok_or_else(|| {
                    ConnectError(format!("SQLite path is not UTF-8: {}", path.display()))
                })?;
                let mut conn = SqliteConnection::establish(path_str).map_err(|e| {
                    ConnectError(format!("cannot open SQLite database {path_str}: {e}"))
                })?;
                // The busy timeout queues writers instead of failing them
                // (first: setting the journal mode can meet a lock held by
                // another process); WAL lets readers run beside the writer;
                // SQLite leaves foreign keys off unless asked, per connection;
                // a log reset by a checkpoint is cut back to 64 MiB on disk
                // (see `db::wal`).
                for pragma in [
                    "PRAGMA busy_timeout = 5000",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA journal_size_limit = 67108864",
                ] {
                    diesel::sql_query(pragma)
                        .execute(&mut conn)
                        .map_err(|e| ConnectError(format!("{pragma}: {e}")))?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// A pool handle, cheap to clone. Every query runs on the blocking thread
/// pool so no async worker ever waits on the database.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    url: DatabaseUrl,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Opens the pool, failing at once (with the reason) if the database
    /// cannot be reached.
    pub fn connect(url: &DatabaseUrl, pool_size: u32, timeout: Duration) -> Result<Self, DbError> {
        let backend = match url {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DbError::Unavailable(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                Backend::Sqlite
            }
        };
        let manager = Manager { url: url.clone() };
        // Try once by hand so the caller gets the real reason rather than
        // r2d2's generic timeout.
        r2d2::ManageConnection::connect(&manager).map_err(|e| DbError::Unavailable(e.0))?;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // No idle minimum: keeping one would make every checkout start
            // a replacement connection on r2d2's background threads, and a
            // process that exits meanwhile (every CLI command) races libpq's
            // TLS setup against OpenSSL's exit-time cleanup — a segfault.
            .min_idle(Some(0))
            .connection_timeout(timeout)
            // A PostgreSQL connection can die under us (server restart,
            // idle timeout), so each checkout pings it; an embedded SQLite
            // file cannot, and the ping would be a quarter of a cheap
            // request's queries.
            .test_on_check_out(backend == Backend::Postgres)
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build(manager)?;
        Ok(Self {
            pool,
            backend,
            url: url.clone(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL URL, for the few connections of their own a server
    /// keeps beside the pool (`notifications`, `advisory`); `None` on
    /// SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Some(url),
            DatabaseUrl::Sqlite(_) => None,
        }
    }

    /// Runs `work` on a pooled connection on the blocking thread pool, with
    /// no transaction: each statement commits on its own, so an `Err` after
    /// a write keeps the write. That is the path for a refusal that must
    /// still leave its mark (a replayed code revokes what it bought, then
    /// refuses); everything else that writes more than once wants
    /// [`Db::transaction`].
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        spawn_blocking(move || db.run_blocking(work)).await
    }

    /// [`Db::run`] that gives up after `limit`, waiting for a connection
    /// included: for readiness, which must answer while the database is
    /// down rather than wait out the pool's own timeout.
    pub async fn run_within<T, F>(&self, limit: Duration, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let attempt = spawn_blocking(move || {
            let mut conn = db.pool.get_timeout(limit)?;
            work(&mut conn)
        });
        // A connection that hangs (a host gone without closing its
        // sockets) is left to its thread; the answer does not wait for it.
        tokio::time::timeout(limit, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(DbError::Unavailable(format!(
                    "no answer within {} ms",
                    limit.as_millis()
                )))
            })
    }

    /// Runs `work` in a transaction on the blocking thread pool. Any `Err`
    /// — a database failure or the caller's own refusal — rolls it back
    /// and comes back as it was.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        spawn_blocking(move || db.transaction_blocking(work)).await
    }

    /// A transaction that commits what `work` wrote even when `work`
    /// answers `Err`: for a refusal that must leave its mark, such as a
    /// reused refresh token that revokes its family and then refuses. (A
    /// failed statement on PostgreSQL aborts the transaction, so nothing
    /// half-done commits there; the error comes back either way.)
    pub async fn transaction_committing_refusal<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        spawn_blocking(move || {
            // The outcome travels inside `Ok`, so diesel commits either way.
            db.transaction_blocking(|conn| Ok::<_, E>(work(conn)))?
        })
        .await
    }

    /// [`Db::run`] for the command line, which has no async workers to
    /// protect.
    pub fn run_blocking<T, E>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(|e| E::from(e.into()))?;
        work(&mut conn)
    }

    /// [`Db::transaction`] for the command line.
    pub fn transaction_blocking<T, E>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(|e| E::from(e.into()))?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|conn| {
            lock_for_writing(conn).map_err(|e| Rollback::Work(E::from(e)))?;
            work(conn).map_err(Rollback::Work)
        })
        .map_err(|rollback| match rollback {
            Rollback::Work(error) => error,
            Rollback::Diesel(error) => E::from(error.into()),
        })
    }
}

/// Why a transaction rolled back: diesel's transaction wants an error it
/// can build from its own, the caller's error need not be one.
enum Rollback<E> {
    Work(E),
    Diesel(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Rollback<E> {
    fn from(error: diesel::result::Error) -> Self {
        Rollback::Diesel(error)
    }
}

async fn spawn_blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| E::from(DbError::Unavailable(format!("database task failed: {e}"))))?
}

/// On SQLite, takes the write lock as a transaction's first step — what
/// `BEGIN IMMEDIATE` does, which diesel's `MultiConnection` cannot issue.
/// A deferred transaction that reads and then writes cannot upgrade its
/// read snapshot once another connection has written in between
/// (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not wait out); asking
/// for the lock first makes it queue behind the other writer instead. An
/// UPDATE that matches nothing still takes the lock. PostgreSQL needs none
/// of this.
fn lock_for_writing(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Sqlite(_) = conn {
        diesel::sql_query("UPDATE __diesel_schema_migrations SET version = version WHERE 0")
            .execute(conn)?;
    }
    Ok(())
}
