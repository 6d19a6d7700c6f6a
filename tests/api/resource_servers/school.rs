//! A Gatehouse set up like the school of `docs/AUTHORIZATION.md`, through
//! the real command line, and the ways its users and service accounts get
//! tokens: the authorization code flow (authorize → login → consent →
//! code → token) and client credentials.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{StatusCode, header};
use serde_json::Value;
use url::Url;

use crate::helpers::{TestApp, form_value};

pub const SCHOOL: &str = "https://api.example.com/school";
pub const LIBRARY: &str = "https://api.example.com/library";
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";
pub const PASSWORD: &str = "correct horse battery staple";
pub const WEB_CLIENT: &str = "school-web";
pub const REPORTER: &str = "reporter";

pub struct School {
    pub app: TestApp,
    pub web: WebClient,
    reporter_secret: String,
}

/// A confidential client of the authorization code flow.
#[derive(Debug, Clone)]
pub struct WebClient {
    pub id: String,
    secret: String,
}

/// A token response from `/token`.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: Option<String>,
}

impl Tokens {
    /// The access token's claims (not verified: the examples do that).
    pub fn claims(&self) -> Value {
        payload(&self.access_token)
    }
}

/// The decoded payload of a JWT.
pub fn payload(jwt: &str) -> Value {
    let part = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn secret_from(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed:\n{out}"))
        .trim()
        .to_owned()
}

fn add_web_client(app: &TestApp, client_id: &str, extra: &[&str]) -> WebClient {
    let mut args = vec!["client", "add", client_id, "--redirect-uri", REDIRECT_URI];
    args.extend_from_slice(extra);
    let out = app.cli(&args, None);
    WebClient {
        id: client_id.to_owned(),
        secret: secret_from(out.ok()),
    }
}

impl School {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customise: impl FnOnce(&mut gatehouse::config::Settings)) -> Self {
        let app = TestApp::spawn_with(customise).await;
        // The commands of docs/AUTHORIZATION.md, plus a second API.
        let commands: &[&[&str]] = &[
            &["api", "add", SCHOOL, "--name", "School"],
            &["api", "add", LIBRARY, "--name", "Library"],
            &["permission", "add", SCHOOL, "students:delete"],
            &["permission", "add", SCHOOL, "students:read"],
            &["permission", "add", LIBRARY, "books:lend"],
            &["permission", "add", LIBRARY, "books:read"],
            &["role", "add", "school-admin"],
            &["role", "add", "student"],
            &["role", "add", "librarian"],
            &["role", "add", "report-reader"],
            &["role", "allow", "school-admin", SCHOOL, "students:delete"],
            &["role", "allow", "school-admin", SCHOOL, "students:read"],
            &["role", "allow", "student", SCHOOL, "students:read"],
            &["role", "allow", "student", LIBRARY, "books:read"],
            &["role", "allow", "librarian", LIBRARY, "books:lend"],
            &["role", "allow", "librarian", LIBRARY, "books:read"],
            &["role", "allow", "report-reader", SCHOOL, "students:read"],
        ];
        for args in commands {
            app.cli(args, None).ok();
        }
        // `user add --role` is `user add` + `role grant`.
        let users: [&[&str]; 2] = [
            &["suman", "--role", "school-admin", "--role", "librarian"],
            &["rahul", "--role", "student"],
        ];
        for user in users {
            let mut args = vec!["user", "add", "--password-stdin"];
            args.extend_from_slice(user);
            app.cli(&args, Some(PASSWORD)).ok();
        }
        let web = add_web_client(
            &app,
            WEB_CLIENT,
            &["--resource", SCHOOL, "--resource", LIBRARY],
        );
        let reporter = app.cli(
            &[
                "client",
                "add",
                REPORTER,
                "--grant",
                "client_credentials",
                "--resource",
                SCHOOL,
            ],
            None,
        );
        let reporter_secret = secret_from(reporter.ok());
        app.cli(&["client", "grant-role", REPORTER, "report-reader"], None)
            .ok();
        School {
            app,
            web,
            reporter_secret,
        }
    }

    /// Another client redirecting to `REDIRECT_URI`, with `extra` options.
    pub fn add_web_client(&self, client_id: &str, extra: &[&str]) -> WebClient {
        add_web_client(&self.app, client_id, extra)
    }

    /// `username` signs in through school-web (authorization code + PKCE,
    /// `scope=openid`), asking for `resource`; the tokens it gets.
    pub async fn user_tokens(&self, username: &str, resource: &str) -> Tokens {
        self.user_tokens_with(&self.web, username, resource, "openid")
            .await
    }

    /// The same through `client`, asking for `scope`.
    pub async fn user_tokens_with(
        &self,
        client: &WebClient,
        username: &str,
        resource: &str,
        scope: &str,
    ) -> Tokens {
        let app = &self.app;
        // A browser of its own: cookies kept, no redirect followed.
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let verifier = gatehouse::crypto::random::new_token().into_inner();
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = gatehouse::crypto::random::new_token().into_inner();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", &client.id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", scope),
                ("state", &state),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("resource", resource),
            ])
            .finish();
        let mut response = browser
            .get(app.url(&format!("/authorize?{query}")))
            .send()
            .await
            .unwrap();
        let code = loop {
            if !response.status().is_redirection() {
                let (url, status) = (response.url().clone(), response.status());
                let body = response.text().await.unwrap_or_default();
                panic!("{username}: expected a redirect from {url}, got {status}: {body}");
            }
            let location = response
                .headers()
                .get(header::LOCATION)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let next = Url::parse(&app.address).unwrap().join(&location).unwrap();
            if location.starts_with(REDIRECT_URI) {
                let param = |name: &str| {
                    next.query_pairs()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.into_owned())
                };
                assert_eq!(param("state").as_deref(), Some(state.as_str()));
                break param("code").unwrap_or_else(|| panic!("{username}: no code in {location}"));
            }
            let page = browser.get(next.clone()).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "GET {next}");
            let html = page.text().await.unwrap();
            let field = |name: &str| {
                form_value(&html, name).unwrap_or_else(|| panic!("no {name} in {next}:\n{html}"))
            };
            let form: Vec<(&str, String)> = match next.path() {
                "/login" => vec![
                    ("request", field("request")),
                    ("csrf_token", field("csrf_token")),
                    ("username", username.to_owned()),
                    ("password", PASSWORD.to_owned()),
                ],
                "/consent" => vec![
                    ("request", field("request")),
                    ("csrf_token", field("csrf_token")),
                    ("decision", "allow".to_owned()),
                ],
                other => panic!("{username}: unexpected step {other} ({location})"),
            };
            response = browser
                .post(app.url(next.path()))
                .form(&form)
                .send()
                .await
                .unwrap();
        };
        let body = self
            .token_request(
                &client.id,
                &client.secret,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        Tokens {
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            id_token: body["id_token"].as_str().map(str::to_owned),
        }
    }

    /// The reporter service account's token (client credentials).
    pub async fn reporter_token(&self) -> Tokens {
        let body = self
            .token_request(
                REPORTER,
                &self.reporter_secret,
                &[("grant_type", "client_credentials")],
            )
            .await;
        Tokens {
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            id_token: None,
        }
    }

    /// The reporter's raw token response to a client credentials request.
    pub async fn reporter_token_response(&self, form: &[(&str, &str)]) -> Value {
        let mut form = form.to_vec();
        form.push(("grant_type", "client_credentials"));
        self.token_request(REPORTER, &self.reporter_secret, &form)
            .await
    }

    async fn token_request(&self, client_id: &str, secret: &str, form: &[(&str, &str)]) -> Value {
        let response = self
            .app
            .client
            .post(self.app.url("/token"))
            .basic_auth(client_id, Some(secret))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "token request {form:?}: {body}");
        body
    }

    /// A user's `sub`.
    pub fn sub_of(&self, username: &str) -> String {
        let username = username.to_owned();
        self.app
            .db(move |conn| gatehouse::db::users::find_by_username(conn, &username))
            .unwrap_or_else(|| panic!("no such user"))
            .id
    }
}
