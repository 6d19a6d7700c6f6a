//! `GET`/`POST /userinfo` (RFC 6750): every bad token or body is a Bearer
//! challenge, 400 or 401, never a 5xx.

use serde_json::json;

use super::{Case, Expect::*, Fixture, Raw, case, form, long, run_table};

fn cases(fx: &Fixture) -> Vec<Case> {
    let get = || Raw::get("/userinfo");
    let post = |body: &str| Raw::form("/userinfo", body);
    let header_token = |value: &str| get().header("Authorization", value);
    vec![
        case("no token", get(), Bearer(&[401])),
        case(
            "garbage bearer",
            header_token("Bearer garbage"),
            Bearer(&[401]),
        ),
        case("empty bearer", header_token("Bearer "), Bearer(&[401])),
        case("bearer scheme only", header_token("Bearer"), Bearer(&[401])),
        case(
            "huge bearer",
            header_token(&format!("Bearer {}", long(16_000))),
            Bearer(&[401]),
        ),
        case(
            "three huge segments",
            header_token(&format!(
                "Bearer {}.{}.{}",
                long(6_000),
                long(6_000),
                long(6_000)
            )),
            Bearer(&[401]),
        ),
        case(
            "alg none",
            header_token("Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJyb290In0."),
            Bearer(&[401]),
        ),
        case(
            "header segment not JSON",
            header_token("Bearer bm90IGpzb24.e30.c2ln"),
            Bearer(&[401]),
        ),
        case(
            "header segment not base64",
            header_token("Bearer !!!.e30.c2ln"),
            Bearer(&[401]),
        ),
        case(
            "deeply nested header",
            header_token(&format!(
                "Bearer {}.e30.c2ln",
                b64(&format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)))
            )),
            Bearer(&[401]),
        ),
        case(
            "id token as access token",
            header_token(&format!("Bearer {}", fx.id_token)),
            Bearer(&[401]),
        ),
        case(
            "admin token from another client",
            header_token(&format!("Bearer {}", fx.admin_token)),
            Bearer(&[401, 403]),
        ),
        case(
            "refresh token as bearer",
            header_token(&format!("Bearer {}", fx.refresh_token)),
            Bearer(&[401]),
        ),
        case(
            "Basic scheme",
            header_token("Basic d2ViOng="),
            Bearer(&[401]),
        ),
        case(
            "bearer that is not text",
            get().header("Authorization", b"Bearer \xff\xfe".as_slice()),
            Bearer(&[401]),
        ),
        case(
            "bearer with control characters",
            header_token("Bearer a\tb"),
            Bearer(&[401]),
        ),
        case(
            "two Authorization headers",
            header_token("Bearer a").header("Authorization", "Bearer b"),
            Bearer(&[400, 401]),
        ),
        case(
            "header and form together",
            post(&form(&[("access_token", &fx.access_token)])).bearer(&fx.access_token),
            Bearer(&[400]),
        ),
        case(
            "form token garbage",
            post("access_token=garbage"),
            Bearer(&[401]),
        ),
        case(
            "form token twice",
            post(&form(&[
                ("access_token", &fx.access_token),
                ("access_token", "x"),
            ])),
            Bearer(&[400]),
        ),
        case(
            "form not UTF-8",
            post("").body(b"access_token=\xff\xfe"),
            Bearer(&[400]),
        ),
        case(
            "form percent-encoded invalid UTF-8",
            post("access_token=%FF"),
            Bearer(&[400]),
        ),
        case(
            "JSON body is not a place for tokens",
            Raw::json("/userinfo", &json!({"access_token": fx.access_token})),
            Bearer(&[401]),
        ),
        case(
            "query token is not accepted",
            Raw::get(format!("/userinfo?access_token={}", fx.access_token)),
            Bearer(&[401]),
        ),
        case(
            "body over the limit",
            post(&format!("access_token={}", long(200_000))),
            Status(&[413]),
        ),
        case("PUT", Raw::new("PUT", "/userinfo"), Status(&[405])),
        case(
            "preflight with odd origin",
            Raw::new("OPTIONS", "/userinfo")
                .header("Origin", "null")
                .header("Access-Control-Request-Method", "DELETE"),
            Status(&[200, 204]),
        ),
    ]
}

fn b64(text: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn userinfo_answers_hostile_input_with_bearer_challenges() {
    let fx = Fixture::new().await;
    run_table(&fx, "userinfo", cases(&fx)).await;
}
