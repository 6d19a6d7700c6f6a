//! Scopes Gatehouse itself understands.

/// OIDC scopes advertised in discovery.
pub const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "roles",
    "offline_access",
];

/// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
pub fn is_valid_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}
