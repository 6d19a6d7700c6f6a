//! Route paths, shared by the router and the discovery document.

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const JWKS: &str = "/jwks.json";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";
pub const SETUP: &str = "/setup";
pub const STATIC: &str = "/static";

/// An absolute URL under the issuer.
pub fn url(issuer: &str, path: &str) -> String {
    format!("{issuer}{path}")
}
