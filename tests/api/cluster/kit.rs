//! What the cluster tests share: a database several nodes start on, the
//! nodes, and a few protocol steps written out plainly (this directory
//! depends on nothing but `helpers`).

use std::sync::Arc;

use gatehouse::config::Settings;
use reqwest::{Response, StatusCode};
use url::Url;

use crate::helpers::{TestApp, TestEnv, require_tool};

/// One master key for every node, as a real cluster gets from its secret
/// store (several nodes creating `master.key` at once would race).
pub const MASTER_KEY: &str = "c2hhcmVkLWJ5LWV2ZXJ5LW5vZGUtb2YtY2x1c3RlciE";
pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";

pub use crate::helpers::{WITHIN, within_two_seconds};

/// A fresh PostgreSQL database for a cluster, or `None` (after one line
/// saying so) when the suite runs on SQLite. Under CI=true with PostgreSQL
/// configured, never `None`.
pub fn cluster_env() -> Option<Arc<TestEnv>> {
    if !require_tool("postgres") {
        return None;
    }
    Some(TestEnv::new())
}

/// The settings every node shares: the master key and one issuer, so that
/// a token issued by one node is valid on all.
pub fn node_settings(settings: &mut Settings, issuer: &str) {
    settings.master_key = MASTER_KEY.to_owned().into();
    settings.server.issuer = issuer.to_owned();
}

/// `count` nodes on `env`, started one after the other, all with the first
/// node's issuer.
pub async fn nodes(env: &Arc<TestEnv>, count: usize) -> Vec<TestApp> {
    let first = TestApp::spawn_in(env.clone(), |s| {
        s.master_key = MASTER_KEY.to_owned().into();
    })
    .await;
    let issuer = first.issuer.clone();
    let mut all = vec![first];
    for _ in 1..count {
        all.push(TestApp::spawn_in(env.clone(), |s| node_settings(s, &issuer)).await);
    }
    all
}

/// Runs the real `gatehouse` command line on the cluster's database.
pub fn cli(env: &TestEnv, args: &[&str]) -> String {
    let mut command = env.command();
    command.env("GATEHOUSE_MASTER_KEY", MASTER_KEY);
    crate::helpers::run_cli(command, args, None).ok().to_owned()
}

pub fn add_user(env: &TestEnv, username: &str) {
    let mut command = env.command();
    command.env("GATEHOUSE_MASTER_KEY", MASTER_KEY);
    crate::helpers::run_cli(
        command,
        &["user", "add", username, "--password-stdin"],
        Some(PASSWORD),
    )
    .ok();
}

/// A confidential client (with `REDIRECT_URI` unless `extra` names its
/// grants); returns its secret.
pub fn add_client(env: &TestEnv, client_id: &str, extra: &[&str]) -> String {
    let mut args = vec!["client", "add", client_id];
    if !extra.contains(&"--grant") {
        args.extend(["--redirect-uri", REDIRECT_URI]);
    }
    args.extend_from_slice(extra);
    let out = cli(env, &args);
    out.lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed: {out}"))
        .trim()
        .to_owned()
}

/// A browser: one cookie jar, whichever node it talks to (the nodes share
/// the host 127.0.0.1, so their cookies are shared, as behind one balancer).
pub struct Browser {
    pub client: reqwest::Client,
}

impl Browser {
    pub fn new() -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.unwrap()
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.unwrap()
    }
}

/// The `/authorize` path and query for `client_id` (plain code flow, no
/// PKCE: a confidential client).
pub fn authorize_path(client_id: &str, scope: &str) -> String {
    let mut url = Url::parse("http://x/authorize").unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1");
    format!("{}?{}", url.path(), url.query().unwrap())
}

pub fn location(response: &Response) -> Url {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap_or_else(|| panic!("no Location on {}", response.status()))
        .to_str()
        .unwrap();
    Url::parse(location)
        .or_else(|_| Url::parse("http://127.0.0.1/").unwrap().join(location))
        .unwrap()
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Posts a code to `/token` on `node`.
pub async fn redeem(node: &TestApp, client: (&str, &str), code: &str) -> Response {
    reqwest::Client::new()
        .post(node.url("/token"))
        .basic_auth(client.0, Some(client.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn client_credentials(node: &TestApp, client: (&str, &str)) -> Response {
    reqwest::Client::new()
        .post(node.url("/token"))
        .basic_auth(client.0, Some(client.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

pub async fn introspect(node: &TestApp, rs: (&str, &str), token: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(node.url("/introspect"))
        .basic_auth(rs.0, Some(rs.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}
