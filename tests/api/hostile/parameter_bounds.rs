//! Length and count limits on protocol parameters (issue 10, defects 2 and
//! 7): an over-long `scope`, `state`, `nonce`, `login_hint`,
//! `redirect_uri`, `resource` or `code_verifier`, or too many scope tokens,
//! is answered with the RFC error at once — before any database work, so
//! in time even when the server is busy — and nothing is stored.
//!
//! The limits live in `crate::oauth`; whatever their exact values, the
//! inputs here are far beyond any sane one (tens of kilobytes, thousands of
//! tokens), and RFC 7636 fixes `code_verifier` at 43–128 characters.

use super::{
    Case, Expect::*, Fixture, REDIRECT_URI, Raw, authorize_with, case, form, long, many, run_table,
};

/// Thousands of distinct, well-formed scope tokens.
fn distinct_scopes(count: usize) -> String {
    (0..count)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn authorize_cases(fx: &Fixture) -> Vec<Case> {
    let get = |name: &str, value: &str| {
        Raw::get(format!("/authorize?{}", authorize_with(name, Some(value))))
    };
    let post = |name: &str, value: &str| {
        Raw::form("/authorize", authorize_with(name, Some(value))).cookie(&fx.console_cookies)
    };
    // `school-app` may ask for tokens for `school`, so each unknown scope
    // could be a permission there: the expensive look-up.
    let school = |scope: &str| {
        Raw::get(format!(
            "/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", "school-app"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", scope),
                ("state", "st"),
            ])
        ))
    };
    vec![
        case(
            "authorize: 20 KB state",
            get("state", &long(20_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: 20 KB nonce",
            get("nonce", &long(20_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: 20 KB login_hint",
            get("login_hint", &long(20_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: 20 KB scope token",
            get("scope", &format!("openid {}", long(20_000))),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "authorize: 3,000 distinct scopes",
            get("scope", &format!("openid {}", distinct_scopes(3_000))),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "authorize: 3,000 repeats of one scope",
            get("scope", &many("openid", 3_000)),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "authorize: 20 KB resource",
            get("resource", &format!("https://{}", long(20_000))),
            Refused(&["invalid_target", "invalid_request"]),
        ),
        case(
            "authorize: 20 KB redirect_uri",
            get("redirect_uri", &format!("{REDIRECT_URI}{}", long(20_000))),
            Page(&[400]),
        ),
        case(
            "authorize: 3,000 scopes, client with an API",
            school(&format!("openid {}", distinct_scopes(3_000))),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "authorize: 1,500 repeats, client with an API",
            school(&many("grades:read", 1_500)),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "authorize POST: 60 KB state",
            post("state", &long(60_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize POST: 60 KB nonce",
            post("nonce", &long(60_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize POST: 60 KB login_hint",
            post("login_hint", &long(60_000)),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize POST: 8,000 distinct scopes",
            post("scope", &format!("openid {}", distinct_scopes(8_000))),
            Refused(&["invalid_scope", "invalid_request"]),
        ),
    ]
}

fn token_cases(fx: &Fixture) -> Vec<Case> {
    let web =
        |pairs: &[(&str, &str)]| Raw::form("/token", form(pairs)).basic("web", &fx.web_secret);
    let code_with = |name: &str, value: &str| {
        web(&[
            ("grant_type", "authorization_code"),
            ("code", "not-a-code"),
            ("redirect_uri", REDIRECT_URI),
            (name, value),
        ])
    };
    let verifier = |value: &str| {
        Raw::form(
            "/token",
            form(&[
                ("grant_type", "authorization_code"),
                ("code", "not-a-code"),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", "spa"),
                ("code_verifier", value),
            ]),
        )
    };
    vec![
        case(
            "token: 7,000 distinct scopes (client_credentials)",
            web(&[
                ("grant_type", "client_credentials"),
                ("scope", &distinct_scopes(7_000)),
            ]),
            OAuth(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "token: 60 KB scope token (client_credentials)",
            web(&[
                ("grant_type", "client_credentials"),
                ("scope", &long(60_000)),
            ]),
            OAuth(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "token: 7,000 distinct scopes, unknown refresh token",
            web(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "nope"),
                ("scope", &distinct_scopes(7_000)),
            ]),
            OAuth(&["invalid_scope", "invalid_request", "invalid_grant"]),
        ),
        case(
            "token: 7,000 distinct scopes, live refresh token",
            web(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &fx.refresh_token),
                ("scope", &distinct_scopes(7_000)),
            ]),
            OAuth(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "token: 60 KB redirect_uri",
            web(&[
                ("grant_type", "authorization_code"),
                ("code", "not-a-code"),
                ("redirect_uri", &format!("{REDIRECT_URI}{}", long(60_000))),
            ]),
            OAuth(&["invalid_request"]),
        ),
        case(
            "token: 60 KB resource",
            web(&[
                ("grant_type", "client_credentials"),
                ("resource", &format!("https://{}", long(60_000))),
            ]),
            OAuth(&["invalid_target", "invalid_request"]),
        ),
        case(
            "token: 60 KB resource, code grant",
            code_with("resource", &format!("https://{}", long(60_000))),
            OAuth(&["invalid_target", "invalid_request"]),
        ),
        case(
            "token: 42-character code_verifier",
            verifier(&"a".repeat(42)),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
        case(
            "token: 129-character code_verifier",
            verifier(&"a".repeat(129)),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
        case(
            "token: 60 KB code_verifier",
            verifier(&long(60_000)),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
        case(
            "token: code_verifier with bad characters",
            verifier(&"+/=".repeat(20)),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
        case(
            "token: 60 KB code_verifier, confidential client",
            code_with("code_verifier", &long(60_000)),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
    ]
}

#[tokio::test]
async fn over_long_protocol_parameters_get_rfc_errors_in_time() {
    let fx = Fixture::new().await;
    fx.app
        .cli(
            &[
                "client",
                "add",
                "school-app",
                "--redirect-uri",
                REDIRECT_URI,
                "--resource",
                "school",
            ],
            None,
        )
        .ok();
    let mut cases = authorize_cases(&fx);
    cases.extend(token_cases(&fx));
    run_table(&fx, "parameter_bounds", cases).await;
}
