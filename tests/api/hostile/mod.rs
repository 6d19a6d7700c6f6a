//! The hostile-input corpus (issue 10): every endpoint gets malformed
//! input — oversized bodies and fields, invalid UTF-8, repeated parameters,
//! the wrong media type, redirect URI tricks, absurd methods and headers —
//! and must answer with an RFC error or a 4xx page, in time, never with a
//! 5xx, a dropped connection (a panic), or a redirect to a URI the client
//! did not register.
//!
//! Each table is one file and one test that walks its cases one after the
//! other over raw HTTP/1.1 (so bytes no HTTP client would send reach the
//! server), reporting every failing case at once. The tables hold a lock
//! while they walk, so that on a small machine no two of them compete and
//! the time bound stays meaningful. `parameter_bounds` holds the cases for
//! the length limits of protocol parameters (defects 2 and 7).
//!
//! `headers` and `metrics` prove defects 10 and 6.

#![allow(dead_code)] // Each table uses a different part of the kit.

mod admin;
mod authorize;
mod headers;
mod metrics;
mod nul_bytes;
mod pages;
mod parameter_bounds;
mod revoke_introspect;
mod token;
mod transport;
mod userinfo;

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use url::Url;

use crate::admin_api::add_service_account;
use crate::helpers::browser::{Auth, AuthRequest, Browser, Person, login_page, start, tokens_in};
/// The only redirect URI any client of the fixture registered.
pub use crate::helpers::{PASSWORD, REDIRECT_URI};
use crate::helpers::{TestApp, form_value};
/// How long one case may take, generously: the machine is shared.
pub const TIME_BOUND: Duration = Duration::from_secs(5);

/// One table at a time (see the module comment).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------- requests

/// A request as raw bytes: nothing is checked or normalised.
#[derive(Debug, Clone)]
pub struct Raw {
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn new(method: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Self {
        Self {
            method: method.as_ref().to_vec(),
            target: target.as_ref().to_vec(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(target: impl AsRef<[u8]>) -> Self {
        Self::new("GET", target)
    }

    pub fn post(target: impl AsRef<[u8]>) -> Self {
        Self::new("POST", target)
    }

    /// A POST with an `application/x-www-form-urlencoded` body.
    pub fn form(target: impl AsRef<[u8]>, body: impl AsRef<[u8]>) -> Self {
        Self::post(target)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// A POST with a JSON body.
    pub fn json(target: impl AsRef<[u8]>, body: &Value) -> Self {
        Self::post(target)
            .header("Content-Type", "application/json")
            .body(body.to_string())
    }

    pub fn method(mut self, method: impl AsRef<[u8]>) -> Self {
        self.method = method.as_ref().to_vec();
        self
    }

    pub fn header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.as_ref().to_vec(), value.as_ref().to_vec()));
        self
    }

    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = body.as_ref().to_vec();
        self
    }

    pub fn basic(self, id: &str, secret: &str) -> Self {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
        self.header("Authorization", format!("Basic {credentials}"))
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    pub fn cookie(self, cookies: impl AsRef<[u8]>) -> Self {
        self.header("Cookie", cookies)
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 512);
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\nConnection: close\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        let has_length = self.headers.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case(b"content-length")
                || name.eq_ignore_ascii_case(b"transfer-encoding")
        });
        if !has_length && (!self.body.is_empty() || self.method != b"GET") {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// A short description for failure reports (no megabytes of body).
    pub fn describe(&self) -> String {
        let clip = |bytes: &[u8], max: usize| {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
            if bytes.len() > max {
                format!("{text}…({} bytes)", bytes.len())
            } else {
                text
            }
        };
        format!(
            "{} {}{}",
            clip(&self.method, 40),
            clip(&self.target, 160),
            if self.body.is_empty() {
                String::new()
            } else {
                format!(" body {}", clip(&self.body, 120))
            }
        )
    }
}

/// An answer read off the wire.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default().to_owned()
    }
}

/// Sends `raw` on a fresh connection and reads the whole answer, within
/// `TIME_BOUND`.
pub async fn send(port: u16, raw: &Raw) -> Result<Answer, String> {
    match tokio::time::timeout(TIME_BOUND, exchange(port, raw)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no complete answer within {TIME_BOUND:?}")),
    }
}

