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

/// What a client form offers to choose from: every role and every API
/// (by identifier), by name.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub roles: Vec<String>,
    pub apis: Vec<String>,
}

/// The roles and APIs a client may be given: 2 queries.
pub fn choices(conn: &mut DbConnection) -> Result<Choices, DbError> {
    Ok(Choices {
        roles: db::roles::list(conn)?
            .into_iter()
            .map(|role| role.name)
            .collect(),
        apis: db::apis::list(conn)?
            .into_iter()
            .map(|api| api.identifier)
            .collect(),
    })
}
