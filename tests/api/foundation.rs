//! The protocol surface every client sees first: discovery, health,
//! headers, metrics.

use insta::{assert_json_snapshot, dynamic_redaction};
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue,
};
use serde_json::Value;

use crate::helpers::TestApp;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or_else(|| panic!("missing header {name}: {headers:?}"))
}

/// Fetches a metadata document and checks what every one of them must
/// carry: 200, JSON, readable cross-origin, cacheable.
async fn metadata(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    assert!(
        header(&headers, CONTENT_TYPE.as_str()).starts_with("application/json"),
        "{path}: {headers:?}"
    );
    assert_eq!(header(&headers, ACCESS_CONTROL_ALLOW_ORIGIN.as_str()), "*");
    assert_eq!(
        header(&headers, CACHE_CONTROL.as_str()),
        "public, max-age=3600"
    );
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (body, json)
}

#[tokio::test]
async fn discovery_document_names_the_issuer_byte_for_byte() {
    let app = TestApp::spawn().await;
    let (body, json) = metadata(&app, "/.well-known/openid-configuration").await;
    assert_eq!(json["issuer"], app.issuer.as_str());
    // Byte for byte in the raw body too (no escaping, no trailing slash).
    assert!(
        body.contains(&format!("\"issuer\":\"{}\"", app.issuer)),
        "{body}"
    );
    assert_eq!(json["jwks_uri"], format!("{}/jwks.json", app.issuer));
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(
            json["id_token_signing_alg_values_supported"]
                .as_array()
                .unwrap()
                .contains(&Value::from(alg)),
            "{alg} missing: {json}"
        );
    }
    assert!(
        json["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("openid"))
    );
    assert_eq!(
        json["subject_types_supported"],
        serde_json::json!(["public"])
    );
}

#[tokio::test]
async fn oauth_authorization_server_metadata_is_served() {
    let app = TestApp::spawn().await;
    let (_, json) = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(json["issuer"], app.issuer.as_str());
    assert_eq!(json["jwks_uri"], format!("{}/jwks.json", app.issuer));
}

#[tokio::test]
async fn the_issuer_comes_from_configuration_never_from_the_request() {
    let app = TestApp::spawn_with(|settings| {
        let port = settings
            .server
            .listen
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        settings.server.issuer = format!("http://localhost:{port}");
    })
    .await;
    assert!(
        app.issuer.starts_with("http://localhost:"),
        "{}",
        app.issuer
    );
    let response = app
        .client
        .get(app.url("/.well-known/openid-configuration"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["issuer"], app.issuer.as_str());
    assert_eq!(json["jwks_uri"], format!("{}/jwks.json", app.issuer));
}

/// Replaces the issuer at the start of every URL-valued string, so the
/// snapshot keeps the paths and fails if a URL is not under the issuer.
fn issuer_redaction(issuer: String) -> insta::internals::Redaction {
    dynamic_redaction(move |value, _path| match value.as_str() {
        Some(text) if text.starts_with("http") => {
            assert!(
                text.starts_with(&issuer),
                "{text} is not under the issuer {issuer}"
            );
            value_from(text.replacen(&issuer, "[issuer]", 1))
        }
        _ => value,
    })
}

fn value_from(text: String) -> insta::internals::Content {
    insta::internals::Content::from(text)
}

#[tokio::test]
async fn discovery_documents_match_their_snapshots() {
    let app = TestApp::spawn().await;
    let (_, discovery) = metadata(&app, "/.well-known/openid-configuration").await;
    assert_json_snapshot!("discovery", discovery, {
        ".issuer" => "[issuer]",
        ".**" => issuer_redaction(app.issuer.clone()),
    });
    let (_, oauth) = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_json_snapshot!("oauth_authorization_server", oauth, {
        ".issuer" => "[issuer]",
        ".**" => issuer_redaction(app.issuer.clone()),
    });
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    for (path, status) in [
        ("/healthz", 200),
        ("/.well-known/openid-configuration", 200),
        ("/jwks.json", 200),
        ("/setup?token=nope", 403),
        ("/no/such/page", 404),
        ("/static/gatehouse.css", 200),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let headers = response.headers();
        let csp = header(headers, "content-security-policy");
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP {csp:?} lacks {directive}"
            );
        }
        assert_eq!(
            header(headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(headers, "x-frame-options"), "DENY", "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_get_an_html_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(header(response.headers(), "content-type").starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("Not found"));
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for path in ["/healthz", "/healthz", "/no/such/page"] {
        let response = app.get(path).await;
        let id = header(response.headers(), "x-request-id").to_owned();
        uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{path}: {id:?}: {e}"));
        assert!(!seen.contains(&id), "request id {id} reused");
        seen.push(id);
    }
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only() {
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    let secret = "do-not-leak-this-query-value";
    assert_eq!(
        app.get(&format!("/setup?token={secret}")).await.status(),
        403
    );

    let public = app.get("/metrics").await;
    assert_eq!(
        public.status(),
        404,
        "/metrics must not be on the public port"
    );

    let response = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(response.headers(), "content-type").starts_with("text/plain"));
    let body = response.text().await.unwrap();
    assert!(
        body.contains(
            "gatehouse_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ),
        "{body}"
    );
    assert!(body.contains("gatehouse_http_request_duration_seconds_bucket{route=\"/healthz\""));
    assert!(
        body.contains("route=\"/setup\",method=\"GET\",status=\"403\""),
        "{body}"
    );
    assert!(
        !body.contains(secret),
        "query strings must not reach the metrics"
    );
    // The public 404 for /metrics is counted under no route of its own.
    assert!(!body.contains("route=\"/metrics\""), "{body}");
}
