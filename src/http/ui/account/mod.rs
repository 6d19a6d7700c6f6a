//! The signed-in person's own pages under `/account`: the account page
//! (password, two-step verification, sessions, applications) and the
//! pages of each second factor (`totp.rs`, `passkeys.rs`).
//!
//! What every page here shares, and the files beside this one use:
//! - [`Account`], the extractor: the signed-in person (a signed-out
//!   visitor is sent to the login page and back), the CSRF token of their
//!   forms (`check_csrf`), and `page`/`redirect`, which are never cached;
//! - [`require_recent_sign_in`], which a change of password or factor
//!   calls first;
//! - `templates/account/layout.html`, the header with the person's name
//!   and the sign-out button (its page struct needs `username` and
//!   `csrf_token`).

mod applications;
mod page;
mod passkeys;
mod password;
mod sessions;
mod signed_in;
mod totp;

use actix_web::{HttpResponse, web};

use crate::http::oauth::responses::see_other;
use crate::routes;

pub use signed_in::{Account, AccountPageError};

/// How long a sign-in counts as recent: a change of password or of a
/// sign-in factor made later asks for the password again first.
pub const RECENT_SIGN_IN_SECS: i64 = 5 * 60;

/// The `reason` the login page is given when a change asks for a fresh
/// sign-in (it says so above the form; see `ui::login`).
pub const REASON_RECENT: &str = "recent";

/// Asks for a fresh sign-in before a sensitive change: call it first in
/// the handler of every such change (a new password, a factor added or
/// removed), after the CSRF check.
///
/// `Ok(())` when `account`'s session signed in (`auth_time`) within
/// [`RECENT_SIGN_IN_SECS`]. Otherwise `Err(AccountPageError::StaleSignIn)`,
/// which answers 303 to `/login?return_to=<return_to>&reason=recent`: the
/// login page says why, and after signing in the person lands on
/// `return_to` (a path of ours, such as `"/account/totp"`; anything else
/// falls back to `/account`) and makes the change again. Nothing was
/// changed, so a form is never half-applied.
///
/// ```ignore
/// async fn remove(account: Account, form: web::Form<RemoveForm>) -> Result<HttpResponse, AccountPageError> {
///     account.check_csrf(&form.csrf_token)?;
///     require_recent_sign_in(&account, "/account/passkeys")?;
///     // … the change …
/// }
/// ```
pub fn require_recent_sign_in(account: &Account, return_to: &str) -> Result<(), AccountPageError> {
    let age = account.state.clock.now() - account.session.auth_time;
    if age <= RECENT_SIGN_IN_SECS {
        return Ok(());
    }
    let back = super::login::safe_return_path(return_to).unwrap_or(routes::ACCOUNT);
    Err(AccountPageError::StaleSignIn(back.to_owned()))
}

/// `/login?return_to=BACK` (and `&reason=…` when there is one to say).
fn to_login(back: &str, reason: Option<&str>) -> HttpResponse {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("return_to", back);
    if let Some(reason) = reason {
        query.append_pair("reason", reason);
    }
    see_other(&format!("{}?{}", routes::LOGIN, query.finish()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(routes::ACCOUNT, web::get().to(page::show))
        .route(page::PASSWORD, web::post().to(password::change))
        .route(page::END_SESSION, web::post().to(sessions::end_one))
        .route(
            page::END_OTHER_SESSIONS,
            web::post().to(sessions::end_others),
        )
        .route(
            page::REVOKE_APPLICATION,
            web::post().to(applications::revoke),
        )
        .service(
            web::resource(routes::ACCOUNT_TOTP)
                .route(web::get().to(totp::show))
                .route(web::post().to(totp::confirm)),
        )
        .route(totp::REMOVE, web::post().to(totp::remove))
        .route(
            totp::RECOVERY_CODES,
            web::post().to(totp::renew_recovery_codes),
        )
        .configure(passkeys::configure);
}
