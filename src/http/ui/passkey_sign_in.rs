//! Signing in with a passkey, the JSON halves that `static/passkeys.js`
//! calls: passwordless from the login page (`/login/passkey/…`) and as the
//! second step after a password (`/login/second-factor/passkey/…`). Both
//! end in `sign_in::complete`, like every other factor.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;
use serde_json::Value;

use super::passkey_json::{self, navigation};
use super::second_factor::awaiting;
use super::sign_in::{SignInTarget, complete};
use crate::accounts::passkeys::{self, PasskeyError};
use crate::app::AppState;
use crate::http::AppError;
use crate::routes;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let (first, second) = (routes::PASSKEY_SIGN_IN, routes::PASSKEY_SECOND_STEP);
    cfg.route(
        &format!("{first}/start"),
        web::post().to(passwordless_start),
    )
    .route(
        &format!("{first}/finish"),
        web::post().to(passwordless_finish),
    )
    .route(
        &format!("{second}/start"),
        web::post().to(second_step_start),
    )
    .route(
        &format!("{second}/finish"),
        web::post().to(second_step_finish),
    );
}

/// Where the sign-in goes once done: a pending authorization request or a
/// page of Gatehouse's own, as the login page was opened for.
#[derive(Deserialize)]
pub struct TargetBody {
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
}

#[derive(Deserialize)]
pub struct FinishBody {
    ceremony: String,
    credential: Value,
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
}

fn expired() -> HttpResponse {
    passkey_json::error(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired or was already completed. Go back to the application and start again.",
    )
}

fn target(
    req: &HttpRequest,
    state: &AppState,
    request: &str,
    return_to: &str,
) -> Option<SignInTarget> {
    let binding = passkey_json::browser(req, state).binding;
    SignInTarget::from_parts(request, return_to, Some(binding).filter(|b| !b.is_empty()))
}

macro_rules! parsed {
    ($req:expr, $state:expr, $body:expr) => {
        match passkey_json::parse($req, $state, $body) {
            Ok(parsed) => parsed,
            Err(refusal) => return Ok(*refusal),
        }
    };
}

pub async fn passwordless_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let body: TargetBody = parsed!(&req, &state, &body);
    if target(&req, &state, &body.request, &body.return_to).is_none() {
        return Ok(expired());
    }
    let browser = passkey_json::browser(&req, &state);
    match passkeys::start_passwordless(&state, browser).await {
        Ok(started) => Ok(passkey_json::ok(&started)),
        Err(error) => passkey_json::refusal(error),
    }
}

pub async fn passwordless_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let body: FinishBody = parsed!(&req, &state, &body);
    let Some(target) = target(&req, &state, &body.request, &body.return_to) else {
        return Ok(expired());
    };
    let browser = passkey_json::browser(&req, &state);
    let signed_in = match passkeys::finish_passwordless(
        &state,
        body.ceremony,
        browser,
        body.credential,
    )
    .await
    {
        Ok(signed_in) => signed_in,
        Err(error) => return passkey_json::refusal(error),
    };
    let amr = passkeys::passwordless_amr();
    let response = complete(&req, &state, target, signed_in.user_id, amr).await?;
    Ok(navigation(response))
}

pub async fn second_step_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let body: TargetBody = parsed!(&req, &state, &body);
    let Some(target) = target(&req, &state, &body.request, &body.return_to) else {
        return Ok(expired());
    };
    let Some((awaiting, _)) = awaiting(&req, &state, &target).await? else {
        return Ok(expired());
    };
    let browser = passkey_json::browser(&req, &state);
    let user_id = awaiting.session.user_id;
    match passkeys::start_second_factor(&state, user_id, browser).await {
        Ok(started) => Ok(passkey_json::ok(&started)),
        Err(error) => passkey_json::refusal(error),
    }
}

pub async fn second_step_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let body: FinishBody = parsed!(&req, &state, &body);
    let Some(target) = target(&req, &state, &body.request, &body.return_to) else {
        return Ok(expired());
    };
    let Some((awaiting, _)) = awaiting(&req, &state, &target).await? else {
        return Ok(expired());
    };
    let browser = passkey_json::browser(&req, &state);
    let user_id = awaiting.session.user_id.clone();
    let verified =
        passkeys::finish_second_factor(&state, user_id, body.ceremony, browser, body.credential)
            .await;
    let signed_in = match verified {
        Ok(signed_in) => signed_in,
        Err(PasskeyError::Db(error)) => return Err(error.into()),
        Err(error) => return passkey_json::refusal(error),
    };
    let amr = passkeys::second_step_amr(&awaiting.session.amr, signed_in.user_verified);
    let response = complete(&req, &state, target, signed_in.user_id, amr).await?;
    Ok(navigation(response))
}
