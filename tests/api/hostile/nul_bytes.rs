//! NUL bytes (`%00`, `\u0000`) in every place a value may reach the
//! database. PostgreSQL text cannot hold them, so an unguarded look-up
//! fails there as an internal error; each must instead be an ordinary
//! refusal, on both backends.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use super::{Case, Expect::*, Fixture, Raw, case, form, run_table};

const NUL: &str = "\u{0}";

fn protocol_cases(fx: &Fixture) -> Vec<Case> {
    let secret = fx.web_secret.as_str();
    let basic = |raw: &[u8]| format!("Basic {}", STANDARD.encode(raw));
    let mut cases = Vec::new();
    for path in ["/token", "/revoke", "/introspect"] {
        cases.extend([
            case(
                format!("{path}: client_id"),
                Raw::form(
                    path,
                    "grant_type=client_credentials&token=x&client_id=we%00b&client_secret=x",
                ),
                OAuth(&["invalid_request", "invalid_client"]),
            ),
            case(
                format!("{path}: Basic client id"),
                Raw::form(path, "grant_type=client_credentials&token=x")
                    .header("Authorization", basic(b"we%00b:x")),
                OAuth(&["invalid_request", "invalid_client"]),
            ),
            case(
                format!("{path}: raw NUL in Basic"),
                Raw::form(path, "grant_type=client_credentials&token=x")
                    .header("Authorization", basic(b"we\x00b:x")),
                OAuth(&["invalid_request", "invalid_client"]),
            ),
            case(
                format!("{path}: token"),
                Raw::form(
                    path,
                    "grant_type=refresh_token&refresh_token=a%00b&token=a%00b",
                )
                .basic("web", secret),
                OAuth(&["invalid_request", "invalid_grant"]),
            ),
        ]);
    }
    cases.extend([
        case(
            "token: resource",
            Raw::form("/token", "grant_type=client_credentials&resource=school%00")
                .basic("web", secret),
            OAuth(&["invalid_request", "invalid_target"]),
        ),
        case(
            "token: scope",
            Raw::form("/token", "grant_type=client_credentials&scope=openid%00")
                .basic("web", secret),
            OAuth(&["invalid_request", "invalid_scope"]),
        ),
        case(
            "token: code",
            Raw::form(
                "/token",
                "grant_type=authorization_code&code=%00&redirect_uri=http://127.0.0.1:3000/cb",
            )
            .basic("web", secret),
            OAuth(&["invalid_request", "invalid_grant"]),
        ),
        case(
            "userinfo: form token",
            Raw::form("/userinfo", "access_token=a%00b"),
            Bearer(&[400, 401]),
        ),
        case(
            "authorize: client_id",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("client_id", Some("web\u{0}"))
            )),
            Page(&[400]),
        ),
        case(
            "authorize: state",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("state", Some(NUL))
            )),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: nonce",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("nonce", Some(NUL))
            )),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: login_hint",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("login_hint", Some(NUL))
            )),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize: scope",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("scope", Some("openid \u{0}"))
            )),
            Refused(&["invalid_request", "invalid_scope"]),
        ),
        case(
            "authorize: resource",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("resource", Some("school\u{0}"))
            )),
            Refused(&["invalid_request", "invalid_target"]),
        ),
        case(
            "authorize: id_token_hint",
            Raw::get(format!(
                "/authorize?{}",
                super::authorize_with("id_token_hint", Some("a\u{0}b"))
            )),
            Refused(&["invalid_request"]),
        ),
        case(
            "authorize POST: client_id",
            Raw::form(
                "/authorize",
                super::authorize_with("client_id", Some("web\u{0}")),
            )
            .cookie(&fx.console_cookies),
            Page(&[400]),
        ),
        case(
            "authorize POST: state",
            Raw::form("/authorize", super::authorize_with("state", Some(NUL)))
                .cookie(&fx.console_cookies),
            Refused(&["invalid_request"]),
        ),
    ]);
    cases
}

