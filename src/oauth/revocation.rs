//! Token revocation (RFC 7009). Unknown, foreign or already-revoked tokens
//! still get 200: the answer must not tell a caller which tokens exist.

use super::{OAuthClient, access_token, refresh_tokens_of_client};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::crypto::random;
use crate::db::{self, DbError};

/// Revokes `token` if it is a refresh token or access token of `client`.
/// `token_type_hint` only decides which kind is tried first.
pub async fn revoke(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
    hint: Option<&str>,
) -> Result<(), DbError> {
    // Not one of ours, whatever it is: nothing to revoke (RFC 7009 §2.2).
    if super::limits::is_absurd_token(token) {
        return Ok(());
    }
    if hint == Some("access_token") {
        if revoke_access_token(state, client, token).await? {
            return Ok(());
        }
        revoke_refresh_token(state, client, token).await?;
    } else if !revoke_refresh_token(state, client, token).await? {
        revoke_access_token(state, client, token).await?;
    }
    Ok(())
}

async fn revoke_refresh_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Result<bool, DbError> {
    let hash = random::token_hash(token);
    let client_id = client.client_id.clone();
    let now = state.clock.now();
    state
        .db
        .transaction(move |conn| {
            // Lock before reading: a refresh of this token either finished
            // (its successor is then revoked with the family) or waits and
            // finds the token revoked.
            db::refresh_tokens::lock(conn, &hash)?;
            let Some(row) = refresh_tokens_of_client(conn, &hash, &client_id)? else {
                return Ok(false);
            };
            super::refresh::revoke_family(conn, &row.family_id, now)?;
            audit::record(
                conn,
                Event {
                    kind: "token.revoked",
                    actor: Some(&client_id),
                    subject: Some(&row.user_id),
                    details: Some(serde_json::json!({"type": "refresh_token"})),
                    ..Event::default()
                },
                now,
            )?;
            Ok(true)
        })
        .await
}

async fn revoke_access_token(
    state: &AppState,
    client: &OAuthClient,
    token: &str,
) -> Result<bool, DbError> {
    let claims = match access_token::verify(state, token, access_token::Freshness::Cached).await {
        Ok(claims) => claims,
        Err(access_token::Rejection::Db(error)) => return Err(error),
        Err(access_token::Rejection::Invalid(_)) => return Ok(false),
    };
    // A client can never revoke another client's token.
    if claims.client_id != client.client_id {
        return Ok(false);
    }
    let now = state.clock.now();
    let client_id = client.client_id.clone();
    state
        .db
        .run(move |conn| {
            db::revoked_tokens::revoke(conn, &claims.jti, claims.exp, now)?;
            audit::record(
                conn,
                Event {
                    kind: "token.revoked",
                    actor: Some(&client_id),
                    subject: Some(&claims.sub),
                    details: Some(serde_json::json!({"type": "access_token"})),
                    ..Event::default()
                },
                now,
            )
        })
        .await?;
    Ok(true)
}
