//! The admin console, `/admin`: server-rendered pages for people who hold
//! permissions on `gatehouse-admin`. Every change is a POST with a CSRF
//! token, made through `crate::administration` (which checks privilege and
//! writes the audit event in the same transaction).

mod audit_log;
mod client_page;
mod clients;
mod confirm;
mod directory;
mod form_fields;
mod keys;
mod navigation;
mod refusal;
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
            "factors_reset" => {
                "Two-step verification reset and sessions ended: they set it up again at their next sign-in if a role requires it."
            }
            "deleted" => "User deleted.",
            "client_disabled" => "Client disabled.",
            "client_enabled" => "Client enabled.",
            "client_deleted" => "Client deleted.",
            "client_saved" => "Client saved.",
            "rotated" => "New keys published; they sign once resource servers have seen them.",
            "key_retired" => {
                "Key retired: it no longer signs; its tokens stay valid until they expire."
            }
            "key_revoked" => {
                "Key revoked: it is no longer published and every token it signed is refused."
            }
            "key_already_revoked" => "That key was already revoked.",
            "saved" => "Saved.",
            "disallowed" => "Permission removed from the role.",
            "permission_removed" => "Permission removed: no role grants it any more.",
            "api_removed" => "API removed, with its permissions.",
            "client_role_granted" => "Role given to the client.",
            "client_role_revoked" => "Role taken from the client.",
            _ => return None,
        })
    }
}

/// `/admin`: the first page the person may read.
async fn home(console: session::Console) -> Result<HttpResponse, session::ConsoleError> {
    navigation::landing(&console.who)
        .map(see_other)
        .ok_or_else(|| {
            session::ConsoleError::Forbidden(
                "Your permissions open no administration page to read.".into(),
            )
        })
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
            "/admin/clients/{client_id}",
            web::get().to(client_page::show),
        )
        .route(
            "/admin/clients/{client_id}/delete",
            web::get().to(client_page::confirm_delete),
        )
        // Before the general `{action}` route, which takes a different form.
        .route(
            "/admin/clients/{client_id}/edit",
            web::post().to(client_page::edit),
        )
        .route(
            "/admin/clients/{client_id}/{action}",
            web::post().to(clients::act),
        )
        .route("/admin/roles", web::get().to(directory::list))
        .route("/admin/roles", web::post().to(directory::create_role))
        .route("/admin/roles/allow", web::post().to(directory::allow))
        .route(
            "/admin/roles/{name}/require-mfa",
            web::post().to(directory::require_mfa),
        )
        .route("/admin/roles/disallow", web::post().to(directory::disallow))
        .route(
            "/admin/roles/{name}/delete",
            web::get().to(directory::confirm_delete_role),
        )
        .route(
            "/admin/roles/{name}/delete",
            web::post().to(directory::delete_role),
        )
        .route("/admin/apis", web::post().to(directory::create_api))
        .route("/admin/apis/remove", web::post().to(directory::remove_api))
        .route(
            "/admin/apis/permissions",
            web::post().to(directory::add_permission),
        )
        .route(
            "/admin/apis/permissions/remove",
            web::post().to(directory::remove_permission),
        )
        .route("/admin/keys", web::get().to(keys::keys))
        .route("/admin/keys/rotate", web::post().to(keys::rotate))
        .route("/admin/keys/{kid}/{action}", web::post().to(keys::act))
        .route("/admin/audit", web::get().to(audit_log::audit));
}
