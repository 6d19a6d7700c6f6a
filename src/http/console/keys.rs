//! `/admin/keys`: the signing keys, and rotating them.

use crate::administration;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice,
    navigation::{self, ConsolePage},
    session::{Console, ConsoleError},
};
use crate::crypto::{PublishedKey, SigningAlgorithm, describe_keys};
use crate::db;
use crate::http::oauth::responses::see_other;
use crate::startup::key_policy;

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
pub struct KeysQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    csrf_token: String,
    now: Option<String>,
}

pub async fn keys(
    console: Console,
    query: web::Query<KeysQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("keys:read")?;
    let policy = key_policy(&console.state.settings);
    let now = console.state.clock.now();
    let rows = console.state.db.run(db::signing_keys::list).await?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    console.page(
        StatusCode::OK,
        KeysPage {
            nav: navigation::readable(&console.who),
            notice,
            error: None,
            csrf_token: &console.csrf_token,
            keys: describe_keys(&rows, now, policy),
        }
        .render(),
    )
}

pub async fn rotate(
    console: Console,
    form: web::Form<RotateForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("keys:write")?;
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let immediately = form.now.is_some();
    let now = console.state.clock.now();
    for alg in SigningAlgorithm::ALL {
        let (store, actor) = (console.state.keys.clone(), console.actor());
        console
            .state
            .db
            .transaction_with_refusal(move |conn| {
                administration::keys::rotate(conn, &actor, &store, alg, immediately, now)
            })
            .await?
            .map_err(|error| {
                tracing::error!(%error, "key rotation failed");
                ConsoleError::Internal
            })?;
    }
    Ok(see_other("/admin/keys?notice=rotated"))
}
