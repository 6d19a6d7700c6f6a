//! OAuth 2.0 protocol rules, framework-free.

pub mod client_registration;
pub mod grant_type;
pub mod redirect_uri;
pub mod scope;

pub use grant_type::GrantType;
pub use redirect_uri::RedirectUri;
