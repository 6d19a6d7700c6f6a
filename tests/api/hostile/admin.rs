//! The console (`/admin`, cookies and CSRF) and the admin API
//! (`/admin/api/v1`, bearer tokens, JSON): bad credentials, bad bodies, bad
//! paths. The console answers with pages or a same-origin redirect to sign
//! in; the API with its JSON errors.

use serde_json::{Value, json};

use super::{Case, Expect::*, Fixture, Raw, case, form, long, run_table};

const API: &str = "/admin/api/v1";

fn console_cases(fx: &Fixture) -> Vec<Case> {
    let signed_in = |raw: Raw| raw.cookie(&fx.console_cookies);
    let csrf = fx.console_csrf.as_str();
    let post = |path: &str, pairs: &[(&str, &str)]| signed_in(Raw::form(path, form(pairs)));
    vec![
        case("signed out", Raw::get("/admin/users"), Status(&[303])),
        case(
            "garbage session cookie",
            Raw::get("/admin/users").cookie("gatehouse_session=garbage"),
            Status(&[303]),
        ),
        case(
            "huge session cookie",
            Raw::get("/admin/users").cookie(format!("gatehouse_session={}", long(6_000))),
            Status(&[303]),
        ),
        case(
            "session cookie twice",
            Raw::get("/admin/users").cookie("gatehouse_session=a; gatehouse_session=b"),
            Status(&[303]),
        ),
        case(
            "malformed cookie header",
            Raw::get("/admin/users").cookie(";;;===; =x; gatehouse_session"),
            Status(&[303]),
        ),
        case(
            "cookie header not UTF-8",
            Raw::get("/admin/users").header("Cookie", b"gatehouse_session=\xff\xfe".as_slice()),
            Status(&[303]),
        ),
        case(
            "return_to survives odd paths",
            Raw::get("/admin/users/%2F%2Fevil.example"),
            Status(&[303]),
        ),
        case(
            "search, huge",
            signed_in(Raw::get(format!("/admin/users?q={}", long(20_000)))),
            Status(&[200, 400]),
        ),
        case(
            "search, not UTF-8",
            signed_in(Raw::get("/admin/users?q=%FF%FE")),
            Status(&[200, 400]),
        ),
        case(
            "search, LIKE wildcards",
            signed_in(Raw::get("/admin/users?q=%25_%25%5C")),
            Status(&[200]),
        ),
        case(
            "search, cursor garbage",
            signed_in(Raw::get("/admin/users?after=%00%FF~~~")),
            Status(&[200, 400]),
        ),
        case(
            "search, markup",
            signed_in(Raw::get(format!(
                "/admin/users?{}",
                form(&[("q", "<script>alert(1)</script>")])
            ))),
            Unreflected(&[200], "<script>alert(1)</script>"),
        ),
        case(
            "search, fields twice",
            signed_in(Raw::get("/admin/users?q=a&q=b")),
            Page(&[400]),
        ),
        case(
            "unknown user",
            signed_in(Raw::get("/admin/users/nobody")),
            Page(&[404]),
        ),
        case(
            "huge user name",
            signed_in(Raw::get(format!("/admin/users/{}", long(20_000)))),
            Page(&[404]),
        ),
        case(
            "user name not UTF-8",
            signed_in(Raw::get("/admin/users/%FF")),
            Status(&[400, 404]),
        ),
        case(
            "user name NUL",
            signed_in(Raw::get("/admin/users/%00")),
            Status(&[400, 404]),
        ),
        case(
            "audit, odd filters",
            signed_in(Raw::get(format!(
                "/admin/audit?kind={}&user=%FF&before=-99999999999999999999",
                long(5_000)
            ))),
            Status(&[200, 400]),
        ),
        case(
            "create user without CSRF",
            post("/admin/users", &[("username", "mallory")]),
            Page(&[403]),
        ),
        case(
            "create user, forged CSRF",
            post(
                "/admin/users",
                &[("csrf_token", "forged"), ("username", "mallory")],
            ),
            Page(&[403]),
        ),
        case(
            "create user, JSON",
            signed_in(Raw::json(
                "/admin/users",
                &json!({"csrf_token": csrf, "username": "mallory"}),
            )),
            Page(&[400, 415]),
        ),
        case(
            "create user, not UTF-8",
            signed_in(Raw::form(
                "/admin/users",
                b"csrf_token=\xff&username=\xfe".as_slice(),
            )),
            Page(&[400, 403]),
        ),
        case(
            "create user, CSRF twice",
            post(
                "/admin/users",
                &[
                    ("csrf_token", csrf),
                    ("csrf_token", csrf),
                    ("username", "x"),
                ],
            ),
            Page(&[400]),
        ),
        case(
            "create user, huge name",
            post(
                "/admin/users",
                &[("csrf_token", csrf), ("username", &long(60_000))],
            ),
            Page(&[400, 409, 422]),
        ),
        case(
            "create user, control characters",
            post(
                "/admin/users",
                &[("csrf_token", csrf), ("username", "mal\u{0}lory\r\n")],
            ),
            Page(&[400, 409, 422]),
        ),
        case(
            "create user, over the limit",
            post(
                "/admin/users",
                &[("csrf_token", csrf), ("username", &long(200_000))],
            ),
            Page(&[413]),
        ),
        case(
            "unknown user action",
            post("/admin/users/root/frobnicate", &[("csrf_token", csrf)]),
            Page(&[400, 404]),
        ),
        case(
            "action on an unknown user",
            post("/admin/users/nobody/disable", &[("csrf_token", csrf)]),
            Page(&[400, 404]),
        ),
        case(
            "client with a javascript redirect",
            post(
                "/admin/clients",
                &[
                    ("csrf_token", csrf),
                    ("client_id", "evil"),
                    ("redirect_uris", "javascript:alert(1)"),
                ],
            ),
            Page(&[400, 409, 422]),
        ),
        case(
            "unknown client action",
            post("/admin/clients/web/frobnicate", &[("csrf_token", csrf)]),
            Page(&[400, 404]),
        ),
        case(
            "allow on an unknown role",
            post(
                "/admin/roles/allow",
                &[
                    ("csrf_token", csrf),
                    ("role", "nope"),
                    ("api", "nope"),
                    ("permission", "x"),
                ],
            ),
            Page(&[400, 404, 409, 422]),
        ),
        case(
            "delete a role with a huge name",
            post(
                &format!("/admin/roles/{}/delete", long(20_000)),
                &[("csrf_token", csrf)],
            ),
            Page(&[400, 404, 409, 422]),
        ),
        case(
            "rotate keys without CSRF",
            post("/admin/keys/rotate", &[]),
            Page(&[403]),
        ),
        case(
            "PUT on the console",
            signed_in(Raw::new("PUT", "/admin/users")),
            Status(&[404, 405]),
        ),
    ]
}

