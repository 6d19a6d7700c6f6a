//! `/account/passkeys`: a person's passkeys — listed, renamed and removed
//! with plain forms, added through `static/passkeys.js` and two JSON
//! endpoints (the WebAuthn call itself needs script). Adding and removing
//! ask for a fresh sign-in when the last one is older than five minutes.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::passkeys::{self, PasskeyError};
use crate::accounts::sessions::{self, Session};
use crate::administration::views::passkeys::{PasskeyRow, of_user};
use crate::app::AppState;
use crate::http::ui::passkey_json::{self, Refusal};
use crate::http::{
    AppError, client_ip, csrf, error::error_page, oauth::responses::see_other, session_cookie,
};
use crate::routes;

/// How old a sign-in may be for adding or removing a passkey.
const FRESH_SIGN_IN_SECS: i64 = 5 * 60;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = routes::ACCOUNT_PASSKEYS;
    cfg.route(base, web::get().to(show))
        .route(
            &format!("{base}/register/start"),
            web::post().to(register_start),
        )
        .route(
            &format!("{base}/register/finish"),
            web::post().to(register_finish),
        )
        .route(&format!("{base}/{{id}}/rename"), web::post().to(rename))
        .route(&format!("{base}/{{id}}/remove"), web::post().to(remove));
}

#[derive(Template)]
#[template(path = "account_passkeys.html")]
struct PasskeysPage<'a> {
    username: &'a str,
    passkeys: &'a [PasskeyRow],
    /// This server offers passkeys (its issuer has a domain name).
    enabled: bool,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// The login page, coming back here.
fn sign_in_url() -> String {
    format!(
        "{}?{}",
        routes::LOGIN,
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", routes::ACCOUNT_PASSKEYS)
            .finish()
    )
}

async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Option<Session>, AppError> {
    Ok(sessions::lookup(state, session_cookie::read(req, state)).await?)
}

fn recent(state: &AppState, session: &Session) -> bool {
    state.clock.now() - session.auth_time <= FRESH_SIGN_IN_SECS
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(session) = signed_in(&req, &state).await? else {
        return Ok(see_other(&sign_in_url()));
    };
    let notice = match query.done.as_str() {
        "added" => Some("Your passkey was added. You can now sign in with it."),
        "renamed" => Some("The passkey was renamed."),
        "removed" => Some("The passkey was removed."),
        _ => None,
    };
    render(&req, &state, &session, StatusCode::OK, notice, None).await
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let user_id = session.user_id.clone();
    let Some(own) = state.db.run(move |conn| of_user(conn, &user_id)).await? else {
        return Ok(see_other(&sign_in_url()));
    };
    let (csrf_token, new_cookie) = csrf::token(req, session_cookie::secure(state));
    let body = PasskeysPage {
        username: &own.username,
        passkeys: &own.passkeys,
        enabled: state.passkeys.enabled(),
        csrf_token: &csrf_token,
        notice,
        error,
    }
    .render()
    .map_err(AppError::internal)?;
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body);
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

/// The JSON endpoints' guard: signed in, and recently for a change.
async fn json_session(req: &HttpRequest, state: &AppState) -> Result<Session, Refusal> {
    let session = match signed_in(req, state).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return Err(Box::new(sign_in_again(
                "Sign in again to add a passkey: your sign-in has ended.",
            )));
        }
        Err(error) => return Err(Box::new(actix_web::ResponseError::error_response(&error))),
    };
    if !recent(state, &session) {
        return Err(Box::new(sign_in_again(
            "For your security, sign in again before adding a passkey.",
        )));
    }
    Ok(session)
}

/// 401 with where to sign in again (the script goes there).
fn sign_in_again(message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": message, "sign_in": sign_in_url() }))
}

#[derive(Deserialize)]
pub struct StartBody {
    #[serde(default)]
    name: String,
}

pub async fn register_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let start: StartBody = match passkey_json::parse(&req, &state, &body) {
        Ok(start) => start,
        Err(refusal) => return Ok(*refusal),
    };
    let session = match json_session(&req, &state).await {
        Ok(session) => session,
        Err(refusal) => return Ok(*refusal),
    };
    let browser = passkey_json::browser(&req, &state);
    match passkeys::start_registration(&state, session.user_id, &start.name, browser).await {
        Ok(started) => Ok(passkey_json::ok(&started)),
        Err(error) => passkey_json::refusal(error),
    }
}

#[derive(Deserialize)]
pub struct FinishBody {
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: Value,
}

pub async fn register_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let finish: FinishBody = match passkey_json::parse(&req, &state, &body) {
        Ok(finish) => finish,
        Err(refusal) => return Ok(*refusal),
    };
    let session = match json_session(&req, &state).await {
        Ok(session) => session,
        Err(refusal) => return Ok(*refusal),
    };
    let browser = passkey_json::browser(&req, &state);
    let added = passkeys::finish_registration(
        &state,
        session.user_id,
        finish.ceremony,
        browser,
        finish.credential,
        &finish.name,
    )
    .await;
    match added {
        Ok(_) => Ok(passkey_json::ok(&json!({
            "redirect": format!("{}?done=added", routes::ACCOUNT_PASSKEYS)
        }))),
        Err(error) => passkey_json::refusal(error),
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
}

fn form_expired() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "Form expired",
        "The form could not be verified. Reload the page and try again.",
    )
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    if !csrf::verify(&req, session_cookie::secure(&state), &form.csrf_token) {
        return Ok(form_expired());
    }
    let Some(session) = signed_in(&req, &state).await? else {
        return Ok(see_other(&sign_in_url()));
    };
    let renamed = passkeys::rename(
        &state,
        session.user_id.clone(),
        id.into_inner(),
        &form.name,
        client_ip::for_audit(&req),
    )
    .await;
    after_change(&req, &state, &session, renamed.map(|_| "renamed")).await
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    if !csrf::verify(&req, session_cookie::secure(&state), &form.csrf_token) {
        return Ok(form_expired());
    }
    let Some(session) = signed_in(&req, &state).await? else {
        return Ok(see_other(&sign_in_url()));
    };
    if !recent(&state, &session) {
        return Ok(see_other(&sign_in_url()));
    }
    let removed = passkeys::remove(
        &state,
        session.user_id.clone(),
        id.into_inner(),
        client_ip::for_audit(&req),
    )
    .await;
    after_change(&req, &state, &session, removed.map(|_| "removed")).await
}

/// Back to the list with a notice, or the list again saying what was wrong.
async fn after_change(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    outcome: Result<&str, PasskeyError>,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(done) => Ok(see_other(&format!(
            "{}?done={done}",
            routes::ACCOUNT_PASSKEYS
        ))),
        Err(PasskeyError::Db(error)) => Err(error.into()),
        Err(error) => {
            let message = crate::http::error::sentence(&error.to_string());
            render(
                req,
                state,
                session,
                StatusCode::BAD_REQUEST,
                None,
                Some(&message),
            )
            .await
        }
    }
}
