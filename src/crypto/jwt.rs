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

/// Property tests (issue 10): no input panics verification or passes it
/// unsigned, algorithm confusion (`none`, `HS256` over a public key) is
/// refused, our own tokens round-trip for every algorithm, and changing any
/// one character of a signed token makes it fail.
#[cfg(test)]
mod properties {
    use std::{sync::OnceLock, time::Duration};

    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::config::DatabaseUrl;
    use crate::crypto::{KeyPolicy, MasterKey, SigningAlgorithm};
    use crate::db::{Db, run_migrations};

    const TYP: &str = "at+jwt";

    struct Fixture {
        keys: KeyStore,
        _dir: tempfile::TempDir,
    }

    /// One key per algorithm, made once for the whole module.
    fn keys() -> &'static KeyStore {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        &FIXTURE
            .get_or_init(|| {
                crate::crypto::install_jwt_provider();
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("keys.db");
                let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
                let db = Db::connect(&url, 1, Duration::from_secs(5)).unwrap();
                let master = MasterKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).unwrap();
                let policy = KeyPolicy {
                    publish_ahead_secs: 0,
                    retain_after_retire_secs: 3_600,
                };
                let keys = db
                    .run_blocking(|conn| {
                        run_migrations(conn)?;
                        KeyStore::load(conn, master.into(), policy, 1_700_000_000)
                    })
                    .unwrap();
                Fixture { keys, _dir: dir }
            })
            .keys
    }

    /// Checks signature, type and algorithm only (no clock, no claims).
    fn lenient() -> Validation {
        let mut validation = Validation::default();
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation
    }

    fn kids() -> Vec<String> {
        SigningAlgorithm::ALL
            .into_iter()
            .filter_map(|alg| keys().signer(alg))
            .map(|key| key.kid().to_owned())
            .collect()
    }

    fn algorithm() -> impl Strategy<Value = SigningAlgorithm> {
        prop::sample::select(SigningAlgorithm::ALL.to_vec())
    }

    /// Claims that mean nothing to the validator (no `exp`, `nbf`, …).
    fn claims() -> impl Strategy<Value = Map<String, Value>> {
        let value = prop_oneof![
            any::<String>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ];
        prop::collection::btree_map("x-[a-z]{1,8}", value, 0..6)
            .prop_map(|claims| claims.into_iter().collect())
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_string_verifies_or_panics(input in any::<String>()) {
            prop_assert!(verify::<Value>(&input, keys(), TYP, lenient()).is_err());
        }

        #[test]
        fn no_forged_token_verifies(
            alg in prop::sample::select(vec!["none", "HS256", "HS512", "RS256", "ES256", "EdDSA", "PS256", ""]),
            kid in prop::sample::select(kids()),
            typ in prop::sample::select(vec![TYP, "JWT", "AT+JWT", ""]),
            payload in prop::collection::vec(any::<u8>(), 0..200),
            signature in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let header = json!({"alg": alg, "kid": kid, "typ": typ}).to_string();
            let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(&payload), b64(&signature));
            prop_assert!(verify::<Value>(&token, keys(), TYP, lenient()).is_err());
            // `alg: none` without a signature segment at all.
            let unsigned = format!("{}.{}.", b64(header.as_bytes()), b64(&payload));
            prop_assert!(verify::<Value>(&unsigned, keys(), TYP, lenient()).is_err());
        }

        #[test]
        fn signed_claims_round_trip(alg in algorithm(), claims in claims()) {
            let signer = keys().signer(alg).unwrap();
            let token = signer.sign_jwt(TYP, &claims).unwrap();
            let verified: Map<String, Value> = verify(&token, keys(), TYP, lenient()).unwrap();
            prop_assert_eq!(verified, claims.clone());
            prop_assert!(matches!(
                verify::<Value>(&token, keys(), "JWT", lenient()),
                Err(JwtError::WrongType)
            ));
        }

        #[test]
        fn changing_any_character_breaks_the_signature(
            alg in algorithm(),
            claims in claims(),
            at in any::<prop::sample::Index>(),
            replacement in prop::sample::select(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".chars().collect::<Vec<_>>()
            ),
        ) {
            let token = keys().signer(alg).unwrap().sign_jwt(TYP, &claims).unwrap();
            let mut chars: Vec<char> = token.chars().collect();
            let i = at.index(chars.len());
            prop_assume!(chars[i] != replacement);
            chars[i] = replacement;
            let tampered: String = chars.into_iter().collect();
            prop_assert!(verify::<Value>(&tampered, keys(), TYP, lenient()).is_err());
        }
    }
}
