//! `GET`/`POST /authorize`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::responses::{see_other, step_response};
use crate::app::AppState;
use crate::http::{AppError, csrf, session_cookie};
use crate::oauth::{code_flow, params::Params};
use crate::oidc::id_token;
use crate::routes;

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let params = Params::parse(req.query_string().as_bytes());
    authorize(req, state, params).await
}

/// POST works like GET. A cross-site POST arrives without our SameSite=Lax
/// session cookie, so it is turned into a same-request GET (303), which
/// the browser sends with its cookies.
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if session_cookie::read(&req, &state).is_none() {
        return Ok(see_other(&format!(
            "{}?{}",
            routes::AUTHORIZE,
            Params::reencode(&body)
        )));
    }
    authorize(req, state, Params::parse(&body)).await
}

async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Params,
) -> Result<HttpResponse, AppError> {
    let secure = session_cookie::secure(&state);
    let (binding, new_cookie) = csrf::token(&req, secure);
    let session = session_cookie::read(&req, &state);
    let browser = code_flow::Browser {
        binding,
        client_ip: crate::http::client_ip::for_audit(&req),
    };
    let hint_subject = |token: &str| id_token::verify_hint(&state, token).map(|hint| hint.sub);
    let step = code_flow::start(&state, params, session, browser, hint_subject).await?;
    let mut response = step_response(step);
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}
