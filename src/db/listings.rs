//! Reads for whole listings (every client, every role, every API), each
//! one query whatever the number of rows, so that a page costs the same
//! with three clients or three thousand. `administration::views` stitches
//! them together.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::clients::{ClientRecord, ClientRow, REDIRECT};
use super::schema::{
    api_resources, client_introspection, client_redirect_uris, client_resources, client_roles,
    permissions, role_permissions, roles,
};
use super::{DbConnection, DbError};

/// Values grouped by the key they were loaded with, in load order.
fn grouped(pairs: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in pairs {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// Every client with everything registered for it, by client id: five
/// queries (clients, URIs, resources, roles, introspection grants). Each
/// list is in the order `clients::find` gives it.
pub fn all_client_records(conn: &mut DbConnection) -> Result<Vec<ClientRecord>, DbError> {
    let rows: Vec<ClientRow> = super::clients::list(conn)?;
    let uris: Vec<(String, String, String)> = client_redirect_uris::table
        .select((
            client_redirect_uris::client_id,
            client_redirect_uris::kind,
            client_redirect_uris::uri,
        ))
        .order((
            client_redirect_uris::client_id.asc(),
            client_redirect_uris::uri.asc(),
        ))
        .load(conn)?;
    let (redirect, post_logout): (Vec<_>, Vec<_>) =
        uris.into_iter().partition(|(_, kind, _)| kind == REDIRECT);
    let mut redirect = grouped(redirect.into_iter().map(|(c, _, u)| (c, u)).collect());
    let mut post_logout = grouped(post_logout.into_iter().map(|(c, _, u)| (c, u)).collect());
    let mut resources = grouped(
        client_resources::table
            .inner_join(api_resources::table)
            .select((client_resources::client_id, api_resources::identifier))
            .order((
                client_resources::client_id.asc(),
                client_resources::position.asc(),
            ))
            .load(conn)?,
    );
    let mut held = grouped(
        client_roles::table
            .inner_join(roles::table)
            .select((client_roles::client_id, roles::name))
            .order((client_roles::client_id.asc(), roles::name.asc()))
            .load(conn)?,
    );
    let mut introspect = grouped(
        client_introspection::table
            .inner_join(api_resources::table)
            .select((client_introspection::client_id, api_resources::identifier))
            .order((
                client_introspection::client_id.asc(),
                api_resources::identifier.asc(),
            ))
            .load(conn)?,
    );
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.client_id.as_str();
            ClientRecord {
                redirect_uris: redirect.remove(id).unwrap_or_default(),
                post_logout_redirect_uris: post_logout.remove(id).unwrap_or_default(),
                resources: resources.remove(id).unwrap_or_default(),
                roles: held.remove(id).unwrap_or_default(),
                introspect_apis: introspect.remove(id).unwrap_or_default(),
                row,
            }
        })
        .collect())
}

/// `(api identifier, permission)` pairs of every role, by role id, in one
/// query; each role's pairs in the order `roles::permissions_of` gives.
pub fn permissions_of_all_roles(
    conn: &mut DbConnection,
) -> Result<HashMap<String, Vec<(String, String)>>, DbError> {
    let rows: Vec<(String, String, String)> = role_permissions::table
        .inner_join(permissions::table.inner_join(api_resources::table))
        .select((
            role_permissions::role_id,
            api_resources::identifier,
            permissions::name,
        ))
        .order((api_resources::identifier.asc(), permissions::name.asc()))
        .load(conn)?;
    let mut groups: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (role_id, api, permission) in rows {
        groups.entry(role_id).or_default().push((api, permission));
    }
    Ok(groups)
}

/// Permission names of every API, by API id, in one query, by name.
pub fn permissions_of_all_apis(
    conn: &mut DbConnection,
) -> Result<HashMap<String, Vec<String>>, DbError> {
    Ok(grouped(
        permissions::table
            .select((permissions::api_id, permissions::name))
            .order(permissions::name.asc())
            .load(conn)?,
    ))
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Text)]
    role_id: String,
    #[diesel(sql_type = Text)]
    username: String,
}

/// The first `limit` usernames (by username) holding each role, by role id,
/// in one query: a window function numbers each role's holders, so a role
/// held by a million users costs no more than one held by three.
pub fn user_holders_of_all_roles(
    conn: &mut DbConnection,
    limit: u32,
) -> Result<HashMap<String, Vec<String>>, DbError> {
    // `limit` is a number, written into the text: no bind parameter, whose
    // spelling differs between the two backends.
    let query = format!(
        "SELECT role_id, username FROM ( \
           SELECT user_roles.role_id AS role_id, users.username AS username, \
                  ROW_NUMBER() OVER (PARTITION BY user_roles.role_id \
                                     ORDER BY users.username) AS position \
           FROM user_roles JOIN users ON users.id = user_roles.user_id \
         ) ranked WHERE position <= {limit} ORDER BY role_id, username"
    );
    let holders: Vec<Holder> = diesel::sql_query(query).load(conn)?;
    Ok(grouped(
        holders
            .into_iter()
            .map(|h| (h.role_id, h.username))
            .collect(),
    ))
}

/// Client ids holding each role, by role id, in one query.
pub fn client_holders_of_all_roles(
    conn: &mut DbConnection,
) -> Result<HashMap<String, Vec<String>>, DbError> {
    Ok(grouped(
        client_roles::table
            .select((client_roles::role_id, client_roles::client_id))
            .order(client_roles::client_id.asc())
            .load(conn)?,
    ))
}
