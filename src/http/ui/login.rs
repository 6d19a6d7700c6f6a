//! `/login`: the password form of a pending authorization request.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::login::{LoginOutcome, authenticate};
use crate::http::{
    AppError, csrf, error::error_page, oauth::responses::step_response, session_cookie,
};
use crate::oauth::code_flow::{self, PendingView};
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    request_id: &'a str,
    csrf_token: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    #[serde(default)]
    request: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub fn expired_page() -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        "Sign-in link expired",
        "This sign-in request has expired, was already used, or was started in another browser. Go back to the application and start again.",
    )
}

fn render(status: StatusCode, page: LoginPage<'_>) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// The CSRF cookie doubles as the browser binding of pending requests.
fn binding(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(csrf::cookie_name(session_cookie::secure(state)))
        .map(|c| c.value().to_owned())
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(binding) = binding(&req, &state) else {
        return Ok(expired_page());
    };
    let request_id = query.into_inner().request;
    let Some(PendingView {
        client_name,
        login_hint,
        ..
    }) = code_flow::view(&state, request_id.clone(), binding.clone()).await?
    else {
        return Ok(expired_page());
    };
    render(
        StatusCode::OK,
        LoginPage {
            client_name: &client_name,
            request_id: &request_id,
            csrf_token: &binding,
            username: login_hint.as_deref().unwrap_or_default(),
            error: None,
        },
    )
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secure = session_cookie::secure(&state);
    if !csrf::verify(&req, secure, &form.csrf_token) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The sign-in form could not be verified. Go back to the application and start again.",
        ));
    }
    let binding = form.csrf_token.clone();
    let Some(view) = code_flow::view(&state, form.request.clone(), binding.clone()).await? else {
        return Ok(expired_page());
    };
    let retry = |status: StatusCode, message: &str| {
        render(
            status,
            LoginPage {
                client_name: &view.client_name,
                request_id: &form.request,
                csrf_token: &binding,
                username: &form.username,
                error: Some(message),
            },
        )
    };
    let ip = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let username = form.username.trim().to_owned();
    match authenticate(&state, &username, form.password.clone(), &ip).await? {
        LoginOutcome::Success(user) => {
            let old_session = session_cookie::read(&req, &state);
            let (cookie, step) = code_flow::after_login(
                &state,
                form.request.clone(),
                binding.clone(),
                user.id,
                old_session,
            )
            .await?;
            let mut response = step_response(step);
            if let Some(cookie) = cookie {
                response
                    .add_cookie(&session_cookie::build(&state, &cookie))
                    .map_err(AppError::internal)?;
            }
            Ok(response)
        }
        LoginOutcome::Invalid => retry(StatusCode::UNAUTHORIZED, "Incorrect username or password."),
        LoginOutcome::Throttled { retry_after_secs } => retry(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds."),
        ),
    }
}
