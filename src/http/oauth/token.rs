//! `POST /token`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::{cors::allow_any_origin, responses::json_error};
use crate::app::AppState;
use crate::oauth::{OAuthError, params::Params, token_endpoint};

pub async fn post(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return json_error(&OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(&body);
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match token_endpoint::handle(&state, params, authorization).await {
        Ok(response) => allow_any_origin(&mut HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(failure) => json_error(&failure.error),
    }
}
