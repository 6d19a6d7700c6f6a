//! The signing keys: created on first start, sealed at rest, loaded once,
//! published in the JWKS before they sign and after they stop — unless
//! revoked, which ends both publication and trust at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
};

use serde_json::{Value, json};

use super::{
    MasterKey, MasterKeyError, SigningAlgorithm, SigningKey,
    signing_key::{KeyError, generate_pkcs8},
};
use crate::db::{self, DbConnection, DbError, signing_keys::SigningKeyRow};

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot decrypt signing key {kid}: {source}")]
    Decrypt { kid: String, source: MasterKeyError },
    #[error("unknown algorithm {0:?} in the signing_keys table")]
    UnknownAlgorithm(String),
    #[error("no signing key with kid {0}")]
    NoSuchKey(String),
}

/// How long keys are published around their signing life.
#[derive(Debug, Clone, Copy)]
pub struct KeyPolicy {
    /// A new key is published this long before it signs (the JWKS cache
    /// max-age), so every resource server has seen it first.
    pub publish_ahead_secs: i64,
    /// A retired key stays published this long (the longest token lifetime).
    pub retain_after_retire_secs: i64,
}

/// A key as an operator sees it (`keys list`, the admin pages).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublishedKey {
    pub kid: String,
    pub alg: SigningAlgorithm,
    pub state: &'static str,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Default)]
struct KeySet {
    signing: HashMap<SigningAlgorithm, Arc<SigningKey>>,
    published: HashMap<String, Arc<SigningKey>>,
    jwks: Arc<String>,
}

/// What `revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub alg: SigningAlgorithm,
    /// The key created to sign in its place, when it left its algorithm
    /// without a signer.
    pub replacement: Option<String>,
    /// It was revoked before: nothing changed.
    pub already_revoked: bool,
}

pub struct KeyStore {
    master: Arc<MasterKey>,
    policy: KeyPolicy,
    current: RwLock<Arc<KeySet>>,
    /// Held for a whole refresh (read, then install), so that a refresh
    /// which read the table before a change cannot install its older view
    /// after one that read it since.
    refreshing: Mutex<()>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Loads every key, creating one per algorithm that has none able to
    /// sign. A key that will not decrypt (wrong master key) is an error,
    /// never a reason to make a new one.
    pub fn load(
        conn: &mut DbConnection,
        master: Arc<MasterKey>,
        policy: KeyPolicy,
        now: i64,
    ) -> Result<Self, KeyStoreError> {
        let store = Self {
            master,
            policy,
            current: RwLock::new(Arc::default()),
            refreshing: Mutex::new(()),
        };
        store.refresh(conn, now)?;
        let missing: Vec<_> = SigningAlgorithm::ALL
            .into_iter()
            .filter(|alg| store.signer(*alg).is_none())
            .collect();
        if !missing.is_empty() {
            for alg in missing {
                store.create_key(conn, alg, now, now)?;
            }
            store.refresh(conn, now)?;
        }
        Ok(store)
    }

