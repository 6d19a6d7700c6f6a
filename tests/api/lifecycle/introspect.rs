//! `POST /introspect` (RFC 7662): confidential callers see their own tokens
//! and access tokens for the APIs they serve; everything else — including
//! expired, revoked, malformed and forged tokens — is `{"active": false}`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse::clock::Clock;
use gatehouse::crypto::{SigningAlgorithm, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::flow::{
    self, Auth, Browser, OFFLINE, add_refreshing_client, assert_oauth_error, introspect, is_active,
    jwt_parts, revoke, token_ok,
};
use crate::helpers::TestApp;

const API: &str = "https://api.example.com/x";
const OTHER_API: &str = "https://other.example.com/y";

/// alice (role `reader`, permission `read` on API), client `web` asking
/// tokens for API, resource servers `rs` (introspects API) and `rs2`
/// (introspects another API), and alice's tokens.
struct World {
    app: TestApp,
    sub: String,
    web: String,
    rs: String,
    rs2: String,
    tokens: flow::Tokens,
}

impl World {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        for args in [
            &["api", "add", API][..],
            &["api", "add", OTHER_API],
            &["permission", "add", API, "read"],
            &["role", "add", "reader"],
            &["role", "allow", "reader", API, "read"],
        ] {
            app.cli(args, None).ok();
        }
        let sub = app.add_user("alice", &[]);
        app.cli(&["role", "grant", "reader", "alice"], None).ok();
        let web = add_refreshing_client(&app, "web", &["--skip-consent", "--resource", API]);
        let rs = resource_server(&app, "rs", API);
        let rs2 = resource_server(&app, "rs2", OTHER_API);
        let tokens = flow::tokens_in(
            &app,
            &Browser::new(),
            Auth::Basic("web", &web),
            "web",
            OFFLINE,
            "alice",
        )
        .await;
        Self {
            app,
            sub,
            web,
            rs,
            rs2,
            tokens,
        }
    }

    fn web(&self) -> Auth<'_> {
        Auth::Basic("web", &self.web)
    }

    fn rs(&self) -> Auth<'_> {
        Auth::Basic("rs", &self.rs)
    }
}

fn resource_server(app: &TestApp, id: &str, api: &str) -> String {
    let out = app.cli(
        &[
            "client",
            "add",
            id,
            "--grant",
            "client_credentials",
            "--introspect",
            api,
            "--resource",
            api,
        ],
        None,
    );
    out.ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no secret: {out}"))
        .trim()
        .to_owned()
}

#[track_caller]
fn assert_inactive(answer: &Value, what: &str) {
    assert_eq!(answer, &json!({ "active": false }), "{what}");
}

fn audience(aud: &Value) -> Vec<String> {
    match aud {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("aud is {other}"),
    }
}

#[tokio::test]
async fn the_issuing_client_sees_its_access_token_with_its_claims() {
    let w = World::start().await;
    let answer = introspect(&w.app, w.web(), &w.tokens.access_token).await;
    let (_, claims) = jwt_parts(&w.tokens.access_token);
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], w.sub.as_str(), "{answer}");
    assert_eq!(answer["client_id"], "web");
    assert_eq!(answer["scope"], claims["scope"]);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["exp"], claims["exp"]);
    assert_eq!(answer["iat"], claims["iat"]);
    assert_eq!(
        answer["exp"].as_i64().unwrap() - answer["iat"].as_i64().unwrap(),
        600
    );
    assert!(
        audience(&answer["aud"]).contains(&API.to_owned()),
        "{answer}"
    );
    assert_eq!(answer["roles"], json!(["reader"]), "{answer}");
    assert_eq!(answer["permissions"], json!(["read"]), "{answer}");
}

#[tokio::test]
async fn a_resource_server_sees_access_tokens_for_the_api_it_serves_only() {
    let w = World::start().await;
    let answer = introspect(&w.app, w.rs(), &w.tokens.access_token).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], w.sub.as_str());
    assert_eq!(answer["client_id"], "web");
    assert_eq!(answer["permissions"], json!(["read"]));

    // Not its API, not its token.
    let rs2 = introspect(&w.app, Auth::Basic("rs2", &w.rs2), &w.tokens.access_token).await;
    assert_inactive(&rs2, "rs2 does not serve API");
    let other = add_refreshing_client(&w.app, "other", &[]);
    let answer = introspect(&w.app, Auth::Post("other", &other), &w.tokens.access_token).await;
    assert_inactive(&answer, "another client");
    // Nor refresh tokens, which are the issuing client's business.
    let answer = introspect(&w.app, w.rs(), w.tokens.refresh_token()).await;
    assert_inactive(&answer, "a resource server and a refresh token");
    // An ID token is no access token, even for the client it names.
    let answer = introspect(&w.app, w.web(), w.tokens.id_token()).await;
    assert_inactive(&answer, "an ID token");

    // rs's own client-credentials token is its own to introspect.
    let own = token_ok(
        flow::post_as(
            &w.app,
            "/token",
            w.rs(),
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    let answer = introspect(&w.app, w.rs(), &own.access_token).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], "rs", "{answer}");
    assert_eq!(answer["client_id"], "rs");
}

