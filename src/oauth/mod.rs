//! OAuth 2.0 protocol rules, framework-free.

pub mod access_token;
pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod client_registration;
pub mod code_flow;
pub mod error;
pub mod grant_type;
pub mod grants;
pub mod issue;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod redirect_uri;
pub mod refresh;
pub mod scope;
pub mod token_endpoint;

pub use grant_type::GrantType;
pub use redirect_uri::RedirectUri;

pub use client::OAuthClient;
pub use error::{ErrorCode, OAuthError};
