//! RP-Initiated Logout 1.0 at `/logout`: a valid `id_token_hint` for the
//! current session and a registered `post_logout_redirect_uri` sign out at
//! once and go back to the client with `state`; anything less is never a
//! silent redirect — the person confirms with a CSRF-protected form.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{Response, StatusCode, header};
use serde_json::json;
use url::Url;

use super::flow::{
    self, Auth, Browser, POST_LOGOUT_URI, assert_signed_in, assert_signed_out, header_of, location,
    set_cookies,
};
use crate::helpers::{TestApp, form_value};

const LOGOUT_STATE: &str = "bye-42";

/// alice signed in at `web` (which registered `POST_LOGOUT_URI`) in
/// `browser`, with her ID token.
struct Session {
    app: TestApp,
    secret: String,
    browser: Browser,
    id_token: String,
}

impl Session {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        app.add_user("alice", &[]);
        let secret = app.add_client(
            "web",
            &[
                "--skip-consent",
                "--post-logout-redirect-uri",
                POST_LOGOUT_URI,
            ],
        );
        let mut session = Self {
            app,
            secret,
            browser: Browser::new(),
            id_token: String::new(),
        };
        session.sign_in_again().await;
        session
    }

    /// A new browser, and a new session of alice's in it.
    async fn sign_in_again(&mut self) {
        let browser = Browser::new();
        let tokens = flow::tokens_in(
            &self.app,
            &browser,
            Auth::Basic("web", &self.secret),
            "web",
            "openid",
            "alice",
        )
        .await;
        assert!(
            browser.session(&self.app).is_some(),
            "no session cookie after sign-in"
        );
        self.browser = browser;
        self.id_token = tokens.id_token().to_owned();
    }

    fn logout_url(&self, params: &[(&str, &str)]) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.app.url(&format!("/logout?{query}"))
    }

    async fn get_logout(&self, params: &[(&str, &str)]) -> Response {
        self.browser.get(&self.logout_url(params)).await
    }

    /// GET `/logout` with the hint, the registered URI and `state`.
    fn full(&self) -> Vec<(&str, &str)> {
        vec![
            ("id_token_hint", self.id_token.as_str()),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", LOGOUT_STATE),
        ]
    }
}

/// A 303 to the registered URI with `state`, clearing the session cookie.
#[track_caller]
fn assert_redirected_back(app: &TestApp, response: &Response) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(app, response);
    let expected = Url::parse(&format!("{POST_LOGOUT_URI}?state={LOGOUT_STATE}")).unwrap();
    assert_eq!(target, expected);
    assert_session_cookie_cleared(response);
}

#[track_caller]
fn assert_session_cookie_cleared(response: &Response) {
    let cookies = set_cookies(response);
    let cleared = cookies.iter().any(|c| {
        let lower = c.to_ascii_lowercase();
        c.starts_with(&format!("{}=;", flow::SESSION_COOKIE))
            && (lower.contains("max-age=0") || lower.contains("expires=thu, 01 jan 1970"))
    });
    assert!(cleared, "the session cookie is not cleared: {cookies:?}");
}

