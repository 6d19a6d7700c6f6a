//! Server-rendered pages.

use actix_web::web;

use super::routes;

mod setup;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(routes::SETUP)
            .route(web::get().to(setup::show))
            .route(web::post().to(setup::submit)),
    );
}

/// Whether cookies must be `Secure` (and `__Host-`): the issuer is https.
pub fn secure_cookies(issuer: &str) -> bool {
    issuer.starts_with("https://")
}
