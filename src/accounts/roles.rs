use crate::db::{self, DbConnection, roles::RoleRow};

use super::{AccountError, error::duplicate_as, names};

pub fn create(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
    now: i64,
) -> Result<RoleRow, AccountError> {
    let row = RoleRow {
        id: db::new_id(),
        name: names::role(name)?,
        description: description.to_owned(),
        built_in: false,
        created_at: now,
    };
    db::roles::insert(conn, &row).map_err(duplicate_as(format!("role {name:?}")))?;
    Ok(row)
}

pub fn find(conn: &mut DbConnection, name: &str) -> Result<RoleRow, AccountError> {
    db::roles::find_by_name(conn, name)?
        .ok_or_else(|| AccountError::NotFound(format!("role {name:?}")))
}