    /// Re-reads the table (other nodes and the CLI rotate keys) and applies
    /// the time-based transitions. Keys already parsed are reused.
    ///
    /// `rotate`, `retire` and `revoke` change only the table, inside the
    /// caller's transaction; the caller refreshes once it has committed
    /// (`administration::keys::apply`). Refreshing inside the transaction
    /// would install a view that a rollback then belies, and that a refresh
    /// on another connection, reading what was committed before, could
    /// overwrite until the next poll.
    pub fn refresh(&self, conn: &mut DbConnection, now: i64) -> Result<(), KeyStoreError> {
        let _one_at_a_time = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let rows = db::signing_keys::list(conn)?;
        let previous = self.snapshot();
        let mut next = KeySet::default();
        let mut newest_active: HashMap<SigningAlgorithm, i64> = HashMap::new();
        let mut soonest_pending: HashMap<SigningAlgorithm, (i64, Arc<SigningKey>)> = HashMap::new();
        for row in rows {
            if !is_published(&row, now, self.policy) {
                continue;
            }
            let alg: SigningAlgorithm = row
                .alg
                .parse()
                .map_err(|_| KeyStoreError::UnknownAlgorithm(row.alg.clone()))?;
            let key = match previous.published.get(&row.kid) {
                Some(key) => key.clone(),
                None => Arc::new(self.unseal(&row, alg)?),
            };
            if is_signing(&row, now)
                && newest_active
                    .get(&alg)
                    .is_none_or(|t| row.activates_at >= *t)
            {
                newest_active.insert(alg, row.activates_at);
                next.signing.insert(alg, key.clone());
            } else if is_pending(&row, now)
                && soonest_pending
                    .get(&alg)
                    .is_none_or(|(t, _)| row.activates_at < *t)
            {
                soonest_pending.insert(alg, (row.activates_at, key.clone()));
            }
            next.published.insert(row.kid.clone(), key);
        }
        // A node whose clock runs behind the one that made a key sees it
        // as not yet signing; with nothing else to sign with it signs with
        // the (already published) pending key rather than fail every token.
        for (alg, (_, key)) in soonest_pending {
            next.signing.entry(alg).or_insert(key);
        }
        next.jwks = Arc::new(render_jwks(&next.published));
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(next);
        }
        Ok(())
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn unseal(
        &self,
        row: &SigningKeyRow,
        alg: SigningAlgorithm,
    ) -> Result<SigningKey, KeyStoreError> {
        let pkcs8 = self
            .master
            .open(&row.kid, &row.private_key)
            .map_err(|source| KeyStoreError::Decrypt {
                kid: row.kid.clone(),
                source,
            })?;
        Ok(SigningKey::from_pkcs8(alg, &pkcs8)?)
    }

    fn create_key(
        &self,
        conn: &mut DbConnection,
        alg: SigningAlgorithm,
        now: i64,
        activates_at: i64,
    ) -> Result<String, KeyStoreError> {
        let pkcs8 = generate_pkcs8(alg)?;
        let key = SigningKey::from_pkcs8(alg, &pkcs8)?;
        let kid = key.kid().to_owned();
        db::signing_keys::insert(
            conn,
            &SigningKeyRow {
                kid: kid.clone(),
                alg: alg.as_str().to_owned(),
                private_key: self.master.seal(&kid, &pkcs8),
                created_at: now,
                activates_at,
                retired_at: None,
                revoked_at: None,
            },
        )?;
        tracing::info!(target: "audit", kid = %kid, alg = %alg, activates_at, "signing key created");
        Ok(kid)
    }

    /// Creates a new key for `alg`. It is published at once and signs after
    /// `publish_ahead_secs` (or at once with `immediately`), when the
    /// previous key of that algorithm retires.
    pub fn rotate(
        &self,
        conn: &mut DbConnection,
        alg: SigningAlgorithm,
        now: i64,
        immediately: bool,
    ) -> Result<String, KeyStoreError> {
        let activates_at = if immediately {
            now
        } else {
            now + self.policy.publish_ahead_secs
        };
        let kid = self.create_key(conn, alg, now, activates_at)?;
        db::signing_keys::retire_others(conn, alg.as_str(), &kid, activates_at)?;
        Ok(kid)
    }

    /// Stops a key signing now; it still verifies the tokens it signed
    /// until they expire. If it was the only key of its algorithm a
    /// replacement is created first, so signing never stops; returns its kid.
    pub fn retire(
        &self,
        conn: &mut DbConnection,
        kid: &str,
        now: i64,
    ) -> Result<Option<String>, KeyStoreError> {
        let replacement = self.replace_if_only_signer(conn, kid, now)?.1;
        db::signing_keys::retire(conn, kid, now)?;
        Ok(replacement)
    }

    /// Ends all trust in a key at once (it leaked): it leaves the JWKS,
    /// stops signing, and no token it signed verifies any more. If it left
    /// its algorithm without a signer, a replacement that signs at once is
    /// created first. Revoking a revoked key changes nothing.
    pub fn revoke(
        &self,
        conn: &mut DbConnection,
        kid: &str,
        now: i64,
    ) -> Result<Revocation, KeyStoreError> {
        let row = db::signing_keys::list(conn)?
            .into_iter()
            .find(|r| r.kid == kid)
            .ok_or_else(|| KeyStoreError::NoSuchKey(kid.to_owned()))?;
        if row.revoked_at.is_some() {
            return Ok(Revocation {
                alg: parse_alg(&row)?,
                replacement: None,
                already_revoked: true,
            });
        }
        let (alg, replacement) = self.replace_if_only_signer(conn, kid, now)?;
        db::signing_keys::revoke(conn, kid, now)?;
        Ok(Revocation {
            alg,
            replacement,
            already_revoked: false,
        })
    }

