//! A person at a browser, and the protocol around them: a cookie-keeping
//! client that follows no redirect, authorization requests (PKCE), the walk
//! authorize → login → consent → code, the token, revocation,
//! introspection and userinfo endpoints, and JWTs read back.

use std::{sync::Arc, time::Duration};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use reqwest::{Response, StatusCode, cookie::CookieStore, header};
use serde_json::Value;
use url::Url;

use super::{PASSWORD, REDIRECT_URI, TestApp, form_value};

pub const STATE: &str = "st-8d1f";
pub const NONCE: &str = "n-0S6_WzA2Mj";
pub const SESSION_COOKIE: &str = "gatehouse_session";
pub const CSRF_COOKIE: &str = "gatehouse_csrf";

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

    /// The `Cookie` header the browser would send to the server.
    pub fn cookies(&self, app: &TestApp) -> String {
        let url = Url::parse(&app.address).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
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

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

/// A `Browser` is a `reqwest::Client` wherever one is asked for.
impl std::ops::Deref for Browser {
    type Target = reqwest::Client;
    fn deref(&self) -> &reqwest::Client {
        &self.client
    }
}

/// A browser of its own as a plain client (cookies kept, no redirect
/// followed); `Browser` when the test reads its cookies.
pub fn browser() -> reqwest::Client {
    Browser::new().client
}

// ---------------------------------------------------------------- people

/// One answer, read in full.
#[derive(Debug)]
pub struct Page {
    pub what: String,
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub html: String,
}

impl Page {
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: expected {status}, got {}:\n{}",
            self.what,
            self.status,
            self.html
        );
        self
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The `Location` of a 303, as sent (a path for the server's own pages).
    #[track_caller]
    pub fn location(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "{}: not a 303:\n{}",
            self.what,
            self.html
        );
        let location = self.header("location");
        assert!(!location.is_empty(), "{}: 303 without Location", self.what);
        location
    }

    /// The page's text with the common HTML escapes undone.
    pub fn text(&self) -> String {
        unescape(&self.html)
    }

    /// The message of `<p class="error" role="alert">`, if any.
    pub fn error(&self) -> Option<String> {
        between(&self.html, "<p class=\"error\" role=\"alert\">", "</p>").map(|s| unescape(&s))
    }

    /// The message of `<p class="notice" role="status">`, if any.
    pub fn notice(&self) -> Option<String> {
        between(&self.html, "<p class=\"notice\" role=\"status\">", "</p>").map(|s| unescape(&s))
    }

    /// The value of the input `name` (the first one).
    pub fn value(&self, name: &str) -> Option<String> {
        form_value(&self.html, name).map(|v| unescape(&v))
    }
}

/// The text between `start` and the next `end`.
pub fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let at = html.find(start)? + start.len();
    let stop = at + html[at..].find(end)?;
    Some(html[at..stop].to_owned())
}

