//! The admin console, `/admin` (issue 6), over plain HTTP: who may see it
//! (signed out → login and back, signed in without permissions → 403),
//! CSRF on every form, and each page's changes with their audit events.
//! This file holds the kit: people with their own cookie jars, users and
//! roles made straight in the database, page and form helpers, audit
//! look-ups. The browser walk-through is `browser::console`.

#![allow(dead_code)] // Each test file uses a different part of the kit.

mod access;
mod audit_log;
mod client_page;
mod csrf;
mod directory;
mod ended_sign_ins;
mod grants;
mod keys;
mod landing;
mod privilege;
mod users;

use std::sync::Arc;

use gatehouse::{
    accounts::{AccountError, roles, users as accounts},
    administration::{self, Actor, OPERATOR},
    db::{self, DbConnection, audit::AuditRow},
    secret::Secret,
};
use reqwest::{StatusCode, cookie::CookieStore, header};
use url::Url;

use crate::helpers::{TestApp, form_value};

pub const PASSWORD: &str = "correct horse battery";
pub const ADMIN_API: &str = "gatehouse-admin";
pub const CSRF_COOKIE: &str = "gatehouse_csrf";
pub const SESSION_COOKIE: &str = "gatehouse_session";
/// The client tests sign users in through to get refresh tokens.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";

/// Every console page a GET can reach (`/admin/users/root` needs `root`).
pub const PAGES: [&str; 6] = [
    "/admin/users",
    "/admin/users/root",
    "/admin/clients",
    "/admin/roles",
    "/admin/keys",
    "/admin/audit",
];

// ---------------------------------------------------------------- set-up

/// A user made straight in the database (cheap hashing), holding `roles`;
/// returns the `sub`.
pub fn add_user(app: &TestApp, username: &str, roles: &[&str]) -> String {
    let new = accounts::NewUser {
        username: username.to_owned(),
        email: Some(format!("{username}@example.com")),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        ..accounts::NewUser::default()
    };
    let password = Secret::new(PASSWORD.to_owned());
    let row = accounts::prepare_user(&new, Some(&password), &app.state.passwords, now(app))
        .unwrap_or_else(|e| panic!("user {username}: {e}"));
    let id = row.id.clone();
    app.db(move |conn| Ok(accounts::insert_user(conn, &row, &new.roles)))
        .unwrap_or_else(|e| panic!("user {username}: {e}"));
    id
}

/// The administrator every test works as: `root`, role `admin`.
pub fn add_root(app: &TestApp) -> String {
    add_user(app, "root", &["admin"])
}

/// A role holding exactly `permissions` on `gatehouse-admin`.
pub fn add_admin_role(app: &TestApp, role: &str, permissions: &[&str]) {
    let (role, permissions): (String, Vec<String>) = (
        role.to_owned(),
        permissions.iter().map(|p| (*p).to_owned()).collect(),
    );
    let now = now(app);
    app.db(move |conn| {
        Ok(roles::create(conn, &role, "", now).and_then(|_| {
            permissions.iter().try_for_each(|p| {
                administration::directory::allow(conn, &Actor::Operator, &role, ADMIN_API, p, now)
            })
        }))
    })
    .unwrap_or_else(|e| panic!("role: {e}"));
}

pub fn now(app: &TestApp) -> i64 {
    use gatehouse::clock::Clock;
    app.clock.now()
}

pub fn find_user(app: &TestApp, username: &str) -> Option<db::users::UserRow> {
    let username = username.to_owned();
    app.db(move |conn| db::users::find_by_username(conn, &username))
}

pub fn role_names(app: &TestApp, username: &str) -> Vec<String> {
    let id = find_user(app, username)
        .unwrap_or_else(|| panic!("no user {username}"))
        .id;
    app.db(move |conn| db::users::role_names(conn, &id))
}

/// Audit events whose kind starts with `prefix`, newest first.
pub fn audit(app: &TestApp, prefix: &str) -> Vec<AuditRow> {
    let prefix = prefix.to_owned();
    app.db(move |conn| db::audit::recent(conn, Some(&prefix), 1000))
}

