//! One file per grant type.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use super::OAuthError;
use crate::db::DbError;

#[derive(Debug)]
pub enum GrantError {
    OAuth(OAuthError),
    Db(DbError),
}

impl From<OAuthError> for GrantError {
    fn from(error: OAuthError) -> Self {
        GrantError::OAuth(error)
    }
}

impl From<DbError> for GrantError {
    fn from(error: DbError) -> Self {
        GrantError::Db(error)
    }
}

/// RFC 8707 at the token endpoint: at most one `resource`, chosen from
/// those granted; none means the first granted one.
pub fn choose_resource(
    granted: &[String],
    params: &super::params::Params,
) -> Result<Option<String>, OAuthError> {
    match params.resources() {
        [] => Ok(granted.first().cloned()),
        [one] if granted.contains(one) => Ok(Some(one.clone())),
        [_] => Err(OAuthError::new(
            super::ErrorCode::InvalidTarget,
            "the resource was not granted to this client",
        )),
        _ => Err(OAuthError::new(
            super::ErrorCode::InvalidTarget,
            "at most one resource per token request",
        )),
    }
}

/// The user a grant speaks for, if still active, with their roles and the
/// permissions those roles grant on `resource` (the token's API audience).
pub async fn active_user(
    state: &crate::startup::AppState,
    user_id: String,
    resource: Option<String>,
) -> Result<(crate::db::users::UserRow, Vec<String>, Vec<String>), GrantError> {
    use crate::db;
    let (user, roles, permissions) = state
        .db
        .run(move |conn| {
            let user = db::users::find_by_id(conn, &user_id)?;
            let roles = db::users::role_names(conn, &user_id)?;
            let permissions = match &resource {
                Some(api) => db::roles::user_permissions_on(conn, &user_id, api)?,
                None => Vec::new(),
            };
            Ok((user, roles, permissions))
        })
        .await?;
    match user.filter(|u| !u.disabled) {
        Some(user) => Ok((user, roles, permissions)),
        None => Err(OAuthError::invalid_grant("the user is no longer active").into()),
    }
}
