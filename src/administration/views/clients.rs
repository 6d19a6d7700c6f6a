//! Clients with everything registered for them.

use crate::db::{self, DbConnection, DbError};

pub use crate::db::clients::{ClientRecord, ClientRow};

/// Every client, by client id, with its redirect URIs, post-logout URIs,
/// resources, roles and introspection APIs: 5 queries.
pub fn all(conn: &mut DbConnection) -> Result<Vec<ClientRecord>, DbError> {
    db::listings::all_client_records(conn)
}

/// One client, as `all` shows it: 5 queries.
pub fn one(conn: &mut DbConnection, client_id: &str) -> Result<Option<ClientRecord>, DbError> {
    db::clients::find(conn, client_id)
}
