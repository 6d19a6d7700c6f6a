//! Below the endpoints: absurd methods, request lines and headers, bad
//! cookies, path traversal under `/static`, and the public documents
//! (`/jwks.json`, discovery) under odd requests. What HTTP itself refuses
//! is a 4xx (400, 405, 413, 414, 431), never a 5xx or a dropped connection.

use super::{Case, Expect::*, Fixture, Raw, case, long, run_table};

const DISCOVERY: &str = "/.well-known/openid-configuration";

fn method_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for path in [
        "/token",
        "/authorize",
        "/userinfo",
        "/jwks.json",
        "/admin/api/v1/users",
        "/nowhere",
    ] {
        cases.push(case(
            format!("{path}: invented method"),
            Raw::new("FROBNICATE", path),
            Status(&[404, 405]),
        ));
        cases.push(case(
            format!("{path}: 17-byte method"),
            Raw::new("ABCDEFGHIJKLMNOPQ", path),
            Status(&[405]),
        ));
        cases.push(case(
            format!("{path}: 4 KB method"),
            Raw::new(long(4_000).to_uppercase(), path),
            Status(&[400, 405, 431]),
        ));
    }
    cases.extend([
        case(
            "lower-case get",
            Raw::new("get", "/jwks.json"),
            Status(&[404, 405]),
        ),
        case(
            "method with punctuation",
            Raw::new("GE{T", "/jwks.json"),
            Status(&[400]),
        ),
        case(
            "method not UTF-8",
            Raw::new(b"G\xffT".as_slice(), "/jwks.json"),
            Status(&[400]),
        ),
        case("TRACE", Raw::new("TRACE", "/token"), Status(&[404, 405])),
        case(
            "CONNECT",
            Raw::new("CONNECT", "/authorize"),
            Status(&[400, 404, 405]),
        ),
        case("OPTIONS *", Raw::new("OPTIONS", "*"), Status(&[400, 404])),
        case(
            "HEAD on JWKS",
            Raw::new("HEAD", "/jwks.json"),
            Status(&[200, 404, 405]),
        ),
        case(
            "PROPFIND on discovery",
            Raw::new("PROPFIND", DISCOVERY),
            Status(&[404, 405]),
        ),
    ]);
    cases
}

fn request_line_cases() -> Vec<Case> {
    vec![
        case(
            "absolute-form target",
            Raw::get("http://evil.example/jwks.json"),
            Harmless,
        ),
        case(
            "target without slash",
            Raw::get("jwks.json"),
            Status(&[400, 404]),
        ),
        case(
            "raw bytes that are not UTF-8 in the path",
            Raw::get(b"/jwks\xff.json".as_slice()),
            Status(&[400, 404]),
        ),
        case(
            "encoded NUL in the path",
            Raw::get("/jwks.json%00"),
            Status(&[400, 404]),
        ),
        case(
            "encoded invalid UTF-8 in the path",
            Raw::get("/%FF%FE"),
            Status(&[400, 404]),
        ),
        case(
            "dot segments to a route",
            Raw::get("/static/../jwks.json"),
            Status(&[200, 400, 404]),
        ),
        case(
            "very long path",
            Raw::get(format!("/{}", long(20_000))),
            Status(&[400, 404, 414, 431]),
        ),
        case(
            "path over the head limit",
            Raw::get(format!("/{}", long(200_000))),
            Status(&[400, 414, 431]),
        ),
        case(
            "thousands of slashes",
            Raw::get("/".repeat(10_000)),
            Status(&[400, 404, 414, 431]),
        ),
        case(
            "discovery with a query",
            Raw::get(format!("{DISCOVERY}?x=%FF&&==")),
            Status(&[200]),
        ),
        case(
            "discovery with a trailing slash",
            Raw::get(format!("{DISCOVERY}/")),
            Status(&[404]),
        ),
        case(
            "discovery by POST",
            Raw::form(DISCOVERY, "x=1"),
            Status(&[404, 405]),
        ),
        case(
            "JWKS by POST",
            Raw::form("/jwks.json", "x=1"),
            Status(&[404, 405]),
        ),
        case(
            "JWKS with a body on GET",
            Raw::get("/jwks.json").body(long(1_000)),
            Status(&[200]),
        ),
        case(
            "metrics are not public",
            Raw::get("/metrics"),
            Status(&[404]),
        ),
    ]
}

fn traversal_cases() -> Vec<Case> {
    [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%5cCargo.toml",
        "/static/....//Cargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/.%00./Cargo.toml",
        "/static/..\\Cargo.toml",
    ]
    .into_iter()
    .map(|path| {
        case(
            format!("traversal {path}"),
            Raw::get(path),
            Unreflected(&[400, 403, 404], "[package]"),
        )
    })
    .collect()
}

