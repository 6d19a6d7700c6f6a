//! Which user claims each scope releases (OIDC Core §5.4).

use serde_json::{Map, Value, json};

use crate::db::users::UserRow;
use crate::oauth::scope::Scopes;

/// Every claim Gatehouse can release, for discovery.
pub const SUPPORTED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "sid",
    "amr",
    "acr",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "roles",
];

/// The user's claims the granted scopes allow.
pub fn user_claims(user: &UserRow, roles: &[String], scopes: &Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    if scopes.contains("profile") {
        if let Some(name) = &user.name {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("preferred_username".into(), json!(user.username));
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    if scopes.contains("email")
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), json!(email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if scopes.contains("roles") {
        claims.insert("roles".into(), json!(roles));
    }
    claims
}
