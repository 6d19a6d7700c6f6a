//! `/authorize` request validation (RFC 6749 §4.1.1, OIDC Core §3.1.2.1,
//! RFC 7636, RFC 8707). No I/O: the caller loads the client.

use super::{
    GrantType, OAuthClient, OAuthError, error::ErrorCode, params::Params, pkce, scope::Scopes,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    fn parse(value: Option<&str>) -> Result<Self, OAuthError> {
        let mut prompt = Prompt::default();
        for token in value.unwrap_or_default().split_whitespace() {
            match token {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                // We have one account per session: choosing is trivial.
                "select_account" => {}
                other => {
                    return Err(OAuthError::invalid_request(format!(
                        "unknown prompt value {other:?}"
                    )));
                }
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(prompt)
    }

    pub fn as_stored(self) -> String {
        let mut values = Vec::new();
        if self.none {
            values.push("none");
        }
        if self.login {
            values.push("login");
        }
        if self.consent {
            values.push("consent");
        }
        values.join(" ")
    }

    pub fn from_stored(stored: &str) -> Self {
        Prompt::parse(Some(stored)).unwrap_or_default()
    }
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: OAuthClient,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub scopes: Scopes,
    pub resources: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// Authentication levels the client asked for (OIDC Core 3.1.2.1).
    pub acr_values: Option<String>,
}

/// Why a request cannot proceed, and where the answer may go.
#[derive(Debug)]
pub enum Rejection {
    /// Client or redirect URI cannot be trusted: show a page, never redirect.
    Page(String),
    /// Tell the client, at its verified redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

/// Validates the request against the client (`None`: unknown client).
/// `known_scope` says which non-OIDC scopes (API permissions) exist.
pub fn validate(
    params: &Params,
    client: Option<OAuthClient>,
    known_scope: &dyn Fn(&str) -> bool,
) -> Result<AuthorizationRequest, Rejection> {
    let Some(client_id) = params.get("client_id") else {
        return Err(Rejection::Page("The request has no client_id.".into()));
    };
    // Which client, and where to answer, must be beyond doubt before any
    // answer goes there (RFC 6749 §4.1.2.1): a repeated one is not.
    for name in ["client_id", "redirect_uri"] {
        if params.is_repeated(name) {
            return Err(Rejection::Page(format!(
                "The request names its {name} more than once."
            )));
        }
    }
    let client = match client {
        Some(client) if !client.disabled => client,
        _ => {
            return Err(Rejection::Page(format!(
                "The application {client_id:?} is not registered."
            )));
        }
    };
    let requested_scopes = Scopes::parse(params.get("scope").unwrap_or_default());
    let wants_openid = requested_scopes
        .as_ref()
        .is_ok_and(|s| s.contains("openid"));
    let sent_uri = params.get("redirect_uri");
    if sent_uri.is_none() && wants_openid {
        return Err(Rejection::Page(
            "The request has no redirect_uri, which OpenID Connect requires.".into(),
        ));
    }
    let Some(redirect_uri) = client.resolve_redirect_uri(sent_uri) else {
        return Err(Rejection::Page(
            "The redirect_uri does not match any URI registered for this application.".into(),
        ));
    };
    // From here on the redirect URI is trusted: errors go back to the client.
    let state = params.get("state").map(str::to_owned);
    let reject = |error: OAuthError| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
    };
    params.check_duplicates().map_err(reject)?;
    if params.get("request").is_some() {
        return Err(reject(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        )));
    }
    if params.get("request_uri").is_some() {
        return Err(reject(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        )));
    }
    match params.get("response_type") {
        None => {
            return Err(reject(OAuthError::invalid_request(
                "response_type is required",
            )));
        }
        Some("code") => {}
        Some(_) => {
            return Err(reject(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            )));
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(reject(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        )));
    }
    if let Some(mode) = params.get("response_mode")
        && mode != "query"
    {
        return Err(reject(OAuthError::invalid_request(
            "only response_mode=query is supported",
        )));
    }
    let requested_scopes = requested_scopes.map_err(|bad| {
        reject(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("invalid scope {bad:?}"),
        ))
    })?;
    // Scopes the server does not know, or the client may not have, are
    // dropped (RFC 6749 §3.3 lets the server narrow the grant).
    let scopes = requested_scopes.retain(|scope| {
        (super::scope::SUPPORTED_SCOPES.contains(&scope) || known_scope(scope))
            && client.may_request_scope(scope)
    });
    let resources = resolve_resources(&client, params.resources()).map_err(reject)?;
    let code_challenge = pkce::challenge(
        client.is_public,
        params.get("code_challenge_method"),
        params.get("code_challenge"),
    )
    .map_err(reject)?;
    let prompt = Prompt::parse(params.get("prompt")).map_err(reject)?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            reject(OAuthError::invalid_request(
                "max_age must be a non-negative integer",
            ))
        })?),
    };
    Ok(AuthorizationRequest {
        client,
        redirect_uri: redirect_uri.clone(),
        redirect_uri_sent: sent_uri.is_some(),
        scopes,
        resources,
        state: state.clone(),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        acr_values: params
            .get("acr_values")
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned),
    })
}

/// RFC 8707: every requested resource must be registered for the client;
/// none requested means the client's default audience.
pub fn resolve_resources(
    client: &OAuthClient,
    requested: &[String],
) -> Result<Vec<String>, OAuthError> {
    if requested.is_empty() {
        return Ok(client.resources.first().cloned().into_iter().collect());
    }
    let mut resources = Vec::new();
    for resource in requested {
        if !client.resources.contains(resource) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("this client may not request tokens for {resource:?}"),
            ));
        }
        if !resources.contains(resource) {
            resources.push(resource.clone());
        }
    }
    Ok(resources)
}
