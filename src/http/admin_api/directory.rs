//! `/admin/api/v1/roles` and `/admin/api/v1/apis`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{
    caller::Admin,
    error::{ApiError, ErrorBody},
};
use crate::accounts::{apis, roles};
use crate::db;

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub name: String,
    pub description: String,
    pub built_in: bool,
    /// `(api, permission)` pairs the role grants.
    pub permissions: Vec<PermissionRef>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermissionRef {
    pub api: String,
    pub permission: String,
}

#[derive(Debug, Deserialize, ToSchema)]
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
        .run(|conn| {
            db::roles::list(conn)?
                .into_iter()
                .map(|role| {
                    let permissions = db::roles::permissions_of(conn, &role.id)?
                        .into_iter()
                        .map(|(api, permission)| PermissionRef { api, permission })
                        .collect();
                    Ok(RoleView {
                        name: role.name,
                        description: role.description,
                        built_in: role.built_in,
                        permissions,
                    })
                })
                .collect::<Result<Vec<_>, db::DbError>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

#[utoipa::path(post, path = "/admin/api/v1/roles", tag = "roles", request_body = NewRoleBody,
    responses((status = 201), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_role(
    admin: Admin,
    body: web::Json<NewRoleBody>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let NewRoleBody { name, description } = body.into_inner();
    let now = admin.state.clock.now();
    let role = admin
        .state
        .db
        .run(move |conn| Ok(roles::create(conn, &name, &description, now)))
        .await??;
    admin
        .audit("admin.role.created", &role.name, json!({}))
        .await?;
    Ok(HttpResponse::Created().json(json!({ "name": role.name })))
}

#[utoipa::path(delete, path = "/admin/api/v1/roles/{name}", tag = "roles",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_role(admin: Admin, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let name = name.into_inner();
    let role = name.clone();
    admin
        .state
        .db
        .run(move |conn| Ok(roles::remove(conn, &role)))
        .await??;
    admin.audit("admin.role.deleted", &name, json!({})).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/admin/api/v1/roles/{name}/permissions", tag = "roles", request_body = PermissionRef,
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn allow(
    admin: Admin,
    name: web::Path<String>,
    body: web::Json<PermissionRef>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let role = name.into_inner();
    let PermissionRef { api, permission } = body.into_inner();
    let (r, a, p) = (role.clone(), api.clone(), permission.clone());
    admin
        .state
        .db
        .run(move |conn| Ok(roles::allow(conn, &r, &a, &p)))
        .await??;
    admin
        .audit(
            "admin.role.allowed",
            &role,
            json!({ "api": api, "permission": permission }),
        )
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
        .run(|conn| {
            db::apis::list(conn)?
                .into_iter()
                .map(|api| {
                    let permissions = db::apis::permissions_of(conn, &api.id)?
                        .into_iter()
                        .map(|p| p.name)
                        .collect();
                    Ok(ApiView {
                        identifier: api.identifier,
                        name: api.name,
                        built_in: api.built_in,
                        permissions,
                    })
                })
                .collect::<Result<Vec<_>, db::DbError>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

#[utoipa::path(post, path = "/admin/api/v1/apis", tag = "apis", request_body = NewApiBody,
    responses((status = 201), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_api(
    admin: Admin,
    body: web::Json<NewApiBody>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let NewApiBody { identifier, name } = body.into_inner();
    let now = admin.state.clock.now();
    let api = admin
        .state
        .db
        .run(move |conn| Ok(apis::create(conn, &identifier, name.as_deref(), now)))
        .await??;
    admin
        .audit(
            "admin.api.created",
            &api.identifier,
            json!({ "name": api.name }),
        )
        .await?;
    Ok(HttpResponse::Created().json(json!({ "identifier": api.identifier })))
}

#[utoipa::path(post, path = "/admin/api/v1/apis/permissions", tag = "apis", request_body = PermissionRef,
    responses((status = 201), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_permission(
    admin: Admin,
    body: web::Json<PermissionRef>,
) -> Result<HttpResponse, ApiError> {
    admin.require("roles:write")?;
    let PermissionRef { api, permission } = body.into_inner();
    let (a, p) = (api.clone(), permission.clone());
    admin
        .state
        .db
        .run(move |conn| Ok(apis::add_permission(conn, &a, &p)))
        .await??;
    admin
        .audit(
            "admin.api.permission_added",
            &api,
            json!({ "permission": permission }),
        )
        .await?;
    Ok(HttpResponse::Created().json(json!({ "api": api, "permission": permission })))
}
