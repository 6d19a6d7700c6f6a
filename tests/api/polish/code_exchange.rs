//! Point 5: a code spent by a refused exchange is not a replay. The refusal
//! is audited with its reason; a retry is told what happened, and nothing
//! in the audit log reads as an attack.

use gatehouse::db;
use reqwest::StatusCode;

use super::{REDIRECT_URI, add_client, code, token};
use crate::helpers::TestApp;

/// `S256` of the verifier "polish-verifier-…" (43+ characters).
const VERIFIER: &str = "polish-verifier-0123456789abcdefghijklmnopqrstuv";

fn s256(verifier: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn events(app: &TestApp, prefix: &str) -> Vec<db::audit::AuditRow> {
    let prefix = prefix.to_owned();
    app.db(move |conn| db::audit::recent(conn, Some(&prefix), 100))
}

#[tokio::test]
async fn a_refused_exchange_is_audited_with_its_reason_and_its_retry_is_no_replay() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = add_client(&app, "web");
    let challenge = s256(VERIFIER);
    // Each case: what the first exchange gets wrong, and the reason it is given.
    let cases: [(&[(&str, &str)], &str); 2] = [
        (
            &[("redirect_uri", "http://127.0.0.1:3000/other")],
            "redirect_uri does not match the authorization request",
        ),
        (
            &[
                ("redirect_uri", REDIRECT_URI),
                (
                    "code_verifier",
                    "polish-wrong-verifier-0123456789abcdefghijklmn",
                ),
            ],
            "code_verifier does not match the challenge",
        ),
    ];
    for (wrong, reason) in cases {
        let code = code(
            &app,
            "web",
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        let mut form = vec![("grant_type", "authorization_code"), ("code", &code)];
        form.extend_from_slice(wrong);
        let (status, body) = token(&app.address, ("web", &secret), &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_description"], reason);

        let failed = events(&app, "code.exchange_failed");
        let latest = failed.first().expect("no code.exchange_failed event");
        assert_eq!(latest.actor.as_deref(), Some("web"));
        let details: serde_json::Value = serde_json::from_str(&latest.details).unwrap();
        assert_eq!(details["reason"], reason, "{details}");

        // The client corrects itself: the code is spent, and it is told so
        // plainly, without being taken for an attacker.
        let (status, body) = token(
            &app.address,
            ("web", &secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains("earlier token request that failed")
                && !description.contains("already used"),
            "{description}"
        );
    }
    assert_eq!(events(&app, "code.exchange_failed").len(), 2);
    assert!(events(&app, "code.replayed").is_empty());
}

#[tokio::test]
async fn a_code_presented_again_after_it_bought_tokens_is_still_a_replay() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = add_client(&app, "web");
    let code = code(&app, "web", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, body) = token(&app.address, ("web", &secret), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = token(&app.address, ("web", &secret), &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error_description"],
        "the authorization code was already used"
    );
    assert_eq!(events(&app, "code.replayed").len(), 1);
    assert!(events(&app, "code.exchange_failed").is_empty());
}
