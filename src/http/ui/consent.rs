//! `/consent`: the person approves or denies what the client asked for.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::login::expired_page;
use crate::app::AppState;
use crate::http::{
    AppError, csrf, error::error_page, oauth::responses::step_response, session_cookie,
};
use crate::oauth::code_flow;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    client_name: &'a str,
    request_id: &'a str,
    csrf_token: &'a str,
    scopes: Vec<(String, &'static str)>,
    /// (identifier, registered name) of each API asked for.
    resources: &'a [(String, String)],
    signed_in_as: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    #[serde(default)]
    request: String,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    decision: String,
}

/// Plain words for each scope.
pub(super) fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are (your account identifier)",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "roles" => "See the roles you hold",
        "offline_access" => "Stay signed in when you are away (refresh tokens)",
        _ => "Act on your behalf with this permission",
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let secure = session_cookie::secure(&state);
    let Some(binding) = req
        .cookie(csrf::cookie_name(secure))
        .map(|c| c.value().to_owned())
    else {
        return Ok(expired_page());
    };
    let request_id = query.into_inner().request;
    let Some(view) = code_flow::view(&state, request_id.clone(), binding.clone()).await? else {
        return Ok(expired_page());
    };
    let body = ConsentPage {
        client_name: &view.client_name,
        request_id: &request_id,
        csrf_token: &binding,
        scopes: view
            .scopes
            .iter()
            .map(|s| (s.to_owned(), describe(s)))
            .collect(),
        resources: &view.resource_names,
        signed_in_as: view.signed_in_as.as_deref(),
    }
    .render()
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secure = session_cookie::secure(&state);
    if !csrf::verify(&req, secure, &form.csrf_token) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The consent form could not be verified. Go back to the application and start again.",
        ));
    }
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return Err(AppError::BadRequest("Choose Allow or Deny.".into())),
    };
    let session = session_cookie::read(&req, &state);
    let step = code_flow::decide(&state, form.request, form.csrf_token, session, allow).await?;
    Ok(step_response(step))
}
