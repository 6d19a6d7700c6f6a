//! `POST /account/sessions/end` (one of the person's other sessions) and
//! `POST /account/sessions/end-others`: each ended as a logout ends one
//! (`oidc::logout::end_in`, through `administration::account`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::page::{self, Refusal, Section};
use super::{Account, AccountPageError};
use crate::administration::account;

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf_token: String,
    /// The session's `sid` (what the page lists; never its cookie).
    #[serde(default)]
    sid: String,
}

#[derive(Deserialize)]
pub struct EndOthersForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn end_one(
    account: Account,
    form: web::Form<EndForm>,
) -> Result<HttpResponse, AccountPageError> {
    let form = form.into_inner();
    account.check_csrf(&form.csrf_token)?;
    let (sessions, tokens) = settings(&account);
    let sid = form.sid;
    let ended = account::perform(&account.state, account.me(), move |conn, me, now| {
        account::end_session(conn, me, &sid, &sessions, &tokens, now)
    })
    .await;
    match ended {
        Ok(()) => Ok(account.redirect("/account?notice=session_ended")),
        Err(error) => page::refused(&account, Refusal::of(Section::Sessions, error)?, None).await,
    }
}

pub async fn end_others(
    account: Account,
    form: web::Form<EndOthersForm>,
) -> Result<HttpResponse, AccountPageError> {
    account.check_csrf(&form.csrf_token)?;
    let (sessions, tokens) = settings(&account);
    let ended = account::perform(&account.state, account.me(), move |conn, me, now| {
        account::end_other_sessions(conn, me, &sessions, &tokens, now)
    })
    .await;
    match ended {
        Ok(_) => Ok(account.redirect("/account?notice=sessions_ended")),
        Err(error) => page::refused(&account, Refusal::of(Section::Sessions, error)?, None).await,
    }
}

fn settings(account: &Account) -> (crate::config::SessionSettings, crate::config::TokenSettings) {
    let settings = &account.state.settings;
    (settings.sessions.clone(), settings.tokens.clone())
}
