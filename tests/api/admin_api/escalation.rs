//! The outside review's first defect (issue 10): `clients:write` was a path
//! to full admin — a client given the admin API as its audience, or told to
//! skip consent, took tokens from a signed-in administrator without asking.
//! Then the sweep: a holder of any single admin permission tries every known
//! route to more, and ends with exactly what they started with.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    ADMIN_API, Api, OPS, PERMISSIONS, REDIRECT_URI, add_service_account, claims,
    client_credentials, service_token,
};
use crate::helpers::TestApp;

fn new_client(client_id: &str, extra: Value) -> Value {
    let mut body = json!({
        "client_id": client_id,
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "client_credentials"],
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

/// A service account holding only `permissions`, and its API caller.
async fn holder_of<'a>(app: &'a TestApp, name: &str, permissions: &[&str]) -> Api<'a> {
    let role = format!("{name}-role");
    app.add_role(&role, ADMIN_API, permissions);
    let secret = add_service_account(app, name, &[&role]);
    Api::new(app, service_token(app, name, &secret).await)
}

#[tokio::test]
async fn clients_write_alone_cannot_reach_the_admin_api_or_skip_consent() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let registrar = holder_of(&app, "registrar", &["clients:write", "clients:read"]).await;
    let attempts = [
        (
            "the admin API as audience",
            json!({ "resources": [ADMIN_API] }),
        ),
        (
            "admin API introspection",
            json!({ "introspect": [ADMIN_API] }),
        ),
        ("skipping consent", json!({ "skip_consent": true })),
    ];
    for (what, extra) in attempts {
        let reply = registrar.post("/clients", new_client("evil", extra)).await;
        let message = reply.expect_error(403, "forbidden");
        assert!(message.contains("evil"), "{what}: {message}");
        ops.get("/clients/evil").await.expect(404);
    }
    // An ordinary application is still theirs to register.
    registrar
        .post(
            "/clients",
            new_client("school-web", json!({ "resources": [] })),
        )
        .await
        .expect(201);
    // A holder of every admin permission may do all three.
    ops.post(
        "/clients",
        new_client(
            "admin-tool",
            json!({ "resources": [ADMIN_API], "skip_consent": true }),
        ),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn client_ids_and_api_identifiers_are_one_namespace() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let message = ops
        .post("/clients", new_client(ADMIN_API, json!({})))
        .await
        .expect_error(422, "invalid_input");
    assert!(message.contains("API identifier"), "{message}");
    ops.post("/apis", json!({ "identifier": "school" }))
        .await
        .expect(201);
    ops.post("/clients", new_client("school", json!({})))
        .await
        .expect_error(422, "invalid_input");
    ops.post("/clients", new_client("timetable", json!({})))
        .await
        .expect(201);
    ops.post("/apis", json!({ "identifier": "timetable" }))
        .await
        .expect_error(422, "invalid_input");
    // The command line keeps the same rule.
    let out = app.cli(
        &["client", "add", ADMIN_API, "--redirect-uri", REDIRECT_URI],
        None,
    );
    assert_ne!(out.code, 0, "{out}");
}

#[tokio::test]
async fn a_token_without_an_api_is_for_userinfo_and_client_credentials_needs_one() {
    let app = TestApp::spawn().await;
    let secret = add_service_account(&app, "plain", &[]);
    // `add_service_account` gives a default audience; a client without one:
    app.cli(
        &[
            "client",
            "add",
            "no-api",
            "--grant",
            "client_credentials",
            "--secret-stdin",
        ],
        Some(&secret),
    )
    .ok();
    let (status, body) = client_credentials(&app, "no-api", &secret, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_target", "{body}");
    // With its default API the audience is that API, never the client id.
    let token = service_token(&app, "plain", &secret).await;
    assert_eq!(claims(&token)["aud"], ADMIN_API);
}

#[tokio::test]
async fn an_admin_token_carries_only_what_it_was_granted_and_still_holds() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let reader = holder_of(&app, "auditor", &["audit:read"]).await;
    reader.get("/audit").await.expect(200);
    // Holding more later does not widen a token minted before.
    app.add_role("reader-extra", ADMIN_API, &["users:read"]);
    ops.put("/clients/auditor/roles/reader-extra", None)
        .await
        .expect(200);
    let message = reader.get("/users").await.expect_error(403, "forbidden");
    assert!(message.contains("users:read"), "{message}");
    // Holding less takes effect at once.
    ops.delete("/clients/auditor/roles/auditor-role")
        .await
        .expect(200);
    reader.get("/audit").await.expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_disabled_or_deleted_client_takes_its_tokens_with_it() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let helper = holder_of(&app, "helpdesk", &["users:read"]).await;
    helper.get("/users").await.expect(200);
    ops.post_empty("/clients/helpdesk/disable")
        .await
        .expect(200);
    helper
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    ops.post_empty("/clients/helpdesk/enable").await.expect(200);
    helper.get("/users").await.expect(200);
    ops.delete("/clients/helpdesk").await.expect(204);
    helper
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    // The command line asks before it deletes.
    add_service_account(&app, "spare", &[]);
    let out = app.cli(&["client", "delete", "spare"], None);
    assert!(out.code != 0 && out.stderr.contains("--yes"), "{out}");
    ops.get("/clients/spare").await.expect(200);
}

