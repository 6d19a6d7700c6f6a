//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662): the same
//! form rules as `/token`; unknown or malformed tokens are not errors
//! (revocation answers 200, introspection `active: false`).

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use super::{Case, Expect::*, Fixture, Raw, case, form, long, run_table};

const INVALID_REQUEST: &[&str] = &["invalid_request"];
const INVALID_CLIENT: &[&str] = &["invalid_client"];

/// A JWT signed with `none`, claiming to be one of ours.
const ALG_NONE: &str =
    "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xIiwic3ViIjoicm9vdCJ9.";

fn endpoint_cases(fx: &Fixture, path: &'static str) -> Vec<Case> {
    let secret = fx.web_secret.as_str();
    let web = |body: &str| Raw::form(path, body).basic("web", secret);
    let name = |what: &str| format!("{path}: {what}");
    let basic = |raw: &[u8]| format!("Basic {}", STANDARD.encode(raw));
    vec![
        case(
            name("json body"),
            Raw::json(path, &json!({"token": "x"})).basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("json body labelled as a form"),
            web(r#"{"token":"x"}"#),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("no content type"),
            Raw::post(path).body("token=x").basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("text/plain"),
            Raw::post(path)
                .header("Content-Type", "text/plain")
                .body("token=x")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("raw bytes that are not UTF-8"),
            web("").body(b"token=\xff\xfe"),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("percent-encoded invalid UTF-8"),
            web("token=%FF%FE"),
            OAuth(INVALID_REQUEST),
        ),
        case(name("no token"), web(""), OAuth(INVALID_REQUEST)),
        case(name("empty token"), web("token="), OAuth(INVALID_REQUEST)),
        case(
            name("token twice"),
            web("token=a&token=b"),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("token_type_hint twice"),
            web("token=a&token_type_hint=access_token&token_type_hint=refresh_token"),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("no client authentication"),
            Raw::form(path, "token=x"),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("wrong secret"),
            Raw::form(path, "token=x").basic("web", "wrong"),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Basic not base64"),
            Raw::form(path, "token=x").header("Authorization", "Basic %%%"),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Basic not UTF-8"),
            Raw::form(path, "token=x").header("Authorization", basic(b"\xff:\xfe")),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Basic without colon"),
            Raw::form(path, "token=x").header("Authorization", basic(b"web")),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Basic huge"),
            Raw::form(path, "token=x").header("Authorization", basic(long(8_000).as_bytes())),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Bearer instead of Basic"),
            Raw::form(path, "token=x").bearer(&fx.access_token),
            OAuth(INVALID_CLIENT),
        ),
        case(
            name("Basic and client_secret"),
            web("token=x&client_secret=y"),
            OAuth(INVALID_REQUEST),
        ),
        case(
            name("body over the limit"),
            web(&format!("token={}", long(200_000))),
            Status(&[413]),
        ),
        case(
            name("GET"),
            Raw::get(format!("{path}?token=x")),
            Status(&[404, 405]),
        ),
        case(
            name("PATCH"),
            web("token=x").method("PATCH"),
            Status(&[404, 405]),
        ),
    ]
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let secret = fx.web_secret.as_str();
    let revoke = |body: &str| Raw::form("/revoke", body).basic("web", secret);
    let introspect = |body: &str| Raw::form("/introspect", body).basic("web", secret);
    let mut cases = endpoint_cases(fx, "/revoke");
    cases.extend(endpoint_cases(fx, "/introspect"));
    cases.extend([
        // RFC 7009 §2.2: an invalid token is not an error.
        case(
            "/revoke: unknown token",
            revoke("token=nope"),
            Status(&[200]),
        ),
        case(
            "/revoke: huge token",
            revoke(&format!("token={}", long(60_000))),
            Status(&[200]),
        ),
        case(
            "/revoke: alg none JWT",
            revoke(&form(&[("token", ALG_NONE)])),
            Status(&[200]),
        ),
        case(
            "/revoke: unknown hint",
            revoke("token=nope&token_type_hint=id_token"),
            Status(&[200, 400]),
        ),
        case(
            "/revoke: control characters",
            revoke("token=%01%0D%0A"),
            Status(&[200]),
        ),
        // RFC 7662 §2.2: anything not active is `active: false`.
        case(
            "/introspect: unknown token",
            introspect("token=nope"),
            Status(&[200]),
        ),
        case(
            "/introspect: huge token",
            introspect(&format!("token={}", long(60_000))),
            Status(&[200]),
        ),
        case(
            "/introspect: alg none JWT",
            introspect(&form(&[("token", ALG_NONE)])),
            Status(&[200]),
        ),
        case(
            "/introspect: JWT with a forged signature",
            introspect(&form(&[("token", &forge(&fx.access_token))])),
            Status(&[200]),
        ),
        case(
            "/introspect: three huge segments",
            introspect(&form(&[(
                "token",
                &format!("{}.{}.{}", long(9_000), long(9_000), long(9_000)),
            )])),
            Status(&[200]),
        ),
        case(
            "/introspect: the id token",
            introspect(&form(&[("token", &fx.id_token)])),
            Status(&[200]),
        ),
        case(
            "/introspect: by a public client",
            Raw::form("/introspect", "token=x&client_id=spa"),
            OAuth(INVALID_CLIENT),
        ),
    ]);
    cases
}

/// `token` with its last signature character changed.
fn forge(token: &str) -> String {
    let mut forged = token.to_owned();
    let last = forged.pop().unwrap_or('A');
    forged.push(if last == 'A' { 'B' } else { 'A' });
    forged
}

#[tokio::test]
async fn revocation_and_introspection_answer_hostile_input_with_rfc_errors() {
    let fx = Fixture::new().await;
    run_table(&fx, "revoke_introspect", cases(&fx)).await;
}