fn header_cases(fx: &Fixture) -> Vec<Case> {
    let token = || Raw::form("/token", "grant_type=password");
    let many_headers = |n: usize| {
        (0..n).fold(Raw::get("/jwks.json"), |raw, i| {
            raw.header(format!("X-Junk-{i}"), "x")
        })
    };
    vec![
        case(
            "a 20 KB header",
            Raw::get("/jwks.json").header("X-Junk", long(20_000)),
            Status(&[200, 400, 431]),
        ),
        case(
            "a 200 KB header",
            Raw::get("/jwks.json").header("X-Junk", long(200_000)),
            Status(&[400, 431]),
        ),
        case("60 headers", many_headers(60), Status(&[200])),
        case("500 headers", many_headers(500), Status(&[400, 431])),
        case(
            "header name with spaces",
            Raw::get("/jwks.json").header("X Junk", "x"),
            Status(&[400]),
        ),
        case(
            "header value with a bare CR",
            Raw::get("/jwks.json").header("X-Junk", "a\rb"),
            Status(&[400]),
        ),
        case(
            "header value not UTF-8",
            Raw::get("/jwks.json").header("X-Junk", b"\xff\xfe".as_slice()),
            Status(&[200]),
        ),
        case(
            "obsolete line folding",
            Raw::get("/jwks.json").header("X-Junk", "a\r\n b"),
            Status(&[200, 400]),
        ),
        case(
            "two Content-Length values",
            token()
                .header("Content-Length", "5")
                .header("Content-Length", "6"),
            Status(&[400]),
        ),
        case(
            "Content-Length not a number",
            token().header("Content-Length", "abc"),
            Status(&[400]),
        ),
        case(
            "negative Content-Length",
            token().header("Content-Length", "-1"),
            Status(&[400]),
        ),
        case(
            "Content-Length and chunked",
            token()
                .header("Content-Length", "19")
                .header("Transfer-Encoding", "chunked"),
            Status(&[400]),
        ),
        case(
            "bad chunk size",
            token()
                .body("zz\r\nabc\r\n0\r\n\r\n")
                .header("Transfer-Encoding", "chunked"),
            Status(&[400]),
        ),
        case(
            "unknown transfer coding",
            token().header("Transfer-Encoding", "gzip, rot13"),
            Status(&[400, 411, 415]),
        ),
        case(
            "Expect 100-continue",
            token().header("Expect", "100-continue"),
            OAuth(&["invalid_client"]),
        ),
        case(
            "Expect something else",
            token().header("Expect", "teapot"),
            Status(&[400, 401, 417]),
        ),
        case(
            "gzip body that is not gzip",
            token().header("Content-Encoding", "gzip"),
            Status(&[400, 401, 415]),
        ),
        case(
            "gzip bomb-shaped header",
            token().header("Content-Encoding", "gzip, gzip, gzip, gzip, br"),
            Status(&[400, 401, 415]),
        ),
        case(
            "Host header twice",
            Raw::get("/jwks.json").header("Host", "evil.example"),
            Status(&[200, 400]),
        ),
        case(
            "Host with markup",
            Raw::get("/jwks.json").header("X-Forwarded-Host", "<evil>"),
            Status(&[200]),
        ),
        case(
            "X-Forwarded-For garbage",
            Raw::get("/jwks.json").header("X-Forwarded-For", "not an ip, ::::, 999.1.1.1"),
            Status(&[200]),
        ),
        case(
            "Forwarded garbage",
            Raw::get("/jwks.json").header("Forwarded", "for=\"[::1\";;;by"),
            Status(&[200]),
        ),
        case(
            "Origin null on the token endpoint",
            token()
                .header("Origin", "null")
                .basic("web", &fx.web_secret),
            OAuth(&["unsupported_grant_type"]),
        ),
        case(
            "a 6 KB cookie",
            Raw::get("/authorize").cookie(format!("gatehouse_csrf={}", long(6_000))),
            Page(&[400]),
        ),
        case(
            "a hundred cookies",
            Raw::get("/authorize").cookie(
                (0..100)
                    .map(|i| format!("c{i}=v"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Page(&[400]),
        ),
        case(
            "cookie with quotes and commas",
            Raw::get("/authorize").cookie("gatehouse_session=\"a,b\"; gatehouse_csrf=\"\""),
            Page(&[400]),
        ),
        case(
            "cookie not UTF-8",
            Raw::get("/login?return_to=/admin")
                .header("Cookie", b"gatehouse_csrf=\xff\xfe".as_slice()),
            Page(&[200, 400]),
        ),
        case(
            "garbage session at /authorize",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("state", Some("s"))
            ))
            .cookie("gatehouse_session=garbage; gatehouse_csrf=garbage"),
            Status(&[303]),
        ),
        case(
            "CSRF cookie of the right length but forged",
            Raw::get(format!("/consent?request={}", fx.pending_request))
                .cookie(format!("gatehouse_csrf={}", "A".repeat(43))),
            Page(&[400]),
        ),
    ]
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = method_cases();
    cases.extend(request_line_cases());
    cases.extend(traversal_cases());
    cases.extend(header_cases(fx));
    cases
}

#[tokio::test]
async fn http_itself_refuses_absurd_requests_with_4xx() {
    let fx = Fixture::new().await;
    run_table(&fx, "transport", cases(&fx)).await;
}
