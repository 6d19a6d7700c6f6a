//! Protocol endpoints: thin handlers over `crate::oauth` and `crate::oidc`.

mod authorize;
mod cors;
pub(crate) mod responses;
mod revoke_introspect;
mod token;
mod userinfo;

use actix_web::web;

use crate::routes;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(routes::AUTHORIZE)
            .route(web::get().to(authorize::get))
            .route(web::post().to(authorize::post)),
    )
    .service(
        web::resource(routes::TOKEN)
            .route(web::post().to(token::post))
            .route(web::method(actix_web::http::Method::OPTIONS).to(cors::preflight)),
    )
    .service(
        web::resource(routes::REVOKE)
            .route(web::post().to(revoke_introspect::revoke))
            .route(web::method(actix_web::http::Method::OPTIONS).to(cors::preflight)),
    )
    .route(
        routes::INTROSPECT,
        web::post().to(revoke_introspect::introspect),
    )
    .service(
        web::resource(routes::USERINFO)
            .route(web::get().to(userinfo::get))
            .route(web::post().to(userinfo::post))
            .route(web::method(actix_web::http::Method::OPTIONS).to(cors::preflight)),
    );
}
