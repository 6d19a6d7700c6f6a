//! `GET`/`POST /authorize`: redirect URI tricks must get an error page and
//! never a redirect; once the client and redirect URI are trusted, bad
//! parameters go back to the client as RFC errors.

use serde_json::json;

use super::{Case, Expect::*, Fixture, REDIRECT_URI, Raw, authorize_with, case, long, run_table};

/// A redirect URI the `web` client did not register, in every disguise.
const REDIRECT_TRICKS: &[(&str, &str)] = &[
    (
        "userinfo after the path",
        "http://127.0.0.1:3000/cb@evil.example",
    ),
    (
        "registered host as userinfo",
        "http://127.0.0.1:3000@evil.example/cb",
    ),
    (
        "evil host as userinfo",
        "http://evil.example@127.0.0.1:3000/cb",
    ),
    ("user and password", "http://user:pass@127.0.0.1:3000/cb"),
    (
        "backslash before @",
        "http://127.0.0.1:3000\\@evil.example/cb",
    ),
    ("backslash path", "http://127.0.0.1:3000\\cb"),
    ("backslashes for slashes", "http:\\\\127.0.0.1:3000\\cb"),
    ("backslash traversal", "http://127.0.0.1:3000/cb\\..\\evil"),
    ("fragment", "http://127.0.0.1:3000/cb#frag"),
    ("empty fragment", "http://127.0.0.1:3000/cb#"),
    ("encoded fragment", "http://127.0.0.1:3000/cb%23frag"),
    ("extra path", "http://127.0.0.1:3000/cb/extra"),
    ("trailing slash", "http://127.0.0.1:3000/cb/"),
    ("dot segments", "http://127.0.0.1:3000/x/../cb"),
    ("encoded traversal", "http://127.0.0.1:3000/cb%2F..%2Fevil"),
    ("path case", "http://127.0.0.1:3000/CB"),
    ("scheme case", "HTTP://127.0.0.1:3000/cb"),
    ("https instead", "https://127.0.0.1:3000/cb"),
    ("empty query", "http://127.0.0.1:3000/cb?"),
    (
        "extra query",
        "http://127.0.0.1:3000/cb?next=https://evil.example",
    ),
    ("other port", "http://127.0.0.1:3001/cb"),
    ("default port", "http://127.0.0.1/cb"),
    ("localhost", "http://localhost:3000/cb"),
    ("ipv6 loopback", "http://[::1]:3000/cb"),
    ("short ipv4", "http://127.1:3000/cb"),
    ("decimal ipv4", "http://2130706433:3000/cb"),
    ("fullwidth digits", "http://１２７.0.0.1:3000/cb"),
    ("ideographic full stop", "http://127.0.0.1。:3000/cb"),
    ("IDN homograph", "http://еxample.com/cb"),
    ("punycode", "https://xn--e1awd7f.com/cb"),
    ("trailing dot host", "http://127.0.0.1.:3000/cb"),
    ("NUL", "http://127.0.0.1:3000/cb%00"),
    ("raw NUL", "http://127.0.0.1:3000/cb\u{0}"),
    (
        "CRLF injection",
        "http://127.0.0.1:3000/cb\r\nLocation: https://evil.example",
    ),
    (
        "encoded CRLF",
        "http://127.0.0.1:3000/cb%0d%0aLocation:%20https://evil.example",
    ),
    ("leading space", " http://127.0.0.1:3000/cb"),
    ("trailing space", "http://127.0.0.1:3000/cb "),
    ("tab inside", "http://127.0.0.1:3000/\tcb"),
    ("protocol-relative", "//evil.example/cb"),
    ("relative path", "/cb"),
    (
        "javascript",
        "javascript:alert(1)//http://127.0.0.1:3000/cb",
    ),
    ("data", "data:text/html,<script>alert(1)</script>"),
    ("file", "file:///etc/passwd"),
    ("private-use scheme", "com.evil.app:/cb"),
    ("huge", "http://127.0.0.1:3000/cb?pad="),
];

