//! The admin API, `/admin/api/v1` (issue 6): JSON over Gatehouse's own
//! access tokens for `gatehouse-admin`. This file holds the shared kit:
//! service accounts and users with roles, tokens (client credentials and the
//! authorization code flow), a small JSON caller, and audit look-ups. Each
//! other file covers one family of routes; `access` covers who may call.

#![allow(dead_code)] // Each test file uses a different part of the kit.

mod access;
mod clients;
mod directory;
mod escalation;
mod keys_audit;
mod privilege;
mod users;

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use url::Url;

use crate::helpers::{TestApp, form_value};

pub const API: &str = "/admin/api/v1";
pub const ADMIN_API: &str = "gatehouse-admin";
pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";
/// The service account every test administers with (role `admin`).
pub const OPS: &str = "ops";
/// The first-party client users sign in through to get admin tokens.
pub const CONSOLE: &str = "console";

/// Every permission on `gatehouse-admin`.
pub const PERMISSIONS: [&str; 10] = [
    "users:read",
    "users:write",
    "roles:read",
    "roles:write",
    "clients:read",
    "clients:write",
    "keys:read",
    "keys:write",
    "audit:read",
    "sessions:write",
];

// ---------------------------------------------------------------- replies

/// One admin API answer, read in full.
#[derive(Debug)]
pub struct Reply {
    pub what: String,
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    /// The JSON body; `Null` when empty, a `String` when not JSON.
    pub body: Value,
}

impl Reply {
    /// Asserts `status` and returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: expected {status}, got {}: {}",
            self.what,
            self.status,
            self.body
        );
        &self.body
    }

    /// Asserts an error answer: `status`, a JSON body with the stable
    /// `error` code and a message, `Cache-Control: no-store`, and for 401
    /// a `WWW-Authenticate: Bearer` challenge.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> String {
        self.expect(status);
        assert_eq!(self.body["error"], code, "{}: {}", self.what, self.body);
        let message = self.body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no message: {}", self.what, self.body));
        assert!(!message.is_empty(), "{}: empty message", self.what);
        assert!(
            self.header("content-type").starts_with("application/json"),
            "{}: {:?}",
            self.what,
            self.headers
        );
        assert_eq!(self.header("cache-control"), "no-store", "{}", self.what);
        let challenge = self.header("www-authenticate");
        if status == 401 {
            assert!(
                challenge.starts_with("Bearer "),
                "{}: WWW-Authenticate {challenge:?}",
                self.what
            );
        } else {
            assert_eq!(challenge, "", "{}: unexpected challenge", self.what);
        }
        message.to_owned()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

