//! Keys, tokens and passwords. Everything secret stays inside this module's
//! types; callers see kids, public JWKs, signed JWTs and hashes.

mod algorithm;
pub mod jwt;
mod keystore;
mod master_key;
pub mod password;
pub mod random;
mod ring_provider;
mod signing_key;

pub use algorithm::SigningAlgorithm;
pub use keystore::{
    KeyPolicy, KeyStore, KeyStoreError, PublishedKey, Revocation, describe as describe_keys,
};
pub use master_key::{MasterKey, MasterKeyError};
pub use signing_key::SigningKey;

/// Installs the ring-backed verifier for `jsonwebtoken`. Idempotent.
pub fn install_jwt_provider() {
    ring_provider::install();
}
