//! The pages: `/login`, `/consent`, `/logout`, `/setup`. Malformed forms and
//! queries get an HTML 4xx page; same-origin `return_to` and registered
//! post-logout URIs are the only places they may send the browser.

use serde_json::json;

use super::{Case, Expect::*, Fixture, Raw, case, form, long, run_table};

const MARKUP: &str = "<script>alert(1)</script>";

fn login_cases(fx: &Fixture) -> Vec<Case> {
    let pending = fx.pending_request.as_str();
    let with_pending = |raw: Raw| raw.cookie(&fx.pending_cookies);
    let login_form = |pairs: &[(&str, &str)]| with_pending(Raw::form("/login", form(pairs)));
    let csrf = fx.pending_csrf.as_str();
    let console_login = |return_to: &str| {
        login_form(&[
            ("csrf_token", csrf),
            ("return_to", return_to),
            ("username", "root"),
            ("password", super::PASSWORD),
        ])
    };
    vec![
        case(
            "GET /login without anything",
            Raw::get("/login"),
            Page(&[400]),
        ),
        case(
            "GET /login, unknown request, no cookie",
            Raw::get("/login?request=nope"),
            Page(&[400]),
        ),
        case(
            "GET /login, unknown request",
            with_pending(Raw::get("/login?request=nope")),
            Page(&[400]),
        ),
        case(
            "GET /login, huge request id",
            with_pending(Raw::get(format!("/login?request={}", long(20_000)))),
            Page(&[400]),
        ),
        case(
            "GET /login, request id not UTF-8",
            with_pending(Raw::get("/login?request=%FF%FE")),
            Page(&[400]),
        ),
        case(
            "GET /login, request twice",
            with_pending(Raw::get(format!(
                "/login?request={pending}&request={pending}"
            ))),
            Page(&[400]),
        ),
        case(
            "GET /login, request id with markup",
            with_pending(Raw::get(format!("/login?{}", form(&[("request", MARKUP)])))),
            Unreflected(&[400], MARKUP),
        ),
        case(
            "GET /login, pending request with another browser's cookie",
            Raw::get(format!("/login?request={pending}"))
                .cookie("gatehouse_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Page(&[400]),
        ),
        case(
            "return_to protocol-relative",
            Raw::get("/login?return_to=//evil.example/"),
            Page(&[400]),
        ),
        case(
            "return_to backslash",
            Raw::get("/login?return_to=/%5Cevil.example/"),
            Page(&[400]),
        ),
        case(
            "return_to absolute",
            Raw::get("/login?return_to=https://evil.example/"),
            Page(&[400]),
        ),
        case(
            "return_to CRLF",
            Raw::get("/login?return_to=/admin%0D%0ASet-Cookie:%20x=1"),
            Page(&[400]),
        ),
        case(
            "return_to tab",
            Raw::get("/login?return_to=/%09/evil.example"),
            Page(&[400]),
        ),
        case(
            "return_to huge",
            Raw::get(format!("/login?return_to=/{}", long(3_000))),
            Page(&[400]),
        ),
        case(
            "return_to with markup",
            Raw::get(format!(
                "/login?{}",
                form(&[("return_to", &format!("/admin?x=\"{MARKUP}"))])
            )),
            Unreflected(&[200], MARKUP),
        ),
        case(
            "POST /login without CSRF",
            Raw::form("/login", "username=root&password=x"),
            Page(&[403]),
        ),
        case(
            "POST /login, wrong CSRF",
            login_form(&[
                ("csrf_token", "forged"),
                ("request", pending),
                ("username", "alice"),
                ("password", "x"),
            ]),
            Page(&[403]),
        ),
        case(
            "POST /login JSON",
            with_pending(Raw::json(
                "/login",
                &json!({"csrf_token": csrf, "username": "root"}),
            )),
            Page(&[400, 415]),
        ),
        case(
            "POST /login not UTF-8",
            with_pending(Raw::form(
                "/login",
                b"csrf_token=\xff&username=\xfe".as_slice(),
            )),
            Page(&[400, 403]),
        ),
        case(
            "POST /login, CSRF twice",
            login_form(&[
                ("csrf_token", csrf),
                ("csrf_token", csrf),
                ("request", pending),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /login, fields twice",
            login_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("username", "a"),
                ("username", "b"),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /login over the limit",
            with_pending(Raw::form(
                "/login",
                format!("csrf_token={csrf}&password={}", long(200_000)),
            )),
            Page(&[413]),
        ),
        case(
            "POST /login, unknown request",
            login_form(&[
                ("csrf_token", csrf),
                ("request", "nope"),
                ("username", "alice"),
                ("password", "x"),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /login, huge password",
            login_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("username", "nobody-here"),
                ("password", &long(60_000)),
            ]),
            Page(&[400, 401, 429]),
        ),
        case(
            "POST /login, huge username",
            login_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("username", &long(60_000)),
                ("password", "x"),
            ]),
            Page(&[400, 401, 429]),
        ),
        case(
            "POST /login, username with controls",
            login_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("username", "ro\u{0}ot\r\n"),
                ("password", "x"),
            ]),
            Page(&[400, 401, 429]),
        ),
        case(
            "POST /login, username with markup",
            login_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("username", MARKUP),
                ("password", "x"),
            ]),
            Unreflected(&[400, 401, 429], MARKUP),
        ),
        case(
            "console sign-in to //evil",
            console_login("//evil.example/"),
            Page(&[400]),
        ),
        case(
            "console sign-in to /\\evil",
            console_login("/\\evil.example/"),
            Page(&[400]),
        ),
        case(
            "console sign-in to an absolute URL",
            console_login("https://evil.example/admin"),
            Page(&[400]),
        ),
        case(
            "console sign-in without return_to",
            console_login(""),
            Page(&[400]),
        ),
        case(
            "DELETE /login",
            Raw::new("DELETE", "/login"),
            Status(&[405]),
        ),
    ]
}