/// `METHOD /admin/api/v1{path}` with `token` (if any) and a JSON `body`.
pub async fn send(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let what = format!("{method} {API}{path}");
    let mut request = app.client.request(method, app.url(&format!("{API}{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply {
        what,
        status,
        headers,
        body,
    }
}

/// A caller of the admin API holding one bearer token.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Api<'a> {
    pub fn new(app: &'a TestApp, token: impl Into<String>) -> Self {
        Self {
            app,
            token: token.into(),
        }
    }

    /// The service account `OPS` with role `admin`, and its token.
    pub async fn ops(app: &'a TestApp) -> Self {
        let secret = add_service_account(app, OPS, &["admin"]);
        Self::new(app, service_token(app, OPS, &secret).await)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        send(self.app, Some(&self.token), method, path, body).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(&body)).await
    }

    /// A POST without a body (disable, enable, unlock, rotate-secret).
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.call(Method::POST, path, None).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Reply {
        self.call(Method::PUT, path, body.as_ref()).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// The `sub` of this caller's token.
    pub fn sub(&self) -> String {
        claims(&self.token)["sub"].as_str().unwrap().to_owned()
    }

    /// Admin events (`kind` starting with `admin.`) made through the API,
    /// newest first; the set-up's command-line changes (actor `cli`) left out.
    pub async fn admin_events(&self) -> Vec<Value> {
        let reply = self.get("/audit?kind=admin.&limit=500").await;
        let events = reply.expect(200).as_array().unwrap().clone();
        for event in &events {
            assert!(
                event["kind"].as_str().unwrap().starts_with("admin."),
                "kind filter let through {event}"
            );
        }
        events
            .into_iter()
            .filter(|event| event["actor"] != gatehouse::administration::OPERATOR)
            .collect()
    }

    /// Asserts that exactly one `kind` event about `subject` exists, made by
    /// this caller; returns it.
    pub async fn audited(&self, kind: &str, subject: &str) -> Value {
        self.audited_times(kind, subject, 1).await.remove(0)
    }

    /// Asserts that `times` `kind` events about `subject` exist, all made
    /// by this caller from the loopback address; returns them.
    pub async fn audited_times(&self, kind: &str, subject: &str, times: usize) -> Vec<Value> {
        let events = self.admin_events().await;
        let matching: Vec<Value> = events
            .iter()
            .filter(|e| e["kind"] == kind && e["subject"] == subject)
            .cloned()
            .collect();
        assert_eq!(
            matching.len(),
            times,
            "expected {times} {kind} event(s) about {subject}; events:\n{}",
            serde_json::to_string_pretty(&events).unwrap()
        );
        for event in &matching {
            assert_eq!(event["actor"], self.sub(), "{kind}: wrong actor: {event}");
            assert_eq!(event["client_ip"], "127.0.0.1", "{event}");
        }
        matching
    }
}

// ---------------------------------------------------------------- set-up

/// A confidential client that may use `client_credentials` for
/// `gatehouse-admin`, holding `roles`; returns its secret.
pub fn add_service_account(app: &TestApp, client_id: &str, roles: &[&str]) -> String {
    let secret = add_client(
        app,
        &[
            client_id,
            "--grant",
            "client_credentials",
            "--resource",
            ADMIN_API,
        ],
    );
    for role in roles {
        app.cli(&["client", "grant-role", client_id, role], None)
            .ok();
    }
    secret
}

/// `client add ARGS…`; returns the printed secret.
pub fn add_client(app: &TestApp, args: &[&str]) -> String {
    let mut all = vec!["client", "add"];
    all.extend_from_slice(args);
    let out = app.cli(&all, None);
    out.ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed: {out}"))
        .trim()
        .to_owned()
}

/// A role holding exactly `permissions` on `gatehouse-admin`.
pub fn add_role(app: &TestApp, role: &str, permissions: &[&str]) {
    app.cli(&["role", "add", role], None).ok();
    for permission in permissions {
        app.cli(&["role", "allow", role, ADMIN_API, permission], None)
            .ok();
    }
}

/// `user add USERNAME --password-stdin [--role R]…`; returns the `sub`.
pub fn add_user(app: &TestApp, username: &str, roles: &[&str]) -> String {
    let mut args = vec!["user", "add", username, "--password-stdin"];
    for role in roles {
        args.extend_from_slice(&["--role", role]);
    }
    let out = app.cli(&args, Some(PASSWORD));
    let stdout = out.ok();
    let start = stdout
        .find("(sub ")
        .unwrap_or_else(|| panic!("no sub printed: {out}"))
        + "(sub ".len();
    let end = start + stdout[start..].find(')').unwrap();
    stdout[start..end].to_owned()
}

/// The first-party client `CONSOLE`: authorization code + refresh, default
/// audience `gatehouse-admin`, no consent page. Returns its secret.
pub fn add_console(app: &TestApp) -> String {
    add_client(
        app,
        &[
            CONSOLE,
            "--redirect-uri",
            REDIRECT_URI,
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--resource",
            ADMIN_API,
            "--skip-consent",
        ],
    )
}

// ---------------------------------------------------------------- tokens

/// `POST /token` as `client_id` (Basic auth) with `form`.
pub async fn token_request(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    // RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)));
    reqwest::Client::new()
        .post(app.url("/token"))
        .header(header::AUTHORIZATION, format!("Basic {credentials}"))
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /token: {e}"))
}

/// `grant_type=client_credentials` as `client_id`: the status and body.
pub async fn client_credentials(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    let response = token_request(app, client_id, secret, &form).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// A service account's access token (asserts success).
pub async fn service_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (status, body) = client_credentials(app, client_id, secret, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "client_credentials {client_id}: {body}"
    );
    body["access_token"].as_str().unwrap().to_owned()
}

/// The claims of a JWT, unverified.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The header of a JWT.
pub fn jwt_header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

// ---------------------------------------------------------------- sign-in

/// A browser: its own cookie jar, no redirect followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(app: &TestApp, response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("{}: no Location", response.url()))
        .to_str()
        .unwrap();
    Url::parse(&app.address).unwrap().join(value).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The authorization code flow at `CONSOLE` in `browser` (scope `openid
/// offline_access`, PKCE S256): the token response, or the status of the
/// login form's answer when it did not sign the user in.
pub async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    console_secret: &str,
    username: &str,
    password: &str,
) -> Result<Value, StatusCode> {
    sign_in_for(
        app,
        browser,
        console_secret,
        username,
        password,
        "openid offline_access",
    )
    .await
}

