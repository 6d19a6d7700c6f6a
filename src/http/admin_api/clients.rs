//! `/admin/api/v1/clients`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    caller::Admin,
    deferred::Deferred,
    error::{ApiError, ErrorBody},
};
use crate::administration::clients as administration;
use crate::administration::views::clients::{self as views, ClientRecord};
use crate::crypto::SigningAlgorithm;
use crate::oauth::{GrantType, client_registration::ClientSpec};

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub disabled: bool,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub resources: Vec<String>,
    /// APIs whose access tokens this client may introspect.
    pub introspect: Vec<String>,
    pub roles: Vec<String>,
    pub skip_consent: bool,
    /// RS256, ES256 or EdDSA; absent: the server's default.
    pub id_token_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
}

impl From<ClientRecord> for ClientView {
    fn from(record: ClientRecord) -> Self {
        let row = record.row;
        Self {
            client_id: row.client_id,
            name: row.name,
            public: row.is_public,
            disabled: row.disabled,
            grant_types: row
                .grant_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            redirect_uris: record.redirect_uris,
            post_logout_redirect_uris: record.post_logout_redirect_uris,
            resources: record.resources,
            introspect: record.introspect_apis,
            roles: record.roles,
            skip_consent: row.skip_consent,
            id_token_alg: row.id_token_alg,
            backchannel_logout_uri: row.backchannel_logout_uri,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientBody {
    pub client_id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub introspect: Vec<String>,
    #[serde(default)]
    pub skip_consent: bool,
    /// RS256, ES256 or EdDSA; absent: the server's default.
    pub id_token_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
}

/// The client, and its secret: shown exactly once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    pub client: ClientView,
    pub client_secret: Option<String>,
}

pub(super) async fn view(admin: &Admin, client_id: String) -> Result<ClientView, ApiError> {
    let wanted = client_id.clone();
    admin
        .state
        .db
        .run(move |conn| views::one(conn, &wanted))
        .await?
        .map(ClientView::from)
        .ok_or_else(|| ApiError::NotFound(format!("client {client_id:?} not found")))
}

#[utoipa::path(get, path = "/admin/api/v1/clients", tag = "clients",
    responses((status = 200, body = [ClientView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(admin: Admin) -> Result<HttpResponse, ApiError> {
    admin.require("clients:read")?;
    let clients: Vec<ClientView> = admin
        .state
        .db
        .run(views::all)
        .await?
        .into_iter()
        .map(ClientView::from)
        .collect();
    Ok(HttpResponse::Ok().json(clients))
}

#[utoipa::path(get, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    responses((status = 200, body = ClientView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(admin: Admin, client_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("clients:read")?;
    Ok(HttpResponse::Ok().json(view(&admin, client_id.into_inner()).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/clients", tag = "clients", request_body = NewClientBody,
    responses((status = 201, body = CreatedClient), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    admin: Admin,
    body: Deferred<web::Json<NewClientBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let body = body.get()?.into_inner();
    let grant_types = body
        .grant_types
        .iter()
        .map(|g| g.parse::<GrantType>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::Invalid)?;
    let id_token_alg = body
        .id_token_alg
        .as_deref()
        .map(str::parse::<SigningAlgorithm>)
        .transpose()
        .map_err(ApiError::Invalid)?;
    let scopes = if body.scopes.is_empty() {
        crate::oauth::scope::SUPPORTED_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        body.scopes
    };
    let spec = ClientSpec {
        client_id: body.client_id,
        name: body.name,
        public: body.public,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        grant_types,
        scopes,
        resources: body.resources,
        introspect: body.introspect,
        skip_consent: body.skip_consent,
        id_token_alg,
        backchannel_logout_uri: body.backchannel_logout_uri,
        secret: None,
    };
    let registered = admin
        .change(move |conn, actor, now| administration::register(conn, actor, spec, now))
        .await?;
    let client = view(&admin, registered.client_id).await?;
    Ok(HttpResponse::Created().json(CreatedClient {
        client,
        client_secret: registered.secret.map(|s| s.into_inner()),
    }))
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/rotate-secret", tag = "clients",
    responses((status = 200, body = CreatedClient), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    admin: Admin,
    client_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let client_id = client_id.into_inner();
    let id = client_id.clone();
    let secret = admin
        .change(move |conn, actor, now| administration::rotate_secret(conn, actor, &id, now))
        .await?;
    let client = view(&admin, client_id).await?;
    Ok(HttpResponse::Ok().json(CreatedClient {
        client,
        client_secret: Some(secret.into_inner()),
    }))
}

async fn set_disabled(
    admin: Admin,
    client_id: String,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let id = client_id.clone();
    admin
        .change(move |conn, actor, now| {
            administration::set_disabled(conn, actor, &id, disabled, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&admin, client_id).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/disable", tag = "clients",
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disable(admin: Admin, client_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_disabled(admin, client_id.into_inner(), true).await
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/enable", tag = "clients",
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable(admin: Admin, client_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_disabled(admin, client_id.into_inner(), false).await
}

#[utoipa::path(delete, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(admin: Admin, client_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let client_id = client_id.into_inner();
    admin
        .change(move |conn, actor, now| administration::delete(conn, actor, &client_id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/admin/api/v1/clients/{client_id}/roles/{role}", tag = "clients",
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn grant_role(
    admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let (client_id, role) = path.into_inner();
    let id = client_id.clone();
    admin
        .change(move |conn, actor, now| administration::grant_role(conn, actor, &id, &role, now))
        .await?;
    Ok(HttpResponse::Ok().json(view(&admin, client_id).await?))
}

#[utoipa::path(delete, path = "/admin/api/v1/clients/{client_id}/roles/{role}", tag = "clients",
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_role(
    admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let (client_id, role) = path.into_inner();
    let id = client_id.clone();
    admin
        .change(move |conn, actor, now| administration::revoke_role(conn, actor, &id, &role, now))
        .await?;
    Ok(HttpResponse::Ok().json(view(&admin, client_id).await?))
}
