use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, DbError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies pending migrations; returns how many ran. On PostgreSQL an
/// advisory lock keeps several starting nodes from racing each other.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => {
            diesel::sql_query("SELECT pg_advisory_lock(7201)").execute(pg)?;
            let result = pg.run_pending_migrations(POSTGRES).map(|v| v.len());
            diesel::sql_query("SELECT pg_advisory_unlock(7201)").execute(pg)?;
            result
        }
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE).map(|v| v.len()),
    };
    applied.map_err(|e| DbError::Corrupt(format!("migration failed: {e}")))
}
