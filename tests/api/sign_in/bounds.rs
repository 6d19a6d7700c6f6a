//! Bounded input (issue 10, defects 2 and 7): an unauthenticated request
//! must not buy CPU, pool time or storage with its size. Over-long
//! parameters are refused before any database work, pending sign-ins are
//! capped per browser and per address, and the readiness probe keeps
//! answering while the worst requests arrive in parallel.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::flow::{
    AuthRequest, ClientAuth, Next, add_alice, assert_error_page, assert_token_error, browser,
    start, token_request,
};
use crate::helpers::{REDIRECT_URI, TestApp};

/// A 44 KB scope of 8,000 distinct tokens (under the 64 KiB body limit):
/// quadratic duplicate detection or a query per unknown scope made such a
/// scope cost seconds.
fn huge_scope() -> String {
    (0..8_000)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn over_long_parameters_get_the_rfc_error_at_the_token_endpoint() {
    let app = TestApp::spawn().await;
    let secret = app.add_client(
        "web",
        &["--grant", "authorization_code", "--grant", "refresh_token"],
    );
    let scope = huge_scope();
    let long_verifier = "v".repeat(129);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "a huge scope on refresh",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
                ("scope", &scope),
            ],
        ),
        (
            "a short code_verifier",
            vec![
                ("grant_type", "authorization_code"),
                ("code", "unknown"),
                ("code_verifier", "too-short"),
            ],
        ),
        (
            "a long code_verifier",
            vec![
                ("grant_type", "authorization_code"),
                ("code", "unknown"),
                ("code_verifier", &long_verifier),
            ],
        ),
    ];
    for (what, form) in cases {
        let started = Instant::now();
        let response = token_request(&app, ClientAuth::Basic("web", &secret), &form).await;
        let body = assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what} took {:?}",
            started.elapsed()
        );
        assert!(
            body["error_description"].as_str().unwrap().len() < 200,
            "{what}: the error echoes the input: {body}"
        );
    }
}

#[tokio::test]
async fn over_long_parameters_are_refused_at_authorize_without_storing_anything() {
    let app = TestApp::spawn().await;
    app.add_client("web", &[]);
    let browser = browser();
    // Over every bound, under the HTTP server's own limit on a request head.
    let long = "x".repeat(8 * 1024);
    for name in ["state", "nonce", "login_hint", "scope", "redirect_uri"] {
        let request = AuthRequest::new("web").set(name, &long);
        let started = Instant::now();
        let response = browser.get(request.url(&app)).send().await.unwrap();
        let page = assert_error_page(response, StatusCode::BAD_REQUEST).await;
        assert!(page.contains(name), "{name}: {page}");
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
    }
    let stored: i64 = app.db(|conn| {
        use diesel::prelude::*;
        use gatehouse::db::schema::authorization_requests;
        Ok(authorization_requests::table.count().get_result(conn)?)
    });
    assert_eq!(stored, 0, "an over-long request was stored");
}

#[tokio::test]
async fn a_browser_keeps_its_newest_pending_sign_ins() {
    let app = TestApp::spawn_with(|s| s.authorize.max_pending_per_browser = 3).await;
    app.add_client("web", &[]);
    add_alice(&app);
    let browser = browser();
    let mut requests = Vec::new();
    for _ in 0..5 {
        // One second apart, so "oldest" is well defined.
        app.clock.advance(1);
        requests.push(
            start(&app, &browser, &AuthRequest::new("web"))
                .await
                .login(),
        );
    }
    let live: i64 = app.db(|conn| {
        use diesel::prelude::*;
        use gatehouse::db::schema::authorization_requests;
        Ok(authorization_requests::table.count().get_result(conn)?)
    });
    assert_eq!(live, 3);
    // The two oldest gave way; the newest still works.
    let (status, _) = super::flow::login_page(&app, &browser, &requests[0]).await;
    assert_ne!(status, StatusCode::OK, "the oldest request survived");
    let (status, _) = super::flow::login_page(&app, &browser, &requests[4]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_address_past_its_limit_is_refused_until_requests_expire() {
    let app = TestApp::spawn_with(|s| s.authorize.max_pending_per_ip = 4).await;
    app.add_client("web", &[]);
    // A script that drops its cookies is a new browser every time.
    for _ in 0..4 {
        assert!(matches!(
            start(&app, &browser(), &AuthRequest::new("web")).await,
            Next::Login(_)
        ));
    }
    let response = browser()
        .get(AuthRequest::new("web").url(&app))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_error_page(response, StatusCode::TOO_MANY_REQUESTS).await;
    // Pending requests live 15 minutes.
    app.clock.advance(15 * 60 + 1);
    assert!(matches!(
        start(&app, &browser(), &AuthRequest::new("web")).await,
        Next::Login(_)
    ));
}

/// The review's denial of service: parallel worst-case requests held the
/// pool, and `/readyz` answered 503 for a minute. Now each is refused
/// before it reaches the database.
#[tokio::test]
async fn readiness_holds_under_parallel_worst_case_requests() {
    let app = TestApp::spawn().await;
    // With an API, every unknown scope could name one of its permissions.
    app.cli(&["api", "add", "school"], None).ok();
    let secret = app.add_client(
        "web",
        &[
            "--grant",
            "refresh_token",
            "--resource",
            "school",
            "--redirect-uri",
            REDIRECT_URI,
        ],
    );
    let scope = huge_scope();
    // As large as a request head may be: 3,000 distinct unknown scopes.
    let authorize_url = AuthRequest::new("web")
        .set("scope", &scope[..20 * 1024])
        .url(&app);
    let token_url = app.url("/token");
    let mut load = Vec::new();
    for i in 0..20 {
        let (scope, token_url, authorize_url, secret) = (
            scope.clone(),
            token_url.clone(),
            authorize_url.clone(),
            secret.clone(),
        );
        load.push(tokio::spawn(async move {
            for _ in 0..5 {
                let status = if i % 2 == 0 {
                    browser().get(&authorize_url).send().await.unwrap().status()
                } else {
                    super::flow::token_request_at(
                        &token_url,
                        ClientAuth::Basic("web", &secret),
                        &[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", "x"),
                            ("scope", &scope),
                        ],
                    )
                    .await
                    .status()
                };
                assert!(
                    status.is_client_error() || status.is_redirection(),
                    "{status}"
                );
            }
        }));
    }
    let probe = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    while load.iter().any(|task| !task.is_finished()) {
        let started = Instant::now();
        let status = probe
            .get(app.url("/readyz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for task in load {
        task.await.unwrap();
    }
    assert!(
        slowest < Duration::from_secs(1),
        "/readyz took {slowest:?} under load"
    );
}
