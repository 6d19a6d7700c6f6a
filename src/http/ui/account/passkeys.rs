//! `/account/passkeys`: a person's passkeys — listed, renamed and removed
//! with plain forms, added through `static/passkeys.js` and two JSON
//! endpoints (the WebAuthn call itself needs script). Adding and removing
//! ask for a fresh sign-in when the last one is older than five minutes
//! (`require_recent_sign_in`).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Account, AccountPageError, REASON_RECENT, require_recent_sign_in};
use crate::accounts::passkeys::{self, PasskeyError};
use crate::administration::views::passkeys::of_user;
use crate::app::AppState;
use crate::http::{AppError, error::sentence, ui::passkey_json};
use crate::routes;

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

/// A passkey as the list shows it.
struct PasskeyLine {
    id: String,
    name: String,
    added: String,
    last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage<'a> {
    username: &'a str,
    csrf_token: &'a str,
    passkeys: Vec<PasskeyLine>,
    /// This server offers passkeys (its issuer has a domain name).
    enabled: bool,
    notice: Option<&'static str>,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// Fixed words for `?done=` (never reflect free text into a page).
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "added" => "Your passkey was added. You can now sign in with it.",
        "renamed" => "The passkey was renamed.",
        "removed" => "The passkey was removed.",
        _ => return None,
    })
}

pub async fn show(
    account: Account,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AccountPageError> {
    render(&account, StatusCode::OK, notice(&query.done), None).await
}

async fn render(
    account: &Account,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> Result<HttpResponse, AccountPageError> {
    let user_id = account.session.user_id.clone();
    let Some(own) = account
        .state
        .db
        .run(move |conn| of_user(conn, &user_id))
        .await?
    else {
        return Err(AccountPageError::SignIn(
            routes::ACCOUNT_PASSKEYS.to_owned(),
        ));
    };
    let passkeys = own
        .passkeys
        .into_iter()
        .map(|row| PasskeyLine {
            added: crate::utc::readable(row.created_at),
            last_used: row.last_used_at.map(crate::utc::readable),
            id: row.id,
            name: row.name,
        })
        .collect();
    let page = PasskeysPage {
        username: &own.username,
        csrf_token: &account.csrf_token,
        passkeys,
        enabled: account.state.passkeys.enabled(),
        notice,
        error,
    };
    account.page(status, page.render())
}

/// Where the script sends the person to sign in (again) and come back.
fn sign_in_url(reason: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("return_to", routes::ACCOUNT_PASSKEYS);
    if let Some(reason) = reason {
        query.append_pair("reason", reason);
    }
    format!("{}?{}", routes::LOGIN, query.finish())
}

/// The account guard's answer for the script: 401 with where to go, or
/// the error itself.
fn json_guard(refused: AccountPageError) -> Result<HttpResponse, AppError> {
    let (message, url) = match refused {
        AccountPageError::SignIn(_) => (
            "Your sign-in has ended. Sign in again to add a passkey.",
            sign_in_url(None),
        ),
        AccountPageError::StaleSignIn(_) => (
            "For your security, sign in again before adding a passkey.",
            sign_in_url(Some(REASON_RECENT)),
        ),
        AccountPageError::SecondFactor(_) => (
            "Finish the second step of your sign-in first.",
            format!(
                "{}?{}",
                routes::SECOND_FACTOR,
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", routes::ACCOUNT_PASSKEYS)
                    .finish()
            ),
        ),
        AccountPageError::Csrf => {
            return Ok(passkey_json::error(
                StatusCode::FORBIDDEN,
                "This page has expired. Reload it and try again.",
            ));
        }
        AccountPageError::App(error) => return Err(error),
    };
    Ok(HttpResponse::Unauthorized()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": message, "sign_in": url })))
}

/// The signed-in person, recently signed in, for a JSON change.
fn recent(account: Result<Account, AccountPageError>) -> Result<Account, AccountPageError> {
    let account = account?;
    require_recent_sign_in(&account, routes::ACCOUNT_PASSKEYS)?;
    Ok(account)
}

#[derive(Deserialize)]
pub struct StartBody {
    #[serde(default)]
    name: String,
}

pub async fn register_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    account: Result<Account, AccountPageError>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let start: StartBody = match passkey_json::parse(&req, &state, &body) {
        Ok(start) => start,
        Err(refusal) => return Ok(*refusal),
    };
    let account = match recent(account) {
        Ok(account) => account,
        Err(refused) => return json_guard(refused),
    };
    let browser = passkey_json::browser(&req, &state);
    let user_id = account.session.user_id.clone();
    match passkeys::start_registration(&state, user_id, &start.name, browser).await {
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
    account: Result<Account, AccountPageError>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let finish: FinishBody = match passkey_json::parse(&req, &state, &body) {
        Ok(finish) => finish,
        Err(refusal) => return Ok(*refusal),
    };
    let account = match recent(account) {
        Ok(account) => account,
        Err(refused) => return json_guard(refused),
    };
    let browser = passkey_json::browser(&req, &state);
    let added = passkeys::finish_registration(
        &state,
        account.session.user_id.clone(),
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

pub async fn rename(
    account: Account,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AccountPageError> {
    account.check_csrf(&form.csrf_token)?;
    let me = account.me();
    let renamed = passkeys::rename(
        &account.state,
        me.user_id,
        id.into_inner(),
        &form.name,
        me.client_ip,
    )
    .await;
    after_change(&account, renamed.map(|_| "renamed")).await
}

pub async fn remove(
    account: Account,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AccountPageError> {
    account.check_csrf(&form.csrf_token)?;
    require_recent_sign_in(&account, routes::ACCOUNT_PASSKEYS)?;
    let me = account.me();
    let removed = passkeys::remove(&account.state, me.user_id, id.into_inner(), me.client_ip).await;
    after_change(&account, removed.map(|_| "removed")).await
}

/// Back to the list with a notice, or the list again saying what was wrong.
async fn after_change(
    account: &Account,
    outcome: Result<&str, PasskeyError>,
) -> Result<HttpResponse, AccountPageError> {
    match outcome {
        Ok(done) => Ok(account.redirect(&format!("{}?done={done}", routes::ACCOUNT_PASSKEYS))),
        Err(PasskeyError::Db(error)) => Err(error.into()),
        Err(error) => {
            let message = sentence(&error.to_string());
            render(account, StatusCode::BAD_REQUEST, None, Some(&message)).await
        }
    }
}
