//! `/account/totp`: a person sets up an authenticator app from their
//! account page, signs in with it, renews their recovery codes and removes
//! it — each change after a recent sign-in.

use reqwest::StatusCode;

use super::totp_code;
use crate::helpers::{
    TestApp,
    browser::{Person, between},
};

fn codes_in(html: &str) -> Vec<String> {
    between(html, r#"id="recovery-codes">"#, "</ol>")
        .unwrap_or_else(|| panic!("no recovery codes in:\n{html}"))
        .split("<code>")
        .skip(1)
        .map(|item| item.split("</code>").next().unwrap().to_owned())
        .collect()
}

/// Sets up an app for the signed-in `person`; returns its secret and the
/// recovery codes shown.
async fn set_up_app(app: &TestApp, person: &Person<'_>) -> (String, Vec<String>) {
    let page = person.get("/account/totp").await;
    page.expect(200);
    assert!(page.html.contains("<svg"), "{}", page.html);
    let secret = between(&page.html, r#"id="totp-secret">"#, "</code>").unwrap();
    let wrong = person.submit("/account/totp", &[("code", "000000")]).await;
    wrong.expect(401);
    assert!(
        wrong.html.contains("That code is not valid"),
        "{}",
        wrong.html
    );
    let shown = person
        .submit("/account/totp", &[("code", &totp_code(app, &secret, 0))])
        .await;
    shown.expect(200);
    let codes = codes_in(&shown.html);
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn an_app_set_up_on_the_account_page_is_asked_for_at_the_next_sign_in() {
    let app = TestApp::new().with_user("carol", &[]).start().await;
    let person = Person::new(&app);
    person.sign_in("carol", "/account/totp").await;
    let (secret, _) = set_up_app(&app, &person).await;
    let account = person.get("/account").await;
    assert!(
        account.html.contains("10 recovery codes left"),
        "{}",
        account.html
    );

    app.clock.advance(30);
    let other = Person::new(&app);
    let asked = other
        .log_in("/account", "carol", crate::helpers::PASSWORD)
        .await;
    assert_eq!(
        asked.location(),
        "/login/second-factor?return_to=%2Faccount"
    );
    // Not signed in yet: the account page still sends to the login.
    let still_out = other.get("/account").await;
    assert!(
        still_out.location().starts_with("/login?"),
        "{}",
        still_out.location()
    );
    let form = other.get(&asked.location()).await;
    form.expect(200);
    let done = other
        .post(
            "/login/second-factor",
            &[
                ("return_to", "/account"),
                ("csrf_token", &other.csrf()),
                ("code", &totp_code(&app, &secret, 0)),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), "/account");
    other.get("/account").await.expect(200);
}

#[tokio::test]
async fn changes_to_the_app_ask_for_a_recent_sign_in_and_renewed_codes_replace_the_old() {
    let app = TestApp::new().with_user("carol", &[]).start().await;
    let person = Person::new(&app);
    person.sign_in("carol", "/account/totp").await;
    let (_, old_codes) = set_up_app(&app, &person).await;

    let renewed = person.submit("/account/recovery-codes", &[]).await;
    renewed.expect(200);
    let new_codes = codes_in(&renewed.html);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|code| !old_codes.contains(code)));

    app.clock.advance(6 * 60);
    let stale = person.submit("/account/totp/remove", &[]).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert_eq!(
        stale.location(),
        "/login?return_to=%2Faccount%2Ftotp&reason=recent"
    );
    let csrf_refused = person
        .post("/account/totp/remove", &[("csrf_token", "forged")])
        .await;
    csrf_refused.expect(403);
    assert!(
        person
            .get("/account")
            .await
            .html
            .contains("recovery codes left")
    );
}

#[tokio::test]
async fn a_role_that_requires_a_second_factor_keeps_the_last_one() {
    let app = TestApp::new().with_user("carol", &[]).start().await;
    app.cli(&["role", "add", "staff"], None).ok();
    app.cli(&["role", "grant", "staff", "carol"], None).ok();
    let person = Person::new(&app);
    person.sign_in("carol", "/account/totp").await;
    let (secret, _) = set_up_app(&app, &person).await;
    app.cli(&["role", "require-mfa", "staff"], None).ok();
    // The session did not use the app: the page asks for it first.
    let asked = person.get("/account/totp").await;
    assert_eq!(
        asked.location(),
        "/login/second-factor?return_to=%2Faccount%2Ftotp"
    );
    app.clock.advance(30);
    let stepped_up = person
        .post(
            "/login/second-factor",
            &[
                ("return_to", "/account/totp"),
                ("csrf_token", &person.csrf()),
                ("code", &totp_code(&app, &secret, 0)),
            ],
        )
        .await;
    assert_eq!(stepped_up.location(), "/account/totp");
    let kept = person.submit("/account/totp/remove", &[]).await;
    kept.expect(422);
    assert!(
        kept.html
            .contains("A role of yours requires a second factor"),
        "{}",
        kept.html
    );

    app.cli(&["role", "require-mfa", "staff", "--off"], None)
        .ok();
    let removed = person.submit("/account/totp/remove", &[]).await;
    assert_eq!(removed.location(), "/account/totp?notice=removed");
    let page = person.get("/account/totp?notice=removed").await;
    assert!(page.html.contains("The authenticator app was removed."));
    assert!(page.html.contains("totp-secret"), "set up again from here");
}
