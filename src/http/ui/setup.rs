//! `/setup`: the first administrator, created through a one-time link.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::notice::{CONSOLE, NoticePage};
use super::secure_cookies;
use crate::accounts::{
    AccountError,
    password_policy::{self, PasswordPolicy},
    setup::{self, SetupState},
    users::{self, NewUser},
};
use crate::app::AppState;
use crate::http::{
    AppError, csrf,
    error::{error_page, sentence},
};
use crate::secret::Secret;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    token: &'a str,
    csrf_token: &'a str,
    username: &'a str,
    error: Option<&'a str>,
    /// The password policy's bounds for someone with no second factor yet.
    min_length: usize,
    max_length: usize,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn html(status: StatusCode, body: Result<String, askama::Error>) -> Result<HttpResponse, AppError> {
    let body = body.map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

fn refused(state: SetupState) -> HttpResponse {
    match state {
        SetupState::AlreadyDone => error_page(
            StatusCode::FORBIDDEN,
            "Already set up",
            "An administrator already exists. Sign in instead, or ask an administrator for an account.",
        ),
        _ => error_page(
            StatusCode::FORBIDDEN,
            "Invalid setup link",
            "This setup link is invalid, expired or already used. Restart the server to print a new one.",
        ),
    }
}

async fn setup_state(state: &AppState, token: String) -> Result<SetupState, AppError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| Ok::<_, crate::db::DbError>(setup::state(conn, &token, now)))
        .await?
        .map_err(account_error)
}

fn account_error(error: AccountError) -> AppError {
    match error {
        AccountError::Db(db) => AppError::from(db),
        other => AppError::BadRequest(other.to_string()),
    }
}

fn form_page(
    req: &HttpRequest,
    policy: &PasswordPolicy,
    secure: bool,
    status: StatusCode,
    token: &str,
    username: &str,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let (csrf_token, cookie) = csrf::token(req, secure);
    let mut response = html(
        status,
        SetupPage {
            token,
            csrf_token: &csrf_token,
            username,
            error,
            min_length: password_policy::min_length(policy, false),
            max_length: policy.max_length,
        }
        .render(),
    )?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    match setup_state(&state, token.clone()).await? {
        SetupState::Open => {
            let secure = secure_cookies(state.settings.issuer());
            form_page(
                &req,
                &state.settings.password_policy,
                secure,
                StatusCode::OK,
                &token,
                "",
                None,
            )
        }
        other => Ok(refused(other)),
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secure = secure_cookies(state.settings.issuer());
    if !csrf::verify(&req, secure, &form.csrf_token) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form could not be verified. Reload the setup link and try again.",
        ));
    }
    let current = setup_state(&state, form.token.clone()).await?;
    if current != SetupState::Open {
        return Ok(refused(current));
    }
    let retry = |message: &str| {
        form_page(
            &req,
            &state.settings.password_policy,
            secure,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.token,
            &form.username,
            Some(&sentence(message)),
        )
    };
    if form.password != form.password_confirm {
        return retry("The two passwords do not match.");
    }
    let now = state.clock.now();
    let new_user = NewUser {
        username: form.username.trim().to_owned(),
        ..NewUser::default()
    };
    let password = Secret::new(form.password.clone());
    let passwords = state.passwords.clone();
    let policy = state.settings.password_policy.clone();
    // Hashing is deliberately slow: keep it off the async workers, in one
    // of the bounded hashing slots. The password policy is checked first.
    let prepared = state
        .hash_limiter
        .run(move || users::prepare_user(&new_user, Some(&password), &passwords, &policy, now))
        .await?;
    let admin = match prepared {
        Ok(admin) => admin,
        Err(error) => return retry(&error.to_string()),
    };
    let token = form.token.clone();
    let username = admin.username.clone();
    let outcome = state
        .db
        // A refusal (a taken username) rolls back, so the link is not spent.
        .transaction(move |conn| setup::complete(conn, &token, &admin, now))
        .await;
    match outcome {
        Ok(SetupState::Open) => {
            tracing::info!(target: "audit", username = %username, "first administrator created");
            NoticePage {
                title: "Gatehouse is ready",
                message: "The administrator account was created. Sign in to the administration console with it.",
                links: &[CONSOLE],
            }
            .respond(StatusCode::OK)
        }
        Ok(other) => Ok(refused(other)),
        Err(AccountError::Db(db)) => Err(AppError::from(db)),
        Err(error) => retry(&error.to_string()),
    }
}
