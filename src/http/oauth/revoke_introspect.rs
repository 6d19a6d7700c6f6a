//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::{
    cors::allow_any_origin,
    responses::json_error,
    token::{authorization, form_params},
};
use crate::app::AppState;
use crate::oauth::{
    OAuthError, introspection, revocation,
    token_endpoint::{authenticate_client, db_failure},
};

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let params = match form_params(&req, &body) {
        Ok(params) => params,
        Err(error) => return json_error(&error),
    };
    let client = match authenticate_client(&state, &params, authorization(&req)).await {
        Ok(client) => client,
        Err(failure) => return json_error(&failure.error),
    };
    let Some(token) = params.get("token") else {
        return json_error(&OAuthError::invalid_request("token is required"));
    };
    match revocation::revoke(&state, &client, token, params.get("token_type_hint")).await {
        Ok(()) => allow_any_origin(&mut HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(error) => json_error(&db_failure(error)),
    }
}

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let params = match form_params(&req, &body) {
        Ok(params) => params,
        Err(error) => return json_error(&error),
    };
    let client = match authenticate_client(&state, &params, authorization(&req)).await {
        Ok(client) if !client.is_public => client,
        Ok(_) => {
            return json_error(&OAuthError::invalid_client(
                "introspection requires a confidential client",
            ));
        }
        Err(failure) => return json_error(&failure.error),
    };
    let Some(token) = params.get("token") else {
        return json_error(&OAuthError::invalid_request("token is required"));
    };
    match introspection::introspect(&state, &client, token, params.get("token_type_hint")).await {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(answer),
        Err(error) => json_error(&db_failure(error)),
    }
}
