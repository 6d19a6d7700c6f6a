//! Signing keys: one per algorithm, published as public JWKs that verify
//! the server's tokens, and kept (sealed) across restarts.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse::clock::Clock;
use gatehouse::crypto::{SigningAlgorithm, install_jwt_provider};
use insta::{assert_json_snapshot, dynamic_redaction};
use jsonwebtoken::{
    DecodingKey, Validation, decode, decode_header,
    jwk::{JwkSet, ThumbprintHash},
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn stored_kids(app: &TestApp) -> Vec<String> {
    let mut kids: Vec<String> = app
        .db(gatehouse::db::signing_keys::list)
        .into_iter()
        .map(|row| row.kid)
        .collect();
    kids.sort();
    kids
}

#[tokio::test]
async fn jwks_publishes_one_public_key_per_algorithm() {
    let app = TestApp::spawn().await;
    let response = app.get("/jwks.json").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "{jwks}");

    let mut kids = Vec::new();
    for (alg, kty) in [("RS256", "RSA"), ("ES256", "EC"), ("EdDSA", "OKP")] {
        let matching: Vec<&Value> = keys.iter().filter(|k| k["alg"] == alg).collect();
        assert_eq!(matching.len(), 1, "{alg}: {jwks}");
        let key = matching[0];
        assert_eq!(key["kty"], kty, "{key}");
        assert_eq!(key["use"], "sig", "{key}");
        let kid = key["kid"].as_str().unwrap();
        assert!(!kid.is_empty());
        for member in PRIVATE_MEMBERS {
            assert!(key.get(member).is_none(), "{alg} JWK leaks {member:?}");
        }
        let algorithm: SigningAlgorithm = alg.parse().unwrap();
        assert_eq!(app.state.keys.signer(algorithm).unwrap().kid(), kid);
        kids.push(kid.to_owned());
    }
    kids.sort();
    kids.dedup();
    assert_eq!(kids.len(), 3, "kids must be distinct");
}

#[tokio::test]
async fn kids_are_rfc7638_thumbprints() {
    install_jwt_provider();
    let app = TestApp::spawn().await;
    let set: JwkSet = app.get("/jwks.json").await.json().await.unwrap();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone().unwrap();
        // jsonwebtoken computes no Ed25519 thumbprint; RSA and EC suffice
        // to pin the construction.
        if let Ok(thumbprint) = jwk.thumbprint(ThumbprintHash::SHA256) {
            assert_eq!(kid, thumbprint);
        }
    }
}

#[tokio::test]
async fn jwks_matches_its_snapshot_shape() {
    let app = TestApp::spawn().await;
    let jwks = app.get_json("/jwks.json").await;
    // Key material changes every run: the snapshot records its length.
    let sized = |expected_bytes: usize| {
        dynamic_redaction(move |value, path| {
            let text = value
                .as_str()
                .unwrap_or_else(|| panic!("{path} is not a string"));
            let bytes = URL_SAFE_NO_PAD.decode(text).unwrap_or_else(|e| {
                panic!("{path} is not unpadded base64url: {e}");
            });
            assert_eq!(bytes.len(), expected_bytes, "{path}");
            format!("[{expected_bytes} bytes]")
        })
    };
    assert_json_snapshot!("jwks", jwks, {
        ".keys[].kid" => dynamic_redaction(|value, _| {
            // A SHA-256 thumbprint: 32 bytes of base64url.
            assert_eq!(value.as_str().map(str::len), Some(43), "{value:?}");
            "[kid]"
        }),
        ".keys[0].n" => sized(256),
        ".keys[1].x" => sized(32),
        ".keys[1].y" => sized(32),
        ".keys[2].x" => sized(32),
    });
}

