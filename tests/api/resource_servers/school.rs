//! A Gatehouse set up like the school of `docs/AUTHORIZATION.md` (its APIs
//! and roles through the real command line, people and clients through the
//! test kit), and the ways its users and service accounts get
//! tokens: the authorization code flow (authorize → login → consent →
//! code → token) and client credentials.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::browser::{AuthRequest, Browser, Pkce, code_for};
pub use crate::helpers::{REDIRECT_URI, TestApp};

pub const SCHOOL: &str = "https://api.example.com/school";
pub const LIBRARY: &str = "https://api.example.com/library";
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
    crate::helpers::browser::jwt_parts(jwt).1
}

fn add_web_client(app: &TestApp, client_id: &str, extra: &[&str]) -> WebClient {
    WebClient {
        id: client_id.to_owned(),
        secret: app.add_client(client_id, extra),
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
        app.add_user("suman", &["school-admin", "librarian"]);
        app.add_user("rahul", &["student"]);
        let web = add_web_client(
            &app,
            WEB_CLIENT,
            &["--resource", SCHOOL, "--resource", LIBRARY],
        );
        let reporter_flags = ["--grant", "client_credentials", "--resource", SCHOOL];
        let reporter_secret = app.add_client(REPORTER, &reporter_flags);
        app.grant_client_role(REPORTER, "report-reader");
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
        let pkce = Pkce::new();
        let request = AuthRequest::new(&client.id)
            .set("scope", scope)
            .set(
                "state",
                &gatehouse::crypto::random::new_token().into_inner(),
            )
            .remove("nonce")
            .pkce(&pkce)
            .set("resource", resource);
        let code = code_for(app, &Browser::new(), &request, username).await;
        let body = self
            .token_request(
                &client.id,
                &client.secret,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &pkce.verifier),
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
