//! The admin API, `/admin/api/v1`: JSON, documented as OpenAPI at
//! `/admin/api/v1/openapi.json`, authenticated with Gatehouse access tokens
//! for the built-in API `gatehouse-admin`.

mod caller;
mod client_update;
mod clients;
mod deferred;
mod directory;
mod error;
mod keys_audit;
mod users;

use actix_web::{HttpResponse, web};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

pub const PREFIX: &str = "/admin/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse admin API", description = "Manage users, roles, APIs, clients, keys and read the audit log. \
        Authenticate with a Gatehouse access token whose audience is `gatehouse-admin`; each call needs a permission \
        on that API (users:read, users:write, roles:read, roles:write, clients:read, clients:write, keys:read, \
        keys:write, audit:read, sessions:write)."),
    paths(
        users::list, users::create, users::get, users::update, users::set_password, users::disable, users::enable,
        users::unlock, users::delete, users::grant_role, users::revoke_role, users::sessions, users::end_sessions, users::reset_factors,
        directory::list_roles, directory::create_role, directory::delete_role, directory::require_mfa, directory::stop_requiring_mfa, directory::allow, directory::disallow,
        directory::list_apis, directory::create_api, directory::remove_api, directory::add_permission,
        directory::remove_permission,
        clients::list, clients::get, clients::create, client_update::update, clients::rotate_secret, clients::disable, clients::enable,
        clients::delete, clients::grant_role, clients::revoke_role,
        keys_audit::list_keys, keys_audit::rotate, keys_audit::retire, keys_audit::revoke,
        keys_audit::audit,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

async fn openapi() -> HttpResponse {
    match ApiDoc::openapi().to_json() {
        Ok(json) => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Bodies and queries that do not parse, and paths the API does not have,
/// answer the API's JSON errors rather than actix's plain-text or HTML ones.
fn invalid_input(error: impl std::fmt::Display) -> actix_web::Error {
    error::ApiError::Invalid(error.to_string()).into()
}

async fn no_such_route() -> Result<HttpResponse, error::ApiError> {
    Err(error::ApiError::NotFound("no such admin API route".into()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .app_data(web::JsonConfig::default().error_handler(|e, _| invalid_input(e)))
            .app_data(web::QueryConfig::default().error_handler(|e, _| invalid_input(e)))
            .default_service(web::to(no_such_route))
            .route("/openapi.json", web::get().to(openapi))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{username}", web::get().to(users::get))
            .route("/users/{username}", web::patch().to(users::update))
            .route("/users/{username}", web::delete().to(users::delete))
            .route(
                "/users/{username}/password",
                web::put().to(users::set_password),
            )
            .route("/users/{username}/disable", web::post().to(users::disable))
            .route("/users/{username}/enable", web::post().to(users::enable))
            .route("/users/{username}/unlock", web::post().to(users::unlock))
            .route(
                "/users/{username}/roles/{role}",
                web::put().to(users::grant_role),
            )
            .route(
                "/users/{username}/roles/{role}",
                web::delete().to(users::revoke_role),
            )
            .route("/users/{username}/sessions", web::get().to(users::sessions))
            .route(
                "/users/{username}/factors",
                web::delete().to(users::reset_factors),
            )
            .route(
                "/users/{username}/sessions",
                web::delete().to(users::end_sessions),
            )
            .route("/roles", web::get().to(directory::list_roles))
            .route("/roles", web::post().to(directory::create_role))
            .route("/roles/{name}", web::delete().to(directory::delete_role))
            .route(
                "/roles/{name}/require-mfa",
                web::put().to(directory::require_mfa),
            )
            .route(
                "/roles/{name}/require-mfa",
                web::delete().to(directory::stop_requiring_mfa),
            )
            .route(
                "/roles/{name}/permissions",
                web::post().to(directory::allow),
            )
            .route(
                "/roles/{name}/permissions",
                web::delete().to(directory::disallow),
            )
            .route("/apis", web::get().to(directory::list_apis))
            .route("/apis", web::post().to(directory::create_api))
            .route("/apis", web::delete().to(directory::remove_api))
            .route(
                "/apis/permissions",
                web::post().to(directory::add_permission),
            )
            .route(
                "/apis/permissions",
                web::delete().to(directory::remove_permission),
            )
            .route("/clients", web::get().to(clients::list))
            .route("/clients", web::post().to(clients::create))
            .route("/clients/{client_id}", web::get().to(clients::get))
            .route("/clients/{client_id}", web::delete().to(clients::delete))
            .route(
                "/clients/{client_id}",
                web::patch().to(client_update::update),
            )
            .route(
                "/clients/{client_id}/rotate-secret",
                web::post().to(clients::rotate_secret),
            )
            .route(
                "/clients/{client_id}/disable",
                web::post().to(clients::disable),
            )
            .route(
                "/clients/{client_id}/enable",
                web::post().to(clients::enable),
            )
            .route(
                "/clients/{client_id}/roles/{role}",
                web::put().to(clients::grant_role),
            )
            .route(
                "/clients/{client_id}/roles/{role}",
                web::delete().to(clients::revoke_role),
            )
            .route("/keys", web::get().to(keys_audit::list_keys))
            .route("/keys/rotate", web::post().to(keys_audit::rotate))
            .route("/keys/{kid}/retire", web::post().to(keys_audit::retire))
            .route("/keys/{kid}/revoke", web::post().to(keys_audit::revoke))
            .route("/audit", web::get().to(keys_audit::audit)),
    );
}
