//! `/account/totp`: set up an authenticator app (QR code, key, a code to
//! confirm), remove it, renew the recovery codes. Every change asks for a
//! recent sign-in first.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{Account, AccountPageError, require_recent_sign_in};
use crate::accounts::{AccountError, totp::Enrolment};
use crate::administration::{account, account_totp};
use crate::routes;
use crate::secret::Secret;

pub const REMOVE: &str = "/account/totp/remove";
pub const RECOVERY_CODES: &str = "/account/recovery-codes";

#[derive(Template)]
#[template(path = "account/totp.html")]
struct TotpPage<'a> {
    username: &'a str,
    csrf_token: &'a str,
    /// Set while no app is on: what to add to the app.
    enrolment: Option<Enrolment>,
    recovery_codes_left: i64,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    codes: Vec<String>,
    action: &'a str,
    method: &'a str,
    target: Option<&'a crate::http::ui::sign_in::SignInTarget>,
    csrf_token: &'a str,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
}

/// Fixed messages for `?notice=` (never free text into a page).
fn notice(key: &str) -> Option<&'static str> {
    match key {
        "removed" => Some("The authenticator app was removed."),
        _ => None,
    }
}

async fn render(
    account: &Account,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, AccountPageError> {
    let me = account.me();
    let sealer = account.state.sealer.clone();
    let issuer = account.state.settings.totp_issuer().to_owned();
    let now = account.state.clock.now();
    // Read, or start an enrolment: no cache to forget, nothing to audit.
    let shown = account
        .state
        .db
        .transaction(move |conn| account_totp::page(conn, &me, &sealer, &issuer, now))
        .await
        .map_err(app_error)?;
    account.page(
        status,
        TotpPage {
            username: &shown.username,
            csrf_token: &account.csrf_token,
            enrolment: shown.enrolment,
            recovery_codes_left: shown.status.recovery_codes_left,
            notice,
            error,
        }
        .render(),
    )
}

fn app_error(error: AccountError) -> AccountPageError {
    AccountPageError::App(error.into())
}

pub async fn show(
    account: Account,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AccountPageError> {
    render(&account, StatusCode::OK, notice(&query.notice), None).await
}

/// A refusal shown on the page (422), a database failure as an error.
async fn refused(account: &Account, error: AccountError) -> Result<HttpResponse, AccountPageError> {
    match error {
        AccountError::Db(db) => Err(db.into()),
        other => {
            let message = crate::http::error::sentence(&other.to_string());
            render(
                account,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&message),
            )
            .await
        }
    }
}

fn codes_page(
    account: &Account,
    codes: Vec<Secret<String>>,
) -> Result<HttpResponse, AccountPageError> {
    account.page(
        StatusCode::OK,
        RecoveryCodesPage {
            codes: codes.into_iter().map(Secret::into_inner).collect(),
            action: routes::ACCOUNT,
            method: "get",
            target: None,
            csrf_token: &account.csrf_token,
        }
        .render(),
    )
}

/// `POST /account/totp`: turns the app on with a current code.
pub async fn confirm(
    account: Account,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AccountPageError> {
    let form = form.into_inner();
    account.check_csrf(&form.csrf_token)?;
    require_recent_sign_in(&account, routes::ACCOUNT_TOTP)?;
    let sealer = account.state.sealer.clone();
    let code = form.code;
    let confirmed = account::perform(&account.state, account.me(), move |conn, me, now| {
        account_totp::confirm(conn, me, &sealer, &code, now)
    })
    .await;
    match confirmed {
        Ok(Some(codes)) => codes_page(&account, codes),
        Ok(None) => render(
            &account,
            StatusCode::UNAUTHORIZED,
            None,
            Some(
                "That code is not valid. Check the time on your device and enter the current code.",
            ),
        )
        .await,
        Err(error) => refused(&account, error).await,
    }
}

/// `POST /account/totp/remove`.
pub async fn remove(
    account: Account,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AccountPageError> {
    account.check_csrf(&form.csrf_token)?;
    require_recent_sign_in(&account, routes::ACCOUNT_TOTP)?;
    let removed = account::perform(&account.state, account.me(), account_totp::remove).await;
    match removed {
        Ok(()) => Ok(account.redirect(&format!("{}?notice=removed", routes::ACCOUNT_TOTP))),
        Err(error) => refused(&account, error).await,
    }
}

/// `POST /account/recovery-codes`: new codes replace the old, shown once.
pub async fn renew_recovery_codes(
    account: Account,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AccountPageError> {
    account.check_csrf(&form.csrf_token)?;
    require_recent_sign_in(&account, routes::ACCOUNT_TOTP)?;
    let renewed = account::perform(
        &account.state,
        account.me(),
        account_totp::renew_recovery_codes,
    )
    .await;
    match renewed {
        Ok(codes) => codes_page(&account, codes),
        Err(error) => refused(&account, error).await,
    }
}
