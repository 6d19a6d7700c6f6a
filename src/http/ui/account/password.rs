//! `POST /account/password`: a new password, the current one required.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::page::{self, Refusal, Section};
use super::{Account, AccountPageError, require_recent_sign_in};
use crate::accounts::login::{LoginOutcome, confirm_password};
use crate::administration::{account, views};
use crate::routes;
use crate::secret::Secret;

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// In order: the form is ours (CSRF), the sign-in is recent, the new
/// password is typed the same twice and passes the rules (checked before
/// the current one, so a rule broken costs no attempt at the throttle),
/// the current password is right (throttled and on a hashing slot, as a
/// sign-in), and only then the new one is hashed and stored.
pub async fn change(
    account: Account,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AccountPageError> {
    let form = form.into_inner();
    account.check_csrf(&form.csrf_token)?;
    require_recent_sign_in(&account, routes::ACCOUNT)?;
    let refuse =
        |message: &str| Refusal::new(Section::Password, StatusCode::UNPROCESSABLE_ENTITY, message);
    if form.new_password != form.new_password_again {
        return page::refused(&account, refuse("the new passwords do not match"), None).await;
    }
    let user_id = account.session.user_id.clone();
    let Some((user, has_second_factor)) = account
        .state
        .db
        .run(move |conn| views::account::person(conn, &user_id))
        .await?
    else {
        return Err(AccountPageError::SignIn(routes::ACCOUNT.to_owned()));
    };
    let policy = &account.state.settings.password_policy;
    if let Err(error) =
        account::check_new_password(policy, &form.new_password, &user, has_second_factor)
    {
        return page::refused(&account, Refusal::of(Section::Password, error)?, None).await;
    }

    let outcome = confirm_password(
        &account.state,
        &user.username,
        form.current_password,
        account.ip,
    )
    .await?;
    let wrong = match outcome {
        LoginOutcome::Success(_) => None,
        LoginOutcome::Invalid => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Your current password is not correct.".to_owned(),
            None,
        )),
        LoginOutcome::Throttled { retry_after_secs } => Some((
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many wrong passwords. Try again in {}.",
                crate::http::ui::login::wait_in_words(retry_after_secs)
            ),
            u64::try_from(retry_after_secs).ok(),
        )),
        LoginOutcome::Busy { retry_after_secs } => Some((
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Try again in a moment.".to_owned(),
            Some(retry_after_secs),
        )),
    };
    if let Some((status, message, retry_after)) = wrong {
        let refusal = Refusal::new(Section::Password, status, &message);
        return page::refused(&account, refusal, retry_after).await;
    }

    let hasher = account.state.passwords.clone();
    let password = Secret::new(form.new_password);
    let hash = match account
        .state
        .hash_limiter
        .run(move || hasher.hash(&password))
        .await?
    {
        Ok(hash) => hash,
        Err(error) => {
            return page::refused(&account, refuse(&error.to_string()), None).await;
        }
    };
    let changed = account::perform(&account.state, account.me(), move |conn, me, now| {
        account::change_password(conn, me, &hash, now)
    })
    .await;
    match changed {
        Ok(_) => Ok(account.redirect("/account?notice=password")),
        Err(error) => page::refused(&account, Refusal::of(Section::Password, error)?, None).await,
    }
}
