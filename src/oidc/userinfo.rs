//! The UserInfo endpoint's rules (OIDC Core §5.3): a live `at+jwt` access
//! token of this issuer, carrying `openid`, for an active user.

use serde_json::{Map, Value, json};

use super::claims::user_claims;
use crate::crypto::jwt;
use crate::db::{self, DbError};
use crate::oauth::access_token::{self, AccessTokenClaims};
use crate::startup::AppState;

#[derive(Debug)]
pub enum UserinfoError {
    InvalidToken(String),
    InsufficientScope,
    Db(DbError),
}

/// Verifies one of our access tokens at `now` (the server's clock, not the
/// library's, so time in tests is the app's time) and that it is not
/// revoked.
/// The audience is the caller's business: it is checked by whoever knows
/// which one it expects.
pub async fn verify_access_token(
    state: &AppState,
    token: &str,
) -> Result<AccessTokenClaims, UserinfoError> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[state.settings.issuer()]);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims: AccessTokenClaims = jwt::verify(token, &state.keys, access_token::TYP, validation)
        .map_err(|e| UserinfoError::InvalidToken(e.to_string()))?;
    let now = state.clock.now();
    if claims.exp <= now || claims.nbf > now + 60 {
        return Err(UserinfoError::InvalidToken("the token has expired".into()));
    }
    let jti = claims.jti.clone();
    let revoked = state
        .db
        .run(move |conn| db::revoked_tokens::is_revoked(conn, &jti))
        .await
        .map_err(UserinfoError::Db)?;
    if revoked {
        return Err(UserinfoError::InvalidToken("the token was revoked".into()));
    }
    Ok(claims)
}

pub async fn userinfo(state: &AppState, token: &str) -> Result<Map<String, Value>, UserinfoError> {
    let claims = verify_access_token(state, token).await?;
    let scopes = claims.scopes();
    // `openid` puts the userinfo endpoint in the audience; a token without
    // it is valid but not for this endpoint.
    let audience = access_token::userinfo_audience(state.settings.issuer());
    if !scopes.contains("openid") || !claims.aud.contains(&audience) {
        return Err(UserinfoError::InsufficientScope);
    }
    let sub = claims.sub.clone();
    let (user, roles) = state
        .db
        .run(move |conn| {
            Ok((
                db::users::find_by_id(conn, &sub)?,
                db::users::role_names(conn, &sub)?,
            ))
        })
        .await
        .map_err(UserinfoError::Db)?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(UserinfoError::InvalidToken(
            "the user is no longer active".into(),
        ));
    };
    let mut body = Map::new();
    body.insert("sub".into(), json!(user.id));
    body.extend(user_claims(&user, &roles, &scopes));
    Ok(body)
}
