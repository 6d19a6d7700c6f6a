//! Changes to signing keys: rotation (publish ahead, or at once for a
//! leaked key) and retirement, each recorded with the key it made or ended.

use serde_json::json;

use super::Actor;
use crate::crypto::{KeyStore, KeyStoreError, SigningAlgorithm};
use crate::db::DbConnection;

/// Creates a key for `alg`; returns its `kid`.
pub fn rotate(
    conn: &mut DbConnection,
    actor: &Actor,
    keys: &KeyStore,
    alg: SigningAlgorithm,
    immediately: bool,
    now: i64,
) -> Result<String, KeyStoreError> {
    let kid = keys.rotate(conn, alg, now, immediately)?;
    actor.record(
        conn,
        "admin.key.rotated",
        &kid,
        json!({ "alg": alg.as_str(), "immediately": immediately }),
        now,
    )?;
    Ok(kid)
}

/// Stops a key signing; it stays published until its tokens expire.
pub fn retire(
    conn: &mut DbConnection,
    actor: &Actor,
    keys: &KeyStore,
    kid: &str,
    now: i64,
) -> Result<(), KeyStoreError> {
    keys.retire(conn, kid, now)?;
    actor.record(conn, "admin.key.retired", kid, json!({ "kid": kid }), now)?;
    Ok(())
}
