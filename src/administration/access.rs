//! Who may administer Gatehouse: holders of permissions on the built-in API
//! `gatehouse-admin`. The admin API takes ordinary Gatehouse access tokens
//! for that audience — Gatehouse dogfoods its own authorization — and every
//! call re-checks, against the database, that the token is not revoked and
//! that its subject is still enabled and still holds the permission.

use crate::app::AppState;
use crate::db::{self, DbError};
use crate::oauth::access_token;

pub use crate::accounts::apis::ADMIN_API;

#[derive(Debug, Clone)]
pub struct Administrator {
    pub sub: String,
    /// Current permissions on `gatehouse-admin`, read now, not from the token.
    pub permissions: Vec<String>,
}

impl Administrator {
    pub fn may(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[derive(Debug)]
pub enum AdminAccessError {
    /// Missing, invalid, expired or revoked token, or a disabled subject.
    Unauthenticated(String),
    Db(DbError),
}

/// The current permissions of a subject (user id, or client id for a
/// service account) on the admin API; `None` if it is disabled or gone.
pub fn current_permissions(
    conn: &mut db::DbConnection,
    sub: &str,
) -> Result<Option<Vec<String>>, DbError> {
    if let Some(user) = db::users::find_by_id(conn, sub)? {
        if user.disabled {
            return Ok(None);
        }
        return Ok(Some(db::roles::user_permissions_on(conn, sub, ADMIN_API)?));
    }
    match db::clients::find(conn, sub)? {
        Some(client) if !client.row.disabled => Ok(Some(db::roles::client_permissions_on(
            conn, sub, ADMIN_API,
        )?)),
        _ => Ok(None),
    }
}

pub async fn from_bearer(state: &AppState, token: &str) -> Result<Administrator, AdminAccessError> {
    let claims = access_token::verify(state, token, access_token::Freshness::Current)
        .await
        .map_err(|e| match e {
            access_token::Rejection::Invalid(reason) => AdminAccessError::Unauthenticated(reason),
            access_token::Rejection::Db(db) => AdminAccessError::Db(db),
        })?;
    if !claims.aud.contains(ADMIN_API) {
        return Err(AdminAccessError::Unauthenticated(format!(
            "the token is not for {ADMIN_API}"
        )));
    }
    let sub = claims.sub.clone();
    let current = state
        .db
        .run(move |conn| current_permissions(conn, &sub))
        .await
        .map_err(AdminAccessError::Db)?
        .ok_or_else(|| {
            AdminAccessError::Unauthenticated("the subject is disabled or gone".into())
        })?;
    // Both checks: what the token was granted for this audience, and what
    // the subject still holds now — never the subject's whole current set,
    // so a narrowly granted token stays narrow.
    let permissions = current
        .into_iter()
        .filter(|p| claims.permissions.contains(p))
        .collect();
    Ok(Administrator {
        sub: claims.sub,
        permissions,
    })
}