fn page_cases(fx: &Fixture) -> Vec<Case> {
    let pending = |raw: Raw| raw.cookie(&fx.pending_cookies);
    let csrf = fx.pending_csrf.as_str();
    vec![
        case(
            "login: request id",
            pending(Raw::get("/login?request=a%00b")),
            Page(&[400]),
        ),
        case(
            "login: return_to",
            Raw::get("/login?return_to=/admin%00"),
            Page(&[400]),
        ),
        case(
            "login POST: request id",
            pending(Raw::form(
                "/login",
                form(&[
                    ("csrf_token", csrf),
                    ("request", "a\u{0}b"),
                    ("username", "alice"),
                    ("password", "x"),
                ]),
            )),
            Page(&[400]),
        ),
        case(
            "login POST: username",
            pending(Raw::form(
                "/login",
                form(&[
                    ("csrf_token", csrf),
                    ("request", &fx.pending_request),
                    ("username", "ali\u{0}ce"),
                    ("password", "x"),
                ]),
            )),
            Page(&[400, 401, 429]),
        ),
        case(
            "login POST: password",
            pending(Raw::form(
                "/login",
                form(&[
                    ("csrf_token", csrf),
                    ("request", &fx.pending_request),
                    ("username", "nobody-here"),
                    ("password", "x\u{0}y"),
                ]),
            )),
            Page(&[400, 401, 429]),
        ),
        case(
            "login POST: console username",
            pending(Raw::form(
                "/login",
                form(&[
                    ("csrf_token", csrf),
                    ("return_to", "/admin"),
                    ("username", "ro\u{0}ot"),
                    ("password", "x"),
                ]),
            )),
            Page(&[400, 401, 429]),
        ),
        case(
            "consent: request id",
            pending(Raw::get("/consent?request=a%00b")),
            Page(&[400]),
        ),
        case(
            "consent POST: request id",
            pending(Raw::form(
                "/consent",
                form(&[
                    ("csrf_token", csrf),
                    ("request", "a\u{0}b"),
                    ("decision", "allow"),
                ]),
            )),
            Page(&[400]),
        ),
        case(
            "logout: client_id",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("client_id", "we\u{0}b"),
                    ("post_logout_redirect_uri", "https://evil.example/")
                ])
            )),
            NoRedirect(&[200, 400]),
        ),
        case(
            "logout: id_token_hint",
            Raw::get("/logout?id_token_hint=a%00b"),
            NoRedirect(&[200, 400]),
        ),
        case(
            "logout POST: client_id",
            pending(Raw::form(
                "/logout",
                form(&[
                    ("csrf_token", csrf),
                    ("decision", "logout"),
                    ("client_id", "we\u{0}b"),
                    ("post_logout_redirect_uri", "https://evil.example/"),
                ]),
            )),
            NoRedirect(&[200, 400]),
        ),
        case(
            "setup: token",
            Raw::get("/setup?token=a%00b"),
            Page(&[400, 403]),
        ),
        case(
            "setup POST: token",
            Raw::form("/setup", "token=a%00b&csrf_token=x"),
            Page(&[400, 403]),
        ),
    ]
}

