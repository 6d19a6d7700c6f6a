//! Bounds on every protocol parameter, checked before any database work so
//! that an unauthenticated request cannot buy CPU, pool time or storage
//! with its size. Each bound is generous for honest clients: the largest
//! value a real client sends is a JWT (`id_token_hint`, `token`).

use super::{error::OAuthError, params::Params};

/// More pairs than any protocol request needs.
pub const MAX_PARAMETERS: usize = 64;
/// RFC 8707 lets `resource` repeat; a client names a few APIs at most.
pub const MAX_RESOURCES: usize = 16;
/// Space-separated scope tokens in one request.
pub const MAX_SCOPE_TOKENS: usize = 128;
/// The longest token we could have issued: a JWT with many roles and
/// permissions is a few kilobytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters.
pub const CODE_VERIFIER_LENGTH: std::ops::RangeInclusive<usize> = 43..=128;

/// The longest value, in bytes, that each parameter may have.
fn max_length(name: &str) -> usize {
    match name {
        "client_id" => 128,
        "scope" => 4096,
        "state" => 2048,
        "nonce" => 512,
        "login_hint" => 256,
        "redirect_uri" | "post_logout_redirect_uri" => 2048,
        // An API identifier is at most 255 characters (accounts::apis).
        "resource" => 255,
        "code_verifier" => *CODE_VERIFIER_LENGTH.end(),
        "client_secret" => 512,
        // Ours are 43 characters; a client confusing token kinds sends a
        // JWT, which deserves `invalid_grant`, not a length error.
        "code" | "refresh_token" => 4096,
        // JWTs: ID tokens and access tokens with many roles and permissions.
        "access_token" | "client_assertion" => MAX_TOKEN_BYTES,
        // An invalid token is answered as such, not as a malformed request:
        // RFC 7009 §2.2 and RFC 7662 §2.2 with 200 (inactive), OIDC Core
        // 3.1.2.1 by naming nobody. An over-long one is called invalid
        // without being read (`is_absurd_token`).
        "token" | "id_token_hint" => usize::MAX,
        "prompt"
        | "response_type"
        | "response_mode"
        | "grant_type"
        | "max_age"
        | "display"
        | "code_challenge_method"
        | "token_type_hint" => 64,
        // Parameters we ignore (ui_locales, claims_locales, acr_values, …).
        _ => 1024,
    }
}

/// Fails with `invalid_request` naming the first parameter out of bounds.
pub fn check(params: &Params) -> Result<(), OAuthError> {
    if params.pair_count() > MAX_PARAMETERS {
        return Err(OAuthError::invalid_request(format!(
            "the request has more than {MAX_PARAMETERS} parameters"
        )));
    }
    if params.resources().len() > MAX_RESOURCES {
        return Err(OAuthError::invalid_request(format!(
            "at most {MAX_RESOURCES} resource parameters are allowed"
        )));
    }
    for (name, value) in params.pairs() {
        let limit = max_length(name);
        if name.len() > 64 || value.len() > limit {
            return Err(OAuthError::invalid_request(format!(
                "parameter {} is longer than {limit} bytes",
                printable(name)
            )));
        }
    }
    if let Some(scope) = params.get("scope")
        && scope.split(' ').filter(|t| !t.is_empty()).count() > MAX_SCOPE_TOKENS
    {
        return Err(OAuthError::invalid_request(format!(
            "scope has more than {MAX_SCOPE_TOKENS} values"
        )));
    }
    if let Some(verifier) = params.get("code_verifier")
        && !CODE_VERIFIER_LENGTH.contains(&verifier.len())
    {
        return Err(OAuthError::invalid_request(
            "code_verifier must be 43 to 128 characters (RFC 7636)",
        ));
    }
    Ok(())
}

/// A token too long to be one of ours: invalid without a look-up.
pub fn is_absurd_token(token: &str) -> bool {
    token.len() > MAX_TOKEN_BYTES
}

/// A parameter name fit for an error message: short, no control characters.
fn printable(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{clean:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params::parse(query.as_bytes())
    }

    #[test]
    fn honest_requests_pass() {
        let verifier = "a".repeat(43);
        let query = format!(
            "response_type=code&client_id=app&scope=openid%20profile&state=xyz&code_verifier={verifier}&resource=https%3A%2F%2Fapi"
        );
        assert!(check(&params(&query)).is_ok());
    }

    #[test]
    fn each_bound_is_enforced() {
        let long_state = format!("state={}", "s".repeat(2049));
        assert!(check(&params(&long_state)).is_err());
        let many_scopes = format!("scope={}", vec!["a"; 129].join("%20"));
        assert!(check(&params(&many_scopes)).is_err());
        assert!(check(&params("code_verifier=short")).is_err());
        let long_verifier = format!("code_verifier={}", "v".repeat(129));
        assert!(check(&params(&long_verifier)).is_err());
        let resources = vec!["resource=r"; 17].join("&");
        assert!(check(&params(&resources)).is_err());
        let pairs: Vec<String> = (0..65).map(|i| format!("p{i}=1")).collect();
        assert!(check(&params(&pairs.join("&"))).is_err());
        let long_name = format!("{}=1", "n".repeat(65));
        assert!(check(&params(&long_name)).is_err());
    }
}
