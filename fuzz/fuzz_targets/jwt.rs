//! `crypto::jwt::verify`: no string verifies against our keys or panics
//! verification — whole tokens, or three segments made of fuzzed bytes with
//! a header that names one of our keys.

#![no_main]

use std::{sync::OnceLock, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse::{
    config::DatabaseUrl,
    crypto::{KeyPolicy, KeyStore, MasterKey, SigningAlgorithm, jwt::verify},
    db::{Db, run_migrations},
};
use jsonwebtoken::Validation;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// One key per algorithm in a scratch SQLite database, made once.
fn keys() -> &'static KeyStore {
    static KEYS: OnceLock<KeyStore> = OnceLock::new();
    KEYS.get_or_init(|| {
        gatehouse::crypto::install_jwt_provider();
        let dir = std::env::temp_dir().join(format!("gatehouse-fuzz-{}", std::process::id()));
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.join("keys.db").display()))
            .expect("database URL");
        let db = Db::connect(&url, 1, Duration::from_secs(5)).expect("scratch database");
        let master = MasterKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).expect("key");
        let policy = KeyPolicy {
            publish_ahead_secs: 0,
            retain_after_retire_secs: 3_600,
        };
        db.run_blocking(|conn| {
            run_migrations(conn)?;
            Ok(KeyStore::load(conn, master, policy, 1_700_000_000))
        })
        .expect("migrations")
        .expect("keys")
    })
}

fn lenient() -> Validation {
    let mut validation = Validation::default();
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation
}

fuzz_target!(|input: (&str, u8, &[u8], &[u8], &str)| {
    let (token, pick, payload, signature, alg) = input;
    let keys = keys();
    assert!(verify::<Value>(token, keys, "at+jwt", lenient()).is_err());
    let algorithms = SigningAlgorithm::ALL;
    let Some(key) = keys.signer(algorithms[usize::from(pick) % algorithms.len()]) else {
        return;
    };
    let header = json!({"alg": alg, "kid": key.kid(), "typ": "at+jwt"}).to_string();
    let forged = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    );
    assert!(verify::<Value>(&forged, keys, "at+jwt", lenient()).is_err());
});
