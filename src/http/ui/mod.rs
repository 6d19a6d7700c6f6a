//! Server-rendered pages.

use actix_web::web;

use super::routes;

mod account;
mod consent;
mod login;
mod logout;
mod notice;
pub(crate) mod passkey_json;
mod passkey_sign_in;
mod second_factor;
mod setup;
mod sign_in;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(passkey_sign_in::configure);
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
            web::resource(routes::SECOND_FACTOR)
                .route(web::get().to(second_factor::show))
                .route(web::post().to(second_factor::submit)),
        )
        .route(
            routes::SECOND_FACTOR_ENROL,
            web::post().to(second_factor::enrol),
        )
        .route(
            routes::SECOND_FACTOR_CONTINUE,
            web::post().to(second_factor::resume),
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
        )
        .configure(account::configure);
}

/// Whether cookies must be `Secure` (and `__Host-`): the issuer is https.
pub fn secure_cookies(issuer: &str) -> bool {
    issuer.starts_with("https://")
}
