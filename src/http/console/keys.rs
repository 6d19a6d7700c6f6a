//! `/admin/keys`: the signing keys, rotating them, and retiring or
//! revoking one.

use crate::administration;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice,
    navigation::{self, ConsolePage},
    session::{Console, ConsoleError},
};
use crate::administration::views;
use crate::crypto::{KeyStoreError, PublishedKey, SigningAlgorithm};
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

#[derive(Deserialize)]
pub struct KeyActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    confirm: String,
}

pub async fn keys(
    console: Console,
    query: web::Query<KeysQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("keys:read")?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    render(&console, StatusCode::OK, notice, None).await
}

async fn render(
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let policy = key_policy(&console.state.settings);
    let now = console.state.clock.now();
    let keys = console
        .state
        .db
        .run(move |conn| views::keys::list(conn, policy, now))
        .await?;
    console.page(
        status,
        KeysPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            keys,
        }
        .render(),
    )
}

/// `POST /admin/keys/{kid}/{action}`: `retire`, or `revoke` (confirmed).
pub async fn act(
    console: Console,
    path: web::Path<(String, String)>,
    form: web::Form<KeyActionForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("keys:write")?;
    let (kid, action) = path.into_inner();
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let (state, actor, target) = (&console.state, console.actor(), kid.clone());
    let outcome: Result<&'static str, KeyStoreError> = match action.as_str() {
        "retire" => administration::keys::apply(state, actor, move |conn, actor, keys, now| {
            administration::keys::retire(conn, actor, keys, &target, now)
        })
        .await
        .map(|_| "key_retired"),
        "revoke" if form.confirm == "yes" => {
            administration::keys::apply(state, actor, move |conn, actor, keys, now| {
                administration::keys::revoke(conn, actor, keys, &target, now)
            })
            .await
            .map(|revocation| {
                if revocation.already_revoked {
                    "key_already_revoked"
                } else {
                    "key_revoked"
                }
            })
        }
        "revoke" => {
            let message = "Tick the box to confirm the revocation.";
            return render(
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
            )
            .await;
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    match outcome {
        Ok(notice) => Ok(see_other(&format!("/admin/keys?notice={notice}"))),
        Err(KeyStoreError::NoSuchKey(_)) => {
            let message = format!("There is no signing key {kid}.");
            render(&console, StatusCode::NOT_FOUND, None, Some(&message)).await
        }
        Err(KeyStoreError::Db(error)) => Err(error.into()),
        Err(error) => {
            tracing::error!(%error, "key {action} failed");
            Err(ConsoleError::Internal)
        }
    }
}

pub async fn rotate(
    console: Console,
    form: web::Form<RotateForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("keys:write")?;
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let immediately = form.now.is_some();
    for alg in SigningAlgorithm::ALL {
        administration::keys::apply(
            &console.state,
            console.actor(),
            move |conn, actor, keys, now| {
                administration::keys::rotate(conn, actor, keys, alg, immediately, now)
            },
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "key rotation failed");
            ConsoleError::Internal
        })?;
    }
    Ok(see_other("/admin/keys?notice=rotated"))
}
