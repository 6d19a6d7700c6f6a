//! The account page in a real browser: a signed-out person opening
//! `/account` signs in and comes back, sees their sessions and the
//! application they allowed, changes their password with the page's form,
//! signs out with its button, and signs in with the new password.
//! Screenshots at 1280 and 390 CSS pixels wide go to
//! `screenshots/account-*.png` under Cargo's target tmpdir.

use std::time::Duration;

use gatehouse::accounts::users::NewUser;

use super::{browser_available, screenshot_at, type_into, webdriver::Browser};
use crate::helpers::browser::{Auth, Person, tokens_in};
use crate::helpers::{PASSWORD, TestApp};

const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);
const NEW_PASSWORD: &str = "violet-anchor-meadow-2931";

/// Opens `/account` signed out, signs in with `password` on the login page
/// it leads to, and waits to be back.
async fn sign_in(browser: &Browser, app: &TestApp, password: &str) {
    browser.goto(&app.url("/account")).await;
    let login = app.url("/login?return_to=%2Faccount");
    browser
        .wait_for_url(|url| url == login, NAVIGATION_TIMEOUT)
        .await;
    assert_eq!(
        browser.find("p.muted strong").await.text().await,
        "your Gatehouse account"
    );
    type_into(browser, "input[name=username]", "priya").await;
    type_into(browser, "input[name=password]", password).await;
    browser.find("button[type=submit]").await.click().await;
    let account = app.url("/account");
    browser
        .wait_for_url(|url| url == account, NAVIGATION_TIMEOUT)
        .await;
}

#[tokio::test]
async fn a_person_changes_their_password_on_the_account_page_in_a_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::new()
        .with_client(
            "notes",
            &[
                "--grant",
                "authorization_code",
                "--grant",
                "refresh_token",
                "--name",
                "Class notes",
            ],
        )
        .start()
        .await;
    app.add_user_with(NewUser {
        username: "priya".into(),
        email: Some("priya@example.com".into()),
        ..NewUser::default()
    });
    // Another browser, signed in to an application: a second session and
    // an application on the page.
    let elsewhere = Person::new(&app);
    elsewhere.sign_in("priya", "/account").await;
    let secret = app.secret("notes").to_owned();
    let scope = "openid profile email offline_access";
    tokens_in(
        &app,
        &elsewhere.client,
        Auth::Basic("notes", &secret),
        "notes",
        scope,
        "priya",
    )
    .await;
    app.clock.advance(90);

    let browser = Browser::start().await;
    sign_in(&browser, &app, PASSWORD).await;
    assert_eq!(browser.title().await, "Your account · Gatehouse");
    assert_eq!(browser.find("h1").await.text().await, "Your account");
    let sessions = browser.find("#sessions").await.text().await;
    assert!(
        sessions.contains("This browser") && sessions.contains("Another browser"),
        "{sessions}"
    );
    let applications = browser.find("#applications").await.text().await;
    assert!(applications.contains("Class notes"), "{applications}");
    screenshot_at(&browser, 1280, "account-1280.png").await;
    screenshot_at(&browser, 390, "account-390.png").await;

    // A mistyped repetition is refused beside the form.
    type_into(&browser, "#current_password", PASSWORD).await;
    type_into(&browser, "#new_password", NEW_PASSWORD).await;
    type_into(&browser, "#new_password_again", "violet-anchor-meadow").await;
    browser
        .find("form[action=\"/account/password#password\"] button[type=submit]")
        .await
        .click()
        .await;
    let error = browser.find("#password p.error[role=alert]").await;
    assert_eq!(error.text().await, "The new passwords do not match.");
    screenshot_at(&browser, 390, "account-390-refused.png").await;

    type_into(&browser, "#current_password", PASSWORD).await;
    type_into(&browser, "#new_password", NEW_PASSWORD).await;
    type_into(&browser, "#new_password_again", NEW_PASSWORD).await;
    browser
        .find("form[action=\"/account/password#password\"] button[type=submit]")
        .await
        .click()
        .await;
    let changed = app.url("/account?notice=password#password");
    browser
        .wait_for_url(|url| url == changed, NAVIGATION_TIMEOUT)
        .await;
    let notice = browser.find("p.notice[role=status]").await.text().await;
    assert!(
        notice.starts_with("Your password has been changed."),
        "{notice}"
    );
    // The other browser's session ended with the old password.
    let sessions = browser.find("#sessions").await.text().await;
    assert!(!sessions.contains("Another browser"), "{sessions}");
    screenshot_at(&browser, 1280, "account-1280-changed.png").await;

    // Sign out with the header's button, then in with the new password.
    browser
        .find("form.sign-out button[type=submit]")
        .await
        .click()
        .await;
    let logout = app.url("/logout");
    browser
        .wait_for_url(|url| url == logout, NAVIGATION_TIMEOUT)
        .await;
    assert_eq!(browser.find("h1").await.text().await, "You are signed out");
    sign_in(&browser, &app, NEW_PASSWORD).await;
    assert_eq!(browser.find("h1").await.text().await, "Your account");
}
