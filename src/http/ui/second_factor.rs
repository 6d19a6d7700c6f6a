//! `/login/second-factor`: after the password, a code from the
//! authenticator app or a recovery code (one input, `code`); enrolling an
//! app first when a role or the client requires a second factor and the
//! person has none; the same page steps a complete sign-in up when a
//! client asks for more (`acr_values`).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;

use super::login::expired_page;
use super::sign_in::{SignInTarget, complete, complete_and_pause, with_session_cookie};
use crate::accounts::{
    assurance::{self, amr},
    recovery_codes,
    second_factor::{self, Awaiting, CodeOutcome, Needed},
    totp,
};
use crate::app::AppState;
use crate::http::{
    AppError, client_ip, csrf,
    error::error_page,
    oauth::responses::{see_other, step_response},
    session_cookie,
};
use crate::oauth::code_flow;
use crate::routes;

#[derive(Template)]
#[template(path = "second_factor.html")]
struct CodePage<'a> {
    client_name: &'a str,
    target: &'a SignInTarget,
    csrf_token: &'a str,
    error: Option<&'a str>,
    /// Offered beside the code when the person has passkeys.
    passkeys: bool,
    /// The code form: for people with an authenticator app (and its
    /// recovery codes), and whenever passkeys cannot be offered.
    codes: bool,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct EnrolPage<'a> {
    heading: &'a str,
    intro: &'a str,
    action: &'a str,
    target: Option<&'a SignInTarget>,
    csrf_token: &'a str,
    enrolment: &'a totp::Enrolment,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    codes: Vec<String>,
    action: &'a str,
    method: &'a str,
    target: Option<&'a SignInTarget>,
    csrf_token: &'a str,
}

#[derive(Deserialize)]
pub struct StepQuery {
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
}

/// The name shown when signing in to Gatehouse's own pages.
const OWN_PAGES: &str = "Gatehouse";

fn page(status: StatusCode, body: askama::Result<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body.map_err(AppError::internal)?))
}

/// The CSRF cookie doubles as the browser binding of pending requests.
fn binding(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(csrf::cookie_name(session_cookie::secure(state)))
        .map(|c| c.value().to_owned())
}

/// Who is at the second step for this target, with the name to show.
pub(super) async fn awaiting(
    req: &HttpRequest,
    state: &AppState,
    target: &SignInTarget,
) -> Result<Option<(Awaiting, String)>, AppError> {
    let cookie = session_cookie::read(req, state);
    Ok(match target {
        SignInTarget::Request { id, binding } => {
            code_flow::awaiting_factor(state, id.clone(), binding.clone(), cookie)
                .await?
                .map(|(awaiting, view)| (awaiting, view.client_name))
        }
        SignInTarget::Page { .. } => second_factor::awaiting_for_page(state, cookie)
            .await?
            .map(|awaiting| (awaiting, OWN_PAGES.to_owned())),
    })
}

/// The sign-in needs nothing more (a complete session that reached the
/// level): go on.
async fn onward(
    req: &HttpRequest,
    state: &AppState,
    target: SignInTarget,
) -> Result<HttpResponse, AppError> {
    match target {
        SignInTarget::Request { id, binding } => {
            let cookie = session_cookie::read(req, state);
            Ok(step_response(
                code_flow::resume(state, id, binding, cookie).await?,
            ))
        }
        SignInTarget::Page { return_to } => Ok(see_other(&return_to)),
    }
}

/// The step's address was not usable here: signed-in pages start over at
/// the login, authorization requests say they expired.
fn start_over(target: Option<&SignInTarget>) -> HttpResponse {
    match target {
        Some(SignInTarget::Page { return_to }) => see_other(&format!(
            "{}?{}",
            routes::LOGIN,
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", return_to)
                .finish()
        )),
        _ => expired_page(),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StepQuery>,
) -> Result<HttpResponse, AppError> {
    let (csrf_token, new_csrf_cookie) = csrf::token(&req, session_cookie::secure(&state));
    let target = SignInTarget::from_parts(&query.request, &query.return_to, binding(&req, &state));
    let Some(target) = target else {
        return Ok(expired_page());
    };
    let Some((awaiting, client_name)) = awaiting(&req, &state, &target).await? else {
        return Ok(start_over(Some(&target)));
    };
    let mut response = match awaiting.needed {
        Needed::Nothing => return onward(&req, &state, target).await,
        Needed::Factor => page(
            StatusCode::OK,
            CodePage {
                client_name: &client_name,
                target: &target,
                csrf_token: &csrf_token,
                error: None,
                passkeys: awaiting.factors.passkeys && state.passkeys.enabled(),
                codes: awaiting.factors.totp || !state.passkeys.enabled(),
            }
            .render(),
        )?,
        Needed::Enrol => enrol_page(&state, &awaiting, &target, &csrf_token, None).await?,
    };
    if let Some(cookie) = new_csrf_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

async fn enrol_page(
    state: &AppState,
    awaiting: &Awaiting,
    target: &SignInTarget,
    csrf_token: &str,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let user_id = awaiting.session.user_id.clone();
    let username = awaiting.username.clone();
    let now = state.clock.now();
    let sealer = state.sealer.clone();
    let issuer = state.settings.totp_issuer().to_owned();
    let enrolment = state
        .db
        .run(move |conn| {
            let label = totp::Label {
                issuer: &issuer,
                account: &username,
            };
            totp::begin(conn, &sealer, &user_id, &label, now)
        })
        .await?;
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    page(
        status,
        EnrolPage {
            heading: "Set up two-step verification",
            intro: "Your account needs a second step when you sign in. Add this account to an authenticator app, then enter the 6-digit code it shows.",
            action: routes::SECOND_FACTOR_ENROL,
            target: Some(target),
            csrf_token,
            enrolment: &enrolment,
            error,
        }
        .render(),
    )
}

fn form_target(req: &HttpRequest, state: &AppState, form: &StepForm) -> Option<SignInTarget> {
    SignInTarget::from_parts(&form.request, &form.return_to, binding(req, state))
}

fn form_expired() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "Form expired",
        "The form could not be verified. Go back to the application and start again.",
    )
}

