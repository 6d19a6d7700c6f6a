//! Bearer-token authentication for an actix-web API that trusts Gatehouse.
//!
//! Copy this file into your API. It needs `actix-web`, `jsonwebtoken`,
//! `reqwest` (with `json`), `serde`, `serde_json` and `tokio` (`sync`).
//!
//! - [`TokenVerifier`] checks an access token: the signature against the
//!   issuer's JWKS (fetched once, cached, fetched again when a token names
//!   a key the cache does not hold), an algorithm allow-list, the header
//!   `typ: at+jwt` (RFC 9068), and the claims `iss`, `aud`, `exp`, `nbf`.
//! - [`Authenticated`] is an extractor: a handler that takes it runs only
//!   for a request with a valid token (otherwise 401 with
//!   `WWW-Authenticate: Bearer …`, RFC 6750).
//! - [`Authorized<P>`] is the permission guard: like `Authenticated`, and the
//!   token's `permissions` must contain `P::NAME` (otherwise 403 with
//!   `error="insufficient_scope"`).
//!
//! ```ignore
//! struct DeleteStudents;
//! impl Permission for DeleteStudents {
//!     const NAME: &'static str = "students:delete";
//! }
//!
//! async fn delete_student(user: Authorized<DeleteStudents>) -> HttpResponse { … }
//! ```
//!
//! Register the verifier once: `App::new().app_data(web::Data::new(verifier))`.

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    marker::PhantomData,
    pin::Pin,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, ResponseError,
    dev::Payload,
    http::{StatusCode, header},
    web,
};
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation,
    errors::ErrorKind,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use serde::{Deserialize, Serialize};

/// The only algorithms a token may be signed with. Never `none`, never an
/// HMAC algorithm: with HS256 allowed, anyone could "sign" a token using
/// the published public key as the HMAC secret.
pub const ALLOWED_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA];

/// RFC 9068 §2.1: access tokens say `typ: at+jwt`, which keeps an ID token
/// (`typ: JWT`) from the same issuer from passing as an access token.
const ACCESS_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// What this API trusts.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The issuer, byte for byte as in the tokens' `iss`.
    pub issuer: String,
    /// This API's identifier, as registered in Gatehouse (`gatehouse api
    /// add …`): tokens must name it in `aud`.
    pub audience: String,
    /// Where the issuer publishes its public keys.
    pub jwks_uri: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// A token naming an unknown key makes the verifier fetch the JWKS again,
    /// but at most once per this interval (so junk tokens cannot make this
    /// API hammer the issuer).
    pub refresh_cooldown: Duration,
    /// The cached JWKS is fetched again after this long even if every token
    /// names a known key, so keys the issuer withdrew stop verifying (match
    /// Gatehouse's `keys.jwks_max_age_secs`).
    pub max_age: Duration,
}

impl AuthConfig {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            jwks_uri: format!("{issuer}/jwks.json"),
            issuer,
            audience: audience.into(),
            leeway_secs: 30,
            refresh_cooldown: Duration::from_secs(30),
            max_age: Duration::from_secs(300),
        }
    }
}

/// `aud`: one string or an array (Gatehouse adds its userinfo endpoint when
/// the token was issued with `openid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of a Gatehouse access token that an API decides with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user's id, or the client id for a service account.
    pub sub: String,
    pub aud: Audience,
    /// The application that asked for the token.
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    pub jti: String,
    /// The subject's roles (Gatehouse roles are global).
    #[serde(default)]
    pub roles: Vec<String>,
    /// What the subject's roles allow on this token's API.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl Claims {
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Why a request was refused. Each maps to one response (RFC 6750 §3).
#[derive(Debug)]
pub enum AuthError {
    /// No bearer token at all: 401 with a bare challenge.
    MissingToken { realm: String },
    /// A token that does not verify: 401, `error="invalid_token"`.
    InvalidToken { realm: String, reason: &'static str },
    /// A valid token without the permission: 403,
    /// `error="insufficient_scope"`.
    MissingPermission {
        realm: String,
        permission: &'static str,
    },
    /// The issuer's keys cannot be fetched, so nothing can be verified: 503.
    KeysUnavailable,
    /// The application forgot `app_data(web::Data::new(TokenVerifier))`.
    NotConfigured,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingToken { .. } => f.write_str("no bearer token"),
            AuthError::InvalidToken { reason, .. } => write!(f, "invalid token: {reason}"),
            AuthError::MissingPermission { permission, .. } => {
                write!(f, "the token lacks the permission {permission}")
            }
            AuthError::KeysUnavailable => f.write_str("the issuer's keys are unavailable"),
            AuthError::NotConfigured => f.write_str("no TokenVerifier registered with the app"),
        }
    }
}

