use crate::db::{
    self, DbConnection,
    apis::{ApiRow, PermissionRow},
};

use super::{AccountError, error::duplicate_as, names};

/// The built-in API that administration is done through (the admin
/// token's `aud`); see `administration::access`.
pub const ADMIN_API: &str = "gatehouse-admin";

/// API identifiers become the token `aud`: an absolute URI or a plain
/// name without spaces, at most 255 characters.
pub fn validate_identifier(identifier: &str) -> Result<String, AccountError> {
    let ok = !identifier.is_empty()
        && identifier.len() <= 255
        && !identifier
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(AccountError::Invalid(format!(
            "API identifier {identifier:?} must be 1 to 255 characters without spaces"
        )));
    }
    if identifier.contains("://") {
        url::Url::parse(identifier)
            .map_err(|e| AccountError::Invalid(format!("API identifier {identifier:?}: {e}")))?;
    }
    Ok(identifier.to_owned())
}

pub fn create(
    conn: &mut DbConnection,
    identifier: &str,
    name: Option<&str>,
    now: i64,
) -> Result<ApiRow, AccountError> {
    let identifier = validate_identifier(identifier)?;
    // One namespace with client ids (see client_registration).
    if db::clients::exists(conn, &identifier)? {
        return Err(AccountError::Invalid(format!(
            "API identifier {identifier:?} is a client id; clients and APIs need different names"
        )));
    }
    let row = ApiRow {
        id: db::new_id(),
        name: name.unwrap_or(&identifier).to_owned(),
        identifier,
        built_in: false,
        created_at: now,
    };
    db::apis::insert(conn, &row).map_err(duplicate_as(format!("API {:?}", row.identifier)))?;
    Ok(row)
}

pub fn find(conn: &mut DbConnection, identifier: &str) -> Result<ApiRow, AccountError> {
    db::apis::find_by_identifier(conn, identifier)?
        .ok_or_else(|| AccountError::NotFound(format!("API {identifier:?}")))
}

pub fn add_permission(
    conn: &mut DbConnection,
    api_identifier: &str,
    name: &str,
) -> Result<PermissionRow, AccountError> {
    let api = find(conn, api_identifier)?;
    let row = PermissionRow {
        id: db::new_id(),
        api_id: api.id,
        name: names::permission(name)?,
        description: String::new(),
    };
    db::apis::insert_permission(conn, &row).map_err(duplicate_as(format!(
        "permission {name:?} on {api_identifier}"
    )))?;
    Ok(row)
}

/// Deletes an API with its permissions and their grants. Built-in APIs stay.
pub fn remove(conn: &mut DbConnection, identifier: &str) -> Result<(), AccountError> {
    let row = find(conn, identifier)?;
    if row.built_in {
        return Err(AccountError::Invalid(format!(
            "API {identifier:?} is built in and cannot be removed"
        )));
    }
    db::apis::delete(conn, &row.id)?;
    Ok(())
}
