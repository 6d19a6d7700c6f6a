//! OIDC Back-Channel Logout 1.0: when a session ends, each client that got
//! a code or a refresh token in it receives a signed logout token at its
//! `backchannel_logout_uri`, from a background worker that retries with
//! exponential backoff (in the server's clock) and never holds up the
//! person logging out.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
    time::{Duration, Instant},
};

use gatehouse::clock::Clock;
use gatehouse::db::backchannel::DeliveryRow;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use super::flow::{
    self, Auth, Browser, OFFLINE, assert_signed_out, jwt_parts, location, wait_until,
};
use crate::helpers::TestApp;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

// ---------------------------------------------------------------- receiver

/// One POST a receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    logout_token: Option<String>,
}

/// A relying party's back-channel endpoint: answers every request with
/// `status` (0: holds the connection open without answering).
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, status)
    }

    /// Listens on a port chosen earlier (a receiver that comes up late).
    async fn start_on(port: u16, status: u16) -> Self {
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let listener = TcpListener::bind(address).await.unwrap();
        Self::serve(listener, status)
    }

    fn serve(listener: TcpListener, status: u16) -> Self {
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(status));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (status.clone(), received.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(handle(stream, s.clone(), r.clone()));
            }
        });
        Self {
            port,
            status,
            received,
            task,
        }
    }

    fn uri(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    mut stream: TcpStream,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut content_length = 0;
    let mut content_type = String::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < content_length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let logout_token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, v)| v.into_owned());
    assert!(request_line.starts_with("POST "), "{request_line}");
    received.lock().unwrap().push(Received {
        path,
        content_type,
        logout_token,
    });
    let code = status.load(Ordering::SeqCst);
    if code == 0 {
        tokio::time::sleep(Duration::from_secs(120)).await;
        return;
    }
    let response = format!(
        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A port nobody listens on (for now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------- helpers

fn deliveries(app: &TestApp, sid: &str) -> Vec<DeliveryRow> {
    let sid = sid.to_owned();
    let mut rows = app.db(move |conn| gatehouse::db::backchannel::for_session(conn, &sid));
    rows.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    rows
}

/// Signs alice in at `client` in `browser` and redeems the code.
async fn sign_in(
    app: &TestApp,
    browser: &Browser,
    client: &str,
    secret: &str,
    scope: &str,
) -> flow::Tokens {
    flow::tokens_in(
        app,
        browser,
        Auth::Basic(client, secret),
        client,
        scope,
        "alice",
    )
    .await
}

/// Logs out with a valid hint (no confirmation); asserts the 303.
async fn log_out(app: &TestApp, browser: &Browser, id_token: &str) -> Duration {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", flow::POST_LOGOUT_URI)
        .finish();
    let started = Instant::now();
    let response = browser.get(&app.url(&format!("/logout?{query}"))).await;
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "logout");
    assert!(
        location(app, &response)
            .as_str()
            .starts_with(flow::POST_LOGOUT_URI)
    );
    took
}

fn add_bc_client(app: &TestApp, id: &str, uri: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--skip-consent",
        "--post-logout-redirect-uri",
        flow::POST_LOGOUT_URI,
        "--backchannel-logout-uri",
        uri,
    ];
    args.extend_from_slice(extra);
    app.add_client(id, &args)
}