pub fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|end| *end <= 8).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A person with a browser of their own at `app`: a cookie jar, no
/// redirects followed, pages read in full, and (once signed in) the CSRF
/// token of their forms.
pub struct Person<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl<'a> Person<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Self { app, client, jar }
    }

    /// A person who signed in as `username` (with `PASSWORD`) through the
    /// console's login (`/admin/users` → login → back), whatever their
    /// permissions.
    pub async fn signed_in(app: &'a TestApp, username: &str) -> Self {
        let person = Self::new(app);
        person.sign_in(username, "/admin/users").await;
        person
    }

    /// Signs in from `page`: the redirect to the login page, the form with
    /// `return_to`, and the redirect back to `page`.
    pub async fn sign_in(&self, username: &str, page: &str) {
        let back = self.log_in(page, username, PASSWORD).await;
        assert_eq!(back.location(), page, "signing in as {username}");
    }

    /// Opens `page` signed out, follows it to the login form (which must
    /// carry `return_to`) and submits `username` and `password`: the answer.
    pub async fn log_in(&self, page: &str, username: &str, password: &str) -> Page {
        let login = self.get(page).await.location();
        let expected = format!(
            "/login?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", page)
                .finish()
        );
        assert_eq!(login, expected, "GET {page} while signed out");
        let form = self.get(&login).await;
        form.expect(200);
        assert_eq!(form.value("return_to").as_deref(), Some(page), "{form:?}");
        let csrf = form.value("csrf_token").expect("login csrf_token");
        self.post(
            "/login",
            &[
                ("return_to", page),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = Url::parse(&self.app.address).unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().unwrap().split("; ").find_map(|pair| {
            pair.strip_prefix(&format!("{name}="))
                .map(str::to_owned)
                .filter(|v| !v.is_empty())
        })
    }

    /// The `Cookie` header this browser would send to the server.
    pub fn cookies(&self) -> String {
        let url = Url::parse(&self.app.address).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The token every console form of this browser carries (the value of
    /// its CSRF cookie, which the server echoes into the forms).
    pub fn csrf(&self) -> String {
        self.cookie(CSRF_COOKIE).expect("no CSRF cookie yet")
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(self.app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        read(format!("GET {path}"), response).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(self.app.url(path))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        read(format!("POST {path}"), response).await
    }

    /// A console form submitted as the page would: with this browser's
    /// CSRF token and `fields`.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }
}

async fn read(what: String, response: reqwest::Response) -> Page {
    let status = response.status();
    let headers = response.headers().clone();
    let html = response.text().await.unwrap_or_default();
    Page {
        what,
        status,
        headers,
        html,
    }
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
    /// `/login/second-factor?request=ID`
    SecondFactor(String),
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
    pub fn second_factor(self) -> String {
        match self {
            Next::SecondFactor(id) => id,
            other => panic!("expected the second-factor page, got {other:?}"),
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
        (true, "/login/second-factor") => Next::SecondFactor(param(&url, "request").unwrap()),
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
            Next::SecondFactor(_) => panic!("{username} was asked for a second factor"),
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

/// `/authorize?response_type=code&client_id=…&redirect_uri=REDIRECT_URI&
/// scope=…&state=STATE&nonce=NONCE` plus `extra`.
pub fn authorize_url(
    app: &TestApp,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let request = extra.iter().fold(
        AuthRequest::new(client_id).set("scope", scope),
        |r, (n, v)| r.add(n, v),
    );
    request.url(app)
}

/// The code of a successful callback to `REDIRECT_URI` (checks `STATE`
/// and `iss`).
#[track_caller]
pub fn callback_code(app: &TestApp, callback: &Url) -> String {
    code_from(app, callback, &AuthRequest::new(""))
}

/// `prompt=none` for `client_id` in `browser`: the callback URL.
pub async fn prompt_none(app: &TestApp, browser: &reqwest::Client, client_id: &str) -> Url {
    let url = authorize_url(app, client_id, "openid", &[("prompt", "none")]);
    let response = get(browser, &url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
    let callback = location(app, &response);
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    callback
}

/// Asserts that `browser` has no live session for `client_id`.
pub async fn assert_signed_out(app: &TestApp, browser: &reqwest::Client, client_id: &str) {
    let callback = prompt_none(app, browser, client_id).await;
    assert_eq!(
        param(&callback, "error").as_deref(),
        Some("login_required"),
        "{callback}"
    );
}

/// Asserts that `browser` still has a live session for `client_id`.
pub async fn assert_signed_in(app: &TestApp, browser: &reqwest::Client, client_id: &str) {
    let callback = prompt_none(app, browser, client_id).await;
    assert!(param(&callback, "code").is_some(), "{callback}");
}

/// How a client authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    Public(&'a str),
    None,
}

pub type ClientAuth<'a> = Auth<'a>;

/// `POST path` with `form` and the client's credentials.
pub async fn post_as(app: &TestApp, path: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Response {
    post_at(&app.url(path), auth, form).await
}

/// `POST /token` with `form` and the client's credentials.
pub async fn token_request(app: &TestApp, auth: Auth<'_>, form: &[(&str, &str)]) -> Response {
    post_as(app, "/token", auth, form).await
}

/// `POST` to a token endpoint URL (for tasks that cannot hold the app).
pub async fn token_request_at(url: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Response {
    post_at(url, auth, form).await
}

async fn post_at(url: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Response {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = reqwest::Client::new().post(url);
    match auth {
        Auth::Basic(id, secret) => {
            // RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
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
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// The code grant with `REDIRECT_URI` and an optional verifier.
pub async fn redeem(app: &TestApp, auth: Auth<'_>, code: &str, verifier: Option<&str>) -> Response {
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
    pub fn access_token(&self) -> &str {
        &self.access_token
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

impl Tokens {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.json.get(name)
    }
}

impl std::fmt::Display for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.json.fmt(f)
    }
}

impl std::ops::Index<&str> for Tokens {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        &self.json[name]
    }
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

/// `assert_oauth_error` for `/token`, which also says `no-store`.
pub async fn assert_token_error(response: Response, status: StatusCode, error: &str) -> Value {
    let cache = header_of(&response, header::CACHE_CONTROL);
    let json = assert_oauth_error(response, status, error).await;
    assert_eq!(cache, "no-store");
    json
}

/// Signs `username` in at `client_id` in `browser` with `scope` and
/// redeems the code with `auth`.
pub async fn tokens_in(
    app: &TestApp,
    browser: &reqwest::Client,
    auth: Auth<'_>,
    client_id: &str,
    scope: &str,
    username: &str,
) -> Tokens {
    let url = authorize_url(app, client_id, scope, &[]);
    let callback = sign_in_at(app, browser, &url, username).await;
    let code = callback_code(app, &callback);
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
/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
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
