//! Route paths: plain constants shared by the router (`http`) and the
//! discovery document (`oidc::discovery`), so the two cannot disagree.

pub const HOME: &str = "/";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const JWKS: &str = "/jwks.json";
pub const AUTHORIZE: &str = "/authorize";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const REVOKE: &str = "/revoke";
pub const INTROSPECT: &str = "/introspect";
pub const LOGOUT: &str = "/logout";
pub const LOGIN: &str = "/login";
/// The second step of a sign-in: a code, a passkey, or enrolling a factor.
pub const SECOND_FACTOR: &str = "/login/second-factor";
pub const SECOND_FACTOR_ENROL: &str = "/login/second-factor/enrol";
pub const SECOND_FACTOR_CONTINUE: &str = "/login/second-factor/continue";
pub const CONSENT: &str = "/consent";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";
pub const SETUP: &str = "/setup";
pub const ADMIN: &str = "/admin";
/// The signed-in person's own account page (and the pages below it).
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_TOTP: &str = "/account/totp";
pub const STATIC: &str = "/static";
/// A person's passkeys (list, rename, remove) and, below it, the JSON
/// endpoints that register one.
pub const ACCOUNT_PASSKEYS: &str = "/account/passkeys";
/// Passwordless sign-in with a passkey (JSON: `/start`, `/finish`).
pub const PASSKEY_SIGN_IN: &str = "/login/passkey";
/// A passkey as the second step after a password (JSON: `/start`, `/finish`).
pub const PASSKEY_SECOND_STEP: &str = "/login/second-factor/passkey";

/// An absolute URL under the issuer.
pub fn url(issuer: &str, path: &str) -> String {
    format!("{issuer}{path}")
}
