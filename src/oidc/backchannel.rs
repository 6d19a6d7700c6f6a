//! OIDC Back-Channel Logout 1.0: when a session ends, every client that
//! got tokens in it and registered a `backchannel_logout_uri` receives a
//! logout token. Delivery happens in the background with retries and
//! backoff, so a slow or dead receiver never blocks the person logging out.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::crypto::random;
use crate::db::{self, DbConnection, DbError, backchannel::DeliveryRow};

pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The spec recommends at most two minutes.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
const MAX_BACKOFF_SECS: i64 = 300;
/// How long one attempt may hold a delivery before another node retries it.
const ATTEMPT_LEASE_SECS: i64 = 60;

#[derive(Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: Value,
}

/// Queues a delivery for each back-channel client of the session.
pub fn enqueue(conn: &mut DbConnection, sid: &str, sub: &str, now: i64) -> Result<usize, DbError> {
    let clients = db::backchannel::clients_of_session(conn, sid)?;
    for (client_id, uri) in &clients {
        db::backchannel::insert(
            conn,
            &DeliveryRow {
                id: db::new_id(),
                client_id: client_id.clone(),
                uri: uri.clone(),
                sub: sub.to_owned(),
                sid: sid.to_owned(),
                attempts: 0,
                next_attempt_at: now,
                delivered_at: None,
                failed_at: None,
                last_error: None,
                created_at: now,
            },
        )?;
    }
    Ok(clients.len())
}

/// A fresh logout token for one delivery attempt.
fn logout_token(
    state: &AppState,
    delivery: &DeliveryRow,
    alg: crate::crypto::SigningAlgorithm,
    now: i64,
) -> Option<String> {
    let key = state.keys.signer(alg)?;
    let claims = LogoutTokenClaims {
        iss: state.settings.issuer(),
        aud: &delivery.client_id,
        iat: now,
        exp: now + LOGOUT_TOKEN_TTL_SECS,
        jti: random::new_token().into_inner(),
        sub: &delivery.sub,
        sid: &delivery.sid,
        events: json!({ LOGOUT_EVENT: {} }),
    };
    key.sign_jwt("logout+jwt", &claims).ok()
}

/// Attempts every due delivery once.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<usize, DbError> {
    let now = state.clock.now();
    let due = state
        .db
        .run(move |conn| db::backchannel::due(conn, now, 50))
        .await?;
    let mut attempted = 0;
    for delivery in due {
        let (id, seen) = (delivery.id.clone(), delivery.next_attempt_at);
        let won = state
            .db
            .run(move |conn| db::backchannel::claim(conn, &id, seen, now + ATTEMPT_LEASE_SECS))
            .await?;
        if won {
            attempt(state, http, delivery).await?;
            attempted += 1;
        }
    }
    Ok(attempted)
}

async fn attempt(
    state: &AppState,
    http: &reqwest::Client,
    delivery: DeliveryRow,
) -> Result<(), DbError> {
    let now = state.clock.now();
    let client_id = delivery.client_id.clone();
    let client = state
        .db
        .run(move |conn| crate::oauth::client::load(conn, &client_id))
        .await?;
    let alg = client
        .and_then(|c| c.id_token_alg)
        .unwrap_or(state.settings.tokens.id_token_alg);
    let attempts = delivery.attempts + 1;
    let outcome = match logout_token(state, &delivery, alg, now) {
        None => Err("no signing key".to_owned()),
        Some(token) => http
            .post(&delivery.uri)
            .form(&[("logout_token", token.as_str())])
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))
            .and_then(|response| {
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("receiver answered {}", response.status()))
                }
            }),
    };
    let max_attempts = state.settings.backchannel.max_attempts;
    state
        .db
        .run(move |conn| match outcome {
            Ok(()) => db::backchannel::delivered(conn, &delivery.id, attempts, now),
            Err(error) => {
                let next = (attempts < max_attempts)
                    .then(|| now + (1_i64 << attempts.clamp(0, 20)).min(MAX_BACKOFF_SECS));
                db::backchannel::failed_attempt(conn, &delivery.id, attempts, next, &error, now)?;
                if next.is_none() {
                    audit::record(
                        conn,
                        Event {
                            kind: "logout.backchannel_failed",
                            actor: None,
                            subject: Some(&delivery.client_id),
                            details: Some(json!({ "sid": delivery.sid, "error": error })),
                            ..Event::default()
                        },
                        now,
                    )?;
                }
                Ok(())
            }
        })
        .await
}

/// Delivers in the background for as long as the server runs.
pub async fn run_worker(state: AppState, wake: std::sync::Arc<tokio::sync::Notify>) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(state.settings.backchannel.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "back-channel logout is disabled: no HTTP client");
            return;
        }
    };
    loop {
        if let Err(error) = deliver_due(&state, &http).await {
            tracing::warn!(%error, "back-channel delivery round failed");
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
    }
}
