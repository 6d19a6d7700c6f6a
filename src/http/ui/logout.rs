//! `GET`/`POST /logout` (OIDC RP-Initiated Logout 1.0).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::accounts::sessions;
use crate::app::AppState;
use crate::http::{AppError, csrf, error::error_page, oauth::responses::see_other, session_cookie};
use crate::oauth::params::Params;
use crate::oidc::logout::{self, Evaluation};
use crate::routes;

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct ConfirmPage<'a> {
    csrf_token: &'a str,
    id_token_hint: &'a str,
    client_id: &'a str,
    post_logout_redirect_uri: &'a str,
    state: &'a str,
    unverified: bool,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

fn page(status: StatusCode, body: Result<String, askama::Error>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body.map_err(AppError::internal)?))
}

fn logged_out() -> Result<HttpResponse, AppError> {
    page(
        StatusCode::OK,
        MessagePage {
            title: "You are signed out",
            message: "You have been signed out of Gatehouse. You can close this window.",
        }
        .render(),
    )
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let params = Params::parse(req.query_string().as_bytes());
    request(req, state, params).await
}

/// A relying party's form POST is handled like GET; a cross-site one
/// arrives without our Lax session cookie, so it becomes a same-request
/// GET (303). The confirmation form (with its CSRF token) ends the session.
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let params = Params::parse(&body);
    // The confirmation form: it carries `decision`, and must carry the CSRF
    // token (a form without one is refused, not taken for a new request).
    if params.get("csrf_token").is_some() || params.get("decision").is_some() {
        let submitted = params.get("csrf_token").unwrap_or_default().to_owned();
        return confirm(req, state, params.clone(), submitted).await;
    }
    if session_cookie::read(&req, &state).is_none() {
        return Ok(see_other(&format!(
            "{}?{}",
            routes::LOGOUT,
            Params::reencode(&body)
        )));
    }
    request(req, state, params).await
}

async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Params,
) -> Result<HttpResponse, AppError> {
    let session = sessions::lookup(&state, session_cookie::read(&req, &state)).await?;
    let evaluation = logout::evaluate(&state, &params, session.as_ref()).await?;
    if evaluation.silent {
        return finish(&req, &state, session, evaluation).await;
    }
    let secure = session_cookie::secure(&state);
    let (csrf_token, new_cookie) = csrf::token(&req, secure);
    let mut response = page(
        StatusCode::OK,
        ConfirmPage {
            csrf_token: &csrf_token,
            id_token_hint: params.get("id_token_hint").unwrap_or_default(),
            client_id: params.get("client_id").unwrap_or_default(),
            post_logout_redirect_uri: params.get("post_logout_redirect_uri").unwrap_or_default(),
            state: params.get("state").unwrap_or_default(),
            unverified: evaluation.bad_hint,
        }
        .render(),
    )?;
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Params,
    submitted: String,
) -> Result<HttpResponse, AppError> {
    if !csrf::verify(&req, session_cookie::secure(&state), &submitted) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The sign-out form could not be verified. Reload the page and try again.",
        ));
    }
    if params.get("decision") != Some("logout") {
        return page(
            StatusCode::OK,
            MessagePage {
                title: "Still signed in",
                message: "You are still signed in.",
            }
            .render(),
        );
    }
    let session = sessions::lookup(&state, session_cookie::read(&req, &state)).await?;
    let evaluation = logout::evaluate(&state, &params, session.as_ref()).await?;
    finish(&req, &state, session, evaluation).await
}

async fn finish(
    req: &HttpRequest,
    state: &AppState,
    session: Option<sessions::Session>,
    evaluation: Evaluation,
) -> Result<HttpResponse, AppError> {
    if let Some(session) = &session {
        let ip = crate::http::client_ip::for_audit(req);
        logout::end_session(state, session, ip).await?;
    }
    let mut response = match evaluation.redirect {
        Some(target) => see_other(&target),
        None => logged_out()?,
    };
    if session.is_some() {
        response
            .add_cookie(&session_cookie::removal(state))
            .map_err(AppError::internal)?;
    }
    Ok(response)
}
