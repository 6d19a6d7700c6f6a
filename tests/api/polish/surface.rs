//! Point 15: the protocol surface promises only what it keeps, and the
//! command line's key table reads true.

use super::{REDIRECT_URI, browser, param, sign_in};
use crate::helpers::TestApp;

#[tokio::test]
async fn discovery_advertises_no_scope_without_claims() {
    let app = TestApp::spawn().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let document = app.get_json(path).await;
        let scopes: Vec<&str> = document["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for promised in ["address", "phone"] {
            assert!(!scopes.contains(&promised), "{path}: {scopes:?}");
        }
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_names_nobody() {
    let app = TestApp::spawn().await;
    super::add_client(&app, "web");
    let callback = sign_in(
        &app.address,
        &browser(),
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("prompt", "none"),
        ],
        "nobody",
    )
    .await;
    assert_eq!(param(&callback, "error").as_deref(), Some("login_required"));
    assert_eq!(
        param(&callback, "error_description").as_deref(),
        Some("nobody is signed in")
    );
}

#[tokio::test]
async fn keys_list_aligns_its_columns_and_says_when_an_active_key_stops_signing() {
    let app = TestApp::spawn().await;
    app.cli(&["keys", "rotate", "--alg", "ES256"], None).ok();
    let out = app.cli(&["keys", "list"], None);
    let lines: Vec<&str> = out.ok().lines().collect();
    let header = lines[0];
    assert!(
        header.contains("SIGNS_UNTIL") && !header.contains("RETIRED"),
        "{header}"
    );
    // Every column starts where its heading does.
    let starts = |line: &str| -> Vec<usize> {
        let mut starts = Vec::new();
        let mut previous = ' ';
        for (at, c) in line.char_indices() {
            if c != ' ' && previous == ' ' {
                starts.push(at);
            }
            previous = c;
        }
        starts
    };
    for line in &lines {
        assert_eq!(starts(line), starts(header), "\n{}", lines.join("\n"));
        assert_eq!(line.trim_end(), *line, "trailing blanks: {line:?}");
    }
    let columns = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| columns(l)).collect();
    // The ES256 key being replaced is active until the pending one signs,
    // and says so; a key with no end in view says "-".
    let pending = rows.iter().find(|r| r[2] == "pending").unwrap();
    let outgoing = rows
        .iter()
        .find(|r| r[1] == "ES256" && r[2] == "active")
        .unwrap();
    assert_eq!(outgoing[5], pending[4], "{rows:?}");
    let steady = rows.iter().find(|r| r[1] == "RS256").unwrap();
    assert_eq!(steady[5], "-", "{rows:?}");
}
