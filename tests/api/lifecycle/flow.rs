//! The pieces every lifecycle test needs: users and clients, a browser that
//! keeps cookies and follows no redirect, the sign-in flow (authorize →
//! login → consent → code → tokens), and small wrappers for `/token`,
//! `/revoke`, `/introspect` and `/userinfo`.

#![allow(dead_code)] // Each test file uses a different part of the kit.

use std::{sync::Arc, time::Duration};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use gatehouse::clock::{Clock, SystemClock};
use reqwest::{Response, StatusCode, cookie::CookieStore, header};
use serde_json::Value;
use url::Url;

use crate::helpers::{TestApp, form_value};

pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";
pub const POST_LOGOUT_URI: &str = "http://127.0.0.1:3000/bye";
pub const STATE: &str = "st-5a9c";
pub const NONCE: &str = "n-7Qx2Lm";
pub const OFFLINE: &str = "openid offline_access profile email";
pub const SESSION_COOKIE: &str = "gatehouse_session";

// ---------------------------------------------------------------- set-up

/// `user add NAME --password-stdin`; returns the user's `sub`.
pub fn add_user(app: &TestApp, username: &str) -> String {
    let out = app.cli(
        &["user", "add", username, "--password-stdin"],
        Some(PASSWORD),
    );
    let stdout = out.ok();
    let start = stdout
        .find("(sub ")
        .unwrap_or_else(|| panic!("no sub printed: {out}"))
        + "(sub ".len();
    let end = start + stdout[start..].find(')').unwrap();
    stdout[start..end].to_owned()
}

/// A confidential client redirecting to `REDIRECT_URI`; returns its secret.
pub fn add_client(app: &TestApp, client_id: &str, extra: &[&str]) -> String {
    let mut args = vec!["client", "add", client_id, "--redirect-uri", REDIRECT_URI];
    args.extend_from_slice(extra);
    let out = app.cli(&args, None);
    out.ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed: {out}"))
        .trim()
        .to_owned()
}

/// A confidential client allowed to refresh; returns its secret.
pub fn add_refreshing_client(app: &TestApp, client_id: &str, extra: &[&str]) -> String {
    let mut args = vec!["--grant", "authorization_code", "--grant", "refresh_token"];
    args.extend_from_slice(extra);
    add_client(app, client_id, &args)
}

/// A public client redirecting to `REDIRECT_URI`.
pub fn add_public_client(app: &TestApp, client_id: &str, extra: &[&str]) {
    let mut args = vec![
        "client",
        "add",
        client_id,
        "--public",
        "--redirect-uri",
        REDIRECT_URI,
    ];
    args.extend_from_slice(extra);
    app.cli(&args, None).ok();
}

/// Moves the server's clock up to the real time: the `gatehouse` command
/// line stamps rows with the real clock, the test server's clock stands
/// still unless told.
pub fn catch_up(app: &TestApp) {
    let (real, server) = (SystemClock.now(), app.clock.now());
    if real > server {
        app.clock.advance(real - server);
    }
}

/// Makes the server re-read the signing keys now (it does so every 30 s).
pub fn refresh_keys(app: &TestApp) {
    let now = app.clock.now();
    let keys = app.state.keys.clone();
    app.db(move |conn| Ok(keys.refresh(conn, now)))
        .unwrap_or_else(|e| panic!("key refresh failed: {e}"));
}

// ---------------------------------------------------------------- browser

/// A browser of its own: a cookie jar we can read, no redirect followed.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self { client, jar }
    }

    /// The value of cookie `name` the browser would send to the server.
    pub fn cookie(&self, app: &TestApp, name: &str) -> Option<String> {
        let url = Url::parse(&app.address).unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            pair.strip_prefix(&format!("{name}="))
                .map(str::to_owned)
                .filter(|v| !v.is_empty())
        })
    }

    pub fn session(&self, app: &TestApp) -> Option<String> {
        self.cookie(app, SESSION_COOKIE)
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(url)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }
}

/// The `Location` of a response, resolved against the server's address.
#[track_caller]
pub fn location(app: &TestApp, response: &Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("{} {}: no Location", response.status(), response.url()))
        .to_str()
        .unwrap();
    Url::parse(&app.address).unwrap().join(value).unwrap()
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

pub fn header_of(response: &Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- sign-in

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        Self {
            verifier,
            challenge,
        }
    }
}

/// `/authorize?response_type=code&client_id=…&redirect_uri=REDIRECT_URI&
/// scope=…&state=STATE&nonce=NONCE` plus `extra`.
pub fn authorize_url(
    app: &TestApp,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", STATE)
        .append_pair("nonce", NONCE);
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    app.url(&format!("/authorize?{}", query.finish()))
}

/// Where a 303 of the flow leads.
#[derive(Debug)]
enum Step {
    Login(String),
    Consent(String),
    Client(Url),
}

