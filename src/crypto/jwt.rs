//! Verifying JWTs that this issuer signed (userinfo, `id_token_hint`, the
//! admin API). Signing lives on `SigningKey`.

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde::de::DeserializeOwned;

use super::KeyStore;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("token signed by an unknown key")]
    UnknownKey,
    #[error("unexpected token type")]
    WrongType,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("the token's lifetime is longer than this issuer gives its kind")]
    TooLong,
}

/// Refuses a token whose lifetime (`exp − iat`) exceeds `max_secs`, the
/// configured TTL of its kind: this issuer never signs one, so it was
/// forged with a leaked key (or signed under a longer, since-lowered TTL).
pub fn check_lifetime(iat: i64, exp: i64, max_secs: i64) -> Result<(), JwtError> {
    if exp.saturating_sub(iat) > max_secs {
        return Err(JwtError::TooLong);
    }
    Ok(())
}

/// Checks signature, `typ`, algorithm (the key's own, never the header's
/// choice), `iss`, and whatever else `validation` asks for.
pub fn verify<T: DeserializeOwned>(
    token: &str,
    keys: &KeyStore,
    expected_typ: &str,
    mut validation: Validation,
) -> Result<T, JwtError> {
    let header = decode_header(token).map_err(|_| JwtError::Malformed)?;
    let typ_matches = header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case(expected_typ));
    if !typ_matches {
        return Err(JwtError::WrongType);
    }
    let kid = header.kid.ok_or(JwtError::UnknownKey)?;
    let key = keys.published_key(&kid).ok_or(JwtError::UnknownKey)?;
    if header.alg != key.alg().to_jsonwebtoken() {
        return Err(JwtError::Invalid("algorithm does not match the key".into()));
    }
    validation.algorithms = vec![key.alg().to_jsonwebtoken()];
    let decoding_key: &DecodingKey = key.decoding_key();
    decode::<T>(token, decoding_key, &validation)
        .map(|data| data.claims)
        .map_err(|e| JwtError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{JwtError, check_lifetime};

    #[test]
    fn a_lifetime_up_to_the_ttl_passes_and_a_second_more_does_not() {
        assert!(check_lifetime(1_000, 1_600, 600).is_ok());
        assert!(check_lifetime(1_000, 1_000, 600).is_ok());
        assert!(matches!(
            check_lifetime(1_000, 1_601, 600),
            Err(JwtError::TooLong)
        ));
        // Absurd claims neither overflow nor pass.
        assert!(check_lifetime(i64::MIN, i64::MAX, 600).is_err());
        assert!(check_lifetime(i64::MAX, i64::MIN, 600).is_ok());
    }
}
