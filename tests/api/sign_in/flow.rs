//! Small reusable pieces of the browser flow: register users and clients,
//! build authorization requests, walk authorize → login → consent → code
//! with a cookie-keeping client that follows no redirects, redeem codes.

#![allow(dead_code)] // Each test file uses a different part of the kit.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use reqwest::{Response, StatusCode, header};
use serde_json::Value;
use url::Url;

use crate::helpers::{TestApp, form_value};

pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";
pub const STATE: &str = "st-8d1f";
pub const NONCE: &str = "n-0S6_WzA2Mj";

/// A browser of its own: a cookie jar, and no redirect followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// `user add USERNAME --password-stdin EXTRA…`; returns the user's `sub`.
pub fn add_user(app: &TestApp, username: &str, extra: &[&str]) -> String {
    let mut args = vec!["user", "add", username, "--password-stdin"];
    args.extend_from_slice(extra);
    let out = app.cli(&args, Some(PASSWORD));
    let stdout = out.ok();
    let start = stdout
        .find("(sub ")
        .unwrap_or_else(|| panic!("no sub printed: {out}"))
        + "(sub ".len();
    let end = start + stdout[start..].find(')').unwrap();
    stdout[start..end].to_owned()
}

/// Alice, with an email address and a name.
pub fn add_alice(app: &TestApp) -> String {
    add_user(
        app,
        "alice",
        &["--email", "alice@example.com", "--name", "Alice Liddell"],
    )
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

/// A PKCE verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = s256(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// The parameters of one authorization request, in order.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub params: Vec<(String, String)>,
}

impl AuthRequest {
    /// `response_type=code`, this client, `REDIRECT_URI`, `scope=openid`,
    /// `STATE` and `NONCE`.
    pub fn new(client_id: &str) -> Self {
        Self {
            params: vec![
                ("response_type".into(), "code".into()),
                ("client_id".into(), client_id.into()),
                ("redirect_uri".into(), REDIRECT_URI.into()),
                ("scope".into(), "openid".into()),
                ("state".into(), STATE.into()),
                ("nonce".into(), NONCE.into()),
            ],
        }
    }

    /// Sets (replaces, or adds) a parameter.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(param) => param.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds a parameter even if one of that name exists.
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self
    }

    pub fn pkce(self, pkce: &Pkce) -> Self {
        self.set("code_challenge", &pkce.challenge)
            .set("code_challenge_method", "S256")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter())
            .finish()
    }

    pub fn url(&self, app: &TestApp) -> String {
        app.url(&format!("/authorize?{}", self.query()))
    }
}

/// The `Location` of a response, resolved against the server's address.
#[track_caller]
pub fn location(app: &TestApp, response: &Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| {
            panic!(
                "{} {}: no Location header",
                response.status(),
                response.url()
            )
        })
        .to_str()
        .unwrap();
    Url::parse(&app.address).unwrap().join(value).unwrap()
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Where a 303 from the flow sends the browser.
#[derive(Debug, Clone)]
pub enum Next {
    /// `/login?request=ID`
    Login(String),
    /// `/consent?request=ID`
    Consent(String),
    /// Back to the client with a code or an error.
    Client(Url),
}

impl Next {
    #[track_caller]
    pub fn login(self) -> String {
        match self {
            Next::Login(id) => id,
            other => panic!("expected the login page, got {other:?}"),
        }
    }

    #[track_caller]
    pub fn consent(self) -> String {
        match self {
            Next::Consent(id) => id,
            other => panic!("expected the consent page, got {other:?}"),
        }
    }

    #[track_caller]
    pub fn client(self) -> Url {
        match self {
            Next::Client(url) => url,
            other => panic!("expected a redirect to the client, got {other:?}"),
        }
    }
}

/// Classifies a 303 of the flow; panics on anything else.
pub async fn next(app: &TestApp, response: Response) -> Next {
    let status = response.status();
    if status != StatusCode::SEE_OTHER {
        let url = response.url().clone();
        let body = response.text().await.unwrap_or_default();
        panic!("{url}: expected 303, got {status}:\n{body}");
    }
    let url = location(app, &response);
    let own = url.as_str().starts_with(&format!("{}/", app.address));
    match (own, url.path()) {
        (true, "/login") => Next::Login(param(&url, "request").unwrap()),
        (true, "/consent") => Next::Consent(param(&url, "request").unwrap()),
        _ => Next::Client(url),
    }
}

