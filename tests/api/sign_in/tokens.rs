//! What the tokens of the code flow say: the access token per RFC 9068,
//! the ID token's claims per granted scope, and `at_hash`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse::{accounts::users::NewUser, clock::Clock};
use serde_json::{Value, json};

use super::flow::{self, AuthRequest, ClientAuth, NONCE};
use crate::helpers::TestApp;

async fn app_with_alice(email_verified: bool, client_extra: &[&str]) -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    let sub = app.add_user_with(NewUser {
        username: "alice".into(),
        email: Some("alice@example.com".into()),
        email_verified,
        name: Some("Alice Liddell".into()),
        ..NewUser::default()
    });
    let secret = app.add_client("web", client_extra);
    (app, sub, secret)
}

fn claim_names(claims: &Value) -> Vec<String> {
    let mut names: Vec<String> = claims.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

fn half_hash_b64(alg: &'static ring::digest::Algorithm, token: &str) -> String {
    let digest = ring::digest::digest(alg, token.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[tokio::test]
async fn the_access_token_is_an_rfc9068_jwt_with_roles_and_permissions() {
    let app = TestApp::spawn().await;
    app.cli(&["role", "add", "editor"], None).ok();
    let sub = app.add_user_with(NewUser {
        username: "alice".into(),
        email: Some("alice@example.com".into()),
        roles: vec!["editor".into()],
        ..NewUser::default()
    });
    let secret = app.add_client("web", &[]);
    let before = app.clock.now();
    let tokens = flow::tokens_for(&app, &secret, "openid roles").await;
    let (header, claims) = flow::jwt_parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    assert!(header["kid"].is_string());
    let kids = app.published_kids().await;
    assert!(kids.contains(&header["kid"].as_str().unwrap().to_owned()));

    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["client_id"], "web");
    assert_eq!(claims["scope"], "openid roles");
    let userinfo = format!("{}/userinfo", app.issuer);
    let aud_has_userinfo = match &claims["aud"] {
        Value::String(one) => one == &userinfo,
        Value::Array(many) => many.contains(&json!(userinfo)),
        _ => false,
    };
    assert!(aud_has_userinfo, "{claims}");
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= before, "{claims}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 600);
    assert!(claims["jti"].as_str().unwrap().len() >= 22, "{claims}");
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
    assert_eq!(claims["roles"], json!(["editor"]));
    assert_eq!(claims["permissions"], json!([]));
    assert_eq!(tokens["expires_in"], 600);

    // Two tokens never share a jti.
    let again = flow::tokens_for(&app, &secret, "openid").await;
    let (_, other) = flow::jwt_parts(again["access_token"].as_str().unwrap());
    assert_ne!(other["jti"], claims["jti"]);
}

#[tokio::test]
async fn the_id_token_has_the_required_claims_and_no_others_for_openid() {
    let (app, sub, secret) = app_with_alice(false, &[]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid").await;
    let (header, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(
        claim_names(&claims),
        vec![
            "acr",
            "amr",
            "at_hash",
            "aud",
            "auth_time",
            "exp",
            "iat",
            "iss",
            "nonce",
            "sid",
            "sub"
        ],
        "{claims}"
    );
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert!(claims["sid"].as_str().unwrap().len() >= 22);
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["exp"].as_i64().unwrap() > iat);
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
}

#[tokio::test]
async fn email_claims_need_the_email_scope_and_say_whether_it_was_verified() {
    let (app, _, secret) = app_with_alice(false, &[]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid profile").await;
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("email").is_none(), "{claims}");
    assert!(claims.get("email_verified").is_none(), "{claims}");
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["preferred_username"], "alice");
    assert!(
        claims["updated_at"].is_i64(),
        "updated_at must be a number: {claims}"
    );
    assert!(claims.get("roles").is_none(), "{claims}");

    let tokens = flow::tokens_for(&app, &secret, "openid email").await;
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], false);
    assert!(claims.get("name").is_none(), "{claims}");
    assert!(claims.get("preferred_username").is_none(), "{claims}");

    let (app, _, secret) = app_with_alice(true, &[]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid email").await;
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["email_verified"], true);
}

