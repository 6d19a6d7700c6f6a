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

/// The user a grant speaks for, with what the tokens say of them.
pub struct ActiveUser {
    pub user: crate::db::users::UserRow,
    /// Every role held, for the ID token's `roles` claim.
    pub roles: Vec<String>,
    /// The roles the access token names (`accounts::roles::in_access_token`).
    pub token_roles: Vec<String>,
    /// Permissions on the token's API audience.
    pub permissions: Vec<String>,
}

/// The user a grant speaks for, if still active, with their roles and the
/// permissions those roles grant on `resource` (the token's API audience).
pub async fn active_user(
    state: &crate::app::AppState,
    user_id: String,
    resource: Option<String>,
    scopes: &super::scope::Scopes,
) -> Result<ActiveUser, GrantError> {
    use crate::db;
    let grants = crate::accounts::grants::current(state).await?;
    let (user, roles) = state
        .db
        .run(move |conn| {
            let user = db::users::find_by_id(conn, &user_id)?;
            let roles = db::users::role_names(conn, &user_id)?;
            Ok::<_, DbError>((user, roles))
        })
        .await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(OAuthError::invalid_grant("the user is no longer active").into());
    };
    Ok(ActiveUser::new(
        user,
        roles,
        &grants,
        resource.as_deref(),
        scopes,
    ))
}

impl ActiveUser {
    /// What the tokens say of `user`, who holds `roles`, for `resource`.
    pub fn new(
        user: crate::db::users::UserRow,
        roles: Vec<String>,
        grants: &crate::accounts::grants::RoleGrants,
        resource: Option<&str>,
        scopes: &super::scope::Scopes,
    ) -> Self {
        let permissions = match resource {
            Some(api) => grants.permissions_on(&roles, api),
            None => Vec::new(),
        };
        ActiveUser {
            token_roles: crate::accounts::roles::in_access_token(
                &roles,
                &grants.role_apis(&roles),
                resource,
                scopes.contains("roles"),
            ),
            user,
            roles,
            permissions,
        }
    }
}