#[tokio::test]
async fn tokens_signed_by_each_key_verify_against_the_published_jwks() {
    install_jwt_provider();
    let app = TestApp::spawn().await;
    let set: JwkSet = app.get("/jwks.json").await.json().await.unwrap();
    let now = app.clock.now();
    let claims = json!({
        "iss": app.issuer, "sub": "tester", "aud": "test-api",
        "iat": now, "exp": now + 300,
    });
    for alg in SigningAlgorithm::ALL {
        let signer = app.state.keys.signer(alg).unwrap();
        let token = signer.sign_jwt("JWT", &claims).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, alg.to_jsonwebtoken());
        let kid = header.kid.unwrap();
        assert_eq!(kid, signer.kid());

        let jwk = set
            .find(&kid)
            .unwrap_or_else(|| panic!("{alg}: kid {kid} not published"));
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(alg.to_jsonwebtoken());
        validation.set_audience(&["test-api"]);
        validation.set_issuer(&[&app.issuer]);
        let data = decode::<Value>(&token, &key, &validation)
            .unwrap_or_else(|e| panic!("{alg}: a token from the key store does not verify: {e}"));
        assert_eq!(data.claims["sub"], "tester");

        // A changed payload under the same signature must not verify.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "admin"}).to_string());
        parts[1] = &forged;
        assert!(
            decode::<Value>(&parts.join("."), &key, &validation).is_err(),
            "{alg}"
        );

        // Nor may another published key verify it.
        for other in SigningAlgorithm::ALL.into_iter().filter(|a| *a != alg) {
            let other_kid = app.state.keys.signer(other).unwrap().kid().to_owned();
            let other_key = DecodingKey::from_jwk(set.find(&other_kid).unwrap()).unwrap();
            let validation = Validation::new(other.to_jsonwebtoken());
            assert!(
                decode::<Value>(&token, &other_key, &validation).is_err(),
                "{alg}/{other}"
            );
        }
    }
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let app = TestApp::spawn().await;
    let before = app.published_kids().await;
    assert_eq!(before.len(), 3);
    assert_eq!(stored_kids(&app), before);

    let app = app.restart().await;
    assert_eq!(
        app.published_kids().await,
        before,
        "a restart must reuse the stored keys"
    );
    assert_eq!(stored_kids(&app), before, "a restart must not create keys");
}

#[tokio::test]
async fn a_wrong_master_key_is_a_startup_error_not_a_new_key() {
    let app = TestApp::spawn().await;
    let kids = stored_kids(&app);
    let env = app.env.clone();
    drop(app);

    let other_key = gatehouse::crypto::random::new_token().into_inner();
    let error = TestApp::try_spawn_in(env.clone(), move |settings| {
        settings.master_key = gatehouse::secret::Secret::new(other_key);
    })
    .await
    .err()
    .expect("a wrong master key must stop the start");
    let message = error.to_string();
    assert!(message.contains("master key"), "{message}");
    assert!(!message.contains("MasterKey("), "{message}");

    // The right key (the file) still works, and nothing was replaced.
    let app = TestApp::spawn_in(env, |_| {}).await;
    assert_eq!(stored_kids(&app), kids);
    assert_eq!(app.published_kids().await, kids);
}

#[tokio::test]
async fn a_lost_master_key_file_is_a_startup_error_not_a_new_key() {
    let app = TestApp::spawn().await;
    let kids = stored_kids(&app);
    let env = app.env.clone();
    drop(app);

    std::fs::remove_file(env.data_dir().join("master.key")).unwrap();
    let error = TestApp::try_spawn_in(env.clone(), |_| {}).await.err();
    let message = error
        .expect("keys sealed under a lost master key cannot load")
        .to_string();
    assert!(message.contains("master key"), "{message}");

    let db = gatehouse::db::Db::connect(
        &gatehouse::config::DatabaseUrl::parse(env.database_url()).unwrap(),
        1,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let mut after: Vec<String> = db
        .run_blocking(gatehouse::db::signing_keys::list)
        .unwrap()
        .into_iter()
        .map(|row| row.kid)
        .collect();
    after.sort();
    assert_eq!(after, kids, "no key may be created or replaced");
}
