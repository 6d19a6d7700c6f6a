//! Tokens Gatehouse would never issue: signed by a foreign key, by the real
//! key but with one thing wrong, `alg: none`, and HS256 keyed with the
//! published public key (algorithm confusion).

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use gatehouse::crypto::{SigningAlgorithm, SigningKey};
use serde_json::{Value, json};

use super::school::{SCHOOL, WEB_CLIENT};
use crate::helpers::TestApp;

fn now() -> i64 {
    use gatehouse::clock::Clock;
    gatehouse::clock::SystemClock.now()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims that would pass anywhere on the school API for `sub`: the
/// issuer, the audience, fresh times, and the delete permission.
pub fn school_admin_claims(app: &TestApp, sub: &str) -> Value {
    let now = now();
    json!({
        "iss": app.issuer,
        "sub": sub,
        "aud": SCHOOL,
        "client_id": WEB_CLIENT,
        "scope": "openid",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": gatehouse::crypto::random::new_token().into_inner(),
        "roles": ["school-admin"],
        "permissions": ["students:delete", "students:read"],
    })
}

/// Signed by Gatehouse's own current key for `alg` (a real signature, so
/// only what the test changed can make a resource server refuse it).
pub fn signed_by_gatehouse(
    app: &TestApp,
    alg: SigningAlgorithm,
    typ: &str,
    claims: &Value,
) -> String {
    app.state
        .keys
        .signer(alg)
        .unwrap_or_else(|| panic!("no {alg} signing key"))
        .sign_jwt(typ, claims)
        .unwrap()
}

/// Signed by a key Gatehouse never published.
pub fn signed_by_foreign_key(claims: &Value) -> String {
    SigningKey::generate(SigningAlgorithm::ES256)
        .unwrap()
        .sign_jwt("at+jwt", claims)
        .unwrap()
}

/// `alg: none`, naming Gatehouse's key, with an empty signature.
pub fn unsigned(kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": kid});
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// HS256 with `secret` as the HMAC key, naming Gatehouse's key.
pub fn hs256(kid: &str, secret: &[u8], claims: &Value) -> String {
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// The forms of Gatehouse's published ES256 public key that a confused
/// verifier might use as an HMAC secret: the SubjectPublicKeyInfo PEM
/// (with and without the final newline), its DER, the raw point, and the
/// JWK as published.
pub fn public_key_secrets(app: &TestApp) -> (String, Vec<(&'static str, Vec<u8>)>) {
    let key = app.state.keys.signer(SigningAlgorithm::ES256).unwrap();
    let jwk = key.public_jwk();
    let coordinate = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let mut point = vec![0x04];
    point.extend(coordinate("x"));
    point.extend(coordinate("y"));
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING point }
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    der.extend(&point);
    let body = STANDARD.encode(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    let secrets = vec![
        ("PEM", pem.clone().into_bytes()),
        ("PEM without newline", pem.trim_end().as_bytes().to_vec()),
        ("DER", der),
        ("raw point", point),
        ("JWK", Value::Object(jwk.clone()).to_string().into_bytes()),
    ];
    (key.kid().to_owned(), secrets)
}