pub async fn get(browser: &reqwest::Client, url: &str) -> Response {
    browser
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

pub async fn post_form(browser: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Response {
    browser
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// `GET /authorize` in `browser`.
pub async fn authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    request: &AuthRequest,
) -> Response {
    get(browser, &request.url(app)).await
}

/// `GET /authorize`, expecting a 303 of the flow.
pub async fn start(app: &TestApp, browser: &reqwest::Client, request: &AuthRequest) -> Next {
    next(app, authorize(app, browser, request).await).await
}

/// The login page's status and HTML.
pub async fn login_page(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
) -> (StatusCode, String) {
    let response = get(browser, &app.url(&format!("/login?request={request_id}"))).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Opens the login page, then submits it with these credentials.
pub async fn submit_login(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
    username: &str,
    password: &str,
) -> Response {
    let (status, html) = login_page(app, browser, request_id).await;
    assert_eq!(status, StatusCode::OK, "login page:\n{html}");
    let csrf = form_value(&html, "csrf_token").expect("login form without csrf_token");
    assert_eq!(
        form_value(&html, "request").as_deref(),
        Some(request_id),
        "{html}"
    );
    post_form(
        browser,
        &app.url("/login"),
        &[
            ("request", request_id),
            ("csrf_token", &csrf),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

/// Logs in with `PASSWORD`, expecting the flow to go on.
pub async fn login(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
    username: &str,
) -> Next {
    next(
        app,
        submit_login(app, browser, request_id, username, PASSWORD).await,
    )
    .await
}

/// The consent page's status and HTML.
pub async fn consent_page(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
) -> (StatusCode, String) {
    let response = get(browser, &app.url(&format!("/consent?request={request_id}"))).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Opens the consent page and answers `decision` (`allow` or `deny`).
pub async fn submit_consent(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
    decision: &str,
) -> Response {
    let (status, html) = consent_page(app, browser, request_id).await;
    assert_eq!(status, StatusCode::OK, "consent page:\n{html}");
    let csrf = form_value(&html, "csrf_token").expect("consent form without csrf_token");
    post_form(
        browser,
        &app.url("/consent"),
        &[
            ("request", request_id),
            ("csrf_token", &csrf),
            ("decision", decision),
        ],
    )
    .await
}

/// Follows the flow from `first` to the client: logs in as `username`
/// (with `PASSWORD`) and allows consent whenever asked.
pub async fn finish(app: &TestApp, browser: &reqwest::Client, first: Next, username: &str) -> Url {
    let mut step = first;
    for _ in 0..4 {
        step = match step {
            Next::Login(id) => login(app, browser, &id, username).await,
            Next::Consent(id) => next(app, submit_consent(app, browser, &id, "allow").await).await,
            Next::Client(url) => return url,
        };
    }
    panic!("the flow did not reach the client: {step:?}");
}

/// A whole sign-in from an authorization URL; returns the callback URL.
pub async fn sign_in_at(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    username: &str,
) -> Url {
    let first = next(app, get(browser, authorize_url).await).await;
    finish(app, browser, first, username).await
}

/// A whole sign-in; returns the callback URL.
pub async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    request: &AuthRequest,
    username: &str,
) -> Url {
    sign_in_at(app, browser, &request.url(app), username).await
}

/// A callback with a code: checks `state` (as sent) and `iss`, returns the code.
#[track_caller]
pub fn code_from(app: &TestApp, callback: &Url, request: &AuthRequest) -> String {
    let expected_base = request.get("redirect_uri").unwrap_or(REDIRECT_URI);
    assert!(
        callback.as_str().starts_with(expected_base),
        "{callback} is not at {expected_base}"
    );
    assert_eq!(param(callback, "error"), None, "{callback}");
    assert_eq!(
        param(callback, "state").as_deref(),
        request.get("state"),
        "{callback}"
    );
    assert_eq!(
        param(callback, "iss").as_deref(),
        Some(app.issuer.as_str()),
        "{callback}"
    );
    param(callback, "code").unwrap_or_else(|| panic!("no code: {callback}"))
}

/// A whole sign-in; returns the code.
pub async fn code_for(
    app: &TestApp,
    browser: &reqwest::Client,
    request: &AuthRequest,
    username: &str,
) -> String {
    let callback = sign_in(app, browser, request, username).await;
    code_from(app, &callback, request)
}

/// An error sent back to the client: checks the redirect URI, `error`,
/// `state` (as sent) and `iss`; returns `error_description`.
#[track_caller]
pub fn assert_error_redirect(
    app: &TestApp,
    callback: &Url,
    request: &AuthRequest,
    error: &str,
) -> String {
    let expected_base = request.get("redirect_uri").unwrap_or(REDIRECT_URI);
    assert!(
        callback.as_str().starts_with(expected_base),
        "{callback} is not at {expected_base}"
    );
    assert_eq!(
        param(callback, "error").as_deref(),
        Some(error),
        "{callback}"
    );
    assert_eq!(param(callback, "code"), None, "{callback}");
    assert_eq!(
        param(callback, "state").as_deref(),
        request.get("state"),
        "{callback}"
    );
    assert_eq!(
        param(callback, "iss").as_deref(),
        Some(app.issuer.as_str()),
        "{callback}"
    );
    param(callback, "error_description").unwrap_or_default()
}

/// An HTML error page with `status` and no `Location`; returns the body.
pub async fn assert_error_page(response: Response, status: StatusCode) -> String {
    let url = response.url().clone();
    assert_eq!(
        response.headers().get(header::LOCATION),
        None,
        "{url}: must not redirect"
    );
    assert_eq!(response.status(), status, "{url}");
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/html"),
        "{url}: {content_type}"
    );
    response.text().await.unwrap()
}

/// How a client authenticates at `/token`.
#[derive(Debug, Clone, Copy)]
pub enum ClientAuth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    Public(&'a str),
}

/// `POST /token` with `form` and the client's credentials.
pub async fn token_request(app: &TestApp, auth: ClientAuth<'_>, form: &[(&str, &str)]) -> Response {
    token_request_at(&app.url("/token"), auth, form).await
}

/// `POST` to a token endpoint URL (for tasks that cannot hold the app).
pub async fn token_request_at(
    token_url: &str,
    auth: ClientAuth<'_>,
    form: &[(&str, &str)],
) -> Response {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = reqwest::Client::new().post(token_url);
    match auth {
        ClientAuth::Basic(id, secret) => {
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
            request = request.header(header::AUTHORIZATION, format!("Basic {credentials}"));
        }
        ClientAuth::Post(id, secret) => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        ClientAuth::Public(id) => form.push(("client_id", id)),
    }
    request
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /token: {e}"))
}

/// The code grant with `REDIRECT_URI` and an optional verifier.
pub async fn redeem(
    app: &TestApp,
    auth: ClientAuth<'_>,
    code: &str,
    verifier: Option<&str>,
) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    token_request(app, auth, &form).await
}

/// A successful token response's JSON.
pub async fn token_ok(response: Response) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "token response: {body}");
    serde_json::from_str(&body).unwrap()
}

/// An RFC 6749 §5.2 error: status, `error`; returns the JSON body.
pub async fn assert_token_error(response: Response, status: StatusCode, error: &str) -> Value {
    let got = response.status();
    let cache = response.headers().get(header::CACHE_CONTROL).cloned();
    let body = response.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    let json: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(json["error"], error, "{json}");
    assert_eq!(
        cache.as_ref().map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    json
}

/// Registers alice and a confidential client `web`, signs alice in with
/// `scope` and redeems the code: the token response's JSON.
pub async fn tokens_for(app: &TestApp, secret: &str, scope: &str) -> Value {
    let request = AuthRequest::new("web").set("scope", scope);
    let code = code_for(app, &app.client, &request, "alice").await;
    token_ok(redeem(app, ClientAuth::Basic("web", secret), &code, None).await).await
}

/// A JWT's header and claims, unverified (signatures are checked by the
/// relying-party tests).
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

/// `GET /userinfo` with a Bearer token.
pub async fn userinfo(app: &TestApp, access_token: &str) -> Response {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

/// The value of a response header, or "".
pub fn header_of(response: &Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
