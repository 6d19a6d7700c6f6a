//! The admin console in a real browser: an administrator signs in from
//! `/admin/users` and comes back there, creates a user, a role, grants it,
//! registers a client and sees its secret once, reads the audit log; a
//! person without admin permissions gets the 403 page. Screenshots of each
//! page go to `screenshots/admin-*.png` under Cargo's target tmpdir.

use std::time::Duration;

use super::{browser_available, screenshot_path, webdriver::Browser};
use crate::helpers::{PASSWORD, TestApp};
const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens `path` while signed out, signs in as `username` on the login page
/// it leads to, and waits to be back at `path`.
async fn sign_in_from(browser: &Browser, app: &TestApp, path: &str, username: &str) {
    browser.goto(&app.url(path)).await;
    let field = browser.find("input[name=username]").await;
    let login = browser.current_url().await;
    let expected = format!(
        "{}?{}",
        app.url("/login"),
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", path)
            .finish()
    );
    assert_eq!(login, expected, "{path} while signed out");
    assert_eq!(
        browser.find("p.muted strong").await.text().await,
        "Gatehouse administration"
    );
    let return_to = browser.find("input[type=hidden][name=return_to]").await;
    assert_eq!(return_to.property("value").await.as_deref(), Some(path));
    let csrf = browser.find("input[type=hidden][name=csrf_token]").await;
    assert_eq!(csrf.property("value").await.map(|v| v.len()), Some(43));
    field.type_text(username).await;
    browser
        .find("input[name=password]")
        .await
        .type_text(PASSWORD)
        .await;
    browser.find("button[type=submit]").await.click().await;
    let target = app.url(path);
    browser
        .wait_for_url(|url| url == target, NAVIGATION_TIMEOUT)
        .await;
}

/// Clicks the submit button of the form posting to `action`, and waits for
/// the URL to satisfy `arrived`.
async fn submit(browser: &Browser, action: &str, arrived: impl Fn(&str) -> bool) -> String {
    browser
        .find(&format!(
            "form[method=post][action=\"{action}\"] button[type=submit]"
        ))
        .await
        .click()
        .await;
    browser.wait_for_url(arrived, NAVIGATION_TIMEOUT).await
}

async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.find(css).await;
    field.clear().await;
    field.type_text(text).await;
}

async fn notice(browser: &Browser) -> String {
    browser.find("p.notice[role=status]").await.text().await
}

async fn screenshot(browser: &Browser, name: &str) {
    let path = screenshot_path(name);
    browser.screenshot_to(&path).await;
    println!("screenshot: {}", path.display());
}