fn api_cases(fx: &Fixture) -> Vec<Case> {
    let token = fx.admin_token.as_str();
    let get = |path: &str| Raw::get(format!("{API}{path}")).bearer(token);
    let send_json = |method: &str, path: &str, body: &Value| {
        Raw::json(format!("{API}{path}"), body)
            .method(method)
            .bearer(token)
    };
    let raw_body = |method: &str, path: &str, content_type: &str, body: &[u8]| {
        Raw::new(method, format!("{API}{path}"))
            .header("Content-Type", content_type)
            .body(body)
            .bearer(token)
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    vec![
        // ---- credentials
        case("api: no token", Raw::get(format!("{API}/users")), Api(&[401])),
        case("api: garbage token", Raw::get(format!("{API}/users")).bearer("garbage"), Api(&[401])),
        case("api: huge token", Raw::get(format!("{API}/users")).bearer(&long(16_000)), Api(&[401])),
        case("api: alg none", Raw::get(format!("{API}/users")).bearer("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJvcHMiLCJhdWQiOiJnYXRlaG91c2UtYWRtaW4ifQ."), Api(&[401])),
        case("api: id token", Raw::get(format!("{API}/users")).bearer(&fx.id_token), Api(&[401])),
        case("api: token for another audience", Raw::get(format!("{API}/users")).bearer(&fx.access_token), Api(&[401, 403])),
        case("api: Basic", Raw::get(format!("{API}/users")).basic("ops", &fx.ops_secret), Api(&[401])),
        case("api: token not text", Raw::get(format!("{API}/users")).header("Authorization", b"Bearer \xff".as_slice()), Api(&[401])),
        case("api: forged signature", Raw::get(format!("{API}/users")).bearer(&format!("{}x", &token[..token.len() - 1])), Api(&[401])),
        // ---- queries
        case("api: negative limit", get("/users?limit=-1"), Status(&[200, 400, 422])),
        case("api: limit not a number", get("/users?limit=ten"), Api(&[400, 422])),
        case("api: limit overflows", get("/users?limit=99999999999999999999999"), Api(&[400, 422])),
        case("api: huge search", get(&format!("/users?q={}", long(20_000))), Status(&[200, 400, 422])),
        case("api: search not UTF-8", get("/users?q=%FF"), Status(&[200, 400, 422])),
        case("api: cursor garbage", get("/users?after=%00%FF"), Status(&[200, 400, 422])),
        case("api: query fields twice", get("/users?limit=1&limit=2"), Api(&[400, 422])),
        case("api: audit before overflows", get("/audit?before=-99999999999999999999999"), Api(&[400, 422])),
        case("api: audit huge filters", get(&format!("/audit?kind={0}&subject={0}&actor={0}", long(5_000))), Status(&[200])),
        // ---- paths
        case("api: unknown route", get("/nope"), Api(&[404])),
        case("api: unknown user", get("/users/nobody"), Api(&[404])),
        case("api: user name not UTF-8", get("/users/%FF"), Status(&[400, 404, 422])),
        case("api: huge user name", get(&format!("/users/{}", long(20_000))), Api(&[404])),
        case("api: unknown client", get("/clients/%2E%2E"), Api(&[404])),
        case("api: invented method", Raw::new("BREW", format!("{API}/users")).bearer(token), Status(&[404, 405])),
        // ---- bodies
        case("api: form instead of JSON", raw_body("POST", "/users", "application/x-www-form-urlencoded", b"username=mallory"), Api(&[400, 415, 422])),
        case("api: no content type", raw_body("POST", "/users", "", b"{\"username\":\"mallory\"}"), Api(&[400, 415, 422])),
        case("api: JSON not UTF-8", raw_body("POST", "/users", "application/json", b"{\"username\":\"\xff\"}"), Api(&[400, 422])),
        case("api: truncated JSON", raw_body("POST", "/users", "application/json", b"{\"username\":"), Api(&[400, 422])),
        case("api: wrong types", send_json("POST", "/users", &json!({"username": 5, "roles": "admin"})), Api(&[400, 422])),
        case("api: duplicate keys", raw_body("POST", "/users", "application/json", b"{\"username\":\"a\",\"username\":\"b\"}"), Api(&[400, 422])),
        case("api: deeply nested array", raw_body("POST", "/users", "application/json", deep.as_bytes()), Api(&[400, 413, 422])),
        case("api: deeply nested object", raw_body("POST", "/users", "application/json", deep_object.as_bytes()), Api(&[400, 413, 422])),
        case("api: huge user name", send_json("POST", "/users", &json!({"username": long(100_000)})), Api(&[400, 409, 413, 422])),
        case("api: user name with controls", send_json("POST", "/users", &json!({"username": "mal\u{0}lory\u{202e}"})), Api(&[400, 409, 422])),
        case("api: unknown role granted", send_json("POST", "/users", &json!({"username": "mallory2", "roles": ["no-such-role"]})), Api(&[400, 404, 409, 422])),
        case("api: JSON over the limit", raw_body("POST", "/users", "application/json", format!("{{\"username\":\"{}\"}}", long(3_000_000)).as_bytes()), Api(&[400, 413, 422])),
        case("api: patch nobody", send_json("PATCH", "/users/nobody", &json!({"name": "x"})), Api(&[404])),
        case("api: password for nobody", send_json("PUT", "/users/nobody/password", &json!({"password": long(10_000)})), Api(&[400, 404, 422])),
        case("api: grant a huge role", Raw::new("PUT", format!("{API}/users/root/roles/{}", long(20_000))).bearer(token), Api(&[400, 404, 422])),
        case("api: client with a fragment redirect", send_json("POST", "/clients", &json!({"client_id": "frag", "redirect_uris": ["https://app.example/cb#x"]})), Api(&[400, 422])),
        case("api: client with a javascript redirect", send_json("POST", "/clients", &json!({"client_id": "js", "redirect_uris": ["javascript:alert(1)"]})), Api(&[400, 422])),
        case("api: client with a plain-http redirect", send_json("POST", "/clients", &json!({"client_id": "plain", "redirect_uris": ["http://app.example/cb"]})), Api(&[400, 422])),
        case("api: client with an unknown grant", send_json("POST", "/clients", &json!({"client_id": "odd", "grant_types": ["password"]})), Api(&[400, 422])),
        case("api: client id with controls", send_json("POST", "/clients", &json!({"client_id": "a\u{0}b\r\n"})), Api(&[400, 409, 422])),
        case("api: remove an API by a bad query", Raw::new("DELETE", format!("{API}/apis?identifier=%FF")).bearer(token), Status(&[400, 404, 422])),
        case("api: rotate keys, bad algorithm", send_json("POST", "/keys/rotate", &json!({"alg": "none"})), Api(&[400, 422])),
    ]
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = console_cases(fx);
    cases.extend(api_cases(fx));
    cases
}

#[tokio::test]
async fn the_console_and_admin_api_answer_hostile_input_with_4xx() {
    let fx = Fixture::new().await;
    run_table(&fx, "admin", cases(&fx)).await;
}
