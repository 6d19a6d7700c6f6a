//! Password hashing with argon2id. Verification of an unknown user runs
//! against a dummy hash so that "no such user" costs the same as "wrong
//! password".

use std::sync::atomic::{AtomicU64, Ordering};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};

use crate::config::PasswordSettings;
use crate::secret::Secret;

pub mod limiter;
pub use limiter::{HashError, HashLimiter};

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase, short enough that hashing stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

pub fn params(settings: &PasswordSettings) -> Result<Params, String> {
    Params::new(
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        None,
    )
    .map_err(|e| e.to_string())
}

/// A well-formed argon2id hash with the configured parameters that no
/// password matches: a random salt and a random output. Verifying against
/// it costs exactly what verifying against a real hash costs, without
/// spending a hash at start-up to make it (tens of milliseconds).
fn dummy_hash(settings: &PasswordSettings) -> String {
    use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
    let salt = crate::crypto::random::random_bytes::<16>();
    let output = crate::crypto::random::random_bytes::<32>();
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes long")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

pub struct PasswordHasher {
    argon: Argon2<'static>,
    dummy_hash: String,
    verifications: AtomicU64,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    pub fn new(settings: &PasswordSettings) -> Result<Self, PasswordError> {
        let argon = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            params(settings).map_err(PasswordError::Hash)?,
        );
        let dummy_hash = dummy_hash(settings);
        Ok(Self {
            argon,
            dummy_hash,
            verifications: AtomicU64::new(0),
        })
    }

    pub fn check_policy(password: &str) -> Result<(), PasswordError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        Ok(())
    }

    /// Hashes a new password after checking the length policy.
    pub fn hash(&self, password: &Secret<String>) -> Result<String, PasswordError> {
        Self::check_policy(password.expose())?;
        self.argon
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// True only if `stored` is present and matches. With no stored hash the
    /// dummy hash is checked anyway, so the caller's timing reveals nothing.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let candidate = password.as_bytes();
        let candidate = &candidate[..candidate.len().min(MAX_PASSWORD_BYTES)];
        let (phc, real) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        self.argon.verify_password(candidate, &parsed).is_ok() && real
    }

    /// How many verifications ran (timing-equalisation tests count these).
    pub fn verification_count(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            max_concurrent_hashes: 1,
            hash_queue_timeout_ms: 0,
        })
        .unwrap()
    }

    #[test]
    fn hashes_verify_and_unknown_users_still_cost_a_verification() {
        let hasher = cheap();
        let hash = hasher.hash(&Secret::new("correct horse".into())).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", Some(&hash)));
        assert!(!hasher.verify("wrong horse", Some(&hash)));
        let before = hasher.verification_count();
        assert!(!hasher.verify("anything", None));
        assert_eq!(hasher.verification_count(), before + 1);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        // Same algorithm, version, parameters and output length as a real
        // hash, so verifying against it runs the same argon2 computation
        // (a dummy that failed to parse would answer at once).
        let hasher = cheap();
        let real = hasher.hash(&Secret::new("correct horse".into())).unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let dummy = PasswordHash::new(&hasher.dummy_hash).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert_ne!(dummy.salt, real.salt);
    }

    #[test]
    fn policy_rejects_short_passwords() {
        assert!(cheap().hash(&Secret::new("short".into())).is_err());
    }
}
