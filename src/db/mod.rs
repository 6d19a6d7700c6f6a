//! The only module that speaks diesel, and the only one that knows there are
//! two backends. Everything outside sees `Db`, `DbConnection` and the row
//! types and functions of the repository files.

mod connection;
mod error;
mod migrations;
mod pool;
pub mod schema;

pub mod advisory;
pub mod apis;
pub mod audit;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backchannel;
pub mod change_epoch;
pub mod clients;
pub mod consents;
pub mod housekeeping;
pub mod listings;
pub mod login_failures;
pub mod notifications;
pub mod passkeys;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod roles;
pub mod second_factors;
pub mod sessions;
pub mod setup_tokens;
pub mod signing_keys;
pub mod user_search;
pub mod users;
pub mod wal;

pub use connection::DbConnection;
pub use error::DbError;
pub use migrations::{SchemaState, run_migrations, schema_state};
pub use pool::{Backend, Db};

/// A fresh random id for a new row.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A trivial round trip, for readiness checks.
pub fn ping(conn: &mut DbConnection) -> Result<(), DbError> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// The row a lookup by a unique key finds, if any. Not `.first()`: through
/// the `MultiConnection` backend diesel renders its `LIMIT` in a form that
/// SQLite's statement cache refuses, so the hottest lookups (client, user,
/// session, token) would be parsed and planned again on every call. A
/// unique key yields at most one row without a `LIMIT`.
pub(crate) fn unique_row<'query, Q, T>(
    query: Q,
    conn: &mut DbConnection,
) -> Result<Option<T>, DbError>
where
    Q: diesel::query_dsl::LoadQuery<'query, DbConnection, T>,
{
    Ok(query.load(conn)?.into_iter().next())
}
