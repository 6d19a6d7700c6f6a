//! Access tokens: JWTs per RFC 9068, carrying the subject's roles and its
//! permissions on the token's audience.

use serde::{Deserialize, Serialize};

use super::scope::Scopes;
use crate::app::AppState;
use crate::crypto::jwt;
use crate::db::{self, DbError};

pub const TYP: &str = "at+jwt";

/// `aud` as RFC 7519 allows: one string, or an array of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn from_list(mut list: Vec<String>) -> Self {
        if list.len() == 1 {
            Audience::One(list.remove(0))
        } else {
            Audience::Many(list)
        }
    }

    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }

    pub fn to_list(&self) -> Vec<String> {
        match self {
            Audience::One(one) => vec![one.clone()],
            Audience::Many(many) => many.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl AccessTokenClaims {
    pub fn scopes(&self) -> Scopes {
        Scopes::from_stored(&self.scope)
    }
}

/// The userinfo endpoint's audience: present whenever `openid` was granted.
pub fn userinfo_audience(issuer: &str) -> String {
    crate::routes::url(issuer, crate::routes::USERINFO)
}

#[derive(Debug)]
pub enum Rejection {
    Invalid(String),
    Db(DbError),
}

/// Verifies one of our access tokens at the server's `now` (its clock, not
/// the library's, so time in tests is the app's time) and that it is not
/// revoked. The audience is the caller's business.
pub async fn verify(state: &AppState, token: &str) -> Result<AccessTokenClaims, Rejection> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[state.settings.issuer()]);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims: AccessTokenClaims = jwt::verify(token, &state.keys, TYP, validation)
        .map_err(|e| Rejection::Invalid(e.to_string()))?;
    let max = state.settings.tokens.access_token_ttl_secs;
    jwt::check_lifetime(claims.iat, claims.exp, max)
        .map_err(|e| Rejection::Invalid(e.to_string()))?;
    let now = state.clock.now();
    if claims.exp <= now || claims.nbf > now + 60 {
        return Err(Rejection::Invalid("the token has expired".into()));
    }
    let (jti, client_id, sub, iat) = (
        claims.jti.clone(),
        claims.client_id.clone(),
        claims.sub.clone(),
        claims.iat,
    );
    let verdict = state
        .db
        .run(move |conn| still_good(conn, &jti, &client_id, &sub, iat))
        .await
        .map_err(Rejection::Db)?;
    match verdict {
        None => Ok(claims),
        Some(reason) => Err(Rejection::Invalid(reason.into())),
    }
}

/// What a valid signature cannot tell: whether the token was revoked, its
/// client disabled or deleted (which revokes its tokens), or its user
/// disabled, deleted, or cut off by a password change (`tokens_valid_after`).
/// `None` when the token may still be used.
fn still_good(
    conn: &mut db::DbConnection,
    jti: &str,
    client_id: &str,
    sub: &str,
    iat: i64,
) -> Result<Option<&'static str>, DbError> {
    if db::revoked_tokens::is_revoked(conn, jti)? {
        return Ok(Some("the token was revoked"));
    }
    if !db::clients::is_enabled(conn, client_id)? {
        return Ok(Some("the token's client is disabled or gone"));
    }
    // A service account's `sub` is its own client id; anything else is a user.
    if sub != client_id {
        match db::users::find_by_id(conn, sub)? {
            Some(user) if !user.disabled && iat >= user.tokens_valid_after => {}
            Some(user) if !user.disabled => {
                return Ok(Some(
                    "the token was issued before the user's tokens were ended",
                ));
            }
            _ => return Ok(Some("the token's user is disabled or gone")),
        }
    }
    Ok(None)
}
