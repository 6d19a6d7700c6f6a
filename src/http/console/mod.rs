//! The admin console, `/admin`: server-rendered pages for people who hold
//! permissions on `gatehouse-admin`. Every change is a POST with a CSRF
//! token and writes an audit event.

mod clients;
mod directory;
mod keys_audit;
mod session;
mod users;

use actix_web::{HttpResponse, web};

use crate::http::oauth::responses::see_other;

/// Fixed messages for `?notice=` (never reflect free text into a page).
pub struct Notice;

impl Notice {
    pub fn message(key: &str) -> Option<&'static str> {
        Some(match key {
            "created" => "User created.",
            "updated" => "Profile saved.",
            "password" => "Password set.",
            "disabled" => "User disabled: sessions ended, refresh tokens revoked.",
            "enabled" => "User enabled.",
            "unlocked" => "Sign-in unlocked.",
            "role_granted" => "Role added.",
            "role_revoked" => "Role removed.",
            "sessions_ended" => "All sessions ended.",
            "deleted" => "User deleted.",
            "client_disabled" => "Client disabled.",
            "client_enabled" => "Client enabled.",
            "client_deleted" => "Client deleted.",
            "rotated" => "New keys published; they sign once resource servers have seen them.",
            "saved" => "Saved.",
            _ => return None,
        })
    }

    /// The audit event kind for a completed action.
    pub fn audit_kind(done: &str) -> &'static str {
        match done {
            "updated" => "admin.user.updated",
            "password" => "admin.user.password_set",
            "disabled" => "admin.user.disabled",
            "enabled" => "admin.user.enabled",
            "unlocked" => "admin.user.unlocked",
            "role_granted" => "admin.user.role_granted",
            "role_revoked" => "admin.user.role_revoked",
            "sessions_ended" => "admin.user.sessions_ended",
            "deleted" => "admin.user.deleted",
            "client_disabled" => "admin.client.disabled",
            "client_enabled" => "admin.client.enabled",
            "client_deleted" => "admin.client.deleted",
            _ => "admin.change",
        }
    }
}

async fn home() -> HttpResponse {
    see_other("/admin/users")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(home))
        .route("/admin/users", web::get().to(users::list))
        .route("/admin/users", web::post().to(users::create))
        .route("/admin/users/{username}", web::get().to(users::show))
        .route(
            "/admin/users/{username}/{action}",
            web::post().to(users::act),
        )
        .route("/admin/clients", web::get().to(clients::list))
        .route("/admin/clients", web::post().to(clients::create))
        .route(
            "/admin/clients/{client_id}/{action}",
            web::post().to(clients::act),
        )
        .route("/admin/roles", web::get().to(directory::list))
        .route("/admin/roles", web::post().to(create_role))
        .route("/admin/roles/allow", web::post().to(allow))
        .route("/admin/roles/{name}/delete", web::post().to(delete_role))
        .route("/admin/apis", web::post().to(create_api))
        .route("/admin/apis/permissions", web::post().to(add_permission))
        .route("/admin/keys", web::get().to(keys_audit::keys))
        .route("/admin/keys/rotate", web::post().to(keys_audit::rotate))
        .route("/admin/audit", web::get().to(keys_audit::audit));
}

// Route adapters: each names its change for `directory::change`.
async fn create_role(
    c: session::Console,
    f: web::Form<directory::DirectoryForm>,
) -> Result<HttpResponse, session::ConsoleError> {
    directory::change(c, web::Path::from("create-role".to_owned()), f).await
}
async fn allow(
    c: session::Console,
    f: web::Form<directory::DirectoryForm>,
) -> Result<HttpResponse, session::ConsoleError> {
    directory::change(c, web::Path::from("allow".to_owned()), f).await
}
async fn delete_role(
    c: session::Console,
    name: web::Path<String>,
    f: web::Form<directory::DirectoryForm>,
) -> Result<HttpResponse, session::ConsoleError> {
    directory::change(
        c,
        web::Path::from(format!("delete:{}", name.into_inner())),
        f,
    )
    .await
}
async fn create_api(
    c: session::Console,
    f: web::Form<directory::DirectoryForm>,
) -> Result<HttpResponse, session::ConsoleError> {
    directory::change(c, web::Path::from("create-api".to_owned()), f).await
}
async fn add_permission(
    c: session::Console,
    f: web::Form<directory::DirectoryForm>,
) -> Result<HttpResponse, session::ConsoleError> {
    directory::change(c, web::Path::from("add-permission".to_owned()), f).await
}
