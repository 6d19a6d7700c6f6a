//! Changes to signing keys: rotation (publish ahead, or at once), retirement
//! (stops signing, still verifies what it signed) and revocation (a leaked
//! key: trusted by nothing from now on), each recorded with the key it made
//! or ended.

use serde_json::json;

use super::Actor;
use crate::app::AppState;
use crate::crypto::{KeyStore, KeyStoreError, Revocation, SigningAlgorithm};
use crate::db::DbConnection;

/// Runs one key change (`rotate`, `retire`, `revoke`) as `actor`, at the
/// state's current time, in its own transaction; once it has committed,
/// re-reads the keys (and every other cache) on this server, so that the
/// change is in force here before the caller answers. Other servers follow
/// through the change epoch. A refusal rolls back and comes back as the
/// inner `Err`.
pub async fn apply<T, F>(state: &AppState, actor: Actor, change: F) -> Result<T, KeyStoreError>
where
    F: FnOnce(&mut DbConnection, &Actor, &KeyStore, i64) -> Result<T, KeyStoreError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let (keys, now) = (state.keys.clone(), state.clock.now());
    let outcome = state
        .db
        .transaction(move |conn| change(conn, &actor, &keys, now))
        .await?;
    crate::invalidation::refresh_now(state).await;
    Ok(outcome)
}

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
/// Returns the replacement made when it was its algorithm's only signer.
pub fn retire(
    conn: &mut DbConnection,
    actor: &Actor,
    keys: &KeyStore,
    kid: &str,
    now: i64,
) -> Result<Option<String>, KeyStoreError> {
    let replacement = keys.retire(conn, kid, now)?;
    actor.record(
        conn,
        "admin.key.retired",
        kid,
        json!({ "kid": kid, "replacement": replacement }),
        now,
    )?;
    Ok(replacement)
}

/// Revokes a key: it leaves the JWKS and no token it signed verifies any
/// more, on this server at once and on the others when they see the change
/// epoch move. Revoking a revoked key changes nothing and records nothing.
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    keys: &KeyStore,
    kid: &str,
    now: i64,
) -> Result<Revocation, KeyStoreError> {
    let revocation = keys.revoke(conn, kid, now)?;
    if !revocation.already_revoked {
        actor.record(
            conn,
            "admin.key.revoked",
            kid,
            json!({
                "alg": revocation.alg.as_str(),
                "replacement": revocation.replacement,
            }),
            now,
        )?;
    }
    Ok(revocation)
}