#[tokio::test]
async fn all_scopes_together_and_claims_the_user_lacks_are_no_error() {
    let app = TestApp::spawn().await;
    // No email and no name.
    app.add_user("alice", &[]);
    let secret = app.add_client("web", &[]);
    let tokens = flow::tokens_for(&app, &secret, "openid profile email roles").await;
    assert_eq!(tokens["scope"], "openid profile email roles");
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("email").is_none(), "{claims}");
    assert!(claims.get("name").is_none(), "{claims}");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["roles"], json!([]));
}

#[tokio::test]
async fn unknown_scopes_are_dropped_from_the_grant() {
    let (app, _, secret) = app_with_alice(false, &[]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid email payments:write").await;
    assert_eq!(tokens["scope"], "openid email");
}

#[tokio::test]
async fn a_client_limited_to_some_scopes_gets_no_more() {
    let (app, _, secret) =
        app_with_alice(false, &["--scope", "openid", "--scope", "profile"]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid email profile").await;
    assert_eq!(tokens["scope"], "openid profile");
    let (_, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("email").is_none(), "{claims}");
}

#[tokio::test]
async fn at_hash_is_the_left_half_of_the_algorithms_hash() {
    // RS256: SHA-256, 16 bytes → 22 characters.
    let (app, _, secret) = app_with_alice(false, &[]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let (header, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims["at_hash"],
        half_hash_b64(&ring::digest::SHA256, access_token)
    );
    assert_eq!(claims["at_hash"].as_str().unwrap().len(), 22);

    // EdDSA (Ed25519): SHA-512, 32 bytes → 43 characters.
    let (app, _, secret) = app_with_alice(false, &["--id-token-alg", "EdDSA"]).await;
    let tokens = flow::tokens_for(&app, &secret, "openid").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let (header, claims) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(
        claims["at_hash"],
        half_hash_b64(&ring::digest::SHA512, access_token)
    );
    assert_eq!(claims["at_hash"].as_str().unwrap().len(), 43);
    // The access token itself stays ES256.
    assert_eq!(flow::jwt_parts(access_token).0["alg"], "ES256");
}

#[tokio::test]
async fn a_public_client_gets_the_same_tokens_without_a_secret() {
    let app = TestApp::spawn().await;
    let sub = flow::add_alice(&app);
    app.add_client("spa", &["--public"]);
    let pkce = flow::Pkce::new();
    let request = AuthRequest::new("spa")
        .pkce(&pkce)
        .set("scope", "openid email");
    let code = flow::code_for(&app, &app.client, &request, "alice").await;
    let tokens = flow::token_ok(
        flow::redeem(&app, ClientAuth::Public("spa"), &code, Some(&pkce.verifier)).await,
    )
    .await;
    let (_, id_token) = flow::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], "spa");
    assert_eq!(id_token["sub"], sub.as_str());
    let (_, access) = flow::jwt_parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["client_id"], "spa");
}

#[tokio::test]
async fn access_tokens_in_another_configured_algorithm_work_at_userinfo() {
    for (alg, name) in [
        (gatehouse::crypto::SigningAlgorithm::RS256, "RS256"),
        (gatehouse::crypto::SigningAlgorithm::EdDSA, "EdDSA"),
    ] {
        let app = TestApp::spawn_with(|settings| {
            settings.tokens.access_token_alg = alg;
            settings.tokens.access_token_ttl_secs = 120;
        })
        .await;
        flow::add_alice(&app);
        let secret = app.add_client("web", &[]);
        let tokens = flow::tokens_for(&app, &secret, "openid").await;
        assert_eq!(tokens["expires_in"], 120, "{name}");
        let access_token = tokens["access_token"].as_str().unwrap();
        let (header, claims) = flow::jwt_parts(access_token);
        assert_eq!(header["alg"], name);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            120
        );
        let response = flow::userinfo(&app, access_token).await;
        assert_eq!(response.status(), 200, "{name}");
    }
}
