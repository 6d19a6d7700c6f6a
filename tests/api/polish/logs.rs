//! Point 7: a request the server refuses is logged at `warn` with the
//! reason, and an unregistered `post_logout_redirect_uri` is not dropped
//! without a word.

use super::{REDIRECT_URI, served::Served};
use crate::helpers::TestEnv;

#[tokio::test]
async fn refusals_are_logged_at_warn_with_their_reason() {
    let env = TestEnv::new();
    env.cli(&["migrate"], None).ok();
    env.cli(
        &[
            "client",
            "add",
            "web",
            "--redirect-uri",
            REDIRECT_URI,
            "--post-logout-redirect-uri",
            "http://127.0.0.1:3000/bye",
        ],
        None,
    )
    .ok();
    let served = Served::start(&env, env.data_dir());
    let browser = super::browser();
    let warned = |line: &str, words: &[&str]| {
        line.contains("WARN") && words.iter().all(|word| line.contains(word))
    };

    // A logout whose post-logout URI is not registered for the client.
    let response = browser
        .get(format!(
            "{}/logout?client_id=web&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            served.address
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    served.wait_for_log(|line| {
        warned(
            line,
            &[
                "post_logout_redirect_uri ignored",
                "client_id=\"web\"",
                "not registered",
            ],
        )
    });

    // The token endpoint: the client sees the JSON, the operator the log.
    let response = reqwest::Client::new()
        .post(format!("{}/token", served.address))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    served.wait_for_log(|line| {
        warned(
            line,
            &[
                "protocol request refused",
                "invalid_client",
                "reason=client authentication is required",
            ],
        )
    });

    // /authorize answering the client with an error.
    let response = browser
        .get(format!(
            "{}/authorize?response_type=code&client_id=web&redirect_uri={}&scope=openid&prompt=none",
            served.address,
            url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    served.wait_for_log(|line| {
        warned(
            line,
            &[
                "authorization request refused",
                "client_id=\"web\"",
                "login_required",
                "nobody is signed in",
            ],
        )
    });
}
