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

/// Long enough for any passphrase, short enough that hashing stays bounded.
/// Which passwords are acceptable is `accounts::password_policy`'s
/// business (its maximum stays within this bound); this only keeps the
/// hashing input bounded.
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
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes long")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// What a sign-in's password check found.
#[derive(Debug, Default)]
pub struct Verification {
    pub matched: bool,
    /// The password hashed again with the current parameters, when it
    /// matched a hash made with others; store it in place of the old one.
    pub upgraded_hash: Option<String>,
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

    /// Hashes a new password (one that `accounts::password_policy`
    /// accepted) with the configured parameters.
    pub fn hash(&self, password: &Secret<String>) -> Result<String, PasswordError> {
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        self.hash_bytes(password.expose().as_bytes())
    }

    fn hash_bytes(&self, password: &[u8]) -> Result<String, PasswordError> {
        self.argon
            .hash_password(password)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// True only if `stored` is present and matches. With no stored hash the
    /// dummy hash is checked anyway, so the caller's timing reveals nothing.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        self.verify_and_upgrade(password, stored).matched
    }

    /// `verify`, and for a match against a hash made with other parameters
    /// (an older `[passwords]` setting, another argon2 variant or version)
    /// a new hash of the same password with the current ones: a sign-in
    /// stores it, so hashes follow the configuration as people sign in.
    /// Call it in the hashing slot the verification holds: the upgrade
    /// costs one more hash there, once per person and change of settings.
    pub fn verify_and_upgrade(&self, password: &str, stored: Option<&str>) -> Verification {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let candidate = password.as_bytes();
        let candidate = &candidate[..candidate.len().min(MAX_PASSWORD_BYTES)];
        let (phc, real) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            return Verification::default();
        };
        let matched = self.argon.verify_password(candidate, &parsed).is_ok() && real;
        let upgraded_hash = if matched && !self.is_current(&parsed) {
            // A failure here leaves the old hash in place: it still works.
            self.hash_bytes(candidate).ok()
        } else {
            None
        };
        Verification {
            matched,
            upgraded_hash,
        }
    }

    /// Whether `hash` was made with the algorithm, version and cost
    /// parameters this hasher uses now.
    fn is_current(&self, hash: &PasswordHash) -> bool {
        let current = self.argon.params();
        hash.algorithm.as_str() == Algorithm::Argon2id.ident().as_str()
            && hash.version == Some(Version::V0x13.into())
            && Params::try_from(hash).is_ok_and(|used| {
                used.m_cost() == current.m_cost()
                    && used.t_cost() == current.t_cost()
                    && used.p_cost() == current.p_cost()
            })
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
    fn hashing_input_is_bounded() {
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            cheap().hash(&Secret::new(long)),
            Err(PasswordError::TooLong)
        ));
    }

    fn hasher(memory_kib: u32, iterations: u32) -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            memory_kib,
            iterations,
            parallelism: 1,
            max_concurrent_hashes: 1,
            hash_queue_timeout_ms: 0,
        })
        .unwrap()
    }

    #[test]
    fn a_match_against_old_parameters_comes_with_an_upgraded_hash() {
        let old = hasher(1024, 1);
        let password = "violet-anchor-meadow-2931";
        let stored = old.hash(&Secret::new(password.into())).unwrap();

        // Same parameters: nothing to upgrade.
        let same = old.verify_and_upgrade(password, Some(&stored));
        assert!(same.matched);
        assert!(same.upgraded_hash.is_none());

        let current = hasher(2048, 2);
        let wrong = current.verify_and_upgrade("not-the-password-at-all", Some(&stored));
        assert!(!wrong.matched);
        assert!(wrong.upgraded_hash.is_none(), "only a match is upgraded");
        let upgraded = current
            .verify_and_upgrade(password, Some(&stored))
            .upgraded_hash
            .expect("an upgrade");
        assert!(upgraded.contains("$m=2048,t=2,p=1$"), "{upgraded}");
        let again = current.verify_and_upgrade(password, Some(&upgraded));
        assert!(again.matched);
        assert!(again.upgraded_hash.is_none());
        // The dummy hash of an unknown user is never "upgraded".
        assert!(
            current
                .verify_and_upgrade(password, None)
                .upgraded_hash
                .is_none()
        );
    }
}
