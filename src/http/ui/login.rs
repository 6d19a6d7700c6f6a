//! `/login`: the password form, either for a pending authorization request
//! (`?request=ID`) or for Gatehouse's own pages (`?return_to=/admin/...`).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;

use super::sign_in::{SignInTarget, complete};
use crate::accounts::{
    assurance::amr,
    login::{LoginOutcome, authenticate},
};
use crate::app::AppState;
use crate::http::{AppError, client_ip, csrf, error::error_page, session_cookie};
use crate::oauth::code_flow::{self, PendingView};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    request_id: &'a str,
    return_to: &'a str,
    csrf_token: &'a str,
    username: &'a str,
    error: Option<&'a str>,
    /// "Sign in with a passkey" is offered (this server has passkeys).
    passkeys: bool,
    notice: Option<&'a str>,
}

/// The name shown when signing in to Gatehouse's own pages.
const CONSOLE_NAME: &str = "Gatehouse administration";
/// … and when signing in to one's own account page.
const ACCOUNT_NAME: &str = "your Gatehouse account";

/// What the login page says it signs in to, for a page of ours.
fn own_page_name(return_to: &str) -> &'static str {
    let account = return_to
        .strip_prefix(crate::routes::ACCOUNT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
    if account { ACCOUNT_NAME } else { CONSOLE_NAME }
}

/// Fixed words for `?reason=` (never reflect free text into a page).
fn reason_notice(reason: &str) -> Option<&'static str> {
    (reason == super::account::REASON_RECENT).then_some(
        "For your security, sign in again to make this change: your last sign-in was more than 5 minutes ago.",
    )
}

/// A same-origin path to go back to after signing in: `/…`, never `//host`
/// or `/\host` (which browsers treat as another origin), no controls.
pub fn safe_return_path(candidate: &str) -> Option<&str> {
    let ok = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.contains('\\')
        && !candidate.chars().any(char::is_control)
        && candidate.len() <= 2048;
    ok.then_some(candidate)
}

#[derive(Deserialize)]
pub struct RequestQuery {
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
    /// Why a page of ours asked for a sign-in (`reason_notice`).
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
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
    let RequestQuery {
        request,
        return_to,
        reason,
    } = query.into_inner();
    if request.is_empty() && return_to.is_empty() {
        return super::notice::login_without_request();
    }
    if request.is_empty() {
        return show_console(&req, &state, &return_to, reason_notice(&reason));
    }
    let Some(binding) = binding(&req, &state) else {
        return Ok(expired_page());
    };
    let request_id = request;
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
            return_to: "",
            csrf_token: &binding,
            username: login_hint.as_deref().unwrap_or_default(),
            error: None,
            passkeys: state.passkeys.enabled(),
            notice: None,
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
    if form.request.is_empty() {
        return submit_console(&req, &state, form).await;
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
                return_to: "",
                csrf_token: &binding,
                username: &form.username,
                error: Some(message),
                passkeys: state.passkeys.enabled(),
                notice: None,
            },
        )
    };
    let username = form.username.trim().to_owned();
    match authenticate(
        &state,
        &username,
        form.password.clone(),
        client_ip::of(&req),
    )
    .await?
    {
        LoginOutcome::Success(user) => {
            let target = SignInTarget::Request {
                id: form.request.clone(),
                binding,
            };
            complete(
                &req,
                &state,
                target,
                user.id,
                vec![amr::PASSWORD.to_owned()],
            )
            .await
        }
        refused => refusal(refused, retry),
    }
}

/// The form again, saying why the sign-in did not happen: 401 for wrong
/// credentials, 429 while throttled, 503 while every hashing slot is busy
/// (the last two with `Retry-After`).
fn refusal(
    outcome: LoginOutcome,
    retry: impl FnOnce(StatusCode, &str) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    let (status, message, retry_after) = match outcome {
        LoginOutcome::Throttled { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-in attempts. Try again in {}.",
                wait_in_words(retry_after_secs)
            ),
            Some(header::HeaderValue::from(retry_after_secs)),
        ),
        LoginOutcome::Busy { retry_after_secs } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Try again in a moment.".to_owned(),
            Some(header::HeaderValue::from(retry_after_secs)),
        ),
        // (A success is handled before it could come here.)
        LoginOutcome::Invalid | LoginOutcome::Success(_) => (
            StatusCode::UNAUTHORIZED,
            "Incorrect username or password.".to_owned(),
            None,
        ),
    };
    let mut response = retry(status, &message)?;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
    }
    Ok(response)
}

/// "1 second", "40 seconds", "15 minutes" (rounded up: never sooner than
/// the throttle allows).
pub(super) fn wait_in_words(seconds: i64) -> String {
    let (count, unit) = if seconds <= 90 {
        (seconds.max(1), "second")
    } else {
        ((seconds + 59) / 60, "minute")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

fn show_console(
    req: &HttpRequest,
    state: &AppState,
    return_to: &str,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let Some(return_to) = safe_return_path(return_to) else {
        return Ok(expired_page());
    };
    let (csrf_token, new_cookie) = csrf::token(req, session_cookie::secure(state));
    let mut response = render(
        StatusCode::OK,
        LoginPage {
            client_name: own_page_name(return_to),
            request_id: "",
            return_to,
            csrf_token: &csrf_token,
            username: "",
            error: None,
            passkeys: state.passkeys.enabled(),
            notice,
        },
    )?;
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

/// Signing in to Gatehouse's own pages: a fresh session, then back to the
/// (same-origin) page that asked.
async fn submit_console(
    req: &HttpRequest,
    state: &AppState,
    form: LoginForm,
) -> Result<HttpResponse, AppError> {
    let Some(return_to) = safe_return_path(&form.return_to) else {
        return Ok(expired_page());
    };
    let retry = |status: StatusCode, message: &str| {
        render(
            status,
            LoginPage {
                client_name: own_page_name(return_to),
                request_id: "",
                return_to,
                csrf_token: &form.csrf_token,
                username: &form.username,
                error: Some(message),
                passkeys: state.passkeys.enabled(),
                notice: None,
            },
        )
    };
    let username = form.username.trim().to_owned();
    match authenticate(state, &username, form.password.clone(), client_ip::of(req)).await? {
        LoginOutcome::Success(user) => {
            let target = SignInTarget::Page {
                return_to: return_to.to_owned(),
            };
            complete(req, state, target, user.id, vec![amr::PASSWORD.to_owned()]).await
        }
        refused => refusal(refused, retry),
    }
}

#[cfg(test)]
mod tests {
    use super::{safe_return_path, wait_in_words};

    #[test]
    fn only_same_origin_paths_are_accepted() {
        assert_eq!(
            safe_return_path("/admin/users?q=a"),
            Some("/admin/users?q=a")
        );
        assert_eq!(safe_return_path("//evil.example.com/"), None);
        assert_eq!(safe_return_path("/\\evil.example.com/"), None);
        assert_eq!(safe_return_path("https://evil.example.com/"), None);
        assert_eq!(safe_return_path("/admin\nSet-Cookie: x"), None);
        assert_eq!(safe_return_path(""), None);
    }

    #[test]
    fn waits_are_worded_with_the_right_plural() {
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(0), "1 second");
        assert_eq!(wait_in_words(40), "40 seconds");
        assert_eq!(wait_in_words(91), "2 minutes");
        assert_eq!(wait_in_words(900), "15 minutes");
    }
}