fn admin_cases(fx: &Fixture) -> Vec<Case> {
    let console = |raw: Raw| raw.cookie(&fx.console_cookies);
    let csrf = fx.console_csrf.as_str();
    let token = fx.admin_token.as_str();
    let api =
        |method: &str, path: &str| Raw::new(method, format!("/admin/api/v1{path}")).bearer(token);
    let api_json = |method: &str, path: &str, body: serde_json::Value| {
        Raw::json(format!("/admin/api/v1{path}"), &body)
            .method(method)
            .bearer(token)
    };
    vec![
        case(
            "console: user page",
            console(Raw::get("/admin/users/%00")),
            Status(&[400, 404]),
        ),
        case(
            "console: search",
            console(Raw::get("/admin/users?q=a%00")),
            Status(&[200, 400]),
        ),
        case(
            "console: cursor",
            console(Raw::get("/admin/users?after=%00")),
            Status(&[200, 400]),
        ),
        case(
            "console: audit filters",
            console(Raw::get("/admin/audit?kind=%00&user=%00")),
            Status(&[200, 400]),
        ),
        case(
            "console: user action",
            console(Raw::form(
                "/admin/users/r%00ot/disable",
                form(&[("csrf_token", csrf)]),
            )),
            Status(&[400, 404]),
        ),
        case(
            "console: client action",
            console(Raw::form(
                "/admin/clients/w%00b/disable",
                form(&[("csrf_token", csrf)]),
            )),
            Status(&[400, 404]),
        ),
        case(
            "console: new user",
            console(Raw::form(
                "/admin/users",
                form(&[
                    ("csrf_token", csrf),
                    ("username", "mal\u{0}"),
                    ("email", "a\u{0}@example.com"),
                ]),
            )),
            Status(&[400, 409, 422]),
        ),
        case(
            "console: new role",
            console(Raw::form(
                "/admin/roles",
                form(&[("csrf_token", csrf), ("name", "r\u{0}")]),
            )),
            Status(&[400, 409, 422]),
        ),
        case(
            "console: allow",
            console(Raw::form(
                "/admin/roles/allow",
                form(&[
                    ("csrf_token", csrf),
                    ("role", "admin\u{0}"),
                    ("api", "school"),
                    ("permission", "grades:read"),
                ]),
            )),
            Status(&[400, 404, 409, 422]),
        ),
        case(
            "api: user",
            api("GET", "/users/%00"),
            Status(&[400, 404, 422]),
        ),
        case(
            "api: client",
            api("GET", "/clients/%00"),
            Status(&[400, 404, 422]),
        ),
        case(
            "api: search",
            api("GET", "/users?q=%00"),
            Status(&[200, 400, 422]),
        ),
        case(
            "api: cursor",
            api("GET", "/users?after=%00%FF"),
            Status(&[200, 400, 422]),
        ),
        case(
            "api: audit",
            api("GET", "/audit?kind=%00&subject=%00&actor=%00"),
            Status(&[200, 400, 422]),
        ),
        case(
            "api: delete role",
            api("DELETE", "/roles/%00"),
            Status(&[400, 404, 422]),
        ),
        case(
            "api: grant role",
            api("PUT", "/users/root/roles/%00"),
            Status(&[400, 404, 422]),
        ),
        case(
            "api: new user",
            api_json("POST", "/users", json!({"username": "mal\u{0}lory"})),
            Status(&[400, 409, 422]),
        ),
        case(
            "api: new user's email",
            api_json(
                "POST",
                "/users",
                json!({"username": "mallory3", "email": "m\u{0}@example.com"}),
            ),
            Status(&[400, 409, 422]),
        ),
        case(
            "api: new role",
            api_json("POST", "/roles", json!({"name": "r\u{0}"})),
            Status(&[400, 409, 422]),
        ),
        case(
            "api: new client",
            api_json(
                "POST",
                "/clients",
                json!({"client_id": "c\u{0}", "redirect_uris": ["https://app.example/cb"]}),
            ),
            Status(&[400, 409, 422]),
        ),
        case(
            "api: patch user",
            api_json("PATCH", "/users/root", json!({"name": "Ro\u{0}ot"})),
            Status(&[200, 400, 422]),
        ),
        case(
            "api: permission",
            api_json(
                "POST",
                "/roles/admin/permissions",
                json!({"api": "school\u{0}", "permission": "x"}),
            ),
            Status(&[400, 404, 409, 422]),
        ),
    ]
}

#[tokio::test]
async fn nul_bytes_are_refused_like_any_bad_value() {
    let fx = Fixture::new().await;
    let mut cases = protocol_cases(&fx);
    cases.extend(page_cases(&fx));
    cases.extend(admin_cases(&fx));
    run_table(&fx, "nul_bytes", cases).await;
}
