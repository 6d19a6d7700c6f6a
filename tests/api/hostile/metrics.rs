//! Defect 6: no request can add a metrics series. Methods are labelled by
//! name only when standard (else `OTHER`), routes by their pattern only
//! (never the raw path), and methods longer than 16 bytes are refused with
//! 405 before routing.

use std::collections::BTreeSet;

use super::{Raw, send};
use crate::helpers::TestApp;

/// The label sets of `gatehouse_http_requests_total`.
async fn series(app: &TestApp) -> BTreeSet<String> {
    let body = reqwest::get(format!("{}/metrics", app.metrics_address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .filter_map(|line| line.strip_prefix("gatehouse_http_requests_total{"))
        .filter_map(|rest| rest.rsplit_once("} "))
        .map(|(labels, _)| labels.to_owned())
        .collect()
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// One round of requests no series should remember: fresh paths and
/// methods each time. Returns what it invented.
async fn round(app: &TestApp) -> Vec<String> {
    let mut invented = Vec::new();
    for _ in 0..20 {
        let token = random();
        let method = format!("X{}", &token[..8].to_uppercase());
        let long_method = format!("LONG{}", token.to_uppercase());
        let requests = [
            Raw::get(format!("/this-does-not-exist-{token}")),
            Raw::get(format!("/static/{token}.css")),
            Raw::get(format!("/admin/users/{token}")),
            Raw::get(format!("/admin/api/v1/{token}")),
            Raw::get(format!("/.well-known/{token}")),
            Raw::new(method.as_str(), "/token"),
            Raw::new(method.as_str(), format!("/{token}")),
            Raw::new(long_method.as_str(), "/jwks.json"),
            Raw::new(long_method.as_str(), format!("/{token}")),
        ];
        for raw in requests {
            let answer = send(app.port, &raw).await.unwrap();
            assert!(
                (400..500).contains(&answer.status) || answer.status == 303,
                "{}: {}",
                raw.describe(),
                answer.status
            );
            if raw.method == long_method.as_bytes() {
                assert_eq!(answer.status, 405, "{}", raw.describe());
            }
        }
        invented.extend([token, method, long_method]);
    }
    invented
}

#[tokio::test]
async fn invented_paths_and_methods_add_no_metrics_series() {
    let app = TestApp::spawn().await;
    let first = round(&app).await;
    let before = series(&app).await;
    let second = round(&app).await;
    let after = series(&app).await;
    assert_eq!(
        before, after,
        "a second round of invented paths and methods created series"
    );
    for label in &after {
        for word in first.iter().chain(&second) {
            assert!(
                !label.contains(word.as_str()),
                "{word:?} leaked into {label}"
            );
        }
        let method = label
            .split(',')
            .find_map(|l| l.strip_prefix("method=\""))
            .and_then(|m| m.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no method label: {label}"));
        assert!(
            [
                "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"
            ]
            .contains(&method),
            "{label}"
        );
    }
    assert!(
        after.iter().any(|l| l.contains("method=\"OTHER\"")),
        "invented methods are counted as OTHER: {after:?}"
    );
    assert!(
        after
            .iter()
            .any(|l| l.contains("route=\"unmatched\",method=\"GET\",status=\"404\"")),
        "unknown paths are counted under one label: {after:?}"
    );
}