async fn step(app: &TestApp, response: Response) -> Step {
    let status = response.status();
    if status != StatusCode::SEE_OTHER {
        let url = response.url().clone();
        let body = response.text().await.unwrap_or_default();
        panic!("{url}: expected 303, got {status}:\n{body}");
    }
    let url = location(app, &response);
    let own = url.as_str().starts_with(&format!("{}/", app.address));
    match (own, url.path()) {
        (true, "/login") => Step::Login(param(&url, "request").unwrap()),
        (true, "/consent") => Step::Consent(param(&url, "request").unwrap()),
        _ => Step::Client(url),
    }
}

/// The page at `url`; asserts 200 and returns `(csrf_token, html)`.
async fn form_page(browser: &Browser, url: &str) -> (String, String) {
    let response = browser.get(url).await;
    let status = response.status();
    let html = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{url}:\n{html}");
    let csrf = form_value(&html, "csrf_token").unwrap_or_else(|| panic!("no csrf_token:\n{html}"));
    (csrf, html)
}

/// Walks from `GET authorize_url` to the client: logs in as `username`
/// when asked, allows consent when asked. Returns the callback URL.
pub async fn sign_in_at(
    app: &TestApp,
    browser: &Browser,
    authorize_url: &str,
    username: &str,
) -> Url {
    let mut next = step(app, browser.get(authorize_url).await).await;
    for _ in 0..4 {
        next = match next {
            Step::Login(request) => {
                let (csrf, html) =
                    form_page(browser, &app.url(&format!("/login?request={request}"))).await;
                assert_eq!(
                    form_value(&html, "request").as_deref(),
                    Some(request.as_str())
                );
                let response = browser
                    .post_form(
                        &app.url("/login"),
                        &[
                            ("request", &request),
                            ("csrf_token", &csrf),
                            ("username", username),
                            ("password", PASSWORD),
                        ],
                    )
                    .await;
                step(app, response).await
            }
            Step::Consent(request) => {
                let (csrf, _) =
                    form_page(browser, &app.url(&format!("/consent?request={request}"))).await;
                let response = browser
                    .post_form(
                        &app.url("/consent"),
                        &[
                            ("request", &request),
                            ("csrf_token", &csrf),
                            ("decision", "allow"),
                        ],
                    )
                    .await;
                step(app, response).await
            }
            Step::Client(url) => return url,
        };
    }
    panic!("the flow did not reach the client: {next:?}");
}

/// The code of a successful callback (checks `state` and `iss`).
#[track_caller]
pub fn code_from(app: &TestApp, callback: &Url) -> String {
    assert!(
        callback.as_str().starts_with(REDIRECT_URI),
        "{callback} is not at {REDIRECT_URI}"
    );
    assert_eq!(param(callback, "error"), None, "{callback}");
    assert_eq!(
        param(callback, "state").as_deref(),
        Some(STATE),
        "{callback}"
    );
    assert_eq!(param(callback, "iss").as_deref(), Some(app.issuer.as_str()));
    param(callback, "code").unwrap_or_else(|| panic!("no code: {callback}"))
}

/// `prompt=none` for `client_id` in `browser`: the callback URL.
pub async fn prompt_none(app: &TestApp, browser: &Browser, client_id: &str) -> Url {
    let url = authorize_url(app, client_id, "openid", &[("prompt", "none")]);
    let response = browser.get(&url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
    let callback = location(app, &response);
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    callback
}

/// Asserts that `browser` has no live session for `client_id`.
pub async fn assert_signed_out(app: &TestApp, browser: &Browser, client_id: &str) {
    let callback = prompt_none(app, browser, client_id).await;
    assert_eq!(
        param(&callback, "error").as_deref(),
        Some("login_required"),
        "{callback}"
    );
}

/// Asserts that `browser` still has a live session for `client_id`.
pub async fn assert_signed_in(app: &TestApp, browser: &Browser, client_id: &str) {
    let callback = prompt_none(app, browser, client_id).await;
    assert!(param(&callback, "code").is_some(), "{callback}");
}

// ---------------------------------------------------------------- tokens

/// How a client authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    Public(&'a str),
    None,
}

