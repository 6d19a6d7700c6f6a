//! Point 12: messages people read. A wait of one second is "1 second"; a
//! page shows the domain's words as a sentence; a URL without a scheme is
//! told what to write, not "relative URL without a base".

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestEnv, form_value};

#[tokio::test]
async fn a_one_second_wait_is_worded_in_the_singular() {
    let app = TestApp::spawn_with(|settings| {
        settings.login.pair_failures_before_delay = 1;
        settings.login.base_delay_secs = 1;
    })
    .await;
    app.add_user("alice", &[]);
    let browser = super::browser();
    let html = browser
        .get(app.url("/login?return_to=/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let mut throttled = None;
    for _ in 0..5 {
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("return_to", "/admin"),
                ("csrf_token", &csrf),
                ("username", "alice"),
                ("password", "wrong"),
            ])
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(response);
            break;
        }
    }
    let response = throttled.expect("never throttled");
    assert_eq!(response.headers()["retry-after"], "1");
    let html = response.text().await.unwrap();
    assert!(html.contains("Try again in 1 second."), "{html}");
}

#[tokio::test]
async fn a_page_shows_a_refusal_as_a_sentence() {
    let app = TestApp::spawn().await;
    let now = gatehouse::clock::Clock::now(app.clock.as_ref());
    let token = app
        .db(|conn| Ok(gatehouse::accounts::setup::issue_token(conn, now)))
        .unwrap()
        .map(|token| token.into_inner())
        .unwrap();
    let html = app
        .get(&format!("/setup?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let password = "a long enough passphrase";
    let refused = app
        .post_form(
            "/setup",
            &[
                ("token", token.as_str()),
                ("csrf_token", &csrf),
                ("username", "no spaces allowed"),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    let message = html
        .split("role=\"alert\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no error shown: {html}"))
        .trim()
        .to_owned();
    let first = message.chars().next().unwrap();
    assert!(first.is_uppercase(), "{message}");
    assert!(message.ends_with('.'), "{message}");
}

#[test]
fn a_url_without_a_scheme_is_told_what_to_write() {
    let env = TestEnv::new();
    env.cli(&["migrate"], None).ok();
    let out = env.cli(
        &[
            "client",
            "add",
            "school",
            "--redirect-uri",
            "school.example.com/cb",
        ],
        None,
    );
    let line = out.fails_with(out.code);
    assert_ne!(out.code, 0);
    assert!(
        line.contains("must be an absolute URL such as https://school.example.com/cb"),
        "{out}"
    );
    assert!(!out.stderr.contains("relative URL"), "{out}");

    let mut command = env.command();
    command.env("GATEHOUSE_ISSUER", "gatehouse.example.com");
    let out = crate::helpers::run_cli(command, &["migrate"], None);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr
            .contains("\"gatehouse.example.com\" must be an absolute URL such as https://gatehouse.example.com"),
        "{out}"
    );
    assert!(!out.stderr.contains("relative URL"), "{out}");
}
