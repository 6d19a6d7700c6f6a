//! A resource server (an API) that trusts Gatehouse, in actix-web.
//!
//!     GET    /profile         any valid access token for this API
//!     DELETE /students/{id}   the `students:delete` permission
//!
//! It never talks to Gatehouse's database: it verifies each token with the
//! public keys Gatehouse publishes, and decides from the token's
//! `permissions` claim. The reusable part is `auth.rs`.
//!
//! Configuration (environment):
//!
//!     GATEHOUSE_ISSUER   the issuer URL, e.g. http://127.0.0.1:8080 (required)
//!     RESOURCE_AUDIENCE  this API's identifier (default https://api.example.com/school)
//!     LISTEN             address to listen on (default 127.0.0.1:8001; port 0 picks one)
//!     JWKS_URI           default {GATEHOUSE_ISSUER}/jwks.json
//!     JWKS_REFRESH_COOLDOWN_SECS  least time between unknown-`kid` refetches (default 30)
//!
//! Run: `GATEHOUSE_ISSUER=http://127.0.0.1:8080 cargo run --example resource_server`.
//! It prints `listening on http://ADDR` once it accepts connections.

// A module to copy into an API: this example does not use all of it.
#[allow(dead_code)]
mod auth;

use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;

use auth::{AuthConfig, Authenticated, Authorized, Permission, TokenVerifier};

/// `DELETE /students/{id}` needs this permission on this API.
struct DeleteStudents;

impl Permission for DeleteStudents {
    const NAME: &'static str = "students:delete";
}

/// Anyone signed in may read their profile.
async fn profile(user: Authenticated) -> HttpResponse {
    let claims = &user.claims;
    HttpResponse::Ok().json(json!({
        "sub": claims.sub,
        "client_id": claims.client_id,
        "roles": claims.roles,
        "permissions": claims.permissions,
        "scope": claims.scope,
    }))
}

/// Only a holder of `students:delete` gets here.
async fn delete_student(
    user: Authorized<DeleteStudents>,
    student_id: web::Path<String>,
) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "deleted": student_id.into_inner(),
        "by": user.claims.sub,
    }))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn config_error(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // jsonwebtoken needs a crypto backend. This repository builds it without
    // one and supplies Gatehouse's ring-based provider; a standalone copy of
    // this example would instead enable jsonwebtoken's `aws_lc_rs` feature
    // and drop this line.
    gatehouse::crypto::install_jwt_provider();

    let issuer = std::env::var("GATEHOUSE_ISSUER")
        .map_err(|_| config_error("set GATEHOUSE_ISSUER to Gatehouse's issuer URL".into()))?;
    let audience = env_or("RESOURCE_AUDIENCE", "https://api.example.com/school");
    let listen = env_or("LISTEN", "127.0.0.1:8001");
    let mut config = AuthConfig::new(issuer, audience);
    if let Ok(uri) = std::env::var("JWKS_URI") {
        config.jwks_uri = uri;
    }
    if let Ok(secs) = std::env::var("JWKS_REFRESH_COOLDOWN_SECS") {
        let secs: u64 = secs.parse().map_err(|_| {
            config_error(format!(
                "JWKS_REFRESH_COOLDOWN_SECS must be a number, not {secs:?}"
            ))
        })?;
        config.refresh_cooldown = Duration::from_secs(secs);
    }

    let verifier = web::Data::new(TokenVerifier::new(config));
    // Fetch the keys once now; if Gatehouse is not up yet, the first request
    // will.
    if let Err(error) = verifier.prefetch_keys().await {
        eprintln!(
            "warning: {} ({}); will retry on the first request",
            error,
            verifier.config().jwks_uri
        );
    }

    let app_verifier = verifier.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_verifier.clone())
            .route("/profile", web::get().to(profile))
            .route("/students/{id}", web::delete().to(delete_student))
    })
    .bind(&listen)?;
    for address in server.addrs() {
        println!("listening on http://{address}");
    }
    server.run().await
}
