//! Provider metadata (OIDC Discovery 1.0 and RFC 8414), built from the
//! issuer and the route constants: it lists only what is implemented.

use serde_json::{Value, json};

use crate::crypto::SigningAlgorithm;
use crate::oauth::scope::SUPPORTED_SCOPES;
use crate::routes::{self, url};

pub fn metadata(issuer: &str) -> Value {
    let algs: Vec<&str> = SigningAlgorithm::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": url(issuer, routes::AUTHORIZE),
        "token_endpoint": url(issuer, routes::TOKEN),
        "userinfo_endpoint": url(issuer, routes::USERINFO),
        "jwks_uri": url(issuer, routes::JWKS),
        "revocation_endpoint": url(issuer, routes::REVOKE),
        "introspection_endpoint": url(issuer, routes::INTROSPECT),
        "end_session_endpoint": url(issuer, routes::LOGOUT),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SUPPORTED_SCOPES,
        "claims_supported": super::claims::SUPPORTED_CLAIMS,
        "acr_values_supported": crate::accounts::assurance::ACR_VALUES_SUPPORTED,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup", "touch", "wap"],
        "authorization_response_iss_parameter_supported": true,
    })
}
