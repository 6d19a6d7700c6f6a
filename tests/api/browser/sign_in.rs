//! A person signs in through a real browser: authorize → login → consent →
//! back at the client with a code, which the client exchanges for tokens.

use std::{
    io::{Read, Write},
    net::TcpListener,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

use super::{browser_available, screenshot_path, webdriver::Browser};
use crate::helpers::{PASSWORD, TestApp};

const USERNAME: &str = "alice";
const CLIENT_ID: &str = "web";
const CLIENT_NAME: &str = "Photo Album";
/// The whole redirect chain after a click, on a loaded machine.
const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The client application's end of the redirect: a loopback listener that
/// answers every request with `200 ok`, so the browser's last navigation
/// lands somewhere. Stops on drop.
struct ClientCallback {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ClientCallback {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the callback listener");
        let port = listener.local_addr().expect("callback address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (thread_stop, thread_requests) = (stop.clone(), requests.clone());
        std::thread::Builder::new()
            .name(format!("client-callback-{port}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if thread_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buffer = [0u8; 8192];
                    let read = stream.read(&mut buffer).unwrap_or(0);
                    let head = String::from_utf8_lossy(&buffer[..read]);
                    if let Some(line) = head.lines().next() {
                        thread_requests.lock().unwrap().push(line.to_owned());
                    }
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                          Content-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                }
            })
            .expect("start the callback thread");
        Self {
            port,
            stop,
            requests,
        }
    }

    fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/cb", self.port)
    }

    /// The request lines received so far (`GET /cb?code=… HTTP/1.1`).
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ClientCallback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocked `accept` so the thread sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A server with the user and a confidential client redirecting to
/// `callback`. Returns the client secret.
fn register(app: &TestApp, callback: &ClientCallback) -> String {
    app.add_user_with(gatehouse::accounts::users::NewUser {
        username: USERNAME.into(),
        email: Some("alice@example.com".into()),
        ..Default::default()
    });
    let redirect_uri = callback.redirect_uri();
    let flags = ["--name", CLIENT_NAME, "--redirect-uri", &redirect_uri];
    app.add_client(CLIENT_ID, &flags)
}

struct AuthorizeRequest {
    url: String,
    state: String,
    nonce: String,
    code_verifier: String,
}

fn authorize_request(app: &TestApp, redirect_uri: &str) -> AuthorizeRequest {
    let state = uuid::Uuid::new_v4().simple().to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    // 64 characters from the unreserved set (RFC 7636 allows 43–128).
    let code_verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, code_verifier.as_bytes());
    let code_challenge = URL_SAFE_NO_PAD.encode(digest.as_ref());
    let url = url::Url::parse_with_params(
        &app.url("/authorize"),
        [
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", "openid profile email"),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &code_challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .expect("authorize URL");
    AuthorizeRequest {
        url: url.into(),
        state,
        nonce,
        code_verifier,
    }
}

/// The value of `name` in `url`'s query, if present once or more.
fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The payload of a compact JWS, unverified (the signature is other tests'
/// business; here it shows which sign-in the token came from).
fn jwt_claims(token: &str) -> Value {
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_else(|e| panic!("JWT payload is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT payload is not JSON: {e}"))
}

#[tokio::test]
async fn a_person_signs_in_with_a_browser_and_the_client_gets_a_code() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let callback = ClientCallback::start();
    let client_secret = register(&app, &callback);
    let redirect_uri = callback.redirect_uri();
    let request = authorize_request(&app, &redirect_uri);
    let browser = Browser::start().await;

    // The login page, named after the client, styled by its stylesheet.
    browser.goto(&request.url).await;
    let username = browser.find("input[name=username]").await;
    let login_url = browser.current_url().await;
    assert!(
        login_url.starts_with(&app.url("/login")),
        "authorize led to {login_url}"
    );
    assert_eq!(browser.title().await, "Sign in · Gatehouse");
    let subtitle = browser.find("p.muted strong").await.text().await;
    assert_eq!(subtitle, CLIENT_NAME);
    // gatehouse.css loaded (CSP `style-src 'self'`): the button is the accent
    // colour, not the browser's grey default.
    let button = browser.find("button[type=submit]").await;
    assert_eq!(
        button.css_value("background-color").await,
        "rgba(47, 91, 211, 1)",
        "the stylesheet did not apply"
    );
    let login_png = screenshot_path("login.png");
    browser.screenshot_to(&login_png).await;
    println!("login page screenshot: {}", login_png.display());

    username.type_text(USERNAME).await;
    browser
        .find("input[name=password]")
        .await
        .type_text(PASSWORD)
        .await;
    button.click().await;

    // Consent: the requested scopes, for this client.
    let allow = browser.find("button[name=decision][value=allow]").await;
    let consent_url = browser.current_url().await;
    assert!(
        consent_url.starts_with(&app.url("/consent")),
        "login led to {consent_url}"
    );
    let heading = browser.find("h1").await.text().await;
    assert_eq!(heading, format!("Allow {CLIENT_NAME} to:"));
    let scopes = browser.find("ul.scopes").await.text().await;
    for scope in ["(openid)", "(profile)", "(email)"] {
        assert!(scopes.contains(scope), "consent lists {scopes:?}");
    }
    let consent_png = screenshot_path("consent.png");
    browser.screenshot_to(&consent_png).await;
    println!("consent page screenshot: {}", consent_png.display());
    allow.click().await;

    // Back at the client, with a code, the same state, and the issuer.
    let landed = browser
        .wait_for_url(|url| url.starts_with(&redirect_uri), NAVIGATION_TIMEOUT)
        .await;
    let landed = url::Url::parse(&landed).expect("final URL");
    let code = query_value(&landed, "code").unwrap_or_else(|| panic!("no code in {landed}"));
    assert!(code.len() >= 22, "a short code: {code:?}");
    assert_eq!(
        query_value(&landed, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(
        query_value(&landed, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
    assert!(query_value(&landed, "error").is_none(), "{landed}");
    assert!(
        callback
            .requests()
            .iter()
            .any(|line| line.starts_with("GET /cb?") && line.contains("code=")),
        "the client never received the redirect: {:?}",
        callback.requests()
    );
    drop(browser);

    // The client redeems the code (client_secret_basic + PKCE verifier).
    let response = app
        .client
        .post(app.url("/token"))
        .basic_auth(CLIENT_ID, Some(&client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", request.code_verifier.as_str()),
        ])
        .send()
        .await
        .expect("POST /token");
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("token response JSON");
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    let id_token = tokens["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no id_token: {tokens}"));
    let claims = jwt_claims(id_token);
    assert_eq!(claims["iss"], app.issuer.as_str(), "{claims}");
    assert_eq!(claims["aud"], CLIENT_ID, "{claims}");
    assert_eq!(claims["nonce"], request.nonce.as_str(), "{claims}");
    assert_eq!(claims["email"], "alice@example.com", "{claims}");
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_keeps_the_username() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let callback = ClientCallback::start();
    register(&app, &callback);
    let request = authorize_request(&app, &callback.redirect_uri());
    let browser = Browser::start().await;

    browser.goto(&request.url).await;
    browser
        .find("input[name=username]")
        .await
        .type_text(USERNAME)
        .await;
    browser
        .find("input[name=password]")
        .await
        .type_text("not the password")
        .await;
    browser.find("button[type=submit]").await.click().await;

    // The form again, with the error, on the login page: no redirect.
    let error = browser.find("p.error[role=alert]").await;
    assert_eq!(error.text().await, "Incorrect username or password.");
    let url = browser.current_url().await;
    assert!(url.starts_with(&app.url("/login")), "now at {url}");
    assert!(!url.contains("code="), "{url}");
    let username = browser.find("input[name=username]").await;
    assert_eq!(username.property("value").await.as_deref(), Some(USERNAME));
    let password = browser.find("input[name=password]").await;
    assert_eq!(password.property("value").await.as_deref(), Some(""));
    let png = screenshot_path("login-error.png");
    browser.screenshot_to(&png).await;
    println!("failed login screenshot: {}", png.display());
    assert!(
        callback.requests().is_empty(),
        "the client was called: {:?}",
        callback.requests()
    );
}
