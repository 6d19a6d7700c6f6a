//! Defect 10: HSTS when the issuer is https, and `Cache-Control: no-store`
//! on `/setup`, error pages, every page with a token or a CSRF field, and
//! the admin API, while public documents keep their own caching.

use gatehouse::{accounts::setup::issue_token, clock::Clock};

use super::{Answer, Fixture, Raw, authorize_with, send};
use crate::helpers::TestApp;

const HSTS: &str = "max-age=31536000";

/// Requests of every kind: pages, JSON, errors, refusals below routing.
fn assorted() -> Vec<Raw> {
    vec![
        Raw::get("/healthz"),
        Raw::get("/jwks.json"),
        Raw::get("/.well-known/openid-configuration"),
        Raw::get("/no/such/page"),
        Raw::get("/authorize"),
        Raw::get("/login?return_to=/admin"),
        Raw::get("/admin/users"),
        Raw::get("/admin/api/v1/users"),
        Raw::json("/token", &serde_json::json!({})),
        Raw::get("/userinfo"),
        Raw::get("/static/gatehouse.css"),
        Raw::new("AN-ABSURDLY-LONG-METHOD", "/token"),
    ]
}

async fn answer(app: &TestApp, raw: &Raw) -> Answer {
    send(app.port, raw)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", raw.describe()))
}

#[tokio::test]
async fn every_response_carries_hsts_when_the_issuer_is_https() {
    let app = TestApp::spawn_with(|settings| {
        settings.server.issuer = settings.server.issuer.replacen("http://", "https://", 1);
    })
    .await;
    assert!(app.issuer.starts_with("https://"), "{}", app.issuer);
    for raw in assorted() {
        let answer = answer(&app, &raw).await;
        assert_eq!(
            answer.header("strict-transport-security"),
            Some(HSTS),
            "{} ({})",
            raw.describe(),
            answer.status
        );
    }
}

#[tokio::test]
async fn no_hsts_when_the_issuer_is_plain_http() {
    let app = TestApp::spawn().await;
    for raw in assorted() {
        let answer = answer(&app, &raw).await;
        assert_eq!(
            answer.header("strict-transport-security"),
            None,
            "{}",
            raw.describe()
        );
    }
}

#[track_caller]
fn assert_no_store(what: &str, answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text());
    assert_eq!(
        answer.header("cache-control"),
        Some("no-store"),
        "{what} ({})",
        answer.status
    );
}

#[tokio::test]
async fn the_setup_page_is_never_stored() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let token = app
        .db(|conn| Ok(issue_token(conn, now)))
        .unwrap()
        .expect("a fresh server issues a setup token")
        .into_inner();
    let form = answer(&app, &Raw::get(format!("/setup?token={token}"))).await;
    assert_no_store("the setup form", &form, 200);
    assert!(form.text().contains("csrf_token"), "{}", form.text());
    let refused = answer(&app, &Raw::get("/setup?token=nope")).await;
    assert_no_store("a refused setup link", &refused, 403);
    let no_csrf = answer(&app, &Raw::form("/setup", format!("token={token}"))).await;
    assert_no_store("a setup form without CSRF", &no_csrf, 403);
}

#[tokio::test]
async fn pages_with_tokens_csrf_fields_or_errors_are_never_stored() {
    let fx = Fixture::new().await;
    let app = &fx.app;
    let console = |path: &str| Raw::get(path).cookie(&fx.console_cookies);
    // root has not consented to `web`: the flow stops at the consent page.
    let started = answer(
        app,
        &console(&format!(
            "/authorize?{}",
            authorize_with("state", Some("s"))
        )),
    )
    .await;
    let consent = started
        .header("location")
        .filter(|l| l.starts_with("/consent?request="))
        .unwrap_or_else(|| panic!("expected the consent page: {:?}", started.headers))
        .to_owned();

    let pages = [
        ("an unknown path", Raw::get("/no/such/page"), 404),
        (
            "a rejected authorization request",
            Raw::get("/authorize"),
            400,
        ),
        (
            "a redirect URI trick",
            Raw::get(format!(
                "/authorize?{}",
                authorize_with("redirect_uri", Some("https://evil.example/"))
            )),
            400,
        ),
        (
            "an expired sign-in link",
            Raw::get("/login?request=nope"),
            400,
        ),
        (
            "a form without CSRF",
            Raw::form("/login", "username=x"),
            403,
        ),
        (
            "an unreadable form",
            Raw::form("/consent", "request=a&request=b"),
            400,
        ),
        (
            "the console sign-in page",
            Raw::get("/login?return_to=/admin"),
            200,
        ),
        (
            "the sign-in page of a request",
            Raw::get(format!("/login?request={}", fx.pending_request)).cookie(&fx.pending_cookies),
            200,
        ),
        ("the consent page", console(&consent), 200),
        ("the logout confirmation", Raw::get("/logout"), 200),
        ("a console page", console("/admin/users"), 200),
        ("a console user page", console("/admin/users/root"), 200),
        ("the console clients", console("/admin/clients"), 200),
        ("the console roles", console("/admin/roles"), 200),
        ("the console keys", console("/admin/keys"), 200),
        ("the console audit log", console("/admin/audit"), 200),
        ("a console 404", console("/admin/users/nobody"), 404),
        (
            "the admin API",
            Raw::get("/admin/api/v1/users").bearer(&fx.admin_token),
            200,
        ),
        (
            "the admin API's client list",
            Raw::get("/admin/api/v1/clients").bearer(&fx.admin_token),
            200,
        ),
    ];
    for (what, raw, status) in pages {
        assert_no_store(what, &answer(app, &raw).await, status);
    }

    // Public documents keep the caching they chose; static files are not
    // pages.
    let jwks = answer(app, &Raw::get("/jwks.json")).await;
    let cache = jwks.header("cache-control").unwrap_or_default();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let css = answer(app, &Raw::get("/static/gatehouse.css")).await;
    assert_eq!(css.status, 200);
    assert_ne!(css.header("cache-control"), Some("no-store"));
}