/// A code (authenticator or recovery) for the second step.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !csrf::verify(&req, session_cookie::secure(&state), &form.csrf_token) {
        return Ok(form_expired());
    }
    let target = form_target(&req, &state, &form);
    let Some(target) = target else {
        return Ok(expired_page());
    };
    let Some((awaiting, client_name)) = awaiting(&req, &state, &target).await? else {
        return Ok(start_over(Some(&target)));
    };
    let outcome = second_factor::check_code(
        &state,
        awaiting.session.user_id.clone(),
        awaiting.username.clone(),
        form.code.clone(),
        client_ip::of(&req),
    )
    .await?;
    let retry = |status: StatusCode, message: &str| {
        page(
            status,
            CodePage {
                client_name: &client_name,
                target: &target,
                csrf_token: &form.csrf_token,
                error: Some(message),
                passkeys: awaiting.factors.passkeys && state.passkeys.enabled(),
                codes: awaiting.factors.totp || !state.passkeys.enabled(),
            }
            .render(),
        )
    };
    match outcome {
        CodeOutcome::Accepted(method) => {
            let amr = assurance::combined(&awaiting.session.amr, &[method]);
            let user_id = awaiting.session.user_id.clone();
            complete(&req, &state, target.clone(), user_id, amr).await
        }
        CodeOutcome::Invalid => retry(
            StatusCode::UNAUTHORIZED,
            "That code is not valid. Enter the current code from your authenticator app, or an unused recovery code.",
        ),
        CodeOutcome::Throttled { retry_after_secs } => {
            let mut response = retry(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts. Try again in {}.",
                    super::login::wait_in_words(retry_after_secs)
                ),
            )?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
            Ok(response)
        }
    }
}

/// Confirms an authenticator app enrolled during sign-in, completes the
/// sign-in, and shows the recovery codes once before going on.
pub async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !csrf::verify(&req, session_cookie::secure(&state), &form.csrf_token) {
        return Ok(form_expired());
    }
    let Some(target) = form_target(&req, &state, &form) else {
        return Ok(expired_page());
    };
    let Some((awaiting, _)) = awaiting(&req, &state, &target).await? else {
        return Ok(start_over(Some(&target)));
    };
    if awaiting.needed != Needed::Enrol {
        return show_again(&target);
    }
    let user_id = awaiting.session.user_id.clone();
    let now = state.clock.now();
    let sealer = state.sealer.clone();
    let code = form.code.clone();
    let codes = state
        .db
        .transaction(move |conn| {
            if !totp::confirm(conn, &sealer, &user_id, &code, now)? {
                return Ok(None);
            }
            let codes = recovery_codes::replace(conn, &user_id, now)?;
            crate::audit::record(
                conn,
                crate::audit::Event {
                    kind: "factor.totp_added",
                    actor: Some(&user_id),
                    subject: Some(&user_id),
                    ..Default::default()
                },
                now,
            )?;
            Ok::<_, crate::accounts::AccountError>(Some(codes))
        })
        .await?;
    let Some(codes) = codes else {
        return enrol_page(
            &state,
            &awaiting,
            &target,
            &form.csrf_token,
            Some(
                "That code is not valid. Check the time on your device and enter the current code.",
            ),
        )
        .await;
    };
    let amr = assurance::combined(&awaiting.session.amr, &[amr::ONE_TIME_CODE]);
    let cookie = complete_and_pause(
        &req,
        &state,
        target.clone(),
        awaiting.session.user_id.clone(),
        amr,
    )
    .await?;
    let response = page(
        StatusCode::OK,
        RecoveryCodesPage {
            codes: codes.into_iter().map(|c| c.into_inner()).collect(),
            action: routes::SECOND_FACTOR_CONTINUE,
            method: "post",
            target: Some(&target),
            csrf_token: &form.csrf_token,
        }
        .render(),
    )?;
    with_session_cookie(&state, response, cookie)
}

fn show_again(target: &SignInTarget) -> Result<HttpResponse, AppError> {
    Ok(see_other(&target.second_step_url()))
}

/// After the recovery codes were shown: on to consent, the code or the page.
pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !csrf::verify(&req, session_cookie::secure(&state), &form.csrf_token) {
        return Ok(form_expired());
    }
    match form_target(&req, &state, &form) {
        Some(target) => onward(&req, &state, target).await,
        None => Ok(expired_page()),
    }
}
