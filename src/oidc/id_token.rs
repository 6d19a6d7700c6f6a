//! ID tokens (OIDC Core §2, §3.1.3.6).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::crypto::SigningAlgorithm;

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
    #[serde(flatten)]
    pub user: Map<String, Value>,
}

/// `at_hash`: base64url of the left half of the access token's hash, with
/// the hash the ID token's algorithm uses.
pub fn at_hash(access_token: &str, alg: SigningAlgorithm) -> String {
    URL_SAFE_NO_PAD.encode(alg.half_hash(access_token.as_bytes()))
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
