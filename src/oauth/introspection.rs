//! Token introspection (RFC 7662). Callers are confidential clients; they
//! see their own tokens and access tokens for APIs they serve
//! (`client add --introspect API`). Everything else is `{"active": false}`.

use serde::Serialize;

use super::{
    OAuthClient,
    access_token::{self, Audience},
    refresh_tokens_of_client,
};
use crate::app::AppState;
use crate::crypto::random;
use crate::db::{self, DbError};

#[derive(Debug, Default, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
}

fn inactive() -> Introspection {
    Introspection::default()
}

pub async fn introspect(
    state: &AppState,
    caller: &OAuthClient,
    token: &str,
    hint: Option<&str>,
) -> Result<Introspection, DbError> {
    if caller.is_public || super::limits::is_absurd_token(token) {
        return Ok(inactive());
    }
    // The shape decides, not the hint (which RFC 7662 lets us ignore): our
    // access tokens are JWTs, our refresh tokens are opaque.
    let _ = hint;
    if token.matches('.').count() == 2 {
        access(state, caller, token).await
    } else {
        refresh(state, caller, token).await
    }
}

async fn access(
    state: &AppState,
    caller: &OAuthClient,
    token: &str,
) -> Result<Introspection, DbError> {
    let claims = match access_token::verify(state, token, access_token::Freshness::Cached).await {
        Ok(claims) => claims,
        Err(access_token::Rejection::Db(error)) => return Err(error),
        Err(access_token::Rejection::Invalid(_)) => return Ok(inactive()),
    };
    let own = claims.client_id == caller.client_id;
    let serves_audience = caller
        .introspect_apis
        .iter()
        .any(|api| claims.aud.contains(api));
    if !own && !serves_audience {
        return Ok(inactive());
    }
    Ok(Introspection {
        active: true,
        sub: Some(claims.sub),
        client_id: Some(claims.client_id),
        scope: Some(claims.scope),
        aud: Some(claims.aud),
        iss: Some(claims.iss),
        exp: Some(claims.exp),
        iat: Some(claims.iat),
        jti: Some(claims.jti),
        token_type: Some("Bearer"),
        roles: Some(claims.roles),
        permissions: Some(claims.permissions),
    })
}

async fn refresh(
    state: &AppState,
    caller: &OAuthClient,
    token: &str,
) -> Result<Introspection, DbError> {
    let hash = random::token_hash(token);
    let client_id = caller.client_id.clone();
    let now = state.clock.now();
    let found = state
        .db
        .run(move |conn| {
            let Some(row) = refresh_tokens_of_client(conn, &hash, &client_id)? else {
                return Ok::<_, DbError>(None);
            };
            let active_user =
                db::users::find_by_id(conn, &row.user_id)?.is_some_and(|u| !u.disabled);
            Ok(Some((row, active_user)))
        })
        .await?;
    let Some((row, active_user)) = found else {
        return Ok(inactive());
    };
    let live = row.revoked_at.is_none()
        && row.used_at.is_none()
        && row.expires_at > now
        && row.family_expires_at > now
        && active_user;
    if !live {
        return Ok(inactive());
    }
    Ok(Introspection {
        active: true,
        sub: Some(row.user_id),
        client_id: Some(row.client_id),
        scope: Some(row.scope),
        aud: None,
        iss: Some(state.settings.issuer().to_owned()),
        exp: Some(row.expires_at),
        iat: Some(row.created_at),
        jti: None,
        token_type: Some("refresh_token"),
        roles: None,
        permissions: None,
    })
}
