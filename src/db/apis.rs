use diesel::prelude::*;

use super::schema::{api_resources, permissions};
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_resources)]
pub struct ApiRow {
    pub id: String,
    pub identifier: String,
    pub name: String,
    pub built_in: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = permissions)]
pub struct PermissionRow {
    pub id: String,
    pub api_id: String,
    pub name: String,
    pub description: String,
}

pub fn insert(conn: &mut DbConnection, row: &ApiRow) -> Result<(), DbError> {
    diesel::insert_into(api_resources::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_identifier(
    conn: &mut DbConnection,
    identifier: &str,
) -> Result<Option<ApiRow>, DbError> {
    super::unique_row(
        api_resources::table
            .filter(api_resources::identifier.eq(identifier))
            .select(ApiRow::as_select()),
        conn,
    )
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiRow>, DbError> {
    Ok(api_resources::table
        .select(ApiRow::as_select())
        .order(api_resources::identifier.asc())
        .load(conn)?)
}

pub fn insert_permission(conn: &mut DbConnection, row: &PermissionRow) -> Result<(), DbError> {
    diesel::insert_into(permissions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_permission(
    conn: &mut DbConnection,
    api_id: &str,
    name: &str,
) -> Result<Option<PermissionRow>, DbError> {
    super::unique_row(
        permissions::table
            .filter(permissions::api_id.eq(api_id))
            .filter(permissions::name.eq(name))
            .select(PermissionRow::as_select()),
        conn,
    )
}

pub fn permissions_of(
    conn: &mut DbConnection,
    api_id: &str,
) -> Result<Vec<PermissionRow>, DbError> {
    Ok(permissions::table
        .filter(permissions::api_id.eq(api_id))
        .select(PermissionRow::as_select())
        .order(permissions::name.asc())
        .load(conn)?)
}

/// Deletes the API; its permissions and their grants go with it.
pub fn delete(conn: &mut DbConnection, api_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(api_resources::table.find(api_id)).execute(conn)?)
}

/// Deletes one permission; the role grants of it go with it.
pub fn delete_permission(conn: &mut DbConnection, permission_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(permissions::table.find(permission_id)).execute(conn)?)
}
