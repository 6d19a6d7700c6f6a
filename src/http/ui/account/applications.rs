//! `POST /account/applications/revoke`: withdraws the person's consent to
//! one application, and with it the refresh tokens it holds for them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::page::{self, Refusal, Section};
use super::{Account, AccountPageError};
use crate::administration::account;

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    client_id: String,
}

pub async fn revoke(
    account: Account,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, AccountPageError> {
    let form = form.into_inner();
    account.check_csrf(&form.csrf_token)?;
    let client_id = form.client_id;
    let revoked = account::perform(&account.state, account.me(), move |conn, me, now| {
        account::revoke_consent(conn, me, &client_id, now)
    })
    .await;
    match revoked {
        Ok(()) => Ok(account.redirect("/account?notice=revoked")),
        Err(error) => {
            page::refused(&account, Refusal::of(Section::Applications, error)?, None).await
        }
    }
}