/// Every route a holder of one admin permission might try for more.
async fn try_every_route_to_more(api: &Api<'_>, me: &str, victim_user: &str) {
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, format!("/clients/{me}/roles/admin"), None),
        (
            Method::PUT,
            format!("/users/{victim_user}/roles/admin"),
            None,
        ),
        (
            Method::POST,
            "/roles".into(),
            Some(json!({ "name": "mine" })),
        ),
        (
            Method::POST,
            "/roles/mine/permissions".into(),
            Some(json!({ "api": ADMIN_API, "permission": "users:write" })),
        ),
        (
            Method::POST,
            format!("/roles/{me}-role/permissions"),
            Some(json!({ "api": ADMIN_API, "permission": "roles:write" })),
        ),
        (Method::PUT, format!("/clients/{me}/roles/mine"), None),
        (
            Method::POST,
            "/clients".into(),
            Some(new_client("backdoor", json!({ "resources": [ADMIN_API] }))),
        ),
        (
            Method::POST,
            "/clients".into(),
            Some(new_client("silent", json!({ "skip_consent": true }))),
        ),
        (
            Method::POST,
            "/clients".into(),
            Some(new_client(ADMIN_API, json!({}))),
        ),
        (Method::POST, format!("/clients/{OPS}/rotate-secret"), None),
        (Method::POST, format!("/clients/{OPS}/disable"), None),
        (
            Method::PUT,
            format!("/users/{victim_user}/password"),
            Some(json!({ "password": "a brand new passphrase" })),
        ),
        (
            Method::PATCH,
            format!("/users/{victim_user}"),
            Some(json!({ "email": "attacker@example.com" })),
        ),
    ];
    for (method, path, body) in attempts {
        let reply = api.call(method.clone(), &path, body.as_ref()).await;
        assert!(
            reply.status.is_client_error() || reply.status.is_success(),
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn no_single_admin_permission_leads_to_another() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    app.add_user("root", &["admin"]);
    for permission in PERMISSIONS {
        let me = format!("holder-{}", permission.replace(':', "-"));
        let api = holder_of(&app, &me, &[permission]).await;
        try_every_route_to_more(&api, &me, "root").await;
        // What the holder can get now is what they had.
        let secret = ops
            .post_empty(&format!("/clients/{me}/rotate-secret"))
            .await
            .expect(200)["client_secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let fresh = service_token(&app, &me, &secret).await;
        assert_eq!(
            claims(&fresh)["permissions"],
            json!([permission]),
            "a holder of {permission} gained permissions"
        );
        // Nobody else gained anything either.
        let admins = ops.get("/users/root").await.expect(200)["roles"].clone();
        assert_eq!(admins, json!(["admin"]), "after {permission}");
        for made in ["backdoor", "silent"] {
            let reply = ops.get(&format!("/clients/{made}")).await;
            if reply.status == StatusCode::OK {
                assert_eq!(reply.body["skip_consent"], false, "{permission}: {made}");
                assert!(
                    !reply.body["resources"]
                        .as_array()
                        .unwrap()
                        .contains(&json!(ADMIN_API)),
                    "{permission}: {made}"
                );
                ops.delete(&format!("/clients/{made}")).await.expect(204);
            }
        }
        let roles = ops.get("/roles").await.expect(200).clone();
        for role in roles.as_array().unwrap() {
            if role["name"] == "admin" {
                continue;
            }
            let grants_admin = role["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["api"] == ADMIN_API)
                .count();
            assert!(
                grants_admin <= 1,
                "{permission}: role {} now grants {grants_admin} admin permissions",
                role["name"]
            );
        }
        if ops
            .get("/roles")
            .await
            .body
            .to_string()
            .contains("\"mine\"")
        {
            ops.delete("/roles/mine").await.expect(204);
        }
    }
    // The full administrator's own secret was never rotated by anyone else.
    let (status, _) = client_credentials(&app, OPS, "not-the-secret", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    ops.get("/users").await.expect(200);
}

#[tokio::test]
async fn a_disabled_client_takes_the_tokens_it_obtained_for_people_with_it() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let console = super::add_console(&app);
    app.add_user("dana", &["admin"]);
    let token = super::user_token(&app, &console, "dana").await;
    let dana = Api::new(&app, token.clone());
    dana.get("/users").await.expect(200);
    let userinfo = || {
        reqwest::Client::new()
            .get(app.url("/userinfo"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);

    ops.post_empty(&format!("/clients/{}/disable", super::CONSOLE))
        .await
        .expect(200);
    let message = dana
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains("client"), "{message}");
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

/// Found by the hostile corpus: an unknown field was ignored, so a typo
/// (`algorithm` for `alg`) rotated every key instead of one.
#[tokio::test]
async fn admin_bodies_with_unknown_fields_are_refused_not_ignored() {
    let app = TestApp::spawn().await;
    let ops = Api::ops(&app).await;
    let before = ops.get("/keys").await.expect(200).clone();
    ops.post("/keys/rotate", json!({ "algorithm": "ES256" }))
        .await
        .expect_error(422, "invalid_input");
    assert_eq!(ops.get("/keys").await.expect(200), &before);
    ops.post("/roles", json!({ "name": "typo", "descripton": "x" }))
        .await
        .expect_error(422, "invalid_input");
}