#[tokio::test]
async fn an_administrator_works_through_the_console_in_a_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let root = app.add_user("root", &["admin"]);
    app.add_user("temp", &[]);
    let browser = Browser::start().await;

    // Signed out → login → back at the users page.
    sign_in_from(&browser, &app, "/admin/users", "root").await;
    assert_eq!(browser.title().await, "Users · Gatehouse");
    assert_eq!(browser.find("h1").await.text().await, "Users");
    let nav = browser.find("nav.admin-nav").await.text().await;
    for link in [
        "Users",
        "Roles & APIs",
        "Clients",
        "Signing keys",
        "Audit log",
    ] {
        assert!(nav.contains(link), "nav: {nav:?}");
    }
    screenshot(&browser, "admin-users.png").await;

    // Create a user.
    type_into(&browser, "#username", "carol").await;
    type_into(&browser, "#email", "carol@example.com").await;
    type_into(&browser, "#name", "Carol Jones").await;
    type_into(&browser, "#password", PASSWORD).await;
    let created = app.url("/admin/users/carol?notice=created");
    submit(&browser, "/admin/users", |url| url == created).await;
    assert_eq!(notice(&browser).await, "User created.");

    // A role, made on the roles page.
    browser.goto(&app.url("/admin/roles")).await;
    type_into(&browser, "#role_name", "editor").await;
    let saved = app.url("/admin/roles?notice=saved");
    submit(&browser, "/admin/roles", |url| url == saved).await;
    assert_eq!(notice(&browser).await, "Saved.");
    assert!(
        browser
            .page_source()
            .await
            .contains("<strong>editor</strong>")
    );

    // Open the user from the list, and give her the role.
    browser.goto(&app.url("/admin/users?q=car")).await;
    browser
        .find("a[href=\"/admin/users/carol\"]")
        .await
        .click()
        .await;
    let carol_page = app.url("/admin/users/carol");
    browser
        .wait_for_url(|url| url == carol_page, NAVIGATION_TIMEOUT)
        .await;
    assert_eq!(browser.find("h1").await.text().await, "carol");
    let email = browser.find("#email").await;
    assert_eq!(
        email.property("value").await.as_deref(),
        Some("carol@example.com")
    );
    type_into(&browser, "#role", "editor").await;
    let granted = app.url("/admin/users/carol?notice=role_granted");
    submit(&browser, "/admin/users/carol/grant-role", |url| {
        url == granted
    })
    .await;
    assert_eq!(notice(&browser).await, "Role added.");
    let roles = browser.find("main ul").await.text().await;
    assert!(roles.contains("editor"), "roles: {roles:?}");
    screenshot(&browser, "admin-user.png").await;

    // The roles page lists carol as a holder.
    browser.goto(&app.url("/admin/roles")).await;
    let table = browser.find("table").await.text().await;
    assert!(
        table.contains("editor") && table.contains("carol"),
        "{table}"
    );
    screenshot(&browser, "admin-roles.png").await;

    // Register a client: its secret is shown this once.
    browser.goto(&app.url("/admin/clients")).await;
    type_into(&browser, "#client_id", "reports").await;
    type_into(&browser, "#name", "Nightly reports").await;
    browser
        .find("#grant_client_credentials")
        .await
        .click()
        .await;
    let clients = app.url("/admin/clients");
    submit(&browser, "/admin/clients", |url| url == clients).await;
    let secret = browser.find("p.secret#client-secret").await.text().await;
    assert!(secret.len() >= 43, "secret {secret:?}");
    assert_eq!(notice(&browser).await, "Client registered.");
    screenshot(&browser, "admin-clients-secret.png").await;

    // The secret works at the token endpoint: the client is authenticated,
    // and told it has no API to ask a token for (an `aud` is required).
    let response = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth("reports", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains("invalid_target"), "{body}");

    // Opening the page again does not show it.
    browser.goto(&app.url("/admin/clients")).await;
    browser.find("h1").await;
    assert!(browser.try_find("#client-secret").await.is_none());
    let source = browser.page_source().await;
    assert!(source.contains("<strong>reports</strong>"));
    assert!(!source.contains(&secret), "the secret is shown again");

    // Keys: rotate from the page.
    browser.goto(&app.url("/admin/keys")).await;
    let rows_before = browser
        .page_source()
        .await
        .matches("<tr><td><code>")
        .count();
    assert!(rows_before > 0);
    let rotated = app.url("/admin/keys?notice=rotated");
    submit(&browser, "/admin/keys/rotate", |url| url == rotated).await;
    assert!(
        browser
            .page_source()
            .await
            .matches("<tr><td><code>")
            .count()
            > rows_before,
        "no new key listed"
    );
    screenshot(&browser, "admin-keys.png").await;

    // Delete, in the browser: the box must be ticked before the form goes.
    browser.goto(&app.url("/admin/users/temp")).await;
    let delete = "form[action=\"/admin/users/temp/delete\"]";
    browser
        .find(&format!("{delete} button[type=submit]"))
        .await
        .click()
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(browser.current_url().await, app.url("/admin/users/temp"));
    browser
        .find(&format!("{delete} input[name=confirm]"))
        .await
        .click()
        .await;
    let deleted = app.url("/admin/users?notice=deleted");
    submit(&browser, "/admin/users/temp/delete", |url| url == deleted).await;
    assert_eq!(notice(&browser).await, "User deleted.");

    // The audit log, filtered to the console's changes by root, who is
    // named, not shown as an id.
    browser.goto(&app.url("/admin/audit")).await;
    type_into(&browser, "#kind", "admin.").await;
    type_into(&browser, "#user", "root").await;
    browser
        .find("form[action=\"/admin/audit\"] button")
        .await
        .click()
        .await;
    let filtered = app.url("/admin/audit?kind=admin.&user=root");
    browser
        .wait_for_url(|url| url == filtered, NAVIGATION_TIMEOUT)
        .await;
    let log = browser.find("table tbody").await.text().await;
    assert!(!log.contains(&root), "an id instead of a name:\n{log}");
    let rows: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    for kind in [
        "admin.user.created",
        "admin.role.created",
        "admin.user.role_granted",
        "admin.client.created",
        "admin.key.rotated",
        "admin.user.deleted",
    ] {
        let row = rows
            .iter()
            .find(|row| row.contains(kind))
            .unwrap_or_else(|| panic!("{kind} not in the log:\n{log}"));
        assert!(
            row.contains(&format!("{kind} root")),
            "{kind} not by root: {row}"
        );
        assert!(row.contains(" UTC "), "{kind}: no UTC time: {row}");
    }
    assert!(
        rows.iter().all(|row| row.contains(" admin.")),
        "a row of another kind:\n{log}"
    );
    screenshot(&browser, "admin-audit.png").await;
}

#[tokio::test]
async fn a_person_without_admin_permissions_gets_the_403_page() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    app.add_user("bob", &[]);
    let browser = Browser::start().await;

    sign_in_from(&browser, &app, "/admin/clients", "bob").await;
    assert_eq!(browser.title().await, "Forbidden · Gatehouse");
    assert_eq!(browser.find("h1").await.text().await, "Forbidden");
    assert_eq!(
        browser.find("p.error[role=alert]").await.text().await,
        "Your account does not have access to the administration pages."
    );
    let source = browser.page_source().await;
    assert!(!source.contains("Register a client"), "{source}");
    screenshot(&browser, "admin-forbidden.png").await;
}
