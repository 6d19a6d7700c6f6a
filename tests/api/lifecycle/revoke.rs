//! `POST /revoke` (RFC 7009): refresh tokens take their family (and its
//! access tokens) with them, access tokens go by `jti`; only the client a
//! token was issued to can revoke it, and the answer never tells whether a
//! token existed.

use reqwest::{StatusCode, header};

use super::flow::{
    self, Auth, Browser, OFFLINE, Pkce, add_refreshing_client, assert_oauth_error, header_of,
    is_active, refresh, revoke, token_ok, userinfo_status,
};
use crate::helpers::TestApp;

struct Signed {
    app: TestApp,
    secret: String,
    tokens: flow::Tokens,
}

impl Signed {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        app.add_user("alice", &[]);
        let secret = add_refreshing_client(&app, "web", &["--skip-consent"]);
        let tokens = flow::tokens_in(
            &app,
            &Browser::new(),
            Auth::Basic("web", &secret),
            "web",
            OFFLINE,
            "alice",
        )
        .await;
        Self {
            app,
            secret,
            tokens,
        }
    }

    fn auth(&self) -> Auth<'_> {
        Auth::Basic("web", &self.secret)
    }
}

/// A 200 with an empty body, `no-store` and CORS for any origin.
async fn assert_revoked_ok(response: reqwest::Response) {
    let status = response.status();
    let cors = header_of(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN);
    let cache = header_of(&response, header::CACHE_CONTROL);
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(cors, "*");
    assert_eq!(cache, "no-store");
    assert!(body.is_empty(), "{body}");
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let s = Signed::start().await;
    let second = token_ok(refresh(&s.app, s.auth(), s.tokens.refresh_token(), &[]).await).await;
    assert_revoked_ok(
        revoke(
            &s.app,
            s.auth(),
            second.refresh_token(),
            Some("refresh_token"),
        )
        .await,
    )
    .await;

    let response = refresh(&s.app, s.auth(), second.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(!is_active(&s.app, s.auth(), second.refresh_token()).await);
    for access in [&s.tokens.access_token, &second.access_token] {
        assert_eq!(userinfo_status(&s.app, access).await, 401);
        assert!(!is_active(&s.app, s.auth(), access).await);
    }
}

#[tokio::test]
async fn revoking_an_access_token_revokes_only_that_token() {
    let s = Signed::start().await;
    let post = Auth::Post("web", &s.secret);
    assert_revoked_ok(revoke(&s.app, post, &s.tokens.access_token, Some("access_token")).await)
        .await;
    assert_eq!(userinfo_status(&s.app, &s.tokens.access_token).await, 401);
    assert!(!is_active(&s.app, s.auth(), &s.tokens.access_token).await);
    // The refresh token lives on and buys a working access token.
    let next = token_ok(refresh(&s.app, s.auth(), s.tokens.refresh_token(), &[]).await).await;
    assert_eq!(userinfo_status(&s.app, &next.access_token).await, 200);
}

#[tokio::test]
async fn the_token_type_hint_is_honoured_but_not_trusted() {
    let s = Signed::start().await;
    let second_browser = Browser::new();
    let other = flow::tokens_in(&s.app, &second_browser, s.auth(), "web", OFFLINE, "alice").await;

    // A refresh token sent as an "access_token".
    assert_revoked_ok(
        revoke(
            &s.app,
            s.auth(),
            s.tokens.refresh_token(),
            Some("access_token"),
        )
        .await,
    )
    .await;
    let response = refresh(&s.app, s.auth(), s.tokens.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // An access token sent as a "refresh_token".
    assert_eq!(userinfo_status(&s.app, &other.access_token).await, 200);
    assert_revoked_ok(revoke(&s.app, s.auth(), &other.access_token, Some("refresh_token")).await)
        .await;
    assert_eq!(userinfo_status(&s.app, &other.access_token).await, 401);
    // ... which did not take the other family's refresh token with it.
    token_ok(refresh(&s.app, s.auth(), other.refresh_token(), &[]).await).await;
}

#[tokio::test]
async fn a_client_can_never_revoke_another_clients_tokens() {
    let s = Signed::start().await;
    let thief = s.app.add_client("thief", &[]);
    s.app.add_client("spa", &["--public"]);
    for auth in [Auth::Basic("thief", &thief), Auth::Public("spa")] {
        for token in [s.tokens.refresh_token(), s.tokens.access_token.as_str()] {
            for hint in [None, Some("refresh_token"), Some("access_token")] {
                assert_revoked_ok(revoke(&s.app, auth, token, hint).await).await;
            }
        }
    }
    assert_eq!(userinfo_status(&s.app, &s.tokens.access_token).await, 200);
    assert!(is_active(&s.app, s.auth(), &s.tokens.access_token).await);
    assert!(is_active(&s.app, s.auth(), s.tokens.refresh_token()).await);
    token_ok(refresh(&s.app, s.auth(), s.tokens.refresh_token(), &[]).await).await;
}

#[tokio::test]
async fn unknown_and_already_revoked_tokens_get_200() {
    let s = Signed::start().await;
    for token in ["no-such-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        assert_revoked_ok(revoke(&s.app, s.auth(), token, None).await).await;
    }
    for _ in 0..2 {
        assert_revoked_ok(revoke(&s.app, s.auth(), s.tokens.refresh_token(), None).await).await;
        assert_revoked_ok(revoke(&s.app, s.auth(), &s.tokens.access_token, None).await).await;
    }
    assert_eq!(userinfo_status(&s.app, &s.tokens.access_token).await, 401);
}

#[tokio::test]
async fn a_public_client_revokes_its_own_tokens_with_its_client_id() {
    let app = TestApp::spawn().await;
    app.add_user("alice", &[]);
    app.add_client(
        "spa",
        &[
            "--public",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--skip-consent",
        ],
    );
    let pkce = Pkce::new();
    let url = flow::authorize_url(
        &app,
        "spa",
        OFFLINE,
        &[
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let callback = flow::sign_in_at(&app, &Browser::new(), &url, "alice").await;
    let code = flow::callback_code(&app, &callback);
    let tokens =
        token_ok(flow::redeem(&app, Auth::Public("spa"), &code, Some(&pkce.verifier)).await).await;

    assert_revoked_ok(revoke(&app, Auth::Public("spa"), tokens.refresh_token(), None).await).await;
    let response = refresh(&app, Auth::Public("spa"), tokens.refresh_token(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(userinfo_status(&app, &tokens.access_token).await, 401);

    // An unknown client id is no client.
    let response = revoke(&app, Auth::Public("nobody"), tokens.refresh_token(), None).await;
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn confidential_clients_must_authenticate() {
    let s = Signed::start().await;
    let token = s.tokens.refresh_token();
    let response = revoke(&s.app, Auth::Basic("web", "wrong-secret"), token, None).await;
    assert!(
        header_of(&response, header::WWW_AUTHENTICATE).starts_with("Basic"),
        "{:?}",
        response.headers()
    );
    assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    for auth in [
        Auth::Public("web"),
        Auth::None,
        Auth::Post("web", "wrong-secret"),
    ] {
        let response = revoke(&s.app, auth, token, None).await;
        assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
    // Nothing was revoked.
    assert!(is_active(&s.app, s.auth(), token).await);
    assert_eq!(userinfo_status(&s.app, &s.tokens.access_token).await, 200);
}

#[tokio::test]
async fn a_request_without_a_token_or_not_a_form_is_invalid_request() {
    let s = Signed::start().await;
    let response = flow::post_as(&s.app, "/revoke", s.auth(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = reqwest::Client::new()
        .post(s.app.url("/revoke"))
        .basic_auth("web", Some(&s.secret))
        .json(&serde_json::json!({ "token": s.tokens.refresh_token() }))
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(is_active(&s.app, s.auth(), s.tokens.refresh_token()).await);
}

#[tokio::test]
async fn browsers_may_call_it_from_any_origin() {
    let s = Signed::start().await;
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, s.app.url("/revoke"))
        .header(header::ORIGIN, "https://spa.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        header_of(&preflight, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "*"
    );
    assert!(
        header_of(&preflight, header::ACCESS_CONTROL_ALLOW_METHODS).contains("POST"),
        "{:?}",
        preflight.headers()
    );
    let response = reqwest::Client::new()
        .post(s.app.url("/revoke"))
        .header(header::ORIGIN, "https://spa.example")
        .basic_auth("web", Some(&s.secret))
        .form(&[("token", s.tokens.refresh_token())])
        .send()
        .await
        .unwrap();
    assert_revoked_ok(response).await;
}

#[tokio::test]
async fn revocation_racing_refreshes_leaves_nothing_alive() {
    let s = Signed::start().await;
    let mut current = s.tokens.clone();
    for round in 0..12 {
        // Refreshes of the current token race its revocation.
        let mut tasks = Vec::new();
        for i in 0..5 {
            let url_token = s.app.url("/token");
            let url_revoke = s.app.url("/revoke");
            let (secret, token) = (s.secret.clone(), current.refresh_token().to_owned());
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let response = if i == 2 {
                    client
                        .post(url_revoke)
                        .basic_auth("web", Some(secret))
                        .form(&[("token", token.as_str())])
                        .send()
                        .await
                } else {
                    client
                        .post(url_token)
                        .basic_auth("web", Some(secret))
                        .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                        .send()
                        .await
                }
                .unwrap();
                let status = response.status();
                (i, status, response.text().await.unwrap())
            }));
        }
        let mut issued = Vec::new();
        for task in tasks {
            let (i, status, body) = task.await.unwrap();
            assert!(
                !status.is_server_error(),
                "round {round}, request {i}: {status} {body}"
            );
            if i == 2 {
                assert_eq!(status, StatusCode::OK, "round {round}: revocation: {body}");
            } else if status == StatusCode::OK {
                let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                issued.push(json);
            } else {
                assert!(
                    body.contains("invalid_grant"),
                    "round {round}: {status} {body}"
                );
            }
        }
        // Whatever the refreshes got, the revocation took it too.
        for json in &issued {
            let refresh_token = json["refresh_token"].as_str().unwrap();
            let access_token = json["access_token"].as_str().unwrap();
            assert!(
                !is_active(&s.app, s.auth(), refresh_token).await,
                "round {round}: a refresh token outlived the revocation of its family"
            );
            assert_eq!(
                userinfo_status(&s.app, access_token).await,
                401,
                "round {round}: an access token outlived the revocation of its family"
            );
        }
        // Next round: a fresh family.
        current = flow::tokens_in(&s.app, &Browser::new(), s.auth(), "web", OFFLINE, "alice").await;
    }
}
