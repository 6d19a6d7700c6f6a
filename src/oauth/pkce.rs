//! PKCE (RFC 7636) through oxide-auth's extension: S256 only, required for
//! public clients, optional for confidential ones, and never downgradable.

use std::borrow::Cow;

use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value;

use super::error::OAuthError;

/// Validates the `/authorize` parameters and returns the encoded challenge
/// to store with the code (`None` when the client sent none).
pub fn challenge(
    is_public_client: bool,
    method: Option<&str>,
    challenge: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    let Some(challenge) = challenge else {
        if is_public_client {
            return Err(OAuthError::invalid_request(
                "public clients must use PKCE (code_challenge with code_challenge_method=S256)",
            ));
        }
        return Ok(None);
    };
    // RFC 7636 §4.2: 43–128 unreserved characters.
    let well_formed = (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(OAuthError::invalid_request("code_challenge is malformed"));
    }
    // An absent method means `plain`, which we do not accept.
    match method {
        Some("S256") => {}
        Some("plain") | None => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256 (plain is not supported)",
            ));
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "unsupported code_challenge_method",
            ));
        }
    }
    let encoded = Pkce::required()
        .challenge(Some(Cow::Borrowed("S256")), Some(Cow::Borrowed(challenge)))
        .map_err(|()| OAuthError::invalid_request("invalid PKCE challenge"))?
        .and_then(|value| value.into_private_value().ok().flatten());
    encoded
        .map(Some)
        .ok_or_else(|| OAuthError::invalid_request("invalid PKCE challenge"))
}

/// Checks the `/token` verifier against what `/authorize` stored.
pub fn verify(stored: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (stored, verifier) {
        (None, None) => Ok(()),
        // A verifier for a code issued without a challenge is a downgrade
        // attempt (or a confused client): refuse rather than ignore.
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent for a code issued without code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (Some(stored), Some(verifier)) => Pkce::required()
            .verify(
                Some(Value::private(Some(stored.to_owned()))),
                Some(Cow::Borrowed(verifier)),
            )
            .map_err(|()| OAuthError::invalid_grant("code_verifier does not match the challenge")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn s256(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(crate::crypto::random::sha256(verifier.as_bytes()))
    }

    #[test]
    fn s256_round_trip() {
        let stored = challenge(true, Some("S256"), Some(&s256(VERIFIER))).unwrap();
        assert!(verify(stored.as_deref(), Some(VERIFIER)).is_ok());
        assert!(
            verify(
                stored.as_deref(),
                Some("wrong-verifier-wrong-verifier-wrong-verifier")
            )
            .is_err()
        );
        assert!(verify(stored.as_deref(), None).is_err());
    }

    #[test]
    fn plain_absent_and_missing_are_refused() {
        let c = s256(VERIFIER);
        assert!(challenge(false, Some("plain"), Some(&c)).is_err());
        assert!(challenge(false, None, Some(&c)).is_err());
        assert!(challenge(true, None, None).is_err());
        assert_eq!(challenge(false, None, None).unwrap(), None);
        assert!(verify(None, Some(VERIFIER)).is_err());
    }
}
