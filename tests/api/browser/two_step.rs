//! Two-step sign-in in a real browser, without JavaScript on our side: a
//! person whose role requires a second factor sets up an authenticator app
//! during sign-in (QR code, key), keeps the recovery codes, and later signs
//! in with a code. Screenshots of the second-step pages at 1280 and 390
//! CSS pixels wide go to `screenshots/two-step-*.png`.

use std::time::Duration;

use super::{browser_available, screenshot_at, type_into, webdriver::Browser};
use crate::helpers::{PASSWORD, TestApp, browser::between};
use crate::second_factor::totp_code;

const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);

async fn password_step(browser: &Browser, app: &TestApp) {
    browser.goto(&app.url("/account")).await;
    let login = app.url("/login?return_to=%2Faccount");
    browser
        .wait_for_url(|url| url == login, NAVIGATION_TIMEOUT)
        .await;
    type_into(browser, "input[name=username]", "dana").await;
    type_into(browser, "input[name=password]", PASSWORD).await;
    browser.find("button[type=submit]").await.click().await;
    let second = app.url("/login/second-factor?return_to=%2Faccount");
    browser
        .wait_for_url(|url| url == second, NAVIGATION_TIMEOUT)
        .await;
}

#[tokio::test]
async fn a_person_sets_up_an_app_during_sign_in_and_signs_in_with_a_code_in_a_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::new().start().await;
    app.cli(&["role", "add", "staff"], None).ok();
    app.add_user("dana", &["staff"]);
    app.cli(&["role", "require-mfa", "staff"], None).ok();

    let browser = Browser::start().await;
    password_step(&browser, &app).await;
    assert_eq!(
        browser.find("h1").await.text().await,
        "Set up two-step verification"
    );
    let qr = browser.find("figure.qr svg").await;
    assert!(qr.property("outerHTML").await.unwrap().contains("<svg"));
    screenshot_at(&browser, 1280, "two-step-enrol-1280.png").await;
    screenshot_at(&browser, 390, "two-step-enrol-390.png").await;
    let source = browser.page_source().await;
    let secret = between(&source, r#"id="totp-secret">"#, "</code>").unwrap();
    type_into(&browser, "input[name=code]", &totp_code(&app, &secret, 0)).await;
    browser.find("button[type=submit]").await.click().await;
    let codes = browser.find("#recovery-codes").await.text().await;
    assert_eq!(
        codes.lines().filter(|l| !l.trim().is_empty()).count(),
        10,
        "{codes}"
    );
    screenshot_at(&browser, 390, "two-step-recovery-codes-390.png").await;
    browser.find("button[type=submit]").await.click().await;
    let account = app.url("/account");
    browser
        .wait_for_url(|url| url == account, NAVIGATION_TIMEOUT)
        .await;
    let two_step = browser.find("#two-step").await.text().await;
    assert!(two_step.contains("10 recovery codes left"), "{two_step}");

    // Signed out, then in again: the second step asks for a code.
    browser.find("form.sign-out button").await.click().await;
    let signed_out = app.url("/logout");
    browser
        .wait_for_url(|url| url == signed_out, NAVIGATION_TIMEOUT)
        .await;
    assert_eq!(browser.title().await, "You are signed out · Gatehouse");
    app.clock.advance(30);
    password_step(&browser, &app).await;
    assert_eq!(
        browser.find("h1").await.text().await,
        "Two-step verification"
    );
    screenshot_at(&browser, 1280, "two-step-code-1280.png").await;
    screenshot_at(&browser, 390, "two-step-code-390.png").await;
    type_into(&browser, "input[name=code]", &totp_code(&app, &secret, 0)).await;
    browser
        .find("form[action='/login/second-factor'] button[type=submit]")
        .await
        .click()
        .await;
    browser
        .wait_for_url(|url| url == account, NAVIGATION_TIMEOUT)
        .await;
}
