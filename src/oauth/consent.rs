//! Remembered consent per user and client: a new scope or resource asks
//! again.

use crate::db::{self, DbConnection, DbError, consents::ConsentRow};
use crate::oauth::scope::Scopes;

fn list(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

pub fn covers(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    scopes: &Scopes,
    resources: &[String],
) -> Result<bool, DbError> {
    let Some(row) = db::consents::find(conn, user_id, client_id)? else {
        return Ok(false);
    };
    let granted_resources = list(&row.resources);
    Ok(scopes.is_subset_of(&Scopes::from_stored(&row.scope))
        && resources.iter().all(|r| granted_resources.contains(r)))
}

/// Adds these scopes and resources to what the user already granted.
pub fn remember(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    scopes: &Scopes,
    resources: &[String],
    now: i64,
) -> Result<(), DbError> {
    let (mut all_scopes, mut all_resources) = match db::consents::find(conn, user_id, client_id)? {
        Some(row) => (Scopes::from_stored(&row.scope), list(&row.resources)),
        None => (Scopes::default(), Vec::new()),
    };
    all_scopes = all_scopes.union(scopes);
    for resource in resources {
        if !all_resources.contains(resource) {
            all_resources.push(resource.clone());
        }
    }
    db::consents::save(
        conn,
        &ConsentRow {
            user_id: user_id.to_owned(),
            client_id: client_id.to_owned(),
            scope: all_scopes.to_string_list(),
            resources: all_resources.join(" "),
            granted_at: now,
        },
    )
}
