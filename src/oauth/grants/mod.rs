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
