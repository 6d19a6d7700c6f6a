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
    /// RFC 9068 §2.2.1, with `auth_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
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

/// Where [`verify`] reads whether the token's client and user still stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// From memory (`crate::cache`): a change is in force within
    /// `invalidation::POLL_EVERY`. For the protocol endpoints.
    Cached,
    /// From the database: for privilege checks (the admin API), which
    /// never act on a remembered answer.
    Current,
}

/// Verifies one of our access tokens at the server's `now` (its clock, not
/// the library's, so time in tests is the app's time) and that it may
/// still be used ([`still_good`]). The audience is the caller's business.
pub async fn verify(
    state: &AppState,
    token: &str,
    freshness: Freshness,
) -> Result<AccessTokenClaims, Rejection> {
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
    if let Some(reason) = still_good(state, &claims, freshness)
        .await
        .map_err(Rejection::Db)?
    {
        return Err(Rejection::Invalid(reason.into()));
    }
    Ok(claims)
}

/// What a valid signature cannot tell: whether the token's client was
/// disabled or deleted (which revokes its tokens), its user disabled,
/// deleted, or cut off by a password change (`tokens_valid_after`), or the
/// token itself revoked. `None` when the token may still be used. Client
/// and user are read as `freshness` says; revocation always from the
/// database, since any client may revoke at any time.
async fn still_good(
    state: &AppState,
    claims: &AccessTokenClaims,
    freshness: Freshness,
) -> Result<Option<&'static str>, DbError> {
    use crate::accounts::users;
    // The token itself, and the sign-in session it was issued in: a logout
    // ends the tokens issued in that session until then (refresh tokens
    // for offline access live on, and so do the tokens they buy later).
    let session_key = claims.sid.as_deref().map(db::revoked_tokens::session_key);
    let keys: Vec<String> = std::iter::once(claims.jti.clone())
        .chain(session_key.clone())
        .collect();
    let revoked = state
        .db
        .run(move |conn| db::revoked_tokens::revoked_at_of(conn, &keys))
        .await?;
    for (key, revoked_at) in &revoked {
        if *key == claims.jti {
            return Ok(Some("the token was revoked"));
        }
        if session_key.as_ref() == Some(key) && claims.iat <= *revoked_at {
            return Ok(Some("the token's sign-in session was ended by logout"));
        }
    }
    let client_enabled = match freshness {
        Freshness::Cached => super::client::cached(state, &claims.client_id)
            .await?
            .is_some_and(|client| !client.disabled),
        Freshness::Current => {
            let id = claims.client_id.clone();
            state
                .db
                .run(move |conn| db::clients::is_enabled(conn, &id))
                .await?
        }
    };
    if !client_enabled {
        return Ok(Some("the token's client is disabled or gone"));
    }
    // A service account's `sub` is its own client id; anything else is a user.
    if claims.sub != claims.client_id {
        let standing = match freshness {
            Freshness::Cached => users::standing(state, &claims.sub).await?,
            Freshness::Current => users::standing_now(state, &claims.sub).await?,
        };
        let refusal = match standing {
            Some(standing) => standing.refuses_token_from(claims.iat),
            None => Some("the token's user is disabled or gone"),
        };
        if refusal.is_some() {
            return Ok(refusal);
        }
    }
    Ok(None)
}
