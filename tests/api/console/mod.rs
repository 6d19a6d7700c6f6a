//! The admin console, `/admin` (issue 6), over plain HTTP: who may see it
//! (signed out → login and back, signed in without permissions → 403),
//! CSRF on every form, and each page's changes with their audit events.
//! People, pages and set-up are the test kit's (`helpers`); this file adds
//! the console's pages and audit look-ups. The browser walk-through is
//! `browser::console`.

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

use gatehouse::{
    administration::OPERATOR,
    db::{self, audit::AuditRow},
};

pub use crate::helpers::browser::{
    Auth, Browser, CSRF_COOKIE, Page, Person, SESSION_COOKIE, between, unescape,
};
pub use crate::helpers::{ADMIN_API, PASSWORD, REDIRECT_URI, TestApp};

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

/// The administrator every test works as: `root`, role `admin`.
pub fn add_root(app: &TestApp) -> String {
    app.add_user("root", &["admin"])
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

/// Administrative changes made by anyone but the operator (whom the kit
/// seeds as): what a refused console form must not leave.
pub fn console_changes(app: &TestApp) -> Vec<AuditRow> {
    audit(app, "admin.")
        .into_iter()
        .filter(|e| e.actor.as_deref() != Some(OPERATOR))
        .collect()
}

/// The one console-made audit event of `kind` (set-up by the operator
/// aside); asserts its actor.
#[track_caller]
pub fn audited_once(app: &TestApp, kind: &str, actor: &str) -> AuditRow {
    let events: Vec<AuditRow> = console_changes(app)
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect();
    assert_eq!(events.len(), 1, "{kind}: {events:#?}");
    let event = events.into_iter().next().unwrap();
    assert_eq!(event.actor.as_deref(), Some(actor), "{event:#?}");
    event
}

/// A web application that signs people in at `REDIRECT_URI`, may refresh,
/// and skips consent; returns its secret.
pub fn add_refreshing_client(app: &TestApp, client_id: &str) -> String {
    app.add_client(
        client_id,
        &[
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--skip-consent",
        ],
    )
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
    let auth = Auth::Basic(client_id, secret);
    let browser = Browser::new();
    crate::helpers::browser::tokens_in(app, &browser, auth, client_id, scope, username)
        .await
        .json
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
