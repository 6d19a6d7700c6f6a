//! The login and consent pages: wrong passwords, unknown users at the same
//! cost, CSRF, the binding of a pending request to its browser, throttling,
//! consent decisions, and the pages' security headers.

use reqwest::{StatusCode, header};

use super::flow::{self, AuthRequest, Next, PASSWORD};
use crate::helpers::{TestApp, form_value};

const WRONG_CREDENTIALS: &str = "Incorrect username or password.";

async fn app_with_web() -> TestApp {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    app.add_client("web", &[]);
    app
}

async fn pending_login(app: &TestApp) -> String {
    flow::start(app, &app.client, &AuthRequest::new("web"))
        .await
        .login()
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer_at_the_same_cost() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;

    let before = app.state.passwords.verification_count();
    let response = flow::submit_login(&app, &app.client, &id, "alice", "wrong password!").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers().get(header::LOCATION), None);
    let wrong_password = response.text().await.unwrap();
    assert!(
        wrong_password.contains(WRONG_CREDENTIALS),
        "{wrong_password}"
    );
    assert_eq!(app.state.passwords.verification_count(), before + 1);
    // The form comes back with the username kept and the request intact.
    assert_eq!(
        form_value(&wrong_password, "username").as_deref(),
        Some("alice")
    );
    assert_eq!(
        form_value(&wrong_password, "request").as_deref(),
        Some(id.as_str())
    );

    let before = app.state.passwords.verification_count();
    let response = flow::submit_login(&app, &app.client, &id, "mallory", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let unknown_user = response.text().await.unwrap();
    assert!(unknown_user.contains(WRONG_CREDENTIALS), "{unknown_user}");
    assert_eq!(
        app.state.passwords.verification_count(),
        before + 1,
        "an unknown user must cost one password verification, like a known one"
    );
    // Nothing on the page tells the two apart but the echoed username.
    assert_eq!(
        wrong_password.replace("alice", "USER"),
        unknown_user.replace("mallory", "USER")
    );

    // The same request can still be completed.
    let next = flow::login(&app, &app.client, &id, "alice").await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
}