fn tricks() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, uri) in REDIRECT_TRICKS {
        let uri = if *name == "huge" {
            format!("{uri}{}", long(20_000))
        } else {
            (*uri).to_owned()
        };
        cases.push(case(
            format!("redirect_uri: {name}"),
            Raw::get(format!(
                "/authorize?{}",
                authorize_with("redirect_uri", Some(&uri))
            )),
            Page(&[400]),
        ));
    }
    // The public client's loopback port is free (RFC 8252 §7.3); nothing
    // else about the URI is.
    for (name, uri) in [
        ("public: userinfo", "http://127.0.0.1:4000/cb@evil.example"),
        ("public: localhost", "http://localhost:4000/cb"),
        ("public: other path", "http://127.0.0.1:4000/cb/x"),
        ("public: https", "https://127.0.0.1:4000/cb"),
        ("public: fragment", "http://127.0.0.1:4000/cb#x"),
    ] {
        cases.push(case(
            format!("redirect_uri: {name}"),
            Raw::get(format!(
                "/authorize?{}",
                spa(&[("redirect_uri", uri)], &["redirect_uri"])
            )),
            Page(&[400]),
        ));
    }
    cases
}

/// A valid PKCE request for the public client `spa`, changed.
fn spa(set: &[(&str, &str)], remove: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .filter(|(n, _)| !remove.contains(n))
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    for (name, value) in set {
        pairs.push(((*name).to_owned(), (*value).to_owned()));
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn get(query: &str) -> Raw {
    Raw::get(format!("/authorize?{query}"))
}

fn with(name: &str, value: &str) -> Raw {
    get(&authorize_with(name, Some(value)))
}

fn without(name: &str) -> Raw {
    get(&authorize_with(name, None))
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let valid = authorize_with("state", Some("st"));
    let mut cases = tricks();
    cases.extend([
        // ---- nobody to tell: a page
        case("no parameters", get(""), Page(&[400])),
        case("no client_id", without("client_id"), Page(&[400])),
        case("unknown client", with("client_id", "ghost"), Page(&[400])),
        case(
            "huge client_id",
            with("client_id", &long(20_000)),
            Page(&[400]),
        ),
        case(
            "client_id with NUL",
            with("client_id", "web\u{0}"),
            Page(&[400]),
        ),
        case(
            "client_id in another case",
            with("client_id", "WEB"),
            Page(&[400]),
        ),
        case(
            "client_id not UTF-8",
            get(&valid.replace("client_id=web", "client_id=w%FFb")),
            Page(&[400]),
        ),
        case(
            "openid without redirect_uri",
            without("redirect_uri"),
            Page(&[400]),
        ),
        case(
            "evil redirect_uri last of two",
            get(&format!("{valid}&redirect_uri=https://evil.example/cb")),
            Page(&[400]),
        ),
        case(
            "evil client_id last of two",
            get(&format!("{valid}&client_id=ghost")),
            Page(&[400]),
        ),
        // A repeated client_id or redirect_uri is never trusted, whichever
        // copy is the registered one (RFC 6749 §4.1.2.1).
        case(
            "redirect_uri twice (registered last)",
            get(&format!("redirect_uri=https://evil.example/cb&{valid}")),
            Page(&[400]),
        ),
        case(
            "client_id twice (registered last)",
            get(&format!("client_id=ghost&{valid}")),
            Page(&[400]),
        ),
        // ---- a trusted redirect URI: errors go back to the client
        case(
            "state twice",
            get(&format!("{valid}&state=again")),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "scope twice",
            get(&format!("{valid}&scope=openid")),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "response_type twice",
            get(&format!("{valid}&response_type=code")),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "nonce twice",
            get(&format!("{valid}&nonce=x")),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "no response_type",
            without("response_type"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "implicit",
            with("response_type", "token"),
            ErrorRedirect(&["unsupported_response_type"]),
        ),
        case(
            "hybrid",
            with("response_type", "code id_token"),
            ErrorRedirect(&["unsupported_response_type"]),
        ),
        case(
            "code code",
            with("response_type", "code code"),
            ErrorRedirect(&["unsupported_response_type"]),
        ),
        case(
            "response_type case",
            with("response_type", "CODE"),
            ErrorRedirect(&["unsupported_response_type"]),
        ),
        case(
            "huge response_type",
            with("response_type", &long(20_000)),
            // Over its bound: refused before the client is even looked up.
            Page(&[400]),
        ),
        case(
            "fragment response mode",
            with("response_mode", "fragment"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "form_post response mode",
            with("response_mode", "form_post"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "request object",
            with("request", "eyJhbGciOiJub25lIn0.e30."),
            ErrorRedirect(&["request_not_supported"]),
        ),
        case(
            "request_uri",
            with("request_uri", "https://evil.example/req"),
            ErrorRedirect(&["request_uri_not_supported"]),
        ),
        case(
            "quote in scope",
            with("scope", "openid \"x"),
            ErrorRedirect(&["invalid_scope"]),
        ),
        case(
            "backslash in scope",
            with("scope", "openid a\\b"),
            ErrorRedirect(&["invalid_scope"]),
        ),
        case(
            "control character in scope",
            with("scope", "openid\u{7}"),
            ErrorRedirect(&["invalid_scope"]),
        ),
        case(
            "non-ASCII scope",
            with("scope", "openid ｐｒｏｆｉｌｅ"),
            ErrorRedirect(&["invalid_scope"]),
        ),
        case(
            "scope not UTF-8",
            get(&valid.replace("scope=openid", "scope=openid+%FF")),
            ErrorRedirect(&["invalid_scope", "invalid_request"]),
        ),
        case(
            "unknown resource",
            with("resource", "https://evil.example/"),
            ErrorRedirect(&["invalid_target"]),
        ),
        case(
            "admin resource not registered",
            with("resource", "gatehouse-admin"),
            ErrorRedirect(&["invalid_target"]),
        ),
        case(
            "unknown prompt",
            with("prompt", "sudo"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "prompt none and login",
            with("prompt", "none login"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "prompt none signed out",
            with("prompt", "none"),
            ErrorRedirect(&["login_required"]),
        ),
        case(
            "negative max_age",
            with("max_age", "-1"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "max_age not a number",
            with("max_age", "1e3"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "max_age overflows",
            with("max_age", "99999999999999999999999"),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "plain PKCE",
            get(&spa(
                &[("code_challenge_method", "plain")],
                &["code_challenge_method"],
            )),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "unknown PKCE method",
            get(&spa(
                &[("code_challenge_method", "S512")],
                &["code_challenge_method"],
            )),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "PKCE challenge with bad characters",
            get(&spa(
                &[("code_challenge", &"+/=".repeat(15))],
                &["code_challenge"],
            )),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "public client without PKCE",
            get(&spa(&[], &["code_challenge", "code_challenge_method"])),
            ErrorRedirect(&["invalid_request"]),
        ),
        // ---- odd but harmless: on to the login page
        case(
            "state not UTF-8",
            get(&valid.replace("state=st", "state=%FF%FE")),
            Status(&[303]),
        ),
        case(
            "state with markup",
            with("state", "<script>alert(1)</script>"),
            Status(&[303]),
        ),
        case(
            "id_token_hint garbage",
            with("id_token_hint", "not.a.jwt"),
            Status(&[303]),
        ),
        case(
            "id_token_hint alg none",
            with(
                "id_token_hint",
                "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJyb290In0.",
            ),
            Status(&[303]),
        ),
        case(
            "id_token_hint huge",
            with(
                "id_token_hint",
                &format!("{}.{}.{}", long(8_000), long(8_000), long(3_000)),
            ),
            Status(&[303]),
        ),
        case(
            "id_token_hint is an access token",
            with("id_token_hint", &fx.access_token),
            Status(&[303]),
        ),
        case(
            "public client on another loopback port",
            get(&spa(
                &[("redirect_uri", "http://127.0.0.1:4000/cb")],
                &["redirect_uri"],
            )),
            Status(&[303]),
        ),
        case(
            "unknown parameters",
            get(&format!("{valid}&foo=bar&=&&x")),
            Status(&[303]),
        ),
        // ---- the request line itself
        case(
            "raw bytes that are not UTF-8 in the query",
            Raw::get(b"/authorize?client_id=w\xffb&state=\xfe".as_slice()),
            Harmless,
        ),
        case("query without pairs", get("&&&&===="), Page(&[400])),
        case(
            "percent signs without digits",
            get("client_id=%&redirect_uri=%%"),
            Page(&[400]),
        ),
        case(
            "very long query",
            get(&format!("{valid}&pad={}", long(30_000))),
            Status(&[303, 400, 414, 431]),
        ),
        case(
            "query over the head limit",
            get(&format!("{valid}&pad={}", long(200_000))),
            Status(&[400, 414, 431]),
        ),
        // ---- POST without a session: the same request as a GET
        case(
            "POST, signed out",
            Raw::form("/authorize", valid.clone()),
            Status(&[303]),
        ),
        case(
            "POST JSON, signed out",
            Raw::json("/authorize", &json!({"client_id": "web"})),
            Status(&[303]),
        ),
        case(
            "POST over the limit",
            Raw::form("/authorize", format!("{valid}&pad={}", long(200_000))),
            Status(&[413]),
        ),
        // ---- POST with a session: checked like GET
        case(
            "POST with a session",
            Raw::form("/authorize", valid.clone()).cookie(&fx.console_cookies),
            Status(&[303]),
        ),
        case(
            "POST JSON with a session",
            Raw::json(
                "/authorize",
                &json!({"client_id": "web", "redirect_uri": REDIRECT_URI}),
            )
            .cookie(&fx.console_cookies),
            Page(&[400]),
        ),
        case(
            "POST not UTF-8 with a session",
            Raw::form("/authorize", b"client_id=\xff\xfe".as_slice()).cookie(&fx.console_cookies),
            Page(&[400]),
        ),
        case(
            "POST redirect trick with a session",
            Raw::form(
                "/authorize",
                authorize_with(
                    "redirect_uri",
                    Some("http://127.0.0.1:3000/cb@evil.example"),
                ),
            )
            .cookie(&fx.console_cookies),
            Page(&[400]),
        ),
        case(
            "POST backslash trick with a session",
            Raw::form(
                "/authorize",
                authorize_with(
                    "redirect_uri",
                    Some("http://127.0.0.1:3000\\@evil.example/cb"),
                ),
            )
            .cookie(&fx.console_cookies),
            Page(&[400]),
        ),
        case(
            "POST repeated state with a session",
            Raw::form("/authorize", format!("{valid}&state=x")).cookie(&fx.console_cookies),
            ErrorRedirect(&["invalid_request"]),
        ),
        case(
            "POST bad scope with a session",
            Raw::form("/authorize", authorize_with("scope", Some("a\"b")))
                .cookie(&fx.console_cookies),
            ErrorRedirect(&["invalid_scope"]),
        ),
        case(
            "PUT /authorize",
            Raw::new("PUT", format!("/authorize?{valid}")),
            Status(&[405]),
        ),
        case(
            "DELETE /authorize",
            Raw::new("DELETE", format!("/authorize?{valid}")),
            Status(&[405]),
        ),
    ]);
    cases
}

#[tokio::test]
async fn the_authorization_endpoint_never_redirects_hostile_input_to_an_unregistered_uri() {
    let fx = Fixture::new().await;
    run_table(&fx, "authorize", cases(&fx)).await;
}
