//! Discovery (OIDC and RFC 8414) and the JWKS.

use actix_web::{HttpResponse, http::header, web};

use crate::app::AppState;
use crate::oidc::discovery::metadata;

fn public_json(body: String, max_age: u64) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .body(body)
}

/// The discovery document, serialized once: it depends only on the issuer,
/// and relying parties fetch it on every start.
pub struct Discovery(String);

impl Discovery {
    pub fn new(issuer: &str) -> Self {
        Discovery(metadata(issuer).to_string())
    }
}

pub async fn openid_configuration(discovery: web::Data<Discovery>) -> HttpResponse {
    public_json(discovery.0.clone(), 3600)
}

pub async fn oauth_authorization_server(discovery: web::Data<Discovery>) -> HttpResponse {
    public_json(discovery.0.clone(), 3600)
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    public_json(
        state.keys.jwks_json().as_str().to_owned(),
        state.settings.keys.jwks_max_age_secs,
    )
}
