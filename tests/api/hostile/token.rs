//! `POST /token`, every grant: the wrong media type, bodies that are not
//! UTF-8, repeated parameters, bad client credentials, oversized bodies.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use super::{Case, Expect::*, Fixture, Raw, case, form, long, run_table};

const INVALID_REQUEST: &[&str] = &["invalid_request"];
const INVALID_CLIENT: &[&str] = &["invalid_client"];
const INVALID_GRANT: &[&str] = &["invalid_grant"];

fn cases(fx: &Fixture) -> Vec<Case> {
    let secret = fx.web_secret.as_str();
    let web = |body: &str| Raw::form("/token", body).basic("web", secret);
    // A client with an audience, so scope errors cannot hide behind aud rules.
    let ops = |body: &str| Raw::form("/token", body).basic("ops", &fx.ops_secret);
    let with_auth =
        |header: &str, body: &str| Raw::form("/token", body).header("Authorization", header);
    let basic = |raw: &[u8]| format!("Basic {}", STANDARD.encode(raw));
    let garbage_code = form(&[
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", super::REDIRECT_URI),
    ]);
    vec![
        // ---- media types: never 415, always invalid_request
        case(
            "json body",
            Raw::json("/token", &json!({"grant_type": "client_credentials"})).basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "json body labelled as a form",
            web(r#"{"grant_type":"client_credentials"}"#),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "form labelled text/plain",
            Raw::post("/token")
                .header("Content-Type", "text/plain")
                .body("grant_type=client_credentials")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "no content type",
            Raw::post("/token")
                .body("grant_type=client_credentials")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "multipart",
            Raw::post("/token")
                .header("Content-Type", "multipart/form-data; boundary=x")
                .body("--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "a media type that only starts like a form",
            Raw::post("/token")
                .header("Content-Type", "application/x-www-form-urlencodedjson")
                .body("grant_type=client_credentials")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        case(
            "xml body",
            Raw::post("/token")
                .header("Content-Type", "application/xml")
                .body("<grant_type>client_credentials</grant_type>")
                .basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        // ---- not UTF-8
        case("raw bytes that are not UTF-8", web("").body(b"grant_type=\xff\xfe"), OAuth(INVALID_REQUEST)),
        case(
            "percent-encoded byte that is not UTF-8",
            web("grant_type=client_credentials&scope=%FF"),
            OAuth(INVALID_REQUEST),
        ),
        case("a name that is not UTF-8", web("%C3=1&grant_type=client_credentials"), OAuth(INVALID_REQUEST)),
        case("an encoded surrogate", web("grant_type=client_credentials&scope=%ED%A0%80"), OAuth(INVALID_REQUEST)),
        case("an overlong encoding", web("grant_type=client_credentials&scope=%C0%AF"), OAuth(INVALID_REQUEST)),
        case(
            "latin-1 code",
            Raw::form("/token", b"grant_type=authorization_code&code=caf\xe9".as_slice()).basic("web", secret),
            OAuth(INVALID_REQUEST),
        ),
        // ---- shape of the form
        case("empty body", web(""), OAuth(INVALID_REQUEST)),
        case("only separators", web("&&&==&="), OAuth(INVALID_REQUEST)),
        case("grant_type twice", web("grant_type=client_credentials&grant_type=client_credentials"), OAuth(INVALID_REQUEST)),
        case("grant_type twice, differing", web("grant_type=client_credentials&grant_type=authorization_code"), OAuth(INVALID_REQUEST)),
        case("code twice", web(&format!("{garbage_code}&code=x")), OAuth(INVALID_REQUEST)),
        case("redirect_uri twice", web(&format!("{garbage_code}&redirect_uri=https://evil.example/")), OAuth(INVALID_REQUEST)),
        case("scope twice", web("grant_type=client_credentials&scope=openid&scope=openid"), OAuth(INVALID_REQUEST)),
        case("client_id twice in the body", Raw::form("/token", "grant_type=client_credentials&client_id=web&client_id=web&client_secret=x"), OAuth(&["invalid_request", "invalid_client"])),
        case("NUL in grant_type", web("grant_type=client_credentials%00"), OAuth(&["unsupported_grant_type", "invalid_request"])),
        case("grant_type in another case", web("grant_type=CLIENT_CREDENTIALS"), OAuth(&["unsupported_grant_type"])),
        case("unknown grant", web("grant_type=password&username=alice&password=x"), OAuth(&["unsupported_grant_type"])),
        case("device grant", web("grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=x"), OAuth(&["unsupported_grant_type"])),
        case("jwt-bearer grant", web("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=a.b.c"), OAuth(&["unsupported_grant_type"])),
        case("huge grant_type", web(&format!("grant_type={}", long(60_000))), OAuth(&["unsupported_grant_type", "invalid_request"])),
        case("huge parameter name", web(&format!("grant_type=refresh_token&refresh_token=nope&{}=1", long(60_000))), OAuth(&["invalid_request"])),
        case("ten thousand parameters", web(&format!("grant_type=refresh_token&refresh_token=nope{}", "&x=1".repeat(10_000))), OAuth(INVALID_REQUEST)),
        case("ten thousand distinct parameters", web(&format!("grant_type=refresh_token&refresh_token=nope{}", (0..8_000).map(|i| format!("&p{i}=1")).collect::<String>())), OAuth(&["invalid_request"])),
        // ---- oversized bodies: refused before parsing
        case("body over the limit", web(&format!("grant_type=client_credentials&pad={}", long(200_000))), Status(&[413])),
        case("two-megabyte body", web(&long(2_000_000)), Status(&[413])),
        // ---- authorization_code
        case("code grant without code", web("grant_type=authorization_code"), OAuth(INVALID_REQUEST)),
        case("code grant, unknown code", web(&garbage_code), OAuth(INVALID_GRANT)),
        case("code grant, empty code", web("grant_type=authorization_code&code=&redirect_uri=x"), OAuth(INVALID_REQUEST)),
        case("code grant, huge code", web(&form(&[("grant_type", "authorization_code"), ("code", &long(60_000)), ("redirect_uri", super::REDIRECT_URI)])), OAuth(&["invalid_grant", "invalid_request"])),
        case("code grant, code with control characters", web("grant_type=authorization_code&code=%0D%0A%00x&redirect_uri=x"), OAuth(&["invalid_grant", "invalid_request"])),
        case("code grant, unicode code", web(&form(&[("grant_type", "authorization_code"), ("code", "ｃｏｄｅ"), ("redirect_uri", super::REDIRECT_URI)])), OAuth(INVALID_GRANT)),
        case("code grant, redirect_uri tricks", web(&form(&[("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", "http://127.0.0.1:3000/cb@evil.example")])), OAuth(INVALID_GRANT)),
        case("code grant, SQL in code", web(&form(&[("grant_type", "authorization_code"), ("code", "' OR '1'='1"), ("redirect_uri", super::REDIRECT_URI)])), OAuth(INVALID_GRANT)),
        case("code grant, the refresh token as code", web(&form(&[("grant_type", "authorization_code"), ("code", &fx.refresh_token), ("redirect_uri", super::REDIRECT_URI)])), OAuth(INVALID_GRANT)),
        case("code grant, public client without verifier", Raw::form("/token", form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "spa"), ("redirect_uri", super::REDIRECT_URI)])), OAuth(&["invalid_grant", "invalid_request"])),
        // ---- refresh_token
        case("refresh without token", web("grant_type=refresh_token"), OAuth(INVALID_REQUEST)),
        case("refresh, unknown token", web("grant_type=refresh_token&refresh_token=nope"), OAuth(INVALID_GRANT)),
        case("refresh, huge token", web(&format!("grant_type=refresh_token&refresh_token={}", long(60_000))), OAuth(&["invalid_grant", "invalid_request"])),
        case("refresh, the access token instead", web(&form(&[("grant_type", "refresh_token"), ("refresh_token", &fx.access_token)])), OAuth(INVALID_GRANT)),
        case("refresh, token twice", web(&form(&[("grant_type", "refresh_token"), ("refresh_token", &fx.refresh_token), ("refresh_token", &fx.refresh_token)])), OAuth(INVALID_REQUEST)),
        case("refresh, bad scope characters", web(&form(&[("grant_type", "refresh_token"), ("refresh_token", "nope"), ("scope", "open\"id")])), OAuth(&["invalid_scope", "invalid_grant", "invalid_request"])),
        case("refresh by another client", Raw::form("/token", form(&[("grant_type", "refresh_token"), ("refresh_token", &fx.refresh_token), ("client_id", "spa")])), OAuth(&["invalid_grant", "unauthorized_client"])),
        // ---- client_credentials
        case("client_credentials, quote in scope", ops("grant_type=client_credentials&scope=a%22b"), OAuth(&["invalid_scope"])),
        case("client_credentials, backslash in scope", ops("grant_type=client_credentials&scope=a%5Cb"), OAuth(&["invalid_scope"])),
        case("client_credentials, control character in scope", ops("grant_type=client_credentials&scope=a%07b"), OAuth(&["invalid_scope"])),
        case("client_credentials, unknown resource", web("grant_type=client_credentials&resource=https://evil.example/"), OAuth(&["invalid_target"])),
        case("client_credentials, relative resource", web("grant_type=client_credentials&resource=../gatehouse-admin"), OAuth(&["invalid_target"])),
        case("client_credentials, gatehouse-admin not granted", web("grant_type=client_credentials&resource=gatehouse-admin"), OAuth(&["invalid_target"])),
        case("client_credentials, a thousand resources", web(&format!("grant_type=client_credentials{}", "&resource=https://evil.example/".repeat(1_000))), OAuth(&["invalid_target", "invalid_request"])),
        case("client_credentials by a public client", Raw::form("/token", "grant_type=client_credentials&client_id=spa"), OAuth(&["unauthorized_client", "invalid_client"])),
        // ---- client authentication
        case("Basic, not base64", with_auth("Basic !!!not-base64!!!", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, no colon", with_auth(&basic(b"web"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, not UTF-8", with_auth(&basic(b"w\xffb:s\xfe"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, empty", with_auth("Basic ", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, only a colon", with_auth(&basic(b":"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, wrong secret", with_auth(&basic(b"web:wrong"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, unknown client", with_auth(&basic(b"ghost:secret"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, bad percent-encoding", with_auth(&basic(b"%zz%:%"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, percent-encoded invalid UTF-8", with_auth(&basic(b"web%FF:x"), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, huge credentials", with_auth(&basic(long(8_000).as_bytes()), "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, padding garbage", with_auth("Basic d2ViOng====", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Basic, lower-case scheme and tabs", with_auth("basic\tZm9vOmJhcg==", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Bearer at the token endpoint", with_auth("Bearer abc", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Digest at the token endpoint", with_auth("Digest username=\"web\"", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("no scheme", with_auth("d2ViOng=", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("Authorization that is not text", Raw::form("/token", "grant_type=client_credentials").header("Authorization", b"Basic \xff\xfe".as_slice()), OAuth(&["invalid_client", "invalid_request"])),
        case("Basic and client_secret together", web("grant_type=client_credentials&client_secret=x"), OAuth(INVALID_REQUEST)),
        case("Basic and another client_id", web("grant_type=client_credentials&client_id=spa"), OAuth(INVALID_REQUEST)),
        case("client_secret_post, wrong secret", Raw::form("/token", "grant_type=client_credentials&client_id=web&client_secret=wrong"), OAuth(INVALID_CLIENT)),
        case("client_secret_post, huge secret", Raw::form("/token", format!("grant_type=client_credentials&client_id=web&client_secret={}", long(60_000))), OAuth(&["invalid_request", "invalid_client"])),
        case("client_secret_post, huge client_id", Raw::form("/token", format!("grant_type=client_credentials&client_id={}", long(60_000))), OAuth(&["invalid_request", "invalid_client"])),
        case("no client authentication", Raw::form("/token", "grant_type=client_credentials"), OAuth(INVALID_CLIENT)),
        case("confidential client without its secret", Raw::form("/token", "grant_type=client_credentials&client_id=web"), OAuth(INVALID_CLIENT)),
        // ---- methods
        case("GET /token", Raw::get("/token?grant_type=client_credentials"), Status(&[405])),
        case("PUT /token", web("grant_type=client_credentials").method("PUT"), Status(&[405])),
        case("a chunked body", web("").header("Transfer-Encoding", "chunked").body("10\r\ngrant_type=passw\r\n3\r\nord\r\n0\r\n\r\n"), OAuth(&["unsupported_grant_type"])),
    ]
}

#[tokio::test]
async fn the_token_endpoint_answers_hostile_input_with_rfc_errors() {
    let fx = Fixture::new().await;
    run_table(&fx, "token", cases(&fx)).await;
}
