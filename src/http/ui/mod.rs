//! Server-rendered pages.

use actix_web::web;

use super::routes;

// The account page's passkeys; moves under `account/mod.rs` when that
// module exists.
#[path = "account/passkeys.rs"]
mod account_passkeys;
mod consent;
mod login;
mod logout;
mod notice;
pub(crate) mod passkey_json;
mod setup;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(account_passkeys::configure);
    cfg.route(routes::HOME, web::get().to(notice::landing))
        .service(
            web::resource(routes::SETUP)
                .route(web::get().to(setup::show))
                .route(web::post().to(setup::submit)),
        )
        .service(
            web::resource(routes::LOGIN)
                .route(web::get().to(login::show))
                .route(web::post().to(login::submit)),
        )
        .service(
            web::resource(routes::CONSENT)
                .route(web::get().to(consent::show))
                .route(web::post().to(consent::submit)),
        )
        .service(
            web::resource(routes::LOGOUT)
                .route(web::get().to(logout::get))
                .route(web::post().to(logout::post)),
        );
}

/// Whether cookies must be `Secure` (and `__Host-`): the issuer is https.
pub fn secure_cookies(issuer: &str) -> bool {
    issuer.starts_with("https://")
}