/// `sign_in` asking for `scope` (without `offline_access`: no refresh token).
pub async fn sign_in_for(
    app: &TestApp,
    browser: &reqwest::Client,
    console_secret: &str,
    username: &str,
    password: &str,
    scope: &str,
) -> Result<Value, StatusCode> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let mut authorize = Url::parse(&app.url("/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CONSOLE)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", "st-admin")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let response = browser.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{authorize}");
    let mut next = location(app, &response);
    if next.path() == "/login" {
        let request = param(&next, "request").unwrap();
        let page = browser.get(next.as_str()).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{next}");
        let html = page.text().await.unwrap();
        let csrf = form_value(&html, "csrf_token").unwrap_or_else(|| panic!("{html}"));
        assert_eq!(
            form_value(&html, "request").as_deref(),
            Some(request.as_str())
        );
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("request", request.as_str()),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        if response.status() != StatusCode::SEE_OTHER {
            return Err(response.status());
        }
        next = location(app, &response);
    }
    // A token for the admin API is always consented to, whatever the
    // client's `--skip-consent` says.
    assert_eq!(next.path(), "/consent", "{next}");
    next = approve_consent(app, browser, &next).await;
    assert!(next.as_str().starts_with(REDIRECT_URI), "{next}");
    assert_eq!(param(&next, "state").as_deref(), Some("st-admin"), "{next}");
    let code = param(&next, "code").unwrap_or_else(|| panic!("no code: {next}"));
    let response = token_request(
        app,
        CONSOLE,
        console_secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "code exchange: {body}");
    Ok(body)
}

/// Allows the consent page at `consent`; returns where it redirects.
pub async fn approve_consent(app: &TestApp, browser: &reqwest::Client, consent: &Url) -> Url {
    let page = browser.get(consent.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{consent}");
    let html = page.text().await.unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap_or_else(|| panic!("{html}"));
    let request = form_value(&html, "request").unwrap_or_else(|| panic!("{html}"));
    let response = browser
        .post(app.url("/consent"))
        .form(&[
            ("request", request.as_str()),
            ("csrf_token", &csrf),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "consent");
    location(app, &response)
}

/// An admin API token for `username` (who must be able to sign in).
pub async fn user_token(app: &TestApp, console_secret: &str, username: &str) -> String {
    let tokens = sign_in(app, &browser(), console_secret, username, PASSWORD)
        .await
        .unwrap_or_else(|status| panic!("{username} could not sign in: {status}"));
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// `grant_type=refresh_token` at `CONSOLE`: the status and body.
pub async fn refresh(
    app: &TestApp,
    console_secret: &str,
    refresh_token: &str,
) -> (StatusCode, Value) {
    let response = token_request(
        app,
        CONSOLE,
        console_secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// `/authorize?prompt=none` at `CONSOLE` in `browser`: the callback's
/// `error`, or `None` if the browser is still signed in. An admin-audience
/// request is never answered silently, so a live session shows as
/// `consent_required` and an ended one as `login_required`.
pub async fn prompt_none_error(app: &TestApp, browser: &reqwest::Client) -> Option<String> {
    let mut authorize = Url::parse(&app.url("/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CONSOLE)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("prompt", "none")
        .append_pair(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .append_pair("code_challenge_method", "S256");
    let response = browser.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{authorize}");
    let callback = location(app, &response);
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert!(
        param(&callback, "code").is_none(),
        "prompt=none minted an admin-audience code: {callback}"
    );
    Some(param(&callback, "error").unwrap_or_else(|| panic!("{callback}")))
        .filter(|error| error != "consent_required")
}

/// The user JSON body the tests create most often.
pub fn new_user(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "name": format!("User {username}"),
        "password": PASSWORD,
    })
}

/// For a path or query: API identifiers can be URLs.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A user view's roles, in the order the API lists them (by name).
pub fn roles_of(user: &Value) -> Vec<String> {
    user["roles"]
        .as_array()
        .unwrap_or_else(|| panic!("no roles: {user}"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}
