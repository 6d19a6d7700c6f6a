//! `GET`/`POST /userinfo` (OIDC Core §5.3, RFC 6750 for the token).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use actix_web::http::StatusCode;

use super::{cors::allow_any_origin, token::form_params};
use crate::app::AppState;
use crate::http::AppError;
use crate::oidc::userinfo::{UserinfoError, userinfo};

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    respond(&state, bearer(&req), None).await
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // RFC 6750 §2.2: the token may come in a form body; any other body is
    // not ours to read. A form must be well-formed (UTF-8, no repeats).
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form_token = if is_form {
        let params = form_params(&req, &body).and_then(|params| {
            params.check_duplicates()?;
            Ok(params)
        });
        match params {
            Ok(params) => params.get("access_token").map(str::to_owned),
            Err(_) => {
                return Ok(challenge(
                    StatusCode::BAD_REQUEST,
                    "Bearer error=\"invalid_request\", error_description=\"the form body is malformed\"",
                ));
            }
        }
    } else {
        None
    };
    respond(&state, bearer(&req), form_token).await
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn challenge(status: StatusCode, value: &str) -> HttpResponse {
    // A refused protocol request logs its reason at warn, as /token does.
    tracing::warn!(endpoint = "/userinfo", %status, challenge = value, "request refused");
    allow_any_origin(&mut HttpResponse::build(status))
        .insert_header((header::WWW_AUTHENTICATE, value.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

async fn respond(
    state: &AppState,
    header_token: Option<String>,
    form_token: Option<String>,
) -> Result<HttpResponse, AppError> {
    let token = match (header_token, form_token) {
        (Some(_), Some(_)) => {
            return Ok(challenge(
                StatusCode::BAD_REQUEST,
                "Bearer error=\"invalid_request\", error_description=\"use one way to send the token\"",
            ));
        }
        (Some(token), None) | (None, Some(token)) => token,
        (None, None) => {
            return Ok(challenge(
                StatusCode::UNAUTHORIZED,
                "Bearer realm=\"gatehouse\"",
            ));
        }
    };
    match userinfo(state, &token).await {
        Ok(claims) => Ok(allow_any_origin(&mut HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(claims)),
        Err(UserinfoError::InvalidToken(_)) => Ok(challenge(
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"the access token is invalid, expired or revoked\"",
        )),
        Err(UserinfoError::InsufficientScope) => Ok(challenge(
            StatusCode::FORBIDDEN,
            "Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"openid\"",
        )),
        Err(UserinfoError::Db(error)) => Err(error.into()),
    }
}