/// The confirmation page: 200, no redirect, a POST form to /logout with
/// a CSRF token and a `decision=logout` button. Returns the form fields.
async fn assert_confirmation_page(response: Response) -> Vec<(String, String)> {
    let url = response.url().clone();
    assert_eq!(
        response.headers().get(header::LOCATION),
        None,
        "{url}: redirects"
    );
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"method="post""#), "{html}");
    assert!(html.contains(r#"action="/logout""#), "{html}");
    assert!(
        html.contains(r#"name="decision" value="logout""#),
        "no decision=logout button:\n{html}"
    );
    let mut fields = Vec::new();
    for name in [
        "csrf_token",
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
        "state",
    ] {
        if let Some(value) = form_value(&html, name) {
            fields.push((name.to_owned(), html_unescape(&value)));
        }
    }
    let csrf = fields
        .iter()
        .find(|(n, _)| n == "csrf_token")
        .map(|(_, v)| v.clone());
    assert!(
        csrf.is_some_and(|t| t.len() >= 32),
        "no csrf_token:\n{html}"
    );
    fields
}

fn html_unescape(value: &str) -> String {
    value
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&#x3d;", "=")
        .replace("&#61;", "=")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Submits the confirmation form with `decision`.
async fn confirm(s: &Session, fields: &[(String, String)], decision: &str) -> Response {
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    form.push(("decision", decision));
    s.browser.post_form(&s.app.url("/logout"), &form).await
}

/// The signed-out page: 200, no redirect.
async fn assert_logged_out_page(response: Response) {
    assert_eq!(
        response.headers().get(header::LOCATION),
        None,
        "must not redirect"
    );
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.to_lowercase().contains("signed out"), "{html}");
}

#[tokio::test]
async fn a_valid_hint_and_registered_uri_sign_out_and_go_back_with_state() {
    let s = Session::start().await;
    let old_cookie = s.browser.session(&s.app).unwrap();
    let response = s.get_logout(&s.full()).await;
    assert_redirected_back(&s.app, &response);
    assert_eq!(
        s.browser.session(&s.app),
        None,
        "the browser still holds the cookie"
    );
    assert_signed_out(&s.app, &s.browser, "web").await;

    // The session ended at the server too: its old cookie is worthless.
    let replay = Browser::new();
    replay.jar.add_cookie_str(
        &format!("{}={old_cookie}; Path=/", flow::SESSION_COOKIE),
        &Url::parse(&s.app.address).unwrap(),
    );
    assert_eq!(replay.session(&s.app).as_deref(), Some(old_cookie.as_str()));
    assert_signed_out(&s.app, &replay, "web").await;
}

#[tokio::test]
async fn a_same_site_post_works_like_get() {
    let s = Session::start().await;
    let response = s.browser.post_form(&s.app.url("/logout"), &s.full()).await;
    assert_redirected_back(&s.app, &response);
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn an_expired_hint_is_still_accepted() {
    let s = Session::start().await;
    s.app.clock.advance(3_600); // the ID token lived 600 s
    assert_signed_in(&s.app, &s.browser, "web").await;
    let response = s.get_logout(&s.full()).await;
    assert_redirected_back(&s.app, &response);
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn no_parameters_at_all_ask_first_then_show_the_signed_out_page() {
    let s = Session::start().await;
    let fields = assert_confirmation_page(s.browser.get(&s.app.url("/logout")).await).await;
    assert_signed_in(&s.app, &s.browser, "web").await;
    let response = confirm(&s, &fields, "logout").await;
    assert_session_cookie_cleared(&response);
    assert_logged_out_page(response).await;
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn without_a_hint_a_registered_uri_is_honoured_after_confirmation() {
    let s = Session::start().await;
    let params = [
        ("client_id", "web"),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ("state", LOGOUT_STATE),
    ];
    let fields = assert_confirmation_page(s.get_logout(&params).await).await;
    assert_signed_in(&s.app, &s.browser, "web").await;
    let response = confirm(&s, &fields, "logout").await;
    assert_redirected_back(&s.app, &response);
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn staying_signed_in_keeps_the_session() {
    let s = Session::start().await;
    let fields = assert_confirmation_page(s.browser.get(&s.app.url("/logout")).await).await;
    let response = confirm(&s, &fields, "stay").await;
    assert_eq!(response.headers().get(header::LOCATION), None);
    assert_eq!(response.status(), StatusCode::OK);
    assert_signed_in(&s.app, &s.browser, "web").await;
}

/// Variants of the hint that must not be trusted.
fn bad_hints(id_token: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = id_token.split('.').collect();
    let (header, mut claims) = flow::jwt_parts(id_token);
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&json!({"alg": "none", "typ": "JWT", "kid": header["kid"]}))
                .unwrap()
        ),
        parts[1]
    );
    let alg_none_keeping_signature = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json!({"alg": "none", "typ": "JWT"})).unwrap()),
        parts[1],
        parts[2]
    );
    claims["sub"] = json!("someone-else");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    vec![
        ("garbage", "not-a-jwt".to_owned()),
        ("alg none", alg_none),
        (
            "alg none with the old signature",
            alg_none_keeping_signature,
        ),
        ("tampered claims", tampered),
    ]
}

#[tokio::test]
async fn a_bad_hint_never_redirects_and_the_person_confirms() {
    let s = Session::start().await;
    let mut last = Vec::new();
    for (what, hint) in bad_hints(&s.id_token) {
        let params = [
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", LOGOUT_STATE),
        ];
        let response = s.get_logout(&params).await;
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        last = assert_confirmation_page(response).await;
        assert_signed_in(&s.app, &s.browser, "web").await;
    }
    // Confirming signs out, but still does not send the browser to a URI
    // that only an unverified hint vouched for.
    let response = confirm(&s, &last, "logout").await;
    assert_logged_out_page(response).await;
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn an_access_token_is_no_id_token_hint() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = app.add_client(
        "web",
        &[
            "--skip-consent",
            "--post-logout-redirect-uri",
            POST_LOGOUT_URI,
        ],
    );
    let browser = Browser::new();
    let tokens = flow::tokens_in(
        &app,
        &browser,
        Auth::Basic("web", &secret),
        "web",
        "openid",
        "alice",
    )
    .await;
    let url = app.url(&format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri={}&state={LOGOUT_STATE}",
        tokens.access_token,
        url::form_urlencoded::byte_serialize(POST_LOGOUT_URI.as_bytes()).collect::<String>()
    ));
    let fields = assert_confirmation_page(browser.get(&url).await).await;
    assert_signed_in(&app, &browser, "web").await;
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    form.push(("decision", "logout"));
    let response = browser.post_form(&app.url("/logout"), &form).await;
    assert_logged_out_page(response).await;
}