async fn exchange(port: u16, raw: &Raw) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // The server may answer (413, 431) and close before reading it all:
    // a failed write is not a failure, a missing answer is.
    let _ = stream
        .write_all(&raw.bytes(&format!("127.0.0.1:{port}")))
        .await;
    let mut received = Vec::new();
    let read = stream.read_to_end(&mut received).await;
    if received.is_empty() {
        return Err(match read {
            Ok(_) => "the connection closed without an answer".into(),
            Err(e) => format!("the connection failed without an answer: {e}"),
        });
    }
    parse_answer(&received)
}

fn parse_answer(mut bytes: &[u8]) -> Result<Answer, String> {
    // Interim answers (`100 Continue`) come first; the final one follows.
    while bytes.starts_with(b"HTTP/1.1 1") {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("a truncated interim answer")?;
        bytes = &bytes[end + 4..];
    }
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {:?}", String::from_utf8_lossy(bytes)))?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk")?;
        let size_text = String::from_utf8_lossy(&bytes[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = bytes.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        bytes = bytes.get(size + 2..).ok_or("truncated chunk")?;
    }
}

// ---------------------------------------------------------------- expectations

/// What a case must get back, beyond the rules every case obeys.
#[derive(Debug, Clone)]
pub enum Expect {
    /// An RFC 6749 §5.2 JSON error with one of these codes (400, or 401 for
    /// `invalid_client`), `Cache-Control: no-store`.
    OAuth(&'static [&'static str]),
    /// An RFC 6750 answer: one of these statuses, `WWW-Authenticate: Bearer…`.
    Bearer(&'static [u16]),
    /// An HTML page with one of these (4xx) statuses.
    Page(&'static [u16]),
    /// An error sent back to the registered redirect URI with one of these
    /// codes.
    ErrorRedirect(&'static [&'static str]),
    /// A refused authorization request: an error page (400), or an error
    /// with one of these codes at the registered redirect URI.
    Refused(&'static [&'static str]),
    /// The admin API's JSON error with one of these statuses.
    Api(&'static [u16]),
    /// Exactly one of these statuses (for refusals below the application,
    /// e.g. 413, 431, 405, and for the few answers that must stay 2xx/3xx).
    Status(&'static [u16]),
    /// One of these statuses and no redirect at all.
    NoRedirect(&'static [u16]),
    /// One of these statuses, no redirect, and the body does not contain
    /// the marker (markup sent in must come back escaped, if at all).
    Unreflected(&'static [u16], &'static str),
    /// Anything but a 5xx (where ignoring the oddity is the right answer).
    Harmless,
}

/// One row of a table.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub raw: Raw,
    pub expect: Expect,
}

impl Case {
    pub fn new(name: impl Into<String>, raw: Raw, expect: Expect) -> Self {
        Self {
            name: name.into(),
            raw,
            expect,
        }
    }
}

/// Shorthand used by the tables.
pub fn case(name: impl Into<String>, raw: Raw, expect: Expect) -> Case {
    Case::new(name, raw, expect)
}

/// Checks one answer; `Err` says what is wrong.
pub fn check(app: &TestApp, case: &Case, answer: &Answer) -> Result<(), String> {
    let status = answer.status;
    let snippet = || {
        let text = answer.text();
        text.chars().take(300).collect::<String>()
    };
    if status >= 500 {
        return Err(format!("{status}: {}", snippet()));
    }
    if let Some(location) = answer.header("location")
        && !is_safe_location(app, location)
    {
        return Err(format!("{status} redirects to unregistered {location:?}"));
    }
    check_inner(app, &case.expect, answer)
}

fn check_inner(app: &TestApp, expect: &Expect, answer: &Answer) -> Result<(), String> {
    let status = answer.status;
    let snippet = || answer.text().chars().take(300).collect::<String>();
    let no_location = || match answer.header("location") {
        Some(location) => Err(format!("{status}: unexpected redirect to {location:?}")),
        None => Ok(()),
    };
    match expect {
        Expect::OAuth(codes) => {
            no_location()?;
            let json = answer
                .json()
                .ok_or_else(|| format!("{status}: not JSON: {}", snippet()))?;
            let code = json["error"].as_str().unwrap_or_default();
            if !codes.contains(&code) {
                return Err(format!(
                    "{status}: error {code:?}, expected one of {codes:?}"
                ));
            }
            let expected_status = if code == "invalid_client" { 401 } else { 400 };
            if status != expected_status {
                return Err(format!("{status} for {code}, expected {expected_status}"));
            }
            if answer.header("cache-control") != Some("no-store") {
                return Err(format!("{code} without Cache-Control: no-store"));
            }
            Ok(())
        }
        Expect::Bearer(statuses) => {
            no_location()?;
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            let challenge = answer.header("www-authenticate").unwrap_or_default();
            if !challenge.starts_with("Bearer") {
                return Err(format!("{status} with WWW-Authenticate {challenge:?}"));
            }
            Ok(())
        }
        Expect::Page(statuses) => {
            no_location()?;
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            if !answer.content_type().starts_with("text/html") {
                return Err(format!(
                    "{status} is {:?}, not a page",
                    answer.content_type()
                ));
            }
            Ok(())
        }
        Expect::ErrorRedirect(codes) => {
            let location = answer
                .header("location")
                .ok_or_else(|| format!("{status} without a redirect: {}", snippet()))?;
            let url = Url::parse(&app.address)
                .unwrap()
                .join(location)
                .map_err(|e| format!("{location}: {e}"))?;
            if !is_registered(&url) {
                return Err(format!(
                    "{status} to {location}, not an error at the client"
                ));
            }
            let error = url
                .query_pairs()
                .find(|(n, _)| n == "error")
                .map(|(_, v)| v.into_owned());
            if !error.as_deref().is_some_and(|e| codes.contains(&e)) {
                return Err(format!(
                    "{location}: error {error:?}, expected one of {codes:?}"
                ));
            }
            Ok(())
        }
        Expect::Refused(codes) => {
            if answer.header("location").is_some() {
                check_inner(app, &Expect::ErrorRedirect(codes), answer)
            } else {
                check_inner(app, &Expect::Page(&[400]), answer)
            }
        }
        Expect::Api(statuses) => {
            no_location()?;
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            let json = answer
                .json()
                .ok_or_else(|| format!("{status}: not JSON: {}", snippet()))?;
            if !json["error"].is_string() {
                return Err(format!("{status}: no error code: {json}"));
            }
            Ok(())
        }
        Expect::Status(statuses) => {
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            Ok(())
        }
        Expect::NoRedirect(statuses) => {
            no_location()?;
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            Ok(())
        }
        Expect::Unreflected(statuses, marker) => {
            no_location()?;
            if !statuses.contains(&status) {
                return Err(format!(
                    "{status}, expected one of {statuses:?}: {}",
                    snippet()
                ));
            }
            if answer.text().contains(marker) {
                return Err(format!("{status}: the body reflects {marker:?} unescaped"));
            }
            Ok(())
        }
        Expect::Harmless => Ok(()),
    }
}

/// Same origin (a path, or an absolute URL on the server), or the
/// registered redirect URI.
fn is_safe_location(app: &TestApp, location: &str) -> bool {
    if location.starts_with('/') {
        return !location.starts_with("//") && !location.starts_with("/\\");
    }
    match Url::parse(location) {
        Ok(url) => {
            url.origin() == Url::parse(&app.address).unwrap().origin() || is_registered(&url)
        }
        Err(_) => false,
    }
}

fn is_registered(url: &Url) -> bool {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.as_str() == REDIRECT_URI && url.username().is_empty() && url.password().is_none()
}

/// Walks `cases` one after the other, then checks that the server still
/// serves; panics listing every failure.
pub async fn run_table(fixture: &Fixture, table: &str, cases: Vec<Case>) {
    let _serial = SERIAL.lock().await;
    let app = &fixture.app;
    let mut failures = Vec::new();
    for case in &cases {
        let started = std::time::Instant::now();
        let outcome = match send(app.port, &case.raw).await {
            Ok(answer) => check(app, case, &answer),
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            failures.push(format!(
                "  {} [{}] ({} ms): {error}",
                case.name,
                case.raw.describe(),
                started.elapsed().as_millis()
            ));
        }
    }
    let health = send(app.port, &Raw::get("/healthz")).await;
    if !matches!(&health, Ok(answer) if answer.status == 200) {
        failures.push(format!("  the server stopped serving: {health:?}"));
    }
    assert!(
        failures.is_empty(),
        "{table}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("{table}: {} cases passed", cases.len());
}

// ---------------------------------------------------------------- fixture

/// A server with something to attack: alice, a confidential client `web`
/// (code, refresh, client credentials), a public client `spa`, an API
/// `school` with a permission, an administrator `root` signed in to the
/// console, a service account `ops` with role `admin`, and live tokens.
pub struct Fixture {
    pub app: TestApp,
    pub web_secret: String,
    pub ops_secret: String,
    /// An admin API token (`ops`, role `admin`).
    pub admin_token: String,
    /// alice's tokens from the code flow (`openid offline_access`).
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    /// The console's cookies for `root`: session and CSRF.
    pub console_cookies: String,
    pub console_csrf: String,
    /// A pending authorization request waiting at the login page, with the
    /// browser's cookies and CSRF token.
    pub pending_request: String,
    pub pending_cookies: String,
    pub pending_csrf: String,
}

impl Fixture {
    pub async fn new() -> Fixture {
        Self::with(TestApp::spawn().await).await
    }

    pub async fn with(app: TestApp) -> Fixture {
        app.add_user("alice", &[]);
        app.add_user("root", &["admin"]);
        let web_secret = app.add_client(
            "web",
            &[
                "--grant",
                "authorization_code",
                "--grant",
                "refresh_token",
                "--grant",
                "client_credentials",
            ],
        );
        app.add_client("spa", &["--public"]);
        app.add_api("school", &["grades:read"]);
        let ops_secret = add_service_account(&app, "ops", &["admin"]);
        let admin_token = client_credentials(&app, "ops", &ops_secret).await;

        let web = Auth::Basic("web", &web_secret);
        let scope = "openid profile offline_access";
        let tokens = tokens_in(&app, &Browser::new(), web, "web", scope, "alice").await;
        let root = Person::signed_in(&app, "root").await;
        let (console_cookies, console_csrf) = (root.cookies(), root.csrf());
        let pending = Browser::new();
        let waiting = AuthRequest::new("web").remove("state").remove("nonce");
        let pending_request = start(&app, &pending, &waiting).await.login();
        let (_, html) = login_page(&app, &pending, &pending_request).await;
        let pending_csrf = form_value(&html, "csrf_token").unwrap();
        let pending_cookies = pending.cookies(&app);
        Fixture {
            app,
            web_secret,
            ops_secret,
            admin_token,
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token().to_owned(),
            id_token: tokens.id_token().to_owned(),
            console_cookies,
            console_csrf,
            pending_request,
            pending_cookies,
            pending_csrf,
        }
    }
}

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> String {
    let raw = Raw::form("/token", "grant_type=client_credentials").basic(id, secret);
    let answer = send(app.port, &raw).await.unwrap();
    let json = answer.json().unwrap_or_default();
    assert_eq!(answer.status, 200, "client_credentials {id}: {json}");
    json["access_token"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------- inputs

/// `name=value&…`, every value form-encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A valid authorization request for `web`, as pairs.
pub fn authorize_pairs() -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st"),
        ("nonce", "nn"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect()
}

/// `authorize_pairs` with `name` replaced by `value` (or removed: `None`).
pub fn authorize_with(name: &str, value: Option<&str>) -> String {
    let mut pairs = authorize_pairs();
    pairs.retain(|(n, _)| n != name);
    if let Some(value) = value {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `count` copies of `token` joined by spaces.
pub fn many(token: &str, count: usize) -> String {
    vec![token; count].join(" ")
}

/// `n` bytes of `a`.
pub fn long(n: usize) -> String {
    "a".repeat(n)
}
