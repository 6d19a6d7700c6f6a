//! `POST /token`: authenticate the client, then dispatch on `grant_type`.

use std::sync::Arc;

use serde::Serialize;

use super::{
    GrantType, OAuthClient, OAuthError, client, client_auth, error::ErrorCode, grants,
    params::Params,
};
use crate::app::AppState;
use crate::db::DbError;

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// RFC 6749 §5.1: required when it differs from what was asked, so an
    /// empty grant of a non-empty request says `""`; nothing asked and
    /// nothing granted says nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A refusal at the token, revocation or introspection endpoint.
pub struct Failure {
    pub error: OAuthError,
}

pub fn db_failure(error: DbError) -> OAuthError {
    match error {
        DbError::Unavailable(_) => OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable",
        ),
        other => {
            tracing::error!(error = %other, "token request failed");
            OAuthError::server_error()
        }
    }
}

/// Authenticates the calling client (token, revocation and introspection
/// endpoints share the rules).
pub async fn authenticate_client(
    state: &AppState,
    params: &Params,
    authorization: Option<&str>,
) -> Result<Arc<OAuthClient>, Failure> {
    let fail = |error: OAuthError| Failure { error };
    super::limits::check(params).map_err(fail)?;
    let presented = client_auth::presented(authorization, params).map_err(fail)?;
    params.check_duplicates().map_err(fail)?;
    let client = client::cached(state, &presented.client_id)
        .await
        .map_err(|e| fail(db_failure(e)))?;
    client_auth::authenticate(client, &presented).map_err(fail)
}

pub async fn handle(
    state: &AppState,
    params: Params,
    authorization: Option<&str>,
) -> Result<TokenResponse, Failure> {
    let fail = |error: OAuthError| Failure { error };
    let client = authenticate_client(state, &params, authorization).await?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| fail(OAuthError::invalid_request("grant_type is required")))?;
    let grant: GrantType = grant_type.parse().map_err(|_| {
        fail(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type {grant_type:?} is not supported"),
        ))
    })?;
    if !client.allows_grant(grant) {
        return Err(fail(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use {grant}"),
        )));
    }
    let outcome = match grant {
        GrantType::AuthorizationCode => {
            grants::authorization_code::exchange(state, &client, &params).await
        }
        GrantType::ClientCredentials => {
            grants::client_credentials::exchange(state, &client, &params).await
        }
        GrantType::RefreshToken => grants::refresh_token::exchange(state, &client, &params).await,
    };
    outcome.map_err(|error| match error {
        grants::GrantError::OAuth(error) => fail(error),
        grants::GrantError::Db(error) => fail(db_failure(error)),
    })
}