#[tokio::test]
async fn an_unregistered_or_altered_uri_never_redirects() {
    let mut s = Session::start().await;
    for uri in [
        "http://127.0.0.1:3000/bye?x=1",
        "http://127.0.0.1:3000/bye/",
        "http://127.0.0.1:3000/other",
        "https://evil.example/bye",
    ] {
        s.sign_in_again().await;
        let params = [
            ("id_token_hint", s.id_token.as_str()),
            ("post_logout_redirect_uri", uri),
            ("state", LOGOUT_STATE),
        ];
        let response = s.get_logout(&params).await;
        let fields = assert_confirmation_page(response).await;
        assert_signed_in(&s.app, &s.browser, "web").await;
        let response = confirm(&s, &fields, "logout").await;
        assert_logged_out_page(response).await;
        assert_signed_out(&s.app, &s.browser, "web").await;
    }
}

#[tokio::test]
async fn the_confirmation_needs_its_csrf_token() {
    let s = Session::start().await;
    let fields = assert_confirmation_page(s.browser.get(&s.app.url("/logout")).await).await;
    let without: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| n != "csrf_token")
        .cloned()
        .collect();
    let response = confirm(&s, &without, "logout").await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "without csrf_token"
    );
    assert_signed_in(&s.app, &s.browser, "web").await;

    let wrong: Vec<(String, String)> = fields
        .iter()
        .map(|(n, v)| {
            if n == "csrf_token" {
                (n.clone(), "A".repeat(v.len()))
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let response = confirm(&s, &wrong, "logout").await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a wrong csrf_token"
    );
    assert_signed_in(&s.app, &s.browser, "web").await;

    // The right token from another browser (no CSRF cookie) is no good
    // either.
    let other = Browser::new();
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    form.push(("decision", "logout"));
    let response = other.post_form(&s.app.url("/logout"), &form).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "another browser");
    assert_signed_in(&s.app, &s.browser, "web").await;

    let response = confirm(&s, &fields, "logout").await;
    assert_logged_out_page(response).await;
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn a_cross_site_post_without_the_session_cookie_becomes_a_get() {
    let s = Session::start().await;
    // A relying party's auto-submitting form: the Lax cookie is not sent.
    let response = Browser::new()
        .post_form(&s.app.url("/logout"), &s.full())
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&s.app, &response);
    assert_eq!(target.path(), "/logout");
    assert!(target.as_str().starts_with(&s.app.address), "{target}");
    let mut sent: Vec<(String, String)> = s
        .full()
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let mut got: Vec<(String, String)> = target.query_pairs().into_owned().collect();
    sent.sort();
    got.sort();
    assert_eq!(got, sent, "the parameters must survive the 303");
    assert_signed_in(&s.app, &s.browser, "web").await;

    // The browser follows it, now with its cookie: signed out and back.
    let response = s.browser.get(target.as_str()).await;
    assert_redirected_back(&s.app, &response);
    assert_signed_out(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn a_hint_for_another_session_asks_first() {
    let s = Session::start().await;
    // alice signs in again in a second browser: a second session.
    let second = Browser::new();
    let url = flow::authorize_url(&s.app, "web", "openid", &[]);
    flow::sign_in_at(&s.app, &second, &url, "alice").await;
    let params = s.full();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let response = second.get(&s.app.url(&format!("/logout?{query}"))).await;
    assert_confirmation_page(response).await;
    assert_signed_in(&s.app, &second, "web").await;
    assert_signed_in(&s.app, &s.browser, "web").await;
}

#[tokio::test]
async fn a_hint_for_another_user_asks_first() {
    let s = Session::start().await;
    s.app.add_user("bob", &[]);
    let bob = Browser::new();
    let url = flow::authorize_url(&s.app, "web", "openid", &[]);
    flow::sign_in_at(&s.app, &bob, &url, "bob").await;
    // alice's hint in bob's browser.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&s.full())
        .finish();
    let response = bob.get(&s.app.url(&format!("/logout?{query}"))).await;
    assert_confirmation_page(response).await;
    assert_signed_in(&s.app, &bob, "web").await;
}

#[tokio::test]
async fn a_client_id_that_contradicts_the_hint_gets_no_redirect() {
    let s = Session::start().await;
    s.app.add_client(
        "other",
        &[
            "--post-logout-redirect-uri",
            "http://127.0.0.1:3000/other-bye",
        ],
    );
    let params = [
        ("id_token_hint", s.id_token.as_str()),
        ("client_id", "other"),
        (
            "post_logout_redirect_uri",
            "http://127.0.0.1:3000/other-bye",
        ),
        ("state", LOGOUT_STATE),
    ];
    let response = s.get_logout(&params).await;
    assert_ne!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        response.headers()
    );
    assert_eq!(response.headers().get(header::LOCATION), None);
}

#[tokio::test]
async fn with_nobody_signed_in_a_valid_hint_goes_straight_back() {
    let s = Session::start().await;
    let stranger = Browser::new();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&s.full())
        .finish();
    let response = stranger.get(&s.app.url(&format!("/logout?{query}"))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let expected = Url::parse(&format!("{POST_LOGOUT_URI}?state={LOGOUT_STATE}")).unwrap();
    assert_eq!(location(&s.app, &response), expected);
    // Nothing was ended on the way.
    assert_signed_in(&s.app, &s.browser, "web").await;
}

/// Issue 18, point 16: after logout Gatehouse's own endpoints refuse the
/// access tokens issued in that session; offline access (a refresh token)
/// outlives the sign-in, and so do the access tokens it buys afterwards.
#[tokio::test]
async fn logout_ends_its_sessions_access_tokens_at_gatehouse_but_not_offline_access() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    let secret = flow::add_refreshing_client(
        &app,
        "web",
        &[
            "--skip-consent",
            "--post-logout-redirect-uri",
            POST_LOGOUT_URI,
        ],
    );
    let auth = Auth::Basic("web", &secret);
    let browser = Browser::new();
    let tokens = flow::tokens_in(
        &app,
        &browser,
        auth,
        "web",
        "openid offline_access",
        "alice",
    )
    .await;
    assert_eq!(
        flow::userinfo_status(&app, &tokens.access_token).await,
        StatusCode::OK
    );

    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("id_token_hint", tokens.id_token()),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ])
        .finish();
    let logout = browser.get(&app.url(&format!("/logout?{query}"))).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flow::userinfo_status(&app, &tokens.access_token).await,
        StatusCode::UNAUTHORIZED
    );

    app.clock.advance(1);
    let refreshed =
        flow::token_ok(flow::refresh(&app, auth, tokens.refresh_token(), &[]).await).await;
    assert_eq!(
        flow::userinfo_status(&app, &refreshed.access_token).await,
        StatusCode::OK
    );
}
