//! OpenID Connect on top of the OAuth core: ID tokens, claims, discovery.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod userinfo;