    /// Before `kid` stops signing: unless another key of its algorithm signs
    /// now and is not due to retire (a rotation's pending key does not sign
    /// yet), creates one that signs at once and returns its kid.
    fn replace_if_only_signer(
        &self,
        conn: &mut DbConnection,
        kid: &str,
        now: i64,
    ) -> Result<(SigningAlgorithm, Option<String>), KeyStoreError> {
        let rows = db::signing_keys::list(conn)?;
        let row = rows
            .iter()
            .find(|r| r.kid == kid)
            .ok_or_else(|| KeyStoreError::NoSuchKey(kid.to_owned()))?;
        let alg = parse_alg(row)?;
        let has_other_signer = rows.iter().any(|r| {
            r.kid != kid
                && r.alg == row.alg
                && r.activates_at <= now
                && r.retired_at.is_none()
                && r.revoked_at.is_none()
        });
        let replacement = if has_other_signer {
            None
        } else {
            Some(self.create_key(conn, alg, now, now)?)
        };
        Ok((alg, replacement))
    }

    pub fn signer(&self, alg: SigningAlgorithm) -> Option<Arc<SigningKey>> {
        self.snapshot().signing.get(&alg).cloned()
    }

    pub fn published_key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.snapshot().published.get(kid).cloned()
    }

    /// The JWKS document, rendered once per change.
    pub fn jwks_json(&self) -> Arc<String> {
        self.snapshot().jwks.clone()
    }

    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }
}

fn parse_alg(row: &SigningKeyRow) -> Result<SigningAlgorithm, KeyStoreError> {
    row.alg
        .parse()
        .map_err(|_| KeyStoreError::UnknownAlgorithm(row.alg.clone()))
}

/// Published, and so trusted to verify: not revoked, and not retired for
/// longer than the longest token lifetime.
fn is_published(row: &SigningKeyRow, now: i64, policy: KeyPolicy) -> bool {
    row.revoked_at.is_none()
        && row
            .retired_at
            .is_none_or(|retired| retired + policy.retain_after_retire_secs > now)
}

fn is_signing(row: &SigningKeyRow, now: i64) -> bool {
    row.revoked_at.is_none()
        && row.activates_at <= now
        && row.retired_at.is_none_or(|retired| retired > now)
}

/// Published, not yet signing, and not taken out of signing.
fn is_pending(row: &SigningKeyRow, now: i64) -> bool {
    row.revoked_at.is_none() && row.retired_at.is_none() && row.activates_at > now
}

fn render_jwks(published: &HashMap<String, Arc<SigningKey>>) -> String {
    let mut keys: Vec<&Arc<SigningKey>> = published.values().collect();
    keys.sort_by(|a, b| (a.alg(), a.kid()).cmp(&(b.alg(), b.kid())));
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|key| Value::Object(key.public_jwk().clone()))
        .collect();
    json!({ "keys": keys }).to_string()
}

/// Every stored key with its state at `now`, for operators.
pub fn describe(rows: &[SigningKeyRow], now: i64, policy: KeyPolicy) -> Vec<PublishedKey> {
    rows.iter()
        .filter_map(|row| {
            let alg = row.alg.parse().ok()?;
            let state = if row.revoked_at.is_some() {
                "revoked"
            } else if is_signing(row, now) {
                "active"
            } else if row.activates_at > now {
                "pending"
            } else if is_published(row, now, policy) {
                "retired"
            } else {
                "expired"
            };
            Some(PublishedKey {
                kid: row.kid.clone(),
                alg,
                state,
                created_at: row.created_at,
                activates_at: row.activates_at,
                retired_at: row.retired_at,
                revoked_at: row.revoked_at,
            })
        })
        .collect()
}
