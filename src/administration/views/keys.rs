//! Signing keys as an operator sees them.

use crate::crypto::{KeyPolicy, PublishedKey, describe_keys};
use crate::db::{self, DbConnection, DbError};

/// Every stored key with its state at `now`: 1 query.
pub fn list(
    conn: &mut DbConnection,
    policy: KeyPolicy,
    now: i64,
) -> Result<Vec<PublishedKey>, DbError> {
    let rows = db::signing_keys::list(conn)?;
    Ok(describe_keys(&rows, now, policy))
}