#[tokio::test]
async fn refresh_tokens_introspect_for_their_own_client() {
    let w = World::start().await;
    let answer = introspect(&w.app, w.web(), w.tokens.refresh_token()).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], w.sub.as_str());
    assert_eq!(answer["client_id"], "web");
    assert_eq!(answer["scope"], w.tokens.scope.as_str());
    assert_eq!(answer["token_type"], "refresh_token");
    assert!(answer["exp"].as_i64().unwrap() > w.app.clock.now());

    let next = token_ok(flow::refresh(&w.app, w.web(), w.tokens.refresh_token(), &[]).await).await;
    assert!(
        !is_active(&w.app, w.web(), w.tokens.refresh_token()).await,
        "a rotated token"
    );
    assert!(is_active(&w.app, w.web(), next.refresh_token()).await);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_inactive() {
    let w = World::start().await;
    // Revoked.
    let second = flow::tokens_in(&w.app, &Browser::new(), w.web(), "web", OFFLINE, "alice").await;
    assert!(is_active(&w.app, w.rs(), &second.access_token).await);
    assert_eq!(
        revoke(&w.app, w.web(), &second.access_token, None)
            .await
            .status(),
        200
    );
    assert_inactive(
        &introspect(&w.app, w.rs(), &second.access_token).await,
        "revoked",
    );
    assert_inactive(
        &introspect(&w.app, w.web(), &second.access_token).await,
        "revoked",
    );

    // Expired: the access token lives 600 s.
    w.app.clock.advance(599);
    assert!(
        is_active(&w.app, w.rs(), &w.tokens.access_token).await,
        "still alive at 599 s"
    );
    w.app.clock.advance(2);
    assert_inactive(
        &introspect(&w.app, w.rs(), &w.tokens.access_token).await,
        "expired",
    );
    assert_inactive(
        &introspect(&w.app, w.web(), &w.tokens.access_token).await,
        "expired",
    );
}

/// Signs `header.claims` with a P-256 key that is not the server's.
fn sign_es256_with_foreign_key(header: &Value, claims: &Value) -> String {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let signature = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

#[tokio::test]
async fn malformed_garbage_and_forged_tokens_are_inactive() {
    let w = World::start().await;
    let (header, claims) = jwt_parts(&w.tokens.access_token);

    // The same claims under a key of its own, published nowhere.
    let foreign = SigningKey::generate(SigningAlgorithm::ES256).unwrap();
    let forged = foreign.sign_jwt("at+jwt", &claims).unwrap();
    // The same claims under a foreign key that claims to be ours.
    let impostor = sign_es256_with_foreign_key(&header, &claims);
    // Our signature, but claims that say more (a permission added).
    let mut richer = claims.clone();
    richer["permissions"] = json!(["read", "write"]);
    let parts: Vec<&str> = w.tokens.access_token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&richer).unwrap()),
        parts[2]
    );
    // No signature at all.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&json!({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}))
                .unwrap()
        ),
        parts[1]
    );
    for (what, token) in [
        ("garbage", "garbage".to_owned()),
        ("three dots of garbage", "a.b.c".to_owned()),
        ("empty parts", "..".to_owned()),
        ("a foreign key", forged),
        ("a foreign key with our kid", impostor),
        ("tampered claims", tampered),
        ("alg none", unsigned),
    ] {
        for (caller, auth) in [("web", w.web()), ("rs", w.rs())] {
            let answer = introspect(&w.app, auth, &token).await;
            assert_inactive(&answer, &format!("{what}, asked by {caller}"));
        }
    }
    // The real token is fine, so the refusals above are about the tokens.
    assert!(is_active(&w.app, w.rs(), &w.tokens.access_token).await);
}

#[tokio::test]
async fn tokens_of_a_disabled_client_or_user_are_inactive() {
    let w = World::start().await;
    w.app.cli(&["client", "disable", "web"], None).ok();
    assert_inactive(
        &introspect(&w.app, w.rs(), &w.tokens.access_token).await,
        "the issuing client is disabled",
    );
    w.app.cli(&["client", "enable", "web"], None).ok();
    assert!(is_active(&w.app, w.rs(), &w.tokens.access_token).await);

    w.app.cli(&["user", "disable", "alice"], None).ok();
    assert_inactive(
        &introspect(&w.app, w.rs(), &w.tokens.access_token).await,
        "the user is disabled",
    );
    assert_inactive(
        &introspect(&w.app, w.web(), w.tokens.refresh_token()).await,
        "the user is disabled",
    );
}

#[tokio::test]
async fn only_authenticated_confidential_clients_may_introspect() {
    let w = World::start().await;
    w.app.add_client("spa", &["--public"]);
    for (what, auth) in [
        ("a public client", Auth::Public("spa")),
        ("nobody", Auth::None),
        ("a wrong secret", Auth::Basic("rs", "wrong")),
        (
            "a confidential client without its secret",
            Auth::Public("rs"),
        ),
        ("an unknown client", Auth::Basic("ghost", "whatever")),
    ] {
        let response = flow::post_as(
            &w.app,
            "/introspect",
            auth,
            &[("token", &w.tokens.access_token)],
        )
        .await;
        let body = assert_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(body.get("active").is_none(), "{what}: {body}");
    }
    let response = flow::post_as(&w.app, "/introspect", w.rs(), &[]).await;
    assert_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}
