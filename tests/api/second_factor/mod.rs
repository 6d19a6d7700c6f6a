//! Two-step sign-in: authenticator apps (TOTP) enrolled during sign-in,
//! codes and recovery codes at the second step, `amr`/`acr` in the
//! tokens, `acr_values` step-up, the `require-mfa` role switch and an
//! administrator's reset.

mod account;
mod administration;
mod codes;
mod enrolment;
mod policy;

use gatehouse::clock::Clock;
use reqwest::{Response, StatusCode};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{
    TestApp,
    browser::{self, AuthRequest, Next, Pkce, between, get, next, post_form},
    form_value,
};

pub const MFA_ACR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
pub const PASSWORD_ACR: &str = "urn:gatehouse:acr:pwd";

/// The code an authenticator app with this base32 secret shows at the
/// server clock's time plus `offset_secs`.
pub fn totp_code(app: &TestApp, secret: &str, offset_secs: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    totp.generate((app.clock.now() + offset_secs) as u64)
}

pub fn second_step_url(app: &TestApp, request_id: &str) -> String {
    app.url(&format!("/login/second-factor?request={request_id}"))
}

/// The second-step page of a request: status and HTML.
pub async fn second_step_page(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
) -> (StatusCode, String) {
    let response = get(browser, &second_step_url(app, request_id)).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Submits `code` on the second-step page of a request.
pub async fn submit_code(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
    code: &str,
) -> Response {
    let (status, html) = second_step_page(app, browser, request_id).await;
    assert_eq!(status, StatusCode::OK, "second-step page:\n{html}");
    assert!(html.contains(r#"name="code""#), "{html}");
    let csrf = form_value(&html, "csrf_token").unwrap();
    post_form(
        browser,
        &app.url("/login/second-factor"),
        &[
            ("request", request_id),
            ("csrf_token", &csrf),
            ("code", code),
        ],
    )
    .await
}

/// What enrolling an app during sign-in left the person with.
pub struct Enrolled {
    pub secret: String,
    pub recovery_codes: Vec<String>,
    /// Where "continue" after the recovery codes led.
    pub next: Next,
}

/// At the enrolment page of a request: reads the secret, confirms it with
/// a current code, reads the recovery codes and continues.
pub async fn enrol_during_sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    request_id: &str,
) -> Enrolled {
    let (status, html) = second_step_page(app, browser, request_id).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<svg"),
        "a QR code rendered in the page:\n{html}"
    );
    let uri = browser::unescape(&between(&html, r#"id="totp-uri">"#, "</code>").unwrap());
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let secret = between(&html, r#"id="totp-secret">"#, "</code>").unwrap();
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let csrf = form_value(&html, "csrf_token").unwrap();
    let enrol = |code: String| {
        let csrf = csrf.clone();
        async move {
            post_form(
                browser,
                &app.url("/login/second-factor/enrol"),
                &[
                    ("request", request_id),
                    ("csrf_token", &csrf),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    let wrong = enrol("000000".into()).await;
    assert_eq!(
        wrong.status(),
        StatusCode::UNAUTHORIZED,
        "a wrong confirmation code"
    );
    let page = enrol(totp_code(app, &secret, 0)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let list = between(&html, r#"id="recovery-codes">"#, "</ol>").unwrap();
    let recovery_codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|item| item.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery_codes.len(), 10, "{html}");
    let csrf = form_value(&html, "csrf_token").unwrap();
    let continued = post_form(
        browser,
        &app.url("/login/second-factor/continue"),
        &[("request", request_id), ("csrf_token", &csrf)],
    )
    .await;
    Enrolled {
        secret,
        recovery_codes,
        next: next(app, continued).await,
    }
}

/// Starts a sign-in for `client_id` as `username` and gives the password:
/// the request id of the second step it is then asked for.
pub async fn password_step(
    app: &TestApp,
    browser: &reqwest::Client,
    request: &AuthRequest,
    username: &str,
) -> String {
    let request_id = browser::start(app, browser, request).await.login();
    browser::login(app, browser, &request_id, username)
        .await
        .second_factor()
}

/// A request with PKCE for `client_id` and scope `openid`.
pub fn request_for(client_id: &str) -> (AuthRequest, Pkce) {
    let pkce = Pkce::new();
    (AuthRequest::new(client_id).pkce(&pkce), pkce)
}
