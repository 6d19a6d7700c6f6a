//! Discovery (OIDC and RFC 8414) and the JWKS.

use actix_web::{HttpResponse, http::header, web};

use crate::oidc::discovery::metadata;
use crate::startup::AppState;

fn public_json(body: String, max_age: u64) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .body(body)
}

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    public_json(metadata(state.settings.issuer()).to_string(), 3600)
}

pub async fn oauth_authorization_server(state: web::Data<AppState>) -> HttpResponse {
    public_json(metadata(state.settings.issuer()).to_string(), 3600)
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    public_json(
        state.keys.jwks_json().as_str().to_owned(),
        state.settings.keys.jwks_max_age_secs,
    )
}
