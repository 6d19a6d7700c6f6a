use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, DbError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies pending migrations; returns how many ran. On PostgreSQL an
/// advisory lock keeps several starting nodes from racing each other: the
/// first applies them, the others wait and then find nothing to do.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    super::advisory::with_session_lock(conn, super::advisory::Lock::Migrations, |conn| {
        let applied = match conn {
            DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES).map(|v| v.len()),
            DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE).map(|v| v.len()),
        };
        applied.map_err(|e| DbError::Corrupt(format!("migration failed: {e}")))
    })
}

/// How far a database's schema is from this build, read without writing
/// (diesel's own `applied_migrations` would create its bookkeeping table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// No migration was ever applied: not a Gatehouse database (yet).
    Empty,
    /// Set up, with this many migrations of this build still to apply.
    Pending(usize),
}

pub fn schema_state(conn: &mut DbConnection) -> Result<SchemaState, DbError> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let tables = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT count(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'",
        )
        .get_result::<Count>(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT count(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'",
        )
        .get_result::<Count>(sqlite)?,
    };
    if tables.n == 0 {
        return Ok(SchemaState::Empty);
    }
    let pending = match conn {
        DbConnection::Postgres(pg) => pg.pending_migrations(POSTGRES).map(|v| v.len()),
        DbConnection::Sqlite(sqlite) => sqlite.pending_migrations(SQLITE).map(|v| v.len()),
    };
    let pending = pending.map_err(|e| DbError::Corrupt(format!("cannot read migrations: {e}")))?;
    Ok(SchemaState::Pending(pending))
}
