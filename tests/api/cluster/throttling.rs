//! The sign-in throttle counts in the database, so failures spread over
//! the nodes delay an account exactly as the same failures on one node.

use reqwest::StatusCode;

use super::kit::*;
use crate::helpers::{TestApp, form_value};

const WRONG: &str = "not the password";

/// Wrong passwords for `username`, the n-th on `nodes[n % len]`, until one
/// is answered 429; how many were answered otherwise first.
async fn failures_until_delayed(nodes: &[&TestApp], username: &str) -> usize {
    let browser = Browser::new();
    let page = browser
        .get(&nodes[0].url("/login?return_to=%2Fadmin"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&page, "csrf_token").unwrap();
    for attempt in 0..30 {
        let node = nodes[attempt % nodes.len()];
        let response = browser
            .post_form(
                &node.url("/login"),
                &[
                    ("return_to", "/admin"),
                    ("csrf_token", csrf.as_str()),
                    ("username", username),
                    ("password", WRONG),
                ],
            )
            .await;
        match response.status() {
            StatusCode::TOO_MANY_REQUESTS => return attempt,
            status => assert!(status.is_client_error(), "attempt {attempt}: {status}"),
        }
    }
    panic!("{username}: 30 wrong passwords and no delay");
}

#[tokio::test]
async fn failures_spread_over_three_nodes_delay_the_account_as_on_one() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    add_user(&env, "solo");
    add_user(&env, "spread");
    let on_one = failures_until_delayed(&[&nodes[0]], "solo").await;
    let on_three = failures_until_delayed(&[&nodes[0], &nodes[1], &nodes[2]], "spread").await;
    assert_eq!(on_three, on_one);
    assert!(on_one <= 6, "delayed only after {on_one} failures");
}
