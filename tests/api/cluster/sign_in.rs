//! A sign-in crosses nodes: whatever one node stored, the next continues.
//! And a code is redeemed once, however many nodes are asked at once.

use reqwest::StatusCode;

use super::kit::*;
use crate::helpers::{TestApp, form_value};

/// The path and query a 303 leads to (the issuer is the first node's; the
/// test chooses which node follows it).
fn next_path(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let url = location(response);
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// GET a form page on `node`; its request id and CSRF token.
async fn form_on(node: &TestApp, browser: &Browser, path: &str) -> (String, String) {
    let response = browser.get(&node.url(path)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{path} on {}",
        node.address
    );
    let html = response.text().await.unwrap();
    (
        form_value(&html, "request").unwrap_or_else(|| panic!("no request id:\n{html}")),
        form_value(&html, "csrf_token").unwrap_or_else(|| panic!("no csrf token:\n{html}")),
    )
}

/// Authorize and log in on `a`, consent on `b` (if still asked): the code.
async fn code_across(a: &TestApp, b: &TestApp, browser: &Browser, client_id: &str) -> String {
    let authorize = browser
        .get(&a.url(&authorize_path(client_id, "openid profile")))
        .await;
    let login = next_path(&authorize);
    assert!(login.starts_with("/login?"), "{login}");
    let (request, csrf) = form_on(a, browser, &login).await;
    let logged_in = browser
        .post_form(
            &a.url("/login"),
            &[
                ("request", &request),
                ("csrf_token", &csrf),
                ("username", "mira"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let after_login = location(&logged_in);
    if after_login.as_str().starts_with(REDIRECT_URI) {
        // Consent given in an earlier round is remembered.
        return param(&after_login, "code").unwrap_or_else(|| panic!("no code: {after_login}"));
    }
    let consent = next_path(&logged_in);
    assert!(consent.starts_with("/consent?"), "{consent}");
    let (request, csrf) = form_on(b, browser, &consent).await;
    let allowed = browser
        .post_form(
            &b.url("/consent"),
            &[
                ("request", &request),
                ("csrf_token", &csrf),
                ("decision", "allow"),
            ],
        )
        .await;
    let callback = location(&allowed);
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"))
}

#[tokio::test]
async fn a_sign_in_started_on_one_node_finishes_on_a_second_and_redeems_on_a_third() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    add_user(&env, "mira");
    let secret = add_client(&env, "web", &[]);

    let browser = Browser::new();
    let code = code_across(a, b, &browser, "web").await;
    let response = redeem(c, ("web", &secret), &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: serde_json::Value = response.json().await.unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // The token one node issued is good on the others.
    for node in [a, b] {
        let userinfo = reqwest::Client::new()
            .get(node.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(userinfo.status(), StatusCode::OK, "on {}", node.address);
    }
}

#[tokio::test]
async fn a_code_redeemed_on_three_nodes_at_once_buys_at_most_one_token() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    add_user(&env, "mira");
    let secret = add_client(&env, "web", &[]);
    for round in 0..3 {
        // A new browser each round: a signed-in one would skip the login.
        let browser = Browser::new();
        let code = code_across(&nodes[round % 3], &nodes[(round + 1) % 3], &browser, "web").await;
        let (x, y, z) = tokio::join!(
            redeem(&nodes[0], ("web", &secret), &code),
            redeem(&nodes[1], ("web", &secret), &code),
            redeem(&nodes[2], ("web", &secret), &code),
        );
        let statuses = [x.status(), y.status(), z.status()];
        let granted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert!(granted <= 1, "round {round}: {statuses:?}");
        for status in statuses {
            assert!(
                status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                "round {round}: {statuses:?}"
            );
        }
    }
}
