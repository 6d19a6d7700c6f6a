//! OAuth 2.0 protocol rules, framework-free.

pub mod access_token;
pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod client_registration;
pub mod client_update;
pub mod code_flow;
pub mod consent;
pub mod error;
pub mod grant_type;
pub mod grants;
pub mod introspection;
pub mod issue;
pub mod limits;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod redirect_uri;
pub mod refresh;
pub mod revocation;
pub mod scope;
pub mod token_endpoint;

pub use grant_type::GrantType;
pub use redirect_uri::RedirectUri;

pub use client::OAuthClient;
pub use error::{ErrorCode, OAuthError};

/// A refresh token row, only if it belongs to `client_id`.
pub(crate) fn refresh_tokens_of_client(
    conn: &mut crate::db::DbConnection,
    token_hash: &str,
    client_id: &str,
) -> Result<Option<crate::db::refresh_tokens::RefreshTokenRow>, crate::db::DbError> {
    Ok(crate::db::refresh_tokens::find(conn, token_hash)?.filter(|row| row.client_id == client_id))
}