/// A quoted-string for a `WWW-Authenticate` parameter.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::MissingToken { .. } | AuthError::InvalidToken { .. } => {
                StatusCode::UNAUTHORIZED
            }
            AuthError::MissingPermission { .. } => StatusCode::FORBIDDEN,
            AuthError::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        let (challenge, body) = match self {
            // §3.1: a request without credentials gets no error code.
            AuthError::MissingToken { realm } => (
                Some(format!("Bearer realm={}", quoted(realm))),
                serde_json::json!({ "error": "unauthorized" }),
            ),
            AuthError::InvalidToken { realm, reason } => (
                Some(format!(
                    "Bearer realm={}, error=\"invalid_token\", error_description={}",
                    quoted(realm),
                    quoted(reason)
                )),
                serde_json::json!({ "error": "invalid_token", "error_description": reason }),
            ),
            AuthError::MissingPermission { realm, permission } => (
                Some(format!(
                    "Bearer realm={}, error=\"insufficient_scope\", scope={}",
                    quoted(realm),
                    quoted(permission)
                )),
                serde_json::json!({
                    "error": "insufficient_scope",
                    "error_description": format!("requires the permission {permission}"),
                }),
            ),
            AuthError::KeysUnavailable => (
                None,
                serde_json::json!({ "error": "temporarily_unavailable" }),
            ),
            AuthError::NotConfigured => (None, serde_json::json!({ "error": "server_error" })),
        };
        if let Some(challenge) = challenge {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.json(body)
    }
}

/// One published key, parsed once.
struct VerificationKey {
    alg: Algorithm,
    key: DecodingKey,
}

struct CachedKeys {
    keys: HashMap<String, Arc<VerificationKey>>,
    fetched_at: Option<Instant>,
}

/// The issuer's public keys, by `kid`.
pub struct JwksCache {
    http: reqwest::Client,
    uri: String,
    cooldown: Duration,
    max_age: Duration,
    cached: RwLock<Arc<CachedKeys>>,
    /// One fetch at a time; holds when the last unknown-`kid` refetch ran.
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

impl JwksCache {
    pub fn new(uri: String, cooldown: Duration, max_age: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            http,
            uri,
            cooldown,
            max_age,
            cached: RwLock::new(Arc::new(CachedKeys {
                keys: HashMap::new(),
                fetched_at: None,
            })),
            fetching: tokio::sync::Mutex::new(None),
        }
    }

    fn snapshot(&self) -> Arc<CachedKeys> {
        match self.cached.read() {
            Ok(cached) => cached.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Fetches the JWKS now and replaces the cache. Keys of algorithms
    /// outside [`ALLOWED_ALGORITHMS`] (and symmetric keys) are ignored.
    pub async fn refresh(&self) -> Result<usize, AuthError> {
        let document: serde_json::Value = self
            .http
            .get(&self.uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| AuthError::KeysUnavailable)?
            .json()
            .await
            .map_err(|_| AuthError::KeysUnavailable)?;
        let listed = document
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or(AuthError::KeysUnavailable)?;
        let keys: HashMap<String, Arc<VerificationKey>> = listed
            .iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value.clone()).ok())
            .filter_map(|jwk| {
                let (kid, key) = parse_key(&jwk)?;
                Some((kid, Arc::new(key)))
            })
            .collect();
        let count = keys.len();
        let next = Arc::new(CachedKeys {
            keys,
            fetched_at: Some(Instant::now()),
        });
        if let Ok(mut cached) = self.cached.write() {
            *cached = next;
        }
        Ok(count)
    }

    async fn key(&self, kid: &str) -> Result<Option<Arc<VerificationKey>>, AuthError> {
        let cached = self.snapshot();
        let stale = cached
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.max_age);
        if !stale && let Some(key) = cached.keys.get(kid) {
            return Ok(Some(key.clone()));
        }
        let mut last_forced = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let cached = self.snapshot();
        let stale = cached
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.max_age);
        if stale {
            // Keep serving the old keys if the issuer cannot be reached.
            if let Err(error) = self.refresh().await
                && cached.fetched_at.is_none()
            {
                return Err(error);
            }
        } else if !cached.keys.contains_key(kid) {
            if last_forced.is_some_and(|at| at.elapsed() < self.cooldown) {
                return Ok(None);
            }
            *last_forced = Some(Instant::now());
            self.refresh().await?;
        }
        Ok(self.snapshot().keys.get(kid).cloned())
    }
}