#[tokio::test]
async fn a_user_without_a_password_cannot_sign_in() {
    let app = app_with_web().await;
    app.cli(&["user", "add", "bob"], None).ok();
    let id = pending_login(&app).await;
    let before = app.state.passwords.verification_count();
    let response = flow::submit_login(&app, &app.client, &id, "bob", "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains(WRONG_CREDENTIALS));
    assert_eq!(app.state.passwords.verification_count(), before + 1);
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    for csrf in [
        None,
        Some(""),
        Some("forged-token-forged-token-forged-token-xyz"),
    ] {
        let mut form = vec![
            ("request", id.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ];
        if let Some(csrf) = csrf {
            form.push(("csrf_token", csrf));
        }
        let response = flow::post_form(&app.client, &app.url("/login"), &form).await;
        let page = flow::assert_error_page(response, StatusCode::FORBIDDEN).await;
        assert!(page.contains("could not be verified"), "{csrf:?}: {page}");
    }
    // The token of the page, from another browser (which lacks the cookie).
    let (_, html) = flow::login_page(&app, &app.client, &id).await;
    let csrf = form_value(&html, "csrf_token").unwrap();
    let response = flow::post_form(
        &flow::browser(),
        &app.url("/login"),
        &[
            ("request", &id),
            ("csrf_token", &csrf),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await;
    flow::assert_error_page(response, StatusCode::FORBIDDEN).await;
    // No session was started by any of this.
    let next = flow::login(&app, &app.client, &id, "alice").await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
}

#[tokio::test]
async fn the_consent_form_needs_its_csrf_token() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    let consent_id = flow::login(&app, &app.client, &id, "alice").await.consent();
    for csrf in [None, Some("forged-token-forged-token-forged-token-xyz")] {
        let mut form = vec![("request", consent_id.as_str()), ("decision", "allow")];
        if let Some(csrf) = csrf {
            form.push(("csrf_token", csrf));
        }
        let response = flow::post_form(&app.client, &app.url("/consent"), &form).await;
        flow::assert_error_page(response, StatusCode::FORBIDDEN).await;
    }
    // The real form still works afterwards.
    let response = flow::submit_consent(&app, &app.client, &consent_id, "allow").await;
    let callback = flow::next(&app, response).await.client();
    flow::code_from(&app, &callback, &AuthRequest::new("web"));
}

#[tokio::test]
async fn a_pending_request_belongs_to_the_browser_that_started_it() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;

    // A browser without the binding cookie gets an error page.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = flow::get(&stranger, &app.url(&format!("/login?request={id}"))).await;
    let page = flow::assert_error_page(response, StatusCode::BAD_REQUEST).await;
    assert!(!page.contains("name=\"password\""), "{page}");

    // A browser with a binding cookie of its own too.
    let other = flow::browser();
    flow::start(&app, &other, &AuthRequest::new("web"))
        .await
        .login();
    let (status, page) = flow::login_page(&app, &other, &id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(!page.contains("name=\"password\""), "{page}");

    // Nor can it open the consent page of the original browser's request.
    let consent_id = flow::login(&app, &app.client, &id, "alice").await.consent();
    let (status, page) = flow::consent_page(&app, &other, &consent_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (status, _) = flow::consent_page(&app, &stranger, &consent_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Unknown request ids: the same page.
    let (status, _) = flow::login_page(&app, &app.client, "no-such-request").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_browser_cannot_finish_someone_elses_login() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    // The attacker has a binding cookie of its own and submits it, with
    // the victim's request id.
    let attacker = flow::browser();
    let own = flow::start(&app, &attacker, &AuthRequest::new("web"))
        .await
        .login();
    let (_, html) = flow::login_page(&app, &attacker, &own).await;
    let attacker_csrf = form_value(&html, "csrf_token").unwrap();
    let response = flow::post_form(
        &attacker,
        &app.url("/login"),
        &[
            ("request", &id),
            ("csrf_token", &attacker_csrf),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers().get(header::LOCATION), None);
}

#[tokio::test]
async fn a_completed_request_cannot_be_completed_again() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    let consent_id = flow::login(&app, &app.client, &id, "alice").await.consent();
    let (_, html) = flow::consent_page(&app, &app.client, &consent_id).await;
    let csrf = form_value(&html, "csrf_token").unwrap();
    let form = [
        ("request", consent_id.as_str()),
        ("csrf_token", csrf.as_str()),
        ("decision", "allow"),
    ];
    let first = flow::post_form(&app.client, &app.url("/consent"), &form).await;
    flow::next(&app, first).await.client();
    let again = flow::post_form(&app.client, &app.url("/consent"), &form).await;
    let page = flow::assert_error_page(again, StatusCode::BAD_REQUEST).await;
    assert!(page.contains("expired"), "{page}");
}

#[tokio::test]
async fn denying_consent_sends_access_denied_to_the_client() {
    let app = app_with_web().await;
    let request = AuthRequest::new("web").set("scope", "openid email profile");
    let id = flow::start(&app, &app.client, &request).await.login();
    let consent_id = flow::login(&app, &app.client, &id, "alice").await.consent();
    let (status, html) = flow::consent_page(&app, &app.client, &consent_id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("(email)") && html.contains("(profile)"),
        "{html}"
    );
    let response = flow::submit_consent(&app, &app.client, &consent_id, "deny").await;
    let callback = flow::next(&app, response).await.client();
    flow::assert_error_redirect(&app, &callback, &request, "access_denied");

    // Nothing was remembered: the next request asks again.
    let next = flow::start(&app, &app.client, &request).await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
    // A decision that is neither allow nor deny is refused.
    let consent_id = next.consent();
    let (_, html) = flow::consent_page(&app, &app.client, &consent_id).await;
    let csrf = form_value(&html, "csrf_token").unwrap();
    let response = flow::post_form(
        &app.client,
        &app.url("/consent"),
        &[
            ("request", &consent_id),
            ("csrf_token", &csrf),
            ("decision", "maybe"),
        ],
    )
    .await;
    flow::assert_error_page(response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn consent_is_remembered_and_asked_again_for_new_scopes() {
    let app = app_with_web().await;
    flow::code_for(&app, &app.client, &AuthRequest::new("web"), "alice").await;
    // Same scopes: straight to the client.
    let next = flow::start(&app, &app.client, &AuthRequest::new("web")).await;
    assert!(matches!(next, Next::Client(_)), "{next:?}");
    // A new scope: the consent page.
    let next = flow::start(
        &app,
        &app.client,
        &AuthRequest::new("web").set("scope", "openid email"),
    )
    .await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
    // prompt=consent asks even for what was granted.
    let next = flow::start(
        &app,
        &app.client,
        &AuthRequest::new("web").set("prompt", "consent"),
    )
    .await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
}

#[tokio::test]
async fn a_first_party_client_skips_consent() {
    let app = TestApp::spawn().await;
    flow::add_alice(&app);
    app.add_client("portal", &["--skip-consent"]);
    let request = AuthRequest::new("portal").set("scope", "openid email profile");
    let id = flow::start(&app, &app.client, &request).await.login();
    let callback = flow::login(&app, &app.client, &id, "alice").await.client();
    flow::code_from(&app, &callback, &request);
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_until_the_delay_passes() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    // Five failures for one account from one address (the pair).
    let failures = app.state.settings.login.pair_failures_before_delay;
    assert_eq!(failures, 5, "the documented default");
    for attempt in 1..=failures {
        let response = flow::submit_login(&app, &app.client, &id, "alice", "wrong password!").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Now even the right password is not checked.
    let before = app.state.passwords.verification_count();
    let response = flow::submit_login(&app, &app.client, &id, "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = response.text().await.unwrap();
    assert!(page.contains("Too many failed sign-in attempts"), "{page}");
    assert_eq!(app.state.passwords.verification_count(), before);
    // The name is compared case-insensitively.
    let response = flow::submit_login(&app, &app.client, &id, "ALICE", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another account from the same address is not blocked yet.
    app.cli(&["user", "add", "bob", "--password-stdin"], Some(PASSWORD))
        .ok();
    let browser = flow::browser();
    let bob = flow::start(&app, &browser, &AuthRequest::new("web"))
        .await
        .login();
    let next = flow::login(&app, &browser, &bob, "bob").await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");

    // Once the delay (base_delay_secs) has passed, the right password works.
    let delay = app.state.settings.login.base_delay_secs;
    app.clock.advance(delay + 1);
    let next = flow::login(&app, &app.client, &id, "alice").await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
}

#[tokio::test]
async fn repeated_failures_from_one_address_throttle_it_for_every_account() {
    let app = TestApp::spawn_with(|settings| {
        settings.login.ip_failures_before_delay = 3;
        settings.login.account_failures_before_delay = 100;
    })
    .await;
    flow::add_alice(&app);
    app.add_client("web", &[]);
    let id = pending_login(&app).await;
    for name in ["u1", "u2", "u3"] {
        let response = flow::submit_login(&app, &app.client, &id, name, "nope nope nope").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = flow::submit_login(&app, &app.client, &id, "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock
        .advance(app.state.settings.login.base_delay_secs + 1);
    let next = flow::login(&app, &app.client, &id, "alice").await;
    assert!(matches!(next, Next::Consent(_)), "{next:?}");
}

#[tokio::test]
async fn the_login_page_sends_security_headers_and_safe_cookies() {
    let app = app_with_web().await;
    let response = flow::authorize(&app, &app.client, &AuthRequest::new("web")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let csrf_cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gatehouse_csrf="))
        .expect("no CSRF cookie set by /authorize");
    assert!(csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let id = flow::next(&app, response).await.login();

    let response = flow::get(&app.client, &app.url(&format!("/login?request={id}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        flow::header_of(&response, header::REFERRER_POLICY),
        "no-referrer"
    );
    assert_eq!(
        flow::header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    let csp = flow::header_of(&response, header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(flow::header_of(&response, header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(
        flow::header_of(&response, header::CACHE_CONTROL),
        "no-store"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("type=\"password\""), "{html}");

    // The session cookie set by a successful login.
    let response = flow::submit_login(&app, &app.client, &id, "alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session_cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gatehouse_session="))
        .expect("no session cookie after login");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(session_cookie.contains("Path=/"), "{session_cookie}");
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().unwrap().strip_prefix("gatehouse_session="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .next()
}

/// `prompt=none` in a browser that carries only this session cookie.
async fn silent_with_session(app: &TestApp, session: &str) -> reqwest::Url {
    let request = AuthRequest::new("web").set("prompt", "none");
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(request.url(app))
        .header(header::COOKIE, format!("gatehouse_session={session}"))
        .send()
        .await
        .unwrap();
    flow::next(app, response).await.client()
}

#[tokio::test]
async fn a_new_login_replaces_the_session_it_found() {
    let app = app_with_web().await;
    let id = pending_login(&app).await;
    let response = flow::submit_login(&app, &app.client, &id, "alice", PASSWORD).await;
    let first = session_cookie(&response).expect("no session cookie after login");
    let consent = flow::next(&app, response).await.consent();
    flow::next(
        &app,
        flow::submit_consent(&app, &app.client, &consent, "allow").await,
    )
    .await
    .client();
    // The first session works on its own.
    let callback = silent_with_session(&app, &first).await;
    assert!(flow::param(&callback, "code").is_some(), "{callback}");

    let id = flow::start(
        &app,
        &app.client,
        &AuthRequest::new("web").set("prompt", "login"),
    )
    .await
    .login();
    let response = flow::submit_login(&app, &app.client, &id, "alice", PASSWORD).await;
    let second = session_cookie(&response).expect("a fresh login sets a new session cookie");
    assert_ne!(first, second, "the session id must change on login");
    assert!(second.len() >= 43, "{second:?}");
    // The old session id is dead; the new one lives.
    let callback = silent_with_session(&app, &first).await;
    assert_eq!(
        flow::param(&callback, "error").as_deref(),
        Some("login_required"),
        "{callback}"
    );
    let callback = silent_with_session(&app, &second).await;
    assert!(flow::param(&callback, "code").is_some(), "{callback}");
}
