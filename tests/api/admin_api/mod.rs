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

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

pub use crate::helpers::browser::{self, Auth, AuthRequest, Next, Pkce, browser, param};
pub use crate::helpers::{ADMIN_API, PASSWORD, REDIRECT_URI, TestApp};

pub const API: &str = "/admin/api/v1";
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
    let flags = ["--grant", "client_credentials", "--resource", ADMIN_API];
    let secret = app.add_client(client_id, &flags);
    for role in roles {
        app.grant_client_role(client_id, role);
    }
    secret
}

/// The first-party client `CONSOLE`: authorization code + refresh, default
/// audience `gatehouse-admin`, no consent page. Returns its secret.
pub fn add_console(app: &TestApp) -> String {
    app.add_client(
        CONSOLE,
        &[
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
    browser::token_request(app, Auth::Basic(client_id, secret), form).await
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
    browser::jwt_parts(jwt).1
}

/// The header of a JWT.
pub fn jwt_header(jwt: &str) -> Value {
    browser::jwt_parts(jwt).0
}

// ---------------------------------------------------------------- sign-in

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
    let scope = "openid offline_access";
    sign_in_for(app, browser, console_secret, username, password, scope).await
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
    let pkce = Pkce::new();
    let request = AuthRequest::new(CONSOLE)
        .set("scope", scope)
        .set("state", "st-admin")
        .remove("nonce")
        .pkce(&pkce);
    let mut step = browser::start(app, browser, &request).await;
    if let Next::Login(id) = step {
        let answer = browser::submit_login(app, browser, &id, username, password).await;
        if answer.status() != StatusCode::SEE_OTHER {
            return Err(answer.status());
        }
        step = browser::next(app, answer).await;
    }
    // A token for the admin API is always consented to, whatever the
    // client's `--skip-consent` says.
    let consented = browser::submit_consent(app, browser, &step.consent(), "allow").await;
    let callback = browser::next(app, consented).await.client();
    let code = browser::code_from(app, &callback, &request);
    let auth = Auth::Basic(CONSOLE, console_secret);
    let redeemed = browser::redeem(app, auth, &code, Some(&pkce.verifier)).await;
    Ok(browser::token_ok(redeemed).await.json)
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
    let request = AuthRequest::new(CONSOLE)
        .set("prompt", "none")
        .remove("state")
        .remove("nonce")
        .pkce(&Pkce::new());
    let callback = browser::start(app, browser, &request).await.client();
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