/// Verifies a logout token against the JWKS and checks every rule of
/// §2.4 of the spec; returns its claims.
async fn check_logout_token(
    app: &TestApp,
    token: &str,
    client: &str,
    sub: &str,
    sid: &str,
) -> Value {
    let (header, raw) = jwt_parts(token);
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    assert!(header["kid"].is_string(), "{header}");
    let claims = flow::verify_with_jwks(app, token).await;
    assert_eq!(claims, raw);
    assert_eq!(claims["iss"], app.issuer.as_str(), "{claims}");
    assert_eq!(claims["aud"], client, "{claims}");
    assert_eq!(claims["sub"], sub, "{claims}");
    assert_eq!(claims["sid"], sid, "{claims}");
    assert_eq!(claims["events"], json!({ EVENT: {} }), "{claims}");
    assert!(
        claims.get("nonce").is_none(),
        "a logout token has no nonce: {claims}"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat && exp <= iat + 120, "{claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    claims
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn every_client_of_the_session_gets_a_signed_logout_token() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(200).await;
    let sub = app.add_user("alice", &[]);
    let one = add_bc_client(&app, "one", &receiver.uri("/bc/one"), &[]);
    // This one signs its ID tokens (and so its logout tokens) with ES256,
    // and gets a refresh token.
    let two = add_bc_client(
        &app,
        "two",
        &receiver.uri("/bc/two"),
        &[
            "--id-token-alg",
            "ES256",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
        ],
    );
    let quiet = app.add_client("quiet", &["--skip-consent"]);
    let elsewhere = add_bc_client(&app, "elsewhere", &receiver.uri("/bc/elsewhere"), &[]);

    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "one", &one, "openid").await;
    sign_in(&app, &browser, "two", &two, OFFLINE).await;
    sign_in(&app, &browser, "quiet", &quiet, "openid").await;
    // Another session of alice's, at another client: not this logout's.
    sign_in(&app, &Browser::new(), "elsewhere", &elsewhere, "openid").await;
    let (_, id_claims) = jwt_parts(tokens.id_token());
    let sid = id_claims["sid"].as_str().unwrap().to_owned();

    log_out(&app, &browser, tokens.id_token()).await;
    wait_until(10, "two logout tokens", || receiver.count() >= 2).await;
    wait_until(10, "both deliveries recorded", || {
        deliveries(&app, &sid)
            .iter()
            .all(|d| d.delivered_at.is_some())
    })
    .await;
    // Give a wrong third delivery a chance to show up.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut received = receiver.received();
    received.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/bc/one", "/bc/two"]);

    let mut jtis = Vec::new();
    for (got, client, alg) in [
        (&received[0], "one", "RS256"),
        (&received[1], "two", "ES256"),
    ] {
        assert!(
            got.content_type
                .starts_with("application/x-www-form-urlencoded"),
            "{got:?}"
        );
        let token = got
            .logout_token
            .as_deref()
            .unwrap_or_else(|| panic!("{got:?}"));
        let (header, _) = jwt_parts(token);
        assert_eq!(header["alg"], alg, "{client}: {header}");
        let claims = check_logout_token(&app, token, client, &sub, &sid).await;
        assert_eq!(
            claims["iat"],
            app.clock.now(),
            "iat is the server's now: {claims}"
        );
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1]);

    let rows = deliveries(&app, &sid);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!(row.attempts, 1, "{row:?}");
        assert_eq!(row.failed_at, None, "{row:?}");
        assert_eq!(row.sub, sub);
    }
    assert_signed_out(&app, &browser, "one").await;
}

#[tokio::test]
async fn the_logout_response_never_waits_for_delivery() {
    let app = TestApp::spawn_with(|s| s.backchannel.timeout_secs = 30).await;
    let receiver = Receiver::start(0).await; // takes the request, never answers
    app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &receiver.uri("/bc"), &[]);
    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "web", &secret, "openid").await;
    let (_, claims) = jwt_parts(tokens.id_token());
    let sid = claims["sid"].as_str().unwrap().to_owned();

    let took = log_out(&app, &browser, tokens.id_token()).await;
    assert!(took < Duration::from_secs(3), "logout took {took:?}");
    wait_until(10, "the delivery attempt", || receiver.count() == 1).await;
    // The receiver holds it; the session is over regardless.
    assert_signed_out(&app, &browser, "web").await;
    let rows = deliveries(&app, &sid);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].delivered_at, None, "{rows:?}");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff_and_fresh_tokens() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(500).await;
    let sub = app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &receiver.uri("/bc"), &[]);
    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "web", &secret, "openid").await;
    let (_, claims) = jwt_parts(tokens.id_token());
    let sid = claims["sid"].as_str().unwrap().to_owned();

    log_out(&app, &browser, tokens.id_token()).await;
    let attempts = |n: i32| {
        let (app, sid) = (&app, sid.clone());
        move || {
            deliveries(app, &sid)
                .first()
                .is_some_and(|d| d.attempts >= n)
        }
    };
    wait_until(10, "the first attempt", attempts(1)).await;
    let row = deliveries(&app, &sid).remove(0);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.delivered_at, None);
    assert_eq!(row.failed_at, None);
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("500")),
        "{row:?}"
    );
    let now = app.clock.now();
    assert_eq!(row.next_attempt_at, now + 2, "attempt 1 waits 2 s: {row:?}");

    // Real time passes, the server's does not: no retry.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(receiver.count(), 1, "retried before its time");

    app.clock.advance(2);
    wait_until(10, "the second attempt", attempts(2)).await;
    let row = deliveries(&app, &sid).remove(0);
    assert_eq!(
        row.next_attempt_at,
        app.clock.now() + 4,
        "attempt 2 waits 4 s: {row:?}"
    );

    receiver.set_status(200);
    app.clock.advance(3);
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(receiver.count(), 2, "retried before its time");
    app.clock.advance(1);
    wait_until(10, "the delivery", || {
        deliveries(&app, &sid)[0].delivered_at.is_some()
    })
    .await;
    let row = deliveries(&app, &sid).remove(0);
    assert_eq!(row.attempts, 3, "{row:?}");
    assert_eq!(row.delivered_at, Some(app.clock.now()));

    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let mut jtis = Vec::new();
    for got in &received {
        let token = got.logout_token.as_deref().unwrap();
        let claims = check_logout_token(&app, token, "web", &sub, &sid).await;
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    jtis.sort();
    jtis.dedup();
    assert_eq!(jtis.len(), 3, "each attempt needs a fresh logout token");
}

