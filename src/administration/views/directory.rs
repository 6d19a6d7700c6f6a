//! Roles and APIs with their permissions.

use crate::accounts::{AccountError, apis as accounts_apis};
use crate::db::{self, DbConnection, DbError};

pub use crate::db::apis::ApiRow;
pub use crate::db::roles::RoleRow;

/// A role and what it grants.
#[derive(Debug, Clone)]
pub struct Role {
    pub row: RoleRow,
    /// `(api identifier, permission)` pairs, by API then permission.
    pub permissions: Vec<(String, String)>,
}

/// A role, what it grants, and who holds it.
#[derive(Debug, Clone)]
pub struct RoleWithHolders {
    pub role: Role,
    /// The first usernames holding the role, by username.
    pub users: Vec<String>,
    /// Every client holding the role, by client id.
    pub clients: Vec<String>,
}

/// An API and its permissions.
#[derive(Debug, Clone)]
pub struct Api {
    pub row: ApiRow,
    /// Permission names, by name.
    pub permissions: Vec<String>,
}

/// Every role by name, with its permissions: 2 queries.
pub fn roles(conn: &mut DbConnection) -> Result<Vec<Role>, DbError> {
    let rows = db::roles::list(conn)?;
    let mut granted = db::listings::permissions_of_all_roles(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| Role {
            permissions: granted.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// Every role as `roles` shows it, with up to `user_limit` users and every
/// client holding it: 4 queries.
pub fn roles_with_holders(
    conn: &mut DbConnection,
    user_limit: u32,
) -> Result<Vec<RoleWithHolders>, DbError> {
    let roles = roles(conn)?;
    let mut users = db::listings::user_holders_of_all_roles(conn, user_limit)?;
    let mut clients = db::listings::client_holders_of_all_roles(conn)?;
    Ok(roles
        .into_iter()
        .map(|role| RoleWithHolders {
            users: users.remove(&role.row.id).unwrap_or_default(),
            clients: clients.remove(&role.row.id).unwrap_or_default(),
            role,
        })
        .collect())
}

/// Every role with its holders and every API: what the console's roles
/// page shows.
#[derive(Debug, Clone)]
pub struct Directory {
    pub roles: Vec<RoleWithHolders>,
    pub apis: Vec<Api>,
}

/// `roles_with_holders` and `apis` together: 6 queries.
pub fn directory(conn: &mut DbConnection, user_limit: u32) -> Result<Directory, DbError> {
    Ok(Directory {
        roles: roles_with_holders(conn, user_limit)?,
        apis: apis(conn)?,
    })
}

/// Every API by identifier, with its permissions: 2 queries.
pub fn apis(conn: &mut DbConnection) -> Result<Vec<Api>, DbError> {
    let rows = db::apis::list(conn)?;
    let mut named = db::listings::permissions_of_all_apis(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| Api {
            permissions: named.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// The permission names of the API `identifier`, by name: 2 queries; an
/// unknown API is `AccountError::NotFound`.
pub fn permissions_of_api(
    conn: &mut DbConnection,
    identifier: &str,
) -> Result<Vec<String>, AccountError> {
    let api = accounts_apis::find(conn, identifier)?;
    Ok(db::apis::permissions_of(conn, &api.id)?
        .into_iter()
        .map(|p| p.name)
        .collect())
}
