//! RP-Initiated Logout 1.0. A logout link must not be able to sign anyone
//! out silently: without a valid `id_token_hint` for the current session
//! the person confirms first, and the post-logout redirect is honoured only
//! when it is registered, byte for byte, for the client.

use super::{backchannel, id_token::verify_hint};
use crate::accounts::sessions::{self, Session};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::db::{self, DbConnection, DbError};
use crate::oauth::params::Params;

/// What a logout request asks for, after checking.
#[derive(Debug)]
pub struct Evaluation {
    /// Where to send the browser afterwards (registered URI + `state`).
    pub redirect: Option<String>,
    /// A valid hint for the current session: no confirmation needed.
    pub silent: bool,
    /// A hint was sent but did not verify.
    pub bad_hint: bool,
}

pub async fn evaluate(
    state: &AppState,
    params: &Params,
    session: Option<&Session>,
) -> Result<Evaluation, DbError> {
    let hint = params
        .get("id_token_hint")
        .map(|token| verify_hint(state, token));
    let bad_hint = matches!(hint, Some(None));
    let hint = hint.flatten();
    let hinted_client = hint.as_ref().and_then(|h| h.client_id.clone());
    let client_id = match (params.get("client_id"), hinted_client) {
        (Some(param), Some(hinted)) if param != hinted => None,
        (Some(param), _) => Some(param.to_owned()),
        (None, hinted) => hinted,
    };
    let redirect = match (params.get("post_logout_redirect_uri"), client_id, bad_hint) {
        (Some(uri), Some(client_id), false) => {
            let (uri, wanted) = (uri.to_owned(), client_id.clone());
            let registered = state
                .db
                .run(move |conn| {
                    Ok::<_, DbError>(db::clients::find(conn, &wanted)?.is_some_and(|c| {
                        !c.row.disabled && c.post_logout_redirect_uris.contains(&uri)
                    }))
                })
                .await?;
            if !registered {
                ignored_redirect(
                    Some(&client_id),
                    "it is not registered for this client (or the client is unknown or disabled)",
                );
            }
            registered.then(|| {
                with_state(
                    params.get("post_logout_redirect_uri").unwrap_or_default(),
                    params.get("state"),
                )
            })
        }
        (Some(_), client_id, true) => {
            ignored_redirect(client_id.as_deref(), "the id_token_hint is not valid");
            None
        }
        (Some(_), None, false) => {
            let reason = if params.get("client_id").is_some() {
                "client_id names another client than the id_token_hint"
            } else {
                "neither client_id nor id_token_hint says which client it belongs to"
            };
            ignored_redirect(params.get("client_id"), reason);
            None
        }
        (None, _, _) => None,
    };
    let silent = match (&hint, session) {
        (Some(hint), Some(session)) => {
            hint.sub == session.user_id && hint.sid.as_deref().is_none_or(|sid| sid == session.sid)
        }
        // Nobody is signed in here: there is nothing a forged link could end.
        (Some(_), None) => true,
        _ => false,
    };
    // A post-logout URI that is not registered (or altered) is never
    // followed, and the person is asked rather than signed out silently.
    let silent = silent && (params.get("post_logout_redirect_uri").is_none() || redirect.is_some());
    Ok(Evaluation {
        redirect,
        silent,
        bad_hint,
    })
}

/// The person still sees the logout page, but the application that sent
/// them never gets them back: say why where its operator will look.
fn ignored_redirect(client_id: Option<&str>, reason: &str) {
    // Debug-quoted: a client_id parameter is whatever was sent.
    tracing::warn!(
        client_id = ?client_id.unwrap_or("-"),
        reason,
        "post_logout_redirect_uri ignored"
    );
}

fn with_state(uri: &str, state: Option<&str>) -> String {
    match (url::Url::parse(uri), state) {
        (Ok(mut url), Some(state)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.into()
        }
        _ => uri.to_owned(),
    }
}

/// Ends `session` inside the caller's transaction, as a logout does: the
/// session ends, Gatehouse's own endpoints refuse the access tokens issued
/// in it from now on (`sid:…` beside revoked token ids, kept as long as
/// any of them lives), and each back-channel client of the session gets a
/// logout token queued. Returns how many were queued (wake the sender when
/// any were). The account page's "end session" comes through here too.
pub fn end_in(
    conn: &mut DbConnection,
    session: &Session,
    access_token_ttl_secs: i64,
    now: i64,
) -> Result<usize, DbError> {
    sessions::end(conn, &session.id_hash, now)?;
    db::revoked_tokens::revoke(
        conn,
        &db::revoked_tokens::session_key(&session.sid),
        now + access_token_ttl_secs,
        now,
    )?;
    backchannel::enqueue(conn, &session.sid, &session.user_id, now)
}

/// Ends the session and queues back-channel logout tokens.
pub async fn end_session(
    state: &AppState,
    session: &Session,
    client_ip: Option<String>,
) -> Result<(), DbError> {
    let now = state.clock.now();
    let access_token_ttl = state.settings.tokens.access_token_ttl_secs;
    let session = session.clone();
    let queued = state
        .db
        .transaction(move |conn| {
            let queued = end_in(conn, &session, access_token_ttl, now)?;
            audit::record(
                conn,
                Event {
                    kind: "logout",
                    actor: Some(&session.user_id),
                    subject: Some(&session.user_id),
                    client_ip: client_ip.as_deref(),
                    details: Some(serde_json::json!({ "backchannel_clients": queued })),
                },
                now,
            )?;
            Ok::<_, DbError>(queued)
        })
        .await?;
    if queued > 0 {
        state.backchannel_wake.notify_one();
    }
    Ok(())
}