/// `POST path` with `form` and the client's credentials.
pub async fn post_as(app: &TestApp, path: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Response {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = reqwest::Client::new().post(app.url(path));
    match auth {
        Auth::Basic(id, secret) => {
            let credentials = STANDARD.encode(format!("{id}:{secret}"));
            request = request.header(header::AUTHORIZATION, format!("Basic {credentials}"));
        }
        Auth::Post(id, secret) => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        Auth::Public(id) => form.push(("client_id", id)),
        Auth::None => {}
    }
    request
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// What a token response carried.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: String,
    pub json: Value,
}

impl Tokens {
    fn from_json(json: Value) -> Self {
        let text = |name: &str| json[name].as_str().map(str::to_owned);
        Self {
            access_token: text("access_token").unwrap_or_else(|| panic!("{json}")),
            id_token: text("id_token"),
            refresh_token: text("refresh_token"),
            scope: text("scope").unwrap_or_default(),
            json,
        }
    }

    #[track_caller]
    pub fn refresh_token(&self) -> &str {
        self.refresh_token
            .as_deref()
            .unwrap_or_else(|| panic!("no refresh_token: {}", self.json))
    }

    #[track_caller]
    pub fn id_token(&self) -> &str {
        self.id_token
            .as_deref()
            .unwrap_or_else(|| panic!("no id_token: {}", self.json))
    }
}

/// A 200 token response.
pub async fn token_ok(response: Response) -> Tokens {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "token response: {body}");
    Tokens::from_json(serde_json::from_str(&body).unwrap())
}

/// An RFC 6749 §5.2 error with `status` and `error`; returns the body.
pub async fn assert_oauth_error(response: Response, status: StatusCode, error: &str) -> Value {
    let got = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    let json: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(json["error"], error, "{json}");
    json
}

/// Redeems `code` (with an optional PKCE verifier).
pub async fn redeem(app: &TestApp, auth: Auth<'_>, code: &str, verifier: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    post_as(app, "/token", auth, &form).await
}

/// Signs `username` in at `client_id` in `browser` with `scope` and
/// redeems the code with `auth`.
pub async fn tokens_in(
    app: &TestApp,
    browser: &Browser,
    auth: Auth<'_>,
    client_id: &str,
    scope: &str,
    username: &str,
) -> Tokens {
    let url = authorize_url(app, client_id, scope, &[]);
    let callback = sign_in_at(app, browser, &url, username).await;
    let code = code_from(app, &callback);
    token_ok(redeem(app, auth, &code, None).await).await
}

/// `grant_type=refresh_token` with `extra` parameters (such as `scope`).
pub async fn refresh(
    app: &TestApp,
    auth: Auth<'_>,
    refresh_token: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    form.extend_from_slice(extra);
    post_as(app, "/token", auth, &form).await
}

/// `POST /introspect`; asserts 200 and returns the JSON.
pub async fn introspect(app: &TestApp, auth: Auth<'_>, token: &str) -> Value {
    let response = post_as(app, "/introspect", auth, &[("token", token)]).await;
    let status = response.status();
    let cache = header_of(&response, header::CACHE_CONTROL);
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "introspection: {body}");
    assert_eq!(cache, "no-store");
    serde_json::from_str(&body).unwrap()
}

/// Whether the token introspects as active for `auth`.
pub async fn is_active(app: &TestApp, auth: Auth<'_>, token: &str) -> bool {
    let answer = introspect(app, auth, token).await;
    match answer["active"].as_bool() {
        Some(true) => true,
        Some(false) => {
            let object = answer.as_object().unwrap();
            assert_eq!(
                object.len(),
                1,
                "an inactive answer says nothing else: {answer}"
            );
            false
        }
        None => panic!("no active member: {answer}"),
    }
}

/// `POST /revoke` with an optional `token_type_hint`.
pub async fn revoke(app: &TestApp, auth: Auth<'_>, token: &str, hint: Option<&str>) -> Response {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    post_as(app, "/revoke", auth, &form).await
}

/// `GET /userinfo` with the token; the status.
pub async fn userinfo_status(app: &TestApp, access_token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A JWT's header and claims, unverified.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut decode = || -> Value {
        let part = parts.next().unwrap_or_else(|| panic!("not a JWT: {token}"));
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let header = decode();
    let claims = decode();
    (header, claims)
}

/// A JWT with its header replaced (the signature is kept, so it no longer
/// matches).
pub fn with_header(token: &str, header: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[0] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    parts.join(".")
}

/// Verifies a JWT's signature with the key of its `kid` in the published
/// JWKS (the way a relying party or resource server does); returns the
/// claims. Expiry is the caller's business (the server's clock is not the
/// library's).
pub async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    gatehouse::crypto::install_jwt_provider();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header
        .kid
        .clone()
        .unwrap_or_else(|| panic!("no kid: {token}"));
    let set: jsonwebtoken::jwk::JwkSet = app.get("/jwks.json").await.json().await.unwrap();
    let jwk = set
        .find(&kid)
        .unwrap_or_else(|| panic!("kid {kid} is not published"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[app.issuer.as_str()]);
    validation.set_required_spec_claims(&["iss"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("the signature does not verify against kid {kid}: {e}"))
        .claims
}

/// Waits (real time, polling) until `check` holds; panics after `secs`.
pub async fn wait_until(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Hash of an opaque token as the server stores it.
pub fn token_hash(token: &str) -> String {
    gatehouse::crypto::random::token_hash(token)
}
