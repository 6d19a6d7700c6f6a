//! Minting signed tokens for a subject that has earned them.

use super::{
    OAuthError,
    access_token::{self, AccessTokenClaims, Audience},
    scope::Scopes,
};
use crate::app::AppState;
use crate::crypto::random;

/// Who the token speaks for, and what its roles allow on the audience.
#[derive(Debug, Clone)]
pub struct Grantee {
    pub sub: String,
    pub roles: Vec<String>,
    /// Permissions on `resource`, the token's API audience.
    pub permissions: Vec<String>,
    pub resource: Option<String>,
    pub auth_time: Option<i64>,
    /// The authentication context class the sign-in reached.
    pub acr: Option<&'static str>,
    pub sid: Option<String>,
}

#[derive(Debug)]
pub struct IssuedAccessToken {
    pub token: String,
    pub claims: AccessTokenClaims,
}

/// Permission-named scopes survive only if the grantee holds them: the
/// granted scope is what was asked ∩ what the roles allow.
pub fn grantable_scopes(scopes: &Scopes, grantee: &Grantee) -> Scopes {
    scopes.clone().retain(|scope| {
        super::scope::SUPPORTED_SCOPES.contains(&scope)
            || grantee.permissions.iter().any(|p| p == scope)
    })
}

pub(crate) fn sign_error(_: impl std::fmt::Display) -> OAuthError {
    tracing::error!("token signing failed");
    OAuthError::server_error()
}

/// An access token's id and expiry, chosen before the token is made so that
/// they can be recorded first (an authorization code records them in the
/// same statement that redeems it, so a replay can always revoke them).
#[derive(Debug, Clone)]
pub struct AccessTokenId {
    pub jti: String,
    pub expires_at: i64,
}

impl AccessTokenId {
    pub fn new(state: &AppState, now: i64) -> Self {
        AccessTokenId {
            jti: random::new_token().into_inner(),
            expires_at: now + state.settings.tokens.access_token_ttl_secs,
        }
    }
}

pub fn access_token(
    state: &AppState,
    client_id: &str,
    scopes: &Scopes,
    grantee: &Grantee,
    now: i64,
) -> Result<IssuedAccessToken, OAuthError> {
    let id = AccessTokenId::new(state, now);
    access_token_with_id(state, id, client_id, scopes, grantee, now)
}

pub fn access_token_with_id(
    state: &AppState,
    id: AccessTokenId,
    client_id: &str,
    scopes: &Scopes,
    grantee: &Grantee,
    now: i64,
) -> Result<IssuedAccessToken, OAuthError> {
    let issuer = state.settings.issuer();
    let mut audience: Vec<String> = grantee.resource.iter().cloned().collect();
    // RFC 9068 §2.2 requires `aud`. With no API it is our own userinfo
    // endpoint — never the client id, which an API could be named after.
    if scopes.contains("openid") || audience.is_empty() {
        audience.push(access_token::userinfo_audience(issuer));
    }
    let claims = AccessTokenClaims {
        iss: issuer.to_owned(),
        sub: grantee.sub.clone(),
        aud: Audience::from_list(audience),
        client_id: client_id.to_owned(),
        scope: scopes.to_string_list(),
        iat: now,
        nbf: now,
        exp: id.expires_at,
        jti: id.jti,
        auth_time: grantee.auth_time,
        acr: grantee.acr.map(str::to_owned),
        sid: grantee.sid.clone(),
        roles: grantee.roles.clone(),
        permissions: grantee.permissions.clone(),
    };
    let key = state
        .keys
        .signer(state.settings.tokens.access_token_alg)
        .ok_or_else(OAuthError::server_error)?;
    let token = key
        .sign_jwt(access_token::TYP, &claims)
        .map_err(sign_error)?;
    Ok(IssuedAccessToken { token, claims })
}