/// Administrative changes made by anyone but the command line (which the
/// tests use for set-up): what a refused console form must not leave.
pub fn console_changes(app: &TestApp) -> Vec<AuditRow> {
    audit(app, "admin.")
        .into_iter()
        .filter(|e| e.actor.as_deref() != Some(OPERATOR))
        .collect()
}

/// A set-up change made as the command-line operator, straight through
/// `gatehouse::administration` (audited with actor `cli`).
pub fn operate<T>(
    app: &TestApp,
    change: impl FnOnce(&mut DbConnection, &Actor, i64) -> Result<T, AccountError>,
) -> T {
    let now = now(app);
    app.db(|conn| Ok(change(conn, &Actor::Operator, now)))
        .unwrap_or_else(|e| panic!("set-up: {e}"))
}

/// The one audit event of `kind`; asserts its actor.
#[track_caller]
pub fn audited_once(app: &TestApp, kind: &str, actor: &str) -> AuditRow {
    let events: Vec<AuditRow> = audit(app, kind)
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect();
    assert_eq!(events.len(), 1, "{kind}: {events:#?}");
    let event = events.into_iter().next().unwrap();
    assert_eq!(event.actor.as_deref(), Some(actor), "{event:#?}");
    event
}

/// A confidential client via the command line; returns its secret.
pub fn add_client(app: &TestApp, client_id: &str, extra: &[&str]) -> String {
    let mut args = vec!["client", "add", client_id];
    args.extend_from_slice(extra);
    let out = app.cli(&args, None);
    out.ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed: {out}"))
        .trim()
        .to_owned()
}

/// A web application that signs people in at `REDIRECT_URI`, may refresh,
/// and skips consent; returns its secret.
pub fn add_refreshing_client(app: &TestApp, client_id: &str) -> String {
    add_client(
        app,
        client_id,
        &[
            "--redirect-uri",
            REDIRECT_URI,
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--skip-consent",
        ],
    )
}

// ---------------------------------------------------------------- pages

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

/// A person with a browser of their own: a cookie jar, no redirects
/// followed, and (once signed in) the CSRF token of their forms.
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

    /// A person who signed in as `username` through the console's login
    /// (`/admin/users` → login → back), whatever their permissions.
    pub async fn signed_in(app: &'a TestApp, username: &str) -> Self {
        let person = Self::new(app);
        person.sign_in(username, "/admin/users").await;
        person
    }

    /// Signs in from `page`: the redirect to the login page, the form with
    /// `return_to`, and the redirect back to `page`.
    pub async fn sign_in(&self, username: &str, page: &str) {
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
        let back = self
            .post(
                "/login",
                &[
                    ("return_to", page),
                    ("csrf_token", &csrf),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(back.location(), page, "signing in as {username}");
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

// ---------------------------------------------------------------- sign-in

/// Signs `username` in at `client_id` (a confidential client redirecting
/// to `REDIRECT_URI` that skips consent) and redeems the code with
/// `secret`; returns the token response.
pub async fn tokens_for(
    app: &TestApp,
    username: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> serde_json::Value {
    let person = Person::new(app);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", "st-1")
        .finish();
    let login = person.get(&format!("/authorize?{query}")).await.location();
    assert!(login.starts_with("/login?request="), "{login}");
    let form = person.get(&login).await;
    form.expect(200);
    let request = form.value("request").expect("request id");
    let csrf = form.value("csrf_token").expect("csrf_token");
    let callback = person
        .post(
            "/login",
            &[
                ("request", &request),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await
        .location();
    let callback = Url::parse(&callback).unwrap();
    assert!(
        callback.as_str().starts_with(REDIRECT_URI),
        "sign-in did not reach the client: {callback}"
    );
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code: {callback}"));
    let response = token(
        app,
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(response.0, 200, "{}", response.1);
    response.1
}

/// `POST /token` as `client_id` (Basic auth): status and JSON body.
pub async fn token(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}