fn consent_cases(fx: &Fixture) -> Vec<Case> {
    let pending = fx.pending_request.as_str();
    let csrf = fx.pending_csrf.as_str();
    let consent_form =
        |pairs: &[(&str, &str)]| Raw::form("/consent", form(pairs)).cookie(&fx.pending_cookies);
    vec![
        case(
            "GET /consent without anything",
            Raw::get("/consent"),
            Page(&[400]),
        ),
        case(
            "GET /consent, unknown request",
            Raw::get("/consent?request=nope").cookie(&fx.pending_cookies),
            Page(&[400]),
        ),
        case(
            "GET /consent, request twice",
            Raw::get(format!("/consent?request={pending}&request=x")).cookie(&fx.pending_cookies),
            Page(&[400]),
        ),
        case(
            "POST /consent without CSRF",
            Raw::form("/consent", format!("request={pending}&decision=allow")),
            Page(&[403]),
        ),
        case(
            "POST /consent, wrong CSRF",
            consent_form(&[
                ("csrf_token", "forged"),
                ("request", pending),
                ("decision", "allow"),
            ]),
            Page(&[403]),
        ),
        case(
            "POST /consent, odd decision",
            consent_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("decision", "maybe"),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /consent, decision twice",
            consent_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("decision", "deny"),
                ("decision", "allow"),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /consent JSON",
            Raw::json(
                "/consent",
                &json!({"csrf_token": csrf, "request": pending, "decision": "allow"}),
            )
            .cookie(&fx.pending_cookies),
            Page(&[400, 415]),
        ),
        case(
            "POST /consent not UTF-8",
            Raw::form("/consent", b"request=\xff&decision=allow".as_slice())
                .cookie(&fx.pending_cookies),
            Page(&[400, 403]),
        ),
        // Nobody has signed in to this request: allowing it issues nothing.
        case(
            "POST /consent allow before login",
            consent_form(&[
                ("csrf_token", csrf),
                ("request", pending),
                ("decision", "allow"),
            ]),
            Page(&[400, 403]),
        ),
        case(
            "POST /consent, unknown request",
            consent_form(&[
                ("csrf_token", csrf),
                ("request", "nope"),
                ("decision", "allow"),
            ]),
            Page(&[400]),
        ),
        case(
            "POST /consent over the limit",
            consent_form(&[("csrf_token", csrf), ("request", &long(200_000))]),
            Page(&[413]),
        ),
    ]
}

