//! ID tokens (OIDC Core §2, §3.1.3.6): minted for the code and refresh
//! grants — the one place the OAuth core asks OpenID Connect for anything —
//! and verified when they come back as `id_token_hint`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::claims::user_claims;
use crate::accounts::assurance::Level;
use crate::app::AppState;
use crate::crypto::{SigningAlgorithm, jwt};
use crate::db::users::UserRow;
use crate::oauth::{OAuthClient, OAuthError, issue::sign_error, scope::Scopes};

#[derive(Debug, Clone, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    pub sid: String,
    pub amr: Vec<String>,
    pub acr: &'static str,
    #[serde(flatten)]
    pub user: Map<String, Value>,
}

/// `at_hash`: base64url of the left half of the access token's hash, with
/// the hash the ID token's algorithm uses.
pub fn at_hash(access_token: &str, alg: SigningAlgorithm) -> String {
    URL_SAFE_NO_PAD.encode(alg.half_hash(access_token.as_bytes()))
}

/// How the user signed in, as the code or the refresh token family kept
/// it, and the access token issued beside the ID token (for `at_hash`).
pub struct SignIn<'a> {
    pub auth_time: i64,
    pub sid: &'a str,
    /// Space-separated, as stored.
    pub amr: &'a str,
    /// Only the code flow has one (OIDC Core §12.2: none on refresh).
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
}

/// The ID token a user's grant returns beside its access token, if
/// `openid` was granted.
pub fn for_grant(
    state: &AppState,
    client: &OAuthClient,
    user: &UserRow,
    roles: &[String],
    scopes: &Scopes,
    sign_in: SignIn<'_>,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    if !scopes.contains("openid") {
        return Ok(None);
    }
    let alg = client
        .id_token_alg
        .unwrap_or(state.settings.tokens.id_token_alg);
    let key = state
        .keys
        .signer(alg)
        .ok_or_else(OAuthError::server_error)?;
    let claims = IdTokenClaims {
        iss: state.settings.issuer().to_owned(),
        sub: user.id.clone(),
        aud: client.client_id.clone(),
        exp: now + state.settings.tokens.id_token_ttl_secs,
        iat: now,
        auth_time: sign_in.auth_time,
        nonce: sign_in.nonce.map(str::to_owned),
        at_hash: Some(at_hash(sign_in.access_token, alg)),
        sid: sign_in.sid.to_owned(),
        amr: sign_in.amr.split_whitespace().map(str::to_owned).collect(),
        acr: Level::of_stored(sign_in.amr).acr(),
        user: user_claims(user, roles, scopes),
    };
    key.sign_jwt("JWT", &claims).map(Some).map_err(sign_error)
}

#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: HintAudience,
    #[serde(default)]
    sid: Option<String>,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HintAudience {
    One(String),
    Many(Vec<String>),
}

/// A verified `id_token_hint`: signed by one of our published keys (so
/// never `alg: none`), from this issuer, with no longer a lifetime than our
/// ID tokens have; expiry does not matter here.
#[derive(Debug, Clone)]
pub struct Hint {
    pub sub: String,
    pub client_id: Option<String>,
    pub sid: Option<String>,
}

pub fn verify_hint(state: &AppState, token: &str) -> Option<Hint> {
    if crate::oauth::limits::is_absurd_token(token) {
        return None;
    }
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[state.settings.issuer()]);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    let claims: HintClaims = jwt::verify(token, &state.keys, "JWT", validation).ok()?;
    let max = state.settings.tokens.id_token_ttl_secs;
    jwt::check_lifetime(claims.iat, claims.exp, max).ok()?;
    let client_id = match claims.aud {
        HintAudience::One(aud) => Some(aud),
        HintAudience::Many(list) if list.len() == 1 => list.into_iter().next(),
        HintAudience::Many(_) => None,
    };
    Some(Hint {
        sub: claims.sub,
        client_id,
        sid: claims.sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_spec_example() {
        // OIDC Core appendix A.3's example token and at_hash (RS256).
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(
            at_hash(token, SigningAlgorithm::RS256),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
