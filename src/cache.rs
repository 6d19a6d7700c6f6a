//! What the token path reads on every request and an administrator changes
//! rarely, kept in memory: client records, role grants, and whether a user
//! may still use their tokens. Signing keys, discovery and the JWKS are
//! held by their own owners (`crypto::KeyStore`, `http::wellknown`).
//!
//! Every cache is emptied whole — never patched — when anything changes:
//! at once on the node that made an administrative change
//! (`administration::perform`), and on every other node and process within
//! `invalidation::POLL_EVERY` of the change epoch moving. Administrative
//! changes are rare, so precision would buy little and cost correctness.
//!
//! A cache is a sequence of generations (see [`Generations`]), so that a
//! read which started before a change can never put its stale answer into
//! the cache after the change emptied it.

use std::{hash::Hash, sync::Arc};

use arc_swap::ArcSwap;

use crate::accounts::{grants::RoleGrants, users::Standing};
use crate::db::DbConnection;
use crate::invalidation::{Refresh, RefreshError};
use crate::oauth::OAuthClient;

/// Entries each cache holds at most; the least useful are evicted first.
const CLIENTS_CAPACITY: u64 = 10_000;
const USERS_CAPACITY: u64 = 100_000;

/// A bounded map that is emptied by replacing it. A reader takes the
/// current [`Generation`] before it reads the database and puts what it
/// read into that same generation: if the map was replaced meanwhile, the
/// answer lands in the discarded one and is never served.
pub struct Generations<K, V> {
    current: ArcSwap<moka::sync::Cache<K, V>>,
    capacity: u64,
}

/// One generation of a [`Generations`] map.
struct Generation<K, V>(Arc<moka::sync::Cache<K, V>>);

impl<K, V> Generations<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(capacity: u64) -> Self {
        Generations {
            current: ArcSwap::from_pointee(moka::sync::Cache::new(capacity)),
            capacity,
        }
    }

    fn current(&self) -> Generation<K, V> {
        Generation(self.current.load_full())
    }

    /// The value for `key`, from memory, or from `load` (remembered in the
    /// generation that was current when the lookup began).
    pub async fn get_or_load<E, Fut>(&self, key: K, load: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let generation = self.current();
        if let Some(known) = generation.get(&key) {
            return Ok(known);
        }
        let loaded = load().await?;
        generation.insert(key, loaded.clone());
        Ok(loaded)
    }

    /// Starts an empty generation; readers of the old one finish unharmed.
    pub fn clear(&self) {
        self.current
            .store(Arc::new(moka::sync::Cache::new(self.capacity)));
    }
}

impl<K, V> Generation<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn get(&self, key: &K) -> Option<V> {
        self.0.get(key)
    }

    fn insert(&self, key: K, value: V) {
        self.0.insert(key, value);
    }
}

/// The caches a server holds; one per `AppState`.
pub struct Caches {
    /// By client id; `None` remembers that no such client exists.
    pub clients: Generations<String, Option<Arc<OAuthClient>>>,
    /// By user id; `None` remembers that no such user exists.
    pub users: Generations<String, Option<Standing>>,
    /// Every role's permissions, one snapshot (a single key).
    pub grants: Generations<(), Arc<RoleGrants>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            clients: Generations::new(CLIENTS_CAPACITY),
            users: Generations::new(USERS_CAPACITY),
            grants: Generations::new(1),
        }
    }
}

impl Caches {
    pub fn clear(&self) {
        self.clients.clear();
        self.users.clear();
        self.grants.clear();
    }
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches").finish_non_exhaustive()
    }
}

impl Refresh for Caches {
    fn name(&self) -> &'static str {
        "caches"
    }

    /// Emptied rather than re-read: what is used again is loaded on demand.
    fn refresh(&self, _conn: &mut DbConnection, _now: i64) -> Result<(), RefreshError> {
        self.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_before_a_clear_is_not_served_after_it() {
        let cache: Generations<&str, u32> = Generations::new(10);
        let reader = cache.current();
        cache.clear();
        reader.insert("client", 1);
        assert_eq!(cache.current().get(&"client"), None);
    }

    #[test]
    fn an_answer_read_in_the_current_generation_is_served() {
        let cache: Generations<&str, u32> = Generations::new(10);
        cache.current().insert("client", 1);
        assert_eq!(cache.current().get(&"client"), Some(1));
        cache.clear();
        assert_eq!(cache.current().get(&"client"), None);
    }
}
