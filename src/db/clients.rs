use diesel::prelude::*;

use super::schema::{
    api_resources, client_introspection, client_redirect_uris, client_resources, client_roles,
    clients, roles,
};
use super::{DbConnection, DbError};

pub const REDIRECT: &str = "redirect";
pub const POST_LOGOUT: &str = "post_logout";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub is_public: bool,
    pub grant_types: String,
    pub scopes: String,
    pub skip_consent: bool,
    pub id_token_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A client with everything registered for it.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub row: ClientRow,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// API identifiers in registration order; the first is the default audience.
    pub resources: Vec<String>,
    pub roles: Vec<String>,
    /// APIs whose access tokens this client (a resource server) may introspect.
    pub introspect_apis: Vec<String>,
}

pub fn insert(
    conn: &mut DbConnection,
    row: &ClientRow,
    redirect_uris: &[String],
    post_logout_uris: &[String],
    resource_api_ids: &[String],
) -> Result<(), DbError> {
    diesel::insert_into(clients::table)
        .values(row)
        .execute(conn)?;
    insert_lists(
        conn,
        &row.client_id,
        redirect_uris,
        post_logout_uris,
        resource_api_ids,
    )
}

fn insert_lists(
    conn: &mut DbConnection,
    client_id: &str,
    redirect_uris: &[String],
    post_logout_uris: &[String],
    resource_api_ids: &[String],
) -> Result<(), DbError> {
    for (kind, uris) in [(REDIRECT, redirect_uris), (POST_LOGOUT, post_logout_uris)] {
        for uri in uris {
            diesel::insert_into(client_redirect_uris::table)
                .values((
                    client_redirect_uris::client_id.eq(client_id),
                    client_redirect_uris::kind.eq(kind),
                    client_redirect_uris::uri.eq(uri),
                ))
                .execute(conn)?;
        }
    }
    for (position, api_id) in resource_api_ids.iter().enumerate() {
        let position =
            i32::try_from(position).map_err(|_| DbError::Corrupt("too many resources".into()))?;
        diesel::insert_into(client_resources::table)
            .values((
                client_resources::client_id.eq(client_id),
                client_resources::api_id.eq(api_id),
                client_resources::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The settings an edit may change (not the id, type, secret or state).
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub grant_types: String,
    pub scopes: String,
    pub skip_consent: bool,
    pub id_token_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
}

/// Everything registered for a client in tables of its own.
#[derive(Debug, Clone, Copy)]
pub struct Lists<'a> {
    pub redirect_uris: &'a [String],
    pub post_logout_uris: &'a [String],
    /// In order: the first is the default audience.
    pub resource_api_ids: &'a [String],
    pub introspect_api_ids: &'a [String],
}

/// Replaces a client's settings and lists; 0 when there is no such client.
/// The lists are written again whole (a client has a handful of each), so
/// the resources' positions stay 0, 1, 2, … without gaps.
pub fn replace_registration(
    conn: &mut DbConnection,
    client_id: &str,
    settings: &Settings,
    lists: &Lists<'_>,
    now: i64,
) -> Result<usize, DbError> {
    let updated = diesel::update(clients::table.find(client_id))
        .set((
            clients::name.eq(&settings.name),
            clients::grant_types.eq(&settings.grant_types),
            clients::scopes.eq(&settings.scopes),
            clients::skip_consent.eq(settings.skip_consent),
            clients::id_token_alg.eq(&settings.id_token_alg),
            clients::backchannel_logout_uri.eq(&settings.backchannel_logout_uri),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(0);
    }
    diesel::delete(
        client_redirect_uris::table.filter(client_redirect_uris::client_id.eq(client_id)),
    )
    .execute(conn)?;
    diesel::delete(client_resources::table.filter(client_resources::client_id.eq(client_id)))
        .execute(conn)?;
    diesel::delete(
        client_introspection::table.filter(client_introspection::client_id.eq(client_id)),
    )
    .execute(conn)?;
    insert_lists(
        conn,
        client_id,
        lists.redirect_uris,
        lists.post_logout_uris,
        lists.resource_api_ids,
    )?;
    for api_id in lists.introspect_api_ids {
        allow_introspection(conn, client_id, api_id)?;
    }
    Ok(updated)
}

pub fn find(conn: &mut DbConnection, client_id: &str) -> Result<Option<ClientRecord>, DbError> {
    let Some(row) = super::unique_row(
        clients::table
            .find(client_id)
            .select(ClientRow::as_select()),
        conn,
    )?
    else {
        return Ok(None);
    };
    let uris: Vec<(String, String)> = client_redirect_uris::table
        .filter(client_redirect_uris::client_id.eq(client_id))
        .select((client_redirect_uris::kind, client_redirect_uris::uri))
        .order(client_redirect_uris::uri.asc())
        .load(conn)?;
    let (redirect, post_logout): (Vec<_>, Vec<_>) =
        uris.into_iter().partition(|(kind, _)| kind == REDIRECT);
    let resources = client_resources::table
        .inner_join(api_resources::table)
        .filter(client_resources::client_id.eq(client_id))
        .order(client_resources::position.asc())
        .select(api_resources::identifier)
        .load(conn)?;
    let roles = client_roles::table
        .inner_join(roles::table)
        .filter(client_roles::client_id.eq(client_id))
        .select(roles::name)
        .order(roles::name.asc())
        .load(conn)?;
    let introspect_apis = client_introspection::table
        .inner_join(api_resources::table)
        .filter(client_introspection::client_id.eq(client_id))
        .select(api_resources::identifier)
        .order(api_resources::identifier.asc())
        .load(conn)?;
    Ok(Some(ClientRecord {
        row,
        redirect_uris: redirect.into_iter().map(|(_, uri)| uri).collect(),
        post_logout_redirect_uris: post_logout.into_iter().map(|(_, uri)| uri).collect(),
        resources,
        roles,
        introspect_apis,
    }))
}

pub fn exists(conn: &mut DbConnection, client_id: &str) -> Result<bool, DbError> {
    let count: i64 = clients::table.find(client_id).count().get_result(conn)?;
    Ok(count > 0)
}

/// Whether the client exists and is enabled: the check every use of one
/// of its tokens makes.
pub fn is_enabled(conn: &mut DbConnection, client_id: &str) -> Result<bool, DbError> {
    let count: i64 = clients::table
        .find(client_id)
        .filter(clients::disabled.eq(false))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<ClientRow>, DbError> {
    Ok(clients::table
        .select(ClientRow::as_select())
        .order(clients::client_id.asc())
        .load(conn)?)
}

pub fn allow_introspection(
    conn: &mut DbConnection,
    client_id: &str,
    api_id: &str,
) -> Result<(), DbError> {
    diesel::insert_into(client_introspection::table)
        .values((
            client_introspection::client_id.eq(client_id),
            client_introspection::api_id.eq(api_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_disabled(
    conn: &mut DbConnection,
    client_id: &str,
    disabled: bool,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(clients::table.find(client_id))
        .set((clients::disabled.eq(disabled), clients::updated_at.eq(now)))
        .execute(conn)?)
}

pub fn delete(conn: &mut DbConnection, client_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(clients::table.find(client_id)).execute(conn)?)
}

pub fn set_secret_hash(
    conn: &mut DbConnection,
    client_id: &str,
    hash: &str,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(clients::table.find(client_id))
        .set((clients::secret_hash.eq(hash), clients::updated_at.eq(now)))
        .execute(conn)?)
}
