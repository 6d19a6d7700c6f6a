//! The shared handles every request handler, background job and CLI
//! command works with. Built by `startup::build_state`; domain functions
//! that take a connection take the settings they read, not this.

use std::sync::Arc;

use crate::audit::AuditQueue;
use crate::cache::Caches;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::{
    KeyStore, MasterKey,
    password::{HashLimiter, PasswordHasher},
};
use crate::db::Db;

/// Everything a request handler or CLI command needs, built once.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keys: Arc<KeyStore>,
    pub passwords: Arc<PasswordHasher>,
    /// Bounds concurrent password hashing on request paths (`passwords.
    /// max_concurrent_hashes`); every hash or verification a request makes
    /// runs through it.
    pub hash_limiter: Arc<HashLimiter>,
    /// Seals short-lived secrets at rest (a refresh token's successor during
    /// the reuse grace window).
    pub sealer: Arc<MasterKey>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the back-channel logout worker when deliveries are queued.
    pub backchannel_wake: Arc<tokio::sync::Notify>,
    /// Clients, role grants and user standing for the token path; emptied
    /// by every administrative change (`crate::invalidation`).
    pub caches: Arc<Caches>,
    /// Protocol events, written in batches (`crate::audit::AuditQueue`).
    pub audit: Arc<AuditQueue>,
    /// The WebAuthn relying party, or why passkeys are off.
    pub passkeys: crate::accounts::passkeys::Passkeys,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("issuer", &self.settings.issuer())
            .finish()
    }
}
