//! The consent page says which account is asking (with a way to switch)
//! and names each API by its registered name.

use crate::helpers::{
    TestApp,
    browser::{self, AuthRequest, Next, next, submit_consent},
    form_value,
};

#[tokio::test]
async fn consent_names_the_api_and_the_account_and_not_you_switches_account() {
    let app = TestApp::new()
        .with_user("alice", &[])
        .with_user("bob", &[])
        .start()
        .await;
    app.cli(
        &[
            "api",
            "add",
            "https://notes.example.com",
            "--name",
            "Class notes API",
        ],
        None,
    )
    .ok();
    app.add_client("web", &["--resource", "https://notes.example.com"]);
    let browser = browser::browser();
    let request = AuthRequest::new("web");
    let request_id = browser::start(&app, &browser, &request).await.login();
    let consent_id = browser::login(&app, &browser, &request_id, "alice")
        .await
        .consent();
    let (_, html) = browser::consent_page(&app, &browser, &consent_id).await;
    assert!(html.contains("<strong>Class notes API</strong>"), "{html}");
    assert!(html.contains("https://notes.example.com"), "{html}");
    assert!(
        html.contains("Signed in as <strong>alice</strong>"),
        "{html}"
    );
    let switch = format!("/login?request={consent_id}");
    assert!(html.contains(&switch), "{html}");

    // "Not you?": the login page of the same request; Bob signs in instead
    // and the request goes on as his.
    let (status, login) = browser::login_page(&app, &browser, &consent_id).await;
    assert_eq!(status, 200);
    assert_eq!(
        form_value(&login, "request").as_deref(),
        Some(consent_id.as_str())
    );
    let again = browser::login(&app, &browser, &consent_id, "bob")
        .await
        .consent();
    let (_, html) = browser::consent_page(&app, &browser, &again).await;
    assert!(html.contains("Signed in as <strong>bob</strong>"), "{html}");
    let done = next(&app, submit_consent(&app, &browser, &again, "allow").await).await;
    assert!(matches!(done, Next::Client(_)), "{done:?}");
}