#[tokio::test]
async fn a_receiver_that_comes_up_late_still_gets_the_token() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let sub = app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &format!("http://127.0.0.1:{port}/bc"), &[]);
    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "web", &secret, "openid").await;
    let (_, claims) = jwt_parts(tokens.id_token());
    let sid = claims["sid"].as_str().unwrap().to_owned();

    log_out(&app, &browser, tokens.id_token()).await;
    let first_failure = {
        let (app, sid) = (&app, sid.clone());
        move || {
            deliveries(app, &sid)
                .first()
                .is_some_and(|d| d.attempts >= 1)
        }
    };
    wait_until(10, "the first (failed) attempt", first_failure).await;
    let row = deliveries(&app, &sid).remove(0);
    assert!(row.last_error.is_some(), "{row:?}");
    assert_eq!(row.delivered_at, None);

    let receiver = Receiver::start_on(port, 200).await;
    app.clock.advance(2);
    wait_until(10, "the late delivery", || receiver.count() == 1).await;
    wait_until(10, "the delivery recorded", || {
        deliveries(&app, &sid)[0].delivered_at.is_some()
    })
    .await;
    let token = receiver.received()[0].logout_token.clone().unwrap();
    check_logout_token(&app, &token, "web", &sub, &sid).await;
    assert_eq!(deliveries(&app, &sid)[0].attempts, 2);
}

#[tokio::test]
async fn deliveries_give_up_after_max_attempts() {
    let app = TestApp::spawn_with(|s| s.backchannel.max_attempts = 2).await;
    let receiver = Receiver::start(503).await;
    app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &receiver.uri("/bc"), &[]);
    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "web", &secret, "openid").await;
    let (_, claims) = jwt_parts(tokens.id_token());
    let sid = claims["sid"].as_str().unwrap().to_owned();

    log_out(&app, &browser, tokens.id_token()).await;
    wait_until(10, "the first attempt", || receiver.count() == 1).await;
    app.clock.advance(2);
    wait_until(10, "the failure recorded", || {
        deliveries(&app, &sid)[0].failed_at.is_some()
    })
    .await;
    let row = deliveries(&app, &sid).remove(0);
    assert_eq!(row.attempts, 2, "{row:?}");
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("503")),
        "{row:?}"
    );
    assert_eq!(row.delivered_at, None);

    receiver.set_status(200);
    app.clock.advance(3_600);
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(receiver.count(), 2, "a given-up delivery was tried again");
}

#[tokio::test]
async fn a_client_known_only_by_its_code_is_still_told_after_housekeeping() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(200).await;
    app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &receiver.uri("/bc"), &[]);
    let browser = Browser::new();
    let tokens = sign_in(&app, &browser, "web", &secret, "openid").await;

    // An hour on, the session is alive; the code that tied it to the client
    // is long expired, and the sweep has run.
    app.clock.advance(3_600);
    gatehouse::housekeeping::sweep(&app.state).await.unwrap();
    let (cookie_hash, now) = (
        flow::token_hash(&browser.session(&app).unwrap()),
        app.clock.now(),
    );
    let live = app.db(move |conn| gatehouse::db::sessions::find_live(conn, &cookie_hash, now));
    assert!(live.is_some(), "the session should still be alive");

    log_out(&app, &browser, tokens.id_token()).await;
    wait_until(10, "the logout token", || receiver.count() == 1).await;
}

#[tokio::test]
async fn a_logout_with_confirmation_notifies_too() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(200).await;
    app.add_user("alice", &[]);
    let secret = add_bc_client(&app, "web", &receiver.uri("/bc"), &[]);
    let browser = Browser::new();
    sign_in(&app, &browser, "web", &secret, "openid").await;

    let page = browser.get(&app.url("/logout")).await;
    let html = page.text().await.unwrap();
    let csrf = crate::helpers::form_value(&html, "csrf_token").unwrap();
    let response = browser
        .post_form(
            &app.url("/logout"),
            &[("csrf_token", &csrf), ("decision", "logout")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    wait_until(10, "the logout token", || receiver.count() == 1).await;
    assert_eq!(receiver.received()[0].path, "/bc");
}