fn logout_cases(fx: &Fixture) -> Vec<Case> {
    let evil = "https://evil.example/bye";
    vec![
        case("GET /logout", Raw::get("/logout"), NoRedirect(&[200])),
        case(
            "unregistered post-logout URI",
            Raw::get(format!(
                "/logout?{}",
                form(&[("post_logout_redirect_uri", evil)])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "post-logout URI of a client without one",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("client_id", "web"),
                    ("post_logout_redirect_uri", super::REDIRECT_URI)
                ])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "valid hint, unregistered URI",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("id_token_hint", &fx.id_token),
                    ("post_logout_redirect_uri", evil)
                ])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "garbage hint, unregistered URI",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("id_token_hint", "a.b.c"),
                    ("client_id", "web"),
                    ("post_logout_redirect_uri", evil)
                ])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "huge hint",
            Raw::get(format!("/logout?id_token_hint={}", long(20_000))),
            NoRedirect(&[200]),
        ),
        case(
            "the access token as hint",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("id_token_hint", &fx.access_token),
                    ("post_logout_redirect_uri", evil)
                ])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "state with markup",
            Raw::get(format!(
                "/logout?{}",
                form(&[("state", MARKUP), ("client_id", MARKUP)])
            )),
            Unreflected(&[200], MARKUP),
        ),
        case(
            "query not UTF-8",
            Raw::get("/logout?state=%FF&client_id=%FE"),
            NoRedirect(&[200]),
        ),
        case(
            "URI twice, evil last",
            Raw::get(format!(
                "/logout?{}",
                form(&[
                    ("client_id", "web"),
                    ("post_logout_redirect_uri", super::REDIRECT_URI),
                    ("post_logout_redirect_uri", evil)
                ])
            )),
            NoRedirect(&[200]),
        ),
        case(
            "POST signed out, JSON",
            Raw::json("/logout", &json!({"post_logout_redirect_uri": evil})),
            Status(&[303]),
        ),
        case(
            "POST signed out, not UTF-8",
            Raw::form("/logout", b"state=\xff".as_slice()),
            Status(&[303]),
        ),
        case(
            "POST confirmation, forged CSRF",
            Raw::form("/logout", "csrf_token=forged&decision=logout").cookie(&fx.pending_cookies),
            Page(&[403]),
        ),
        case(
            "POST confirmation, no CSRF cookie",
            Raw::form(
                "/logout",
                format!("csrf_token={}&decision=logout", fx.pending_csrf),
            ),
            Page(&[403]),
        ),
        case(
            "POST confirmation to an unregistered URI",
            Raw::form(
                "/logout",
                form(&[
                    ("csrf_token", &fx.pending_csrf),
                    ("decision", "logout"),
                    ("client_id", "web"),
                    ("post_logout_redirect_uri", evil),
                ]),
            )
            .cookie(&fx.pending_cookies),
            NoRedirect(&[200]),
        ),
        case(
            "POST over the limit",
            Raw::form("/logout", format!("state={}", long(200_000))),
            Status(&[413]),
        ),
    ]
}

fn setup_cases() -> Vec<Case> {
    vec![
        case("GET /setup", Raw::get("/setup"), Page(&[403])),
        case(
            "GET /setup, wrong token",
            Raw::get("/setup?token=nope"),
            Page(&[403]),
        ),
        case(
            "GET /setup, huge token",
            Raw::get(format!("/setup?token={}", long(20_000))),
            Page(&[403]),
        ),
        case(
            "GET /setup, token twice",
            Raw::get("/setup?token=a&token=b"),
            Page(&[400]),
        ),
        case(
            "GET /setup, token not UTF-8",
            Raw::get("/setup?token=%FF"),
            Page(&[403]),
        ),
        case(
            "POST /setup without CSRF",
            Raw::form(
                "/setup",
                "token=x&username=evil&password=x&password_confirm=x",
            ),
            Page(&[403]),
        ),
        case(
            "POST /setup JSON",
            Raw::json("/setup", &json!({"token": "x"})),
            Page(&[400, 415]),
        ),
        case(
            "POST /setup over the limit",
            Raw::form("/setup", format!("password={}", long(200_000))),
            Page(&[413]),
        ),
    ]
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = login_cases(fx);
    cases.extend(consent_cases(fx));
    cases.extend(logout_cases(fx));
    cases.extend(setup_cases());
    cases
}

#[tokio::test]
async fn the_pages_answer_hostile_input_with_4xx_pages() {
    let fx = Fixture::new().await;
    run_table(&fx, "pages", cases(&fx)).await;
}
