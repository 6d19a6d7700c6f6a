use diesel::prelude::*;

use super::schema::{
    api_resources, client_roles, permissions, role_permissions, roles, user_roles,
};
use super::{DbConnection, DbError};

/// The built-in role that holds every `gatehouse-admin` permission.
pub const ADMIN_ROLE: &str = "admin";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
    pub created_at: i64,
    /// People holding the role must sign in with a second factor.
    pub require_mfa: bool,
}

pub fn insert(conn: &mut DbConnection, row: &RoleRow) -> Result<(), DbError> {
    diesel::insert_into(roles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<RoleRow>, DbError> {
    super::unique_row(
        roles::table
            .filter(roles::name.eq(name))
            .select(RoleRow::as_select()),
        conn,
    )
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<RoleRow>, DbError> {
    Ok(roles::table
        .select(RoleRow::as_select())
        .order(roles::name.asc())
        .load(conn)?)
}

/// Grants are idempotent: granting twice is not an error.
pub fn grant_to_user(conn: &mut DbConnection, role_id: &str, user_id: &str) -> Result<(), DbError> {
    let exists: i64 = user_roles::table
        .filter(user_roles::role_id.eq(role_id))
        .filter(user_roles::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::role_id.eq(role_id),
                user_roles::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn grant_to_client(
    conn: &mut DbConnection,
    role_id: &str,
    client_id: &str,
) -> Result<(), DbError> {
    let exists: i64 = client_roles::table
        .filter(client_roles::role_id.eq(role_id))
        .filter(client_roles::client_id.eq(client_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(client_roles::table)
            .values((
                client_roles::role_id.eq(role_id),
                client_roles::client_id.eq(client_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn allow_permission(
    conn: &mut DbConnection,
    role_id: &str,
    permission_id: &str,
) -> Result<(), DbError> {
    let exists: i64 = role_permissions::table
        .filter(role_permissions::role_id.eq(role_id))
        .filter(role_permissions::permission_id.eq(permission_id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(role_permissions::table)
            .values((
                role_permissions::role_id.eq(role_id),
                role_permissions::permission_id.eq(permission_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `(api identifier, permission)` pairs the role grants.
pub fn permissions_of(
    conn: &mut DbConnection,
    role_id: &str,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(role_permissions::table
        .inner_join(permissions::table.inner_join(api_resources::table))
        .filter(role_permissions::role_id.eq(role_id))
        .select((api_resources::identifier, permissions::name))
        .order((api_resources::identifier.asc(), permissions::name.asc()))
        .load(conn)?)
}

/// Names of the permissions that `user_id`'s roles grant on the API
/// `api_identifier`.
pub fn user_permissions_on(
    conn: &mut DbConnection,
    user_id: &str,
    api_identifier: &str,
) -> Result<Vec<String>, DbError> {
    Ok(user_roles::table
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(user_roles::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .inner_join(api_resources::table.on(api_resources::id.eq(permissions::api_id)))
        .filter(user_roles::user_id.eq(user_id))
        .filter(api_resources::identifier.eq(api_identifier))
        .select(permissions::name)
        .distinct()
        .order(permissions::name.asc())
        .load(conn)?)
}

/// `(role, api identifier)` for every API on which one of the user's roles
/// grants at least one permission.
pub fn user_role_apis(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(user_roles::table
        .inner_join(roles::table.on(roles::id.eq(user_roles::role_id)))
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(user_roles::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .inner_join(api_resources::table.on(api_resources::id.eq(permissions::api_id)))
        .filter(user_roles::user_id.eq(user_id))
        .select((roles::name, api_resources::identifier))
        .distinct()
        .load(conn)?)
}

/// The same for a client's (service account's) roles.
pub fn client_role_apis(
    conn: &mut DbConnection,
    client_id: &str,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(client_roles::table
        .inner_join(roles::table.on(roles::id.eq(client_roles::role_id)))
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(client_roles::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .inner_join(api_resources::table.on(api_resources::id.eq(permissions::api_id)))
        .filter(client_roles::client_id.eq(client_id))
        .select((roles::name, api_resources::identifier))
        .distinct()
        .load(conn)?)
}

/// Names of the permissions that a client's roles grant on an API.
pub fn client_permissions_on(
    conn: &mut DbConnection,
    client_id: &str,
    api_identifier: &str,
) -> Result<Vec<String>, DbError> {
    Ok(client_roles::table
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(client_roles::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .inner_join(api_resources::table.on(api_resources::id.eq(permissions::api_id)))
        .filter(client_roles::client_id.eq(client_id))
        .filter(api_resources::identifier.eq(api_identifier))
        .select(permissions::name)
        .distinct()
        .order(permissions::name.asc())
        .load(conn)?)
}

/// Which `names` are permissions on one of the APIs, in one query.
pub fn permissions_named_on_any(
    conn: &mut DbConnection,
    names: &[String],
    api_identifiers: &[String],
) -> Result<Vec<String>, DbError> {
    let mut found: Vec<String> = permissions::table
        .inner_join(api_resources::table)
        .filter(permissions::name.eq_any(names))
        .filter(api_resources::identifier.eq_any(api_identifiers))
        .select(permissions::name)
        .load(conn)?;
    found.sort();
    found.dedup();
    Ok(found)
}

pub fn revoke_from_user(
    conn: &mut DbConnection,
    role_id: &str,
    user_id: &str,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        user_roles::table
            .filter(user_roles::role_id.eq(role_id))
            .filter(user_roles::user_id.eq(user_id)),
    )
    .execute(conn)?)
}

/// Deletes the role; its grants go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut DbConnection, role_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(roles::table.find(role_id)).execute(conn)?)
}

pub fn disallow_permission(
    conn: &mut DbConnection,
    role_id: &str,
    permission_id: &str,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        role_permissions::table
            .filter(role_permissions::role_id.eq(role_id))
            .filter(role_permissions::permission_id.eq(permission_id)),
    )
    .execute(conn)?)
}

pub fn revoke_from_client(
    conn: &mut DbConnection,
    role_id: &str,
    client_id: &str,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        client_roles::table
            .filter(client_roles::role_id.eq(role_id))
            .filter(client_roles::client_id.eq(client_id)),
    )
    .execute(conn)?)
}

/// The roles that grant any of `permission_ids`.
pub fn granting(
    conn: &mut DbConnection,
    permission_ids: &[String],
) -> Result<Vec<RoleRow>, DbError> {
    Ok(role_permissions::table
        .inner_join(roles::table)
        .filter(role_permissions::permission_id.eq_any(permission_ids))
        .select(RoleRow::as_select())
        .distinct()
        .order(roles::name.asc())
        .load(conn)?)
}

/// `(role, api identifier, permission)` for every permission every role
/// grants: the whole authorization model, small enough to hold in memory.
pub fn all_grants(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(role_permissions::table
        .inner_join(roles::table.on(roles::id.eq(role_permissions::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .inner_join(api_resources::table.on(api_resources::id.eq(permissions::api_id)))
        .select((roles::name, api_resources::identifier, permissions::name))
        .load(conn)?)
}
