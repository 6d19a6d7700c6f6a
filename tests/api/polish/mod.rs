//! Issue 18's small points: honest wording for a spent code (5), warnings
//! for refused requests (7), pages that say where to go (8), static files
//! compiled in (9), messages that read as sentences (12), and a protocol
//! surface that promises only what it keeps (15). `served` runs the real
//! `gatehouse serve` binary, for what only a separate process shows.

mod code_exchange;
mod logs;
mod pages;
pub mod served;
mod static_files;
mod surface;
mod wording;

use reqwest::{StatusCode, header};
use url::Url;

use crate::helpers::{TestApp, form_value};

pub use crate::helpers::browser::{browser, param};
pub use crate::helpers::{PASSWORD, REDIRECT_URI};

/// A confidential first-party client (no consent page); returns its secret.
pub fn add_client(app: &TestApp, client_id: &str) -> String {
    let bye = "http://127.0.0.1:3000/bye";
    app.add_client(
        client_id,
        &["--post-logout-redirect-uri", bye, "--skip-consent"],
    )
}

fn location(base: &str, response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("{}: no Location", response.status()))
        .to_str()
        .unwrap();
    Url::parse(base).unwrap().join(value).unwrap()
}

/// `/authorize` with `params` (client_id, redirect_uri, … as given), then
/// the login form as `username`: where the browser is sent at the end.
pub async fn sign_in(
    base: &str,
    browser: &reqwest::Client,
    params: &[(&str, &str)],
    username: &str,
) -> Url {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let response = browser
        .get(format!("{base}/authorize?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let login = location(base, &response);
    if login.path() != "/login" {
        return login;
    }
    let html = browser
        .get(login.as_str())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form_value(&html, "csrf_token").expect("login form without csrf_token");
    let request = param(&login, "request").unwrap();
    let response = browser
        .post(format!("{base}/login"))
        .form(&[
            ("request", request.as_str()),
            ("csrf_token", &csrf),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(base, &response)
}

/// A code for `client_id` (alice signs in); `extra` adds parameters.
pub async fn code(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
    ];
    params.extend_from_slice(extra);
    let callback = sign_in(&app.address, &browser(), &params, "alice").await;
    param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"))
}

/// `POST /token` with HTTP Basic client authentication: status and JSON.
pub async fn token(
    base: &str,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/token"))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}
