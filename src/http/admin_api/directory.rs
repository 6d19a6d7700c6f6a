//! `/admin/api/v1/roles` and `/admin/api/v1/apis`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{
    caller::Admin,
    deferred::Deferred,
    error::{ApiError, ErrorBody},
};
use crate::administration::directory as administration;
use crate::administration::views::directory as views;

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub name: String,
    pub description: String,
    pub built_in: bool,
    /// `(api, permission)` pairs the role grants.
    pub permissions: Vec<PermissionRef>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionRef {
    pub api: String,
    pub permission: String,
}

/// A permission named in a query: API identifiers may be URLs, with
/// slashes that a path segment could not carry.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermissionQuery {
    /// The API's identifier.
    pub api: String,
    pub permission: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiQuery {
    /// The API's identifier (its tokens' `aud`).
    pub identifier: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiView {
    pub identifier: String,
    pub name: String,
    pub built_in: bool,
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiBody {
    pub identifier: String,
    pub name: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/roles", tag = "roles",
    responses((status = 200, body = [RoleView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_roles(admin: Admin) -> Result<HttpResponse, ApiError> {
    admin.require("roles:read")?;
    let listing = admin
        .state
        .db
        .run(views::roles)
        .await?
        .into_iter()
        .map(|role| RoleView {
            name: role.row.name,
            description: role.row.description,
            built_in: role.row.built_in,
            permissions: role
                .permissions
                .into_iter()
                .map(|(api, permission)| PermissionRef { api, permission })
                .collect(),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(listing))
}

#[utoipa::path(post, path = "/admin/api/v1/roles", tag = "roles", request_body = NewRoleBody,
    responses((status = 201), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_role(
    admin: Admin,
    body: Deferred<web::Json<NewRoleBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let NewRoleBody { name, description } = body.get()?.into_inner();
    let role = admin
        .change(move |conn, actor, now| {
            administration::create_role(conn, actor, &name, &description, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "name": role.name })))
}

#[utoipa::path(delete, path = "/admin/api/v1/roles/{name}", tag = "roles",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_role(admin: Admin, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let name = name.into_inner();
    admin
        .change(move |conn, actor, now| administration::delete_role(conn, actor, &name, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/admin/api/v1/roles/{name}/require-mfa", tag = "roles",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
/// Holders of the role must sign in with a second factor.
pub async fn require_mfa(admin: Admin, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_require_mfa(admin, name.into_inner(), true).await
}

#[utoipa::path(delete, path = "/admin/api/v1/roles/{name}/require-mfa", tag = "roles",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
/// Stops requiring a second factor of the role's holders.
pub async fn stop_requiring_mfa(
    admin: Admin,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_require_mfa(admin, name.into_inner(), false).await
}

async fn set_require_mfa(
    admin: Admin,
    name: String,
    required: bool,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    admin
        .change(move |conn, actor, now| {
            administration::require_mfa(conn, actor, &name, required, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/admin/api/v1/roles/{name}/permissions", tag = "roles", request_body = PermissionRef,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn allow(
    admin: Admin,
    name: web::Path<String>,
    body: Deferred<web::Json<PermissionRef>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let PermissionRef { api, permission } = body.get()?.into_inner();
    let role = name.into_inner();
    admin
        .change(move |conn, actor, now| {
            administration::allow(conn, actor, &role, &api, &permission, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/admin/api/v1/roles/{name}/permissions", tag = "roles", params(PermissionQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disallow(
    admin: Admin,
    name: web::Path<String>,
    query: Deferred<web::Query<PermissionQuery>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let PermissionQuery { api, permission } = query.get()?.into_inner();
    let role = name.into_inner();
    admin
        .change(move |conn, actor, now| {
            administration::disallow(conn, actor, &role, &api, &permission, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/admin/api/v1/apis", tag = "apis",
    responses((status = 200, body = [ApiView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_apis(admin: Admin) -> Result<HttpResponse, ApiError> {
    admin.require("roles:read")?;
    let listing = admin
        .state
        .db
        .run(views::apis)
        .await?
        .into_iter()
        .map(|api| ApiView {
            identifier: api.row.identifier,
            name: api.row.name,
            built_in: api.row.built_in,
            permissions: api.permissions,
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(listing))
}

#[utoipa::path(post, path = "/admin/api/v1/apis", tag = "apis", request_body = NewApiBody,
    responses((status = 201), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_api(
    admin: Admin,
    body: Deferred<web::Json<NewApiBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let NewApiBody { identifier, name } = body.get()?.into_inner();
    let api = admin
        .change(move |conn, actor, now| {
            administration::create_api(conn, actor, &identifier, name.as_deref(), now)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "identifier": api.identifier })))
}

#[utoipa::path(delete, path = "/admin/api/v1/apis", tag = "apis", params(ApiQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_api(
    admin: Admin,
    query: Deferred<web::Query<ApiQuery>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let ApiQuery { identifier } = query.get()?.into_inner();
    admin
        .change(move |conn, actor, now| administration::remove_api(conn, actor, &identifier, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/admin/api/v1/apis/permissions", tag = "apis", request_body = PermissionRef,
    responses((status = 201), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_permission(
    admin: Admin,
    body: Deferred<web::Json<PermissionRef>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let PermissionRef { api, permission } = body.get()?.into_inner();
    let added = admin
        .change(move |conn, actor, now| {
            let added = administration::add_permission(conn, actor, &api, &permission, now)?;
            Ok(PermissionRef {
                api,
                permission: added.name,
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(added))
}

#[utoipa::path(delete, path = "/admin/api/v1/apis/permissions", tag = "apis", params(PermissionQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_permission(
    admin: Admin,
    query: Deferred<web::Query<PermissionQuery>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let PermissionQuery { api, permission } = query.get()?.into_inner();
    admin
        .change(move |conn, actor, now| {
            administration::remove_permission(conn, actor, &api, &permission, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