/// The algorithm a JWK is for: its `alg`, or else what its type implies.
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let alg = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::ES256), _) => Algorithm::ES256,
        (Some(KeyAlgorithm::RS256), _) => Algorithm::RS256,
        (Some(KeyAlgorithm::EdDSA), _) => Algorithm::EdDSA,
        (Some(_), _) => return None,
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        (None, AlgorithmParameters::OctetKeyPair(okp)) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        (None, _) => return None,
    };
    ALLOWED_ALGORITHMS.contains(&alg).then_some(alg)
}

fn parse_key(jwk: &Jwk) -> Option<(String, VerificationKey)> {
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return None;
    }
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let kid = jwk.common.key_id.clone()?;
    let alg = key_algorithm(jwk)?;
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, VerificationKey { alg, key }))
}

/// Verifies access tokens for one API.
pub struct TokenVerifier {
    config: AuthConfig,
    keys: JwksCache,
}

impl TokenVerifier {
    pub fn new(config: AuthConfig) -> Self {
        let keys = JwksCache::new(
            config.jwks_uri.clone(),
            config.refresh_cooldown,
            config.max_age,
        );
        Self { config, keys }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Fetches the issuer's keys now (at startup) rather than on the first
    /// request. Returns how many usable keys were published.
    pub async fn prefetch_keys(&self) -> Result<usize, AuthError> {
        self.keys.refresh().await
    }

    fn invalid(&self, reason: &'static str) -> AuthError {
        AuthError::InvalidToken {
            realm: self.config.audience.clone(),
            reason,
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        // The header is read before the signature is checked, so nothing in
        // it is trusted: it only selects among keys we already trust, and
        // its algorithm must be the one that key is published for.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| self.invalid("the token is not a signed JWT"))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(self.invalid("the token's algorithm is not accepted"));
        }
        let typ_ok = header.typ.as_deref().is_some_and(|typ| {
            ACCESS_TOKEN_TYPES
                .iter()
                .any(|allowed| typ.eq_ignore_ascii_case(allowed))
        });
        if !typ_ok {
            return Err(self.invalid("the token is not an access token"));
        }
        let kid = header
            .kid
            .ok_or_else(|| self.invalid("the token names no signing key"))?;
        let key = self
            .keys
            .key(&kid)
            .await?
            .ok_or_else(|| self.invalid("the token was signed by an unknown key"))?;
        if header.alg != key.alg {
            return Err(self.invalid("the token's algorithm does not match its key"));
        }

        let mut validation = Validation::new(key.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway_secs;
        jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(|error| {
                self.invalid(match error.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet",
                    ErrorKind::InvalidAudience => "the token is for another API",
                    ErrorKind::InvalidIssuer => "the token is from another issuer",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is invalid",
                })
            })
    }
}

/// The bearer token of a request (RFC 6750 §2.1), if it has one.
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("Bearer")
        .then(|| token.trim().to_owned())
}

/// A request that carries a valid access token for this API.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub claims: Claims,
    realm: String,
}

impl Authenticated {
    /// For checks in the handler body, when the permission needed depends on
    /// the request: `user.require("students:delete")?`.
    pub fn require(&self, permission: &'static str) -> Result<(), AuthError> {
        if self.claims.has_permission(permission) {
            Ok(())
        } else {
            Err(AuthError::MissingPermission {
                realm: self.realm.clone(),
                permission,
            })
        }
    }
}

impl FromRequest for Authenticated {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<TokenVerifier>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let verifier = verifier.ok_or(AuthError::NotConfigured)?;
            let realm = verifier.config.audience.clone();
            let Some(token) = token.filter(|t| !t.is_empty()) else {
                return Err(AuthError::MissingToken { realm });
            };
            let claims = verifier.verify(&token).await?;
            Ok(Authenticated { claims, realm })
        })
    }
}

/// A permission an endpoint requires, named once as a type.
pub trait Permission {
    const NAME: &'static str;
}

/// The permission guard: a valid token whose `permissions` include
/// `P::NAME`. Without a valid token 401, without the permission 403.
#[derive(Debug, Clone)]
pub struct Authorized<P: Permission> {
    pub claims: Claims,
    permission: PhantomData<P>,
}

impl<P: Permission + 'static> FromRequest for Authorized<P> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let user = authenticated.await?;
            user.require(P::NAME)?;
            Ok(Authorized {
                claims: user.claims,
                permission: PhantomData,
            })
        })
    }
}
