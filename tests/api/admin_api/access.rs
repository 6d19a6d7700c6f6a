//! Who may call the admin API: the OpenAPI document, the permission each
//! route needs, and every way a token stops working — wrong audience,
//! expiry, revocation, a role taken away, a disabled or deleted subject.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    ADMIN_API, API, Api, OPS, PASSWORD, PERMISSIONS, add_console, add_service_account, browser,
    claims, client_credentials, send, service_token, sign_in_for, user_token,
};
use crate::helpers::TestApp;

/// One route, called harmlessly: `expected` is what a caller holding
/// `permission` gets (the targets do not exist or the body is refused
/// after the permission check), so the table can run many times.
struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    permission: &'static str,
    expected: u16,
}

fn route(method: Method, path: &'static str, permission: &'static str, expected: u16) -> Route {
    Route {
        method,
        path,
        body: None,
        permission,
        expected,
    }
}

fn with_body(
    method: Method,
    path: &'static str,
    body: Value,
    permission: &'static str,
    expected: u16,
) -> Route {
    Route {
        body: Some(body),
        ..route(method, path, permission, expected)
    }
}

/// Every protected route of `configure` (35; the 36th is the public
/// OpenAPI document).
fn routes() -> Vec<Route> {
    use Method as M;
    vec![
        route(M::GET, "/users", "users:read", 200),
        with_body(
            M::POST,
            "/users",
            json!({"username": "bad name"}),
            "users:write",
            422,
        ),
        route(M::GET, "/users/nobody", "users:read", 404),
        with_body(M::PATCH, "/users/nobody", json!({}), "users:write", 404),
        route(M::DELETE, "/users/nobody", "users:write", 404),
        with_body(
            M::PUT,
            "/users/nobody/password",
            json!({"password": "long enough password"}),
            "users:write",
            404,
        ),
        route(M::POST, "/users/nobody/disable", "users:write", 404),
        route(M::POST, "/users/nobody/enable", "users:write", 404),
        route(M::POST, "/users/nobody/unlock", "users:write", 404),
        route(M::PUT, "/users/nobody/roles/admin", "users:write", 404),
        route(M::DELETE, "/users/nobody/roles/admin", "users:write", 404),
        route(M::GET, "/users/nobody/sessions", "users:read", 404),
        route(M::DELETE, "/users/nobody/sessions", "sessions:write", 404),
        route(M::DELETE, "/users/nobody/factors", "users:write", 404),
        route(M::GET, "/roles", "roles:read", 200),
        with_body(
            M::POST,
            "/roles",
            json!({"name": "Bad Name"}),
            "roles:write",
            422,
        ),
        route(M::DELETE, "/roles/no-such-role", "roles:write", 404),
        route(
            M::PUT,
            "/roles/no-such-role/require-mfa",
            "roles:write",
            404,
        ),
        route(
            M::DELETE,
            "/roles/no-such-role/require-mfa",
            "roles:write",
            404,
        ),
        with_body(
            M::POST,
            "/roles/no-such-role/permissions",
            json!({"api": ADMIN_API, "permission": "users:read"}),
            "roles:write",
            404,
        ),
        route(
            M::DELETE,
            "/roles/no-such-role/permissions?api=gatehouse-admin&permission=users:read",
            "roles:write",
            404,
        ),
        route(M::GET, "/apis", "roles:read", 200),
        with_body(
            M::POST,
            "/apis",
            json!({"identifier": "has space"}),
            "roles:write",
            422,
        ),
        route(
            M::DELETE,
            "/apis?identifier=no-such-api",
            "roles:write",
            404,
        ),
        with_body(
            M::POST,
            "/apis/permissions",
            json!({"api": "no-such-api", "permission": "x:y"}),
            "roles:write",
            404,
        ),
        route(
            M::DELETE,
            "/apis/permissions?api=no-such-api&permission=x:y",
            "roles:write",
            404,
        ),
        route(M::GET, "/clients", "clients:read", 200),
        with_body(
            M::POST,
            "/clients",
            json!({"client_id": "bad id"}),
            "clients:write",
            422,
        ),
        route(M::GET, "/clients/no-such-client", "clients:read", 404),
        route(M::DELETE, "/clients/no-such-client", "clients:write", 404),
        with_body(
            M::PATCH,
            "/clients/no-such-client",
            json!({"name": "x"}),
            "clients:write",
            404,
        ),
        route(
            M::POST,
            "/clients/no-such-client/rotate-secret",
            "clients:write",
            404,
        ),
        route(
            M::POST,
            "/clients/no-such-client/disable",
            "clients:write",
            404,
        ),
        route(
            M::POST,
            "/clients/no-such-client/enable",
            "clients:write",
            404,
        ),
        route(
            M::PUT,
            "/clients/no-such-client/roles/admin",
            "clients:write",
            404,
        ),
        route(
            M::DELETE,
            "/clients/no-such-client/roles/admin",
            "clients:write",
            404,
        ),
        route(M::GET, "/keys", "keys:read", 200),
        with_body(
            M::POST,
            "/keys/rotate",
            json!({"alg": "nope"}),
            "keys:write",
            422,
        ),
        route(M::POST, "/keys/no-such-kid/retire", "keys:write", 404),
        route(M::POST, "/keys/no-such-kid/revoke", "keys:write", 404),
        route(M::GET, "/audit", "audit:read", 200),
    ]
}

async fn call(app: &TestApp, token: Option<&str>, route: &Route) -> super::Reply {
    send(
        app,
        token,
        route.method.clone(),
        route.path,
        route.body.as_ref(),
    )
    .await
}

/// The paths and methods of `routes()`, as the OpenAPI document writes them.
fn documented_operations() -> Vec<(&'static str, &'static str)> {
    vec![
        ("/users", "get"),
        ("/users", "post"),
        ("/users/{username}", "get"),
        ("/users/{username}", "patch"),
        ("/users/{username}", "delete"),
        ("/users/{username}/password", "put"),
        ("/users/{username}/disable", "post"),
        ("/users/{username}/enable", "post"),
        ("/users/{username}/unlock", "post"),
        ("/users/{username}/roles/{role}", "put"),
        ("/users/{username}/roles/{role}", "delete"),
        ("/users/{username}/factors", "delete"),
        ("/roles/{name}/require-mfa", "put"),
        ("/roles/{name}/require-mfa", "delete"),
        ("/users/{username}/sessions", "get"),
        ("/users/{username}/sessions", "delete"),
        ("/roles", "get"),
        ("/roles", "post"),
        ("/roles/{name}", "delete"),
        ("/roles/{name}/permissions", "post"),
        ("/roles/{name}/permissions", "delete"),
        ("/apis", "get"),
        ("/apis", "post"),
        ("/apis", "delete"),
        ("/apis/permissions", "post"),
        ("/apis/permissions", "delete"),
        ("/clients", "get"),
        ("/clients", "post"),
        ("/clients/{client_id}", "get"),
        ("/clients/{client_id}", "delete"),
        ("/clients/{client_id}", "patch"),
        ("/clients/{client_id}/rotate-secret", "post"),
        ("/clients/{client_id}/disable", "post"),
        ("/clients/{client_id}/enable", "post"),
        ("/clients/{client_id}/roles/{role}", "put"),
        ("/clients/{client_id}/roles/{role}", "delete"),
        ("/keys", "get"),
        ("/keys/rotate", "post"),
        ("/keys/{kid}/retire", "post"),
        ("/keys/{kid}/revoke", "post"),
        ("/audit", "get"),
    ]
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_bearer_scheme() {
    let app = TestApp::spawn().await;
    // Public: no token needed to read the contract.
    let response = app.get(&format!("{API}/openapi.json")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();

    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3."), "openapi {version}");
    assert!(doc["info"]["title"].as_str().unwrap().contains("admin"));

    let paths = doc["paths"].as_object().unwrap();
    let operations = documented_operations();
    assert_eq!(operations.len(), routes().len());
    let mut documented = 0;
    for (path, method) in &operations {
        let full = format!("{API}{path}");
        let operation = &paths
            .get(&full)
            .unwrap_or_else(|| panic!("{full} is not documented; paths: {:?}", paths.keys()))
            [*method];
        assert!(operation.is_object(), "{method} {full} is not documented");
        assert_eq!(
            operation["security"],
            json!([{"bearer": []}]),
            "{method} {full} does not name the bearer scheme"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {full} has no responses"
        );
        documented += 1;
    }
    // Nothing documented that the router does not serve.
    let served: usize = paths
        .values()
        .map(|item| {
            ["get", "post", "put", "patch", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum();
    assert_eq!(served, documented, "{:?}", paths.keys());

    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert_eq!(
        bearer["scheme"].as_str().map(str::to_lowercase).as_deref(),
        Some("bearer")
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn every_route_needs_exactly_its_permission() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;

    // One service account per permission, holding only that one, and one
    // holding none (its token is for gatehouse-admin all the same). Set up
    // through the API itself where it can (only a client's roles need the
    // command line).
    let mut callers: Vec<(Option<&str>, String)> = Vec::new();
    for permission in PERMISSIONS {
        let name = format!("only-{permission}");
        admin
            .post("/roles", json!({"name": name}))
            .await
            .expect(201);
        admin
            .post(
                &format!("/roles/{name}/permissions"),
                json!({"api": ADMIN_API, "permission": permission}),
            )
            .await
            .expect(204);
        let created = admin
            .post(
                "/clients",
                json!({"client_id": name, "grant_types": ["client_credentials"], "resources": [ADMIN_API]}),
            )
            .await
            .expect(201)
            .clone();
        app.cli(&["client", "grant-role", &name, &name], None).ok();
        let secret = created["client_secret"].as_str().unwrap();
        let token = service_token(&app, &name, secret).await;
        assert_eq!(claims(&token)["permissions"], json!([permission]));
        callers.push((Some(permission), token));
    }
    let secret = add_service_account(&app, "nobody", &[]);
    let nobody = service_token(&app, "nobody", &secret).await;
    assert_eq!(claims(&nobody)["aud"], ADMIN_API);
    assert_eq!(claims(&nobody)["permissions"], json!([]));
    callers.push((None, nobody));
    let changes = admin.admin_events().await.len();

    for route in routes() {
        let what = format!("{} {}", route.method, route.path);
        // No token.
        let reply = call(&app, None, &route).await;
        reply.expect_error(401, "unauthenticated");
        // The admin role holds everything.
        call(&app, Some(&admin.token), &route)
            .await
            .expect(route.expected);
        for (permission, token) in &callers {
            let reply = call(&app, Some(token), &route).await;
            if *permission == Some(route.permission) {
                reply.expect(route.expected);
            } else {
                let message = reply.expect_error(403, "forbidden");
                assert!(
                    message.contains(route.permission),
                    "{what}: the message should name {}: {message}",
                    route.permission
                );
            }
        }
    }
    // The table's calls changed nothing.
    assert_eq!(admin.admin_events().await.len(), changes);
}

#[tokio::test]
async fn a_role_with_some_permissions_opens_only_those_routes() {
    let app = TestApp::spawn().await;
    app.add_role("auditor", ADMIN_API, &["audit:read"]);
    let secret = add_service_account(&app, "reader", &["auditor"]);
    let auditor = Api::new(&app, service_token(&app, "reader", &secret).await);
    // It reads the log: nothing so far but the operator's set-up.
    let events = auditor.get("/audit?kind=admin.").await.expect(200).clone();
    for event in events.as_array().unwrap() {
        assert_eq!(
            event["actor"],
            gatehouse::administration::OPERATOR,
            "{event}"
        );
    }
    auditor.get("/users").await.expect_error(403, "forbidden");
    auditor
        .post("/roles", json!({"name": "escalate"}))
        .await
        .expect_error(403, "forbidden");
    // A token carries what it was granted: one more permission for the role
    // opens its route for the next token, not this one (issue 10).
    app.cli(&["role", "allow", "auditor", ADMIN_API, "users:read"], None)
        .ok();
    auditor.get("/users").await.expect_error(403, "forbidden");
    assert_eq!(claims(&auditor.token)["permissions"], json!(["audit:read"]));
}

#[tokio::test]
async fn malformed_missing_and_tampered_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    admin.get("/users").await.expect(200);

    // The scheme is case-insensitive.
    let response = app
        .client
        .get(app.url(&format!("{API}/users")))
        .header("authorization", format!("bearer {}", admin.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    for authorization in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer not-a-jwt".to_owned(),
        format!("Basic {}", admin.token),
        format!("Token {}", admin.token),
        admin.token.clone(),
    ] {
        let response = app
            .client
            .get(app.url(&format!("{API}/users")))
            .header("authorization", &authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:.20}"
        );
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthenticated", "{body}");
    }

    // The same claims with more permissions, under the original signature.
    let parts: Vec<&str> = admin.token.split('.').collect();
    let mut forged = claims(&admin.token);
    forged["sub"] = json!("someone-else");
    let payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&forged).unwrap(),
    );
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    Api::new(&app, tampered)
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");

    // A token without a signature at all.
    let unsigned = format!(
        "{}.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"alg":"none","typ":"at+jwt"}"#
        ),
        parts[1]
    );
    Api::new(&app, unsigned)
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn a_token_for_another_api_is_unauthenticated() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", "orders"], None).ok();
    // A service account with the admin role, but its token is for `orders`.
    let secret = app.add_client(
        "shop",
        &[
            "--grant",
            "client_credentials",
            "--resource",
            "orders",
            "--resource",
            ADMIN_API,
        ],
    );
    app.cli(&["client", "grant-role", "shop", "admin"], None)
        .ok();
    let (status, body) = client_credentials(&app, "shop", &secret, &[("resource", "orders")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let orders_token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&orders_token)["aud"], "orders");
    let message = Api::new(&app, orders_token)
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains(ADMIN_API), "{message}");

    // The same client, asking for gatehouse-admin, is let in.
    let (status, body) =
        client_credentials(&app, "shop", &secret, &[("resource", ADMIN_API)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Api::new(&app, body["access_token"].as_str().unwrap())
        .get("/users")
        .await
        .expect(200);
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    app.add_user("alice", &["admin"]);
    let tokens = super::sign_in(&app, &browser(), &console, "alice", PASSWORD)
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    Api::new(&app, access).get("/users").await.expect(200);
    // Signed by Gatehouse, about the same user, but `typ` is not at+jwt.
    Api::new(&app, id_token)
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    admin.get("/audit").await.expect(200);
    app.clock.advance(590);
    admin.get("/audit").await.expect(200);
    app.clock.advance(110);
    let message = admin
        .get("/audit")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains("expired"), "{message}");
    // A fresh token works again.
    let secret_holder = Api::new(
        &app,
        service_token(&app, "late", &add_service_account(&app, "late", &["admin"])).await,
    );
    secret_holder.get("/audit").await.expect(200);
}

#[tokio::test]
async fn a_revoked_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let secret = add_service_account(&app, OPS, &["admin"]);
    let revoked = service_token(&app, OPS, &secret).await;
    let other = service_token(&app, OPS, &secret).await;
    Api::new(&app, revoked.as_str())
        .get("/users")
        .await
        .expect(200);

    let response = reqwest::Client::new()
        .post(app.url("/revoke"))
        .basic_auth(OPS, Some(&secret))
        .form(&[
            ("token", revoked.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let message = Api::new(&app, revoked.as_str())
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains("revoked"), "{message}");
    // Only that token: another one of the same client still works.
    Api::new(&app, other).get("/users").await.expect(200);
}

#[tokio::test]
async fn taking_the_role_away_forbids_the_same_token_at_once() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    // Another enabled administrator, so that Alice's role can go.
    app.add_user("root", &["admin"]);
    let alice_id = app.add_user("alice", &["admin"]);
    let alice = Api::new(&app, user_token(&app, &console, "alice").await);
    assert_eq!(claims(&alice.token)["sub"], alice_id.as_str());
    assert!(
        claims(&alice.token)["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("users:read"))
    );
    alice.get("/users").await.expect(200);

    app.cli(&["role", "revoke", "admin", "alice"], None).ok();
    // The token is still valid and still claims the permissions.
    alice.get("/users").await.expect_error(403, "forbidden");
    alice.get("/audit").await.expect_error(403, "forbidden");

    app.cli(&["role", "grant", "admin", "alice"], None).ok();
    alice.get("/users").await.expect(200);
    // Changes are recorded with the user as the actor.
    alice
        .post("/users", super::new_user("bob"))
        .await
        .expect(201);
    let created = alice.get("/users/bob").await.expect(200).clone();
    let event = alice
        .audited("admin.user.created", created["id"].as_str().unwrap())
        .await;
    assert_eq!(event["actor"], alice_id.as_str());
}

#[tokio::test]
async fn a_disabled_or_deleted_subject_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;

    // A user administrator, signed in without a refresh token: disabling
    // revokes nothing, the live check of the subject refuses the token.
    // (Another enabled administrator lets Alice be disabled and deleted.)
    app.add_user("root", &["admin"]);
    app.add_user("alice", &["admin"]);
    let tokens = sign_in_for(&app, &browser(), &console, "alice", PASSWORD, "openid")
        .await
        .unwrap();
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let alice = Api::new(&app, tokens["access_token"].as_str().unwrap());
    alice.get("/users").await.expect(200);
    admin.post_empty("/users/alice/disable").await.expect(200);
    let message = alice
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains("disabled"), "{message}");
    // Disabling ended every token issued until then: enabling again does
    // not revive them (issue 10, defect 8).
    admin.post_empty("/users/alice/enable").await.expect(200);
    alice
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    app.clock.advance(1);
    let alice = Api::new(&app, user_token(&app, &console, "alice").await);
    alice.get("/users").await.expect(200);

    // Signed in with a refresh token: disabling also revokes the access
    // tokens issued with it, so enabling again does not revive this one.
    let bound = Api::new(&app, user_token(&app, &console, "alice").await);
    bound.get("/users").await.expect(200);
    app.cli(&["user", "disable", "alice"], None).ok();
    bound
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    app.cli(&["user", "enable", "alice"], None).ok();
    let message = bound
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");
    assert!(message.contains("revoked"), "{message}");

    // A deleted user.
    admin.delete("/users/alice").await.expect(204);
    alice
        .get("/users")
        .await
        .expect_error(401, "unauthenticated");

    // A service account: disabled, enabled, deleted.
    let secret = add_service_account(&app, "robot", &["admin"]);
    let robot = Api::new(&app, service_token(&app, "robot", &secret).await);
    robot.get("/clients").await.expect(200);
    admin.post_empty("/clients/robot/disable").await.expect(200);
    robot
        .get("/clients")
        .await
        .expect_error(401, "unauthenticated");
    admin.post_empty("/clients/robot/enable").await.expect(200);
    robot.get("/clients").await.expect(200);
    admin.delete("/clients/robot").await.expect(204);
    robot
        .get("/clients")
        .await
        .expect_error(401, "unauthenticated");

    // A service account cannot switch itself off: another administrator must.
    admin
        .post_empty(&format!("/clients/{OPS}/disable"))
        .await
        .expect_error(403, "forbidden");
    admin
        .delete(&format!("/clients/{OPS}"))
        .await
        .expect_error(403, "forbidden");
    admin.get("/clients").await.expect(200);
}

#[tokio::test]
async fn unknown_routes_and_malformed_requests_answer_json_errors() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;

    // Bodies that do not parse, or lack a required field.
    for (path, body) in [
        ("/users", "{"),
        ("/users", "{}"),
        ("/users", r#"{"username": 7}"#),
        ("/roles", "[]"),
        ("/keys/rotate", ""),
    ] {
        let response = app
            .client
            .post(app.url(&format!("{API}{path}")))
            .bearer_auth(&admin.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body:?}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_input", "{path} {body:?}: {error}");
    }
    // Not JSON at all.
    let response = app
        .client
        .post(app.url(&format!("{API}/roles")))
        .bearer_auth(&admin.token)
        .form(&[("name", "editor")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_input"
    );
    // A query that does not parse.
    admin
        .get("/users?limit=many")
        .await
        .expect_error(422, "invalid_input");
    // A body error does not hide a missing token.
    let response = app
        .client
        .post(app.url(&format!("{API}/users")))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Unknown routes and methods under the API prefix.
    admin
        .get("/nothing-here")
        .await
        .expect_error(404, "not_found");
    admin
        .put("/users", None)
        .await
        .expect_error(404, "not_found");
}

/// `METHOD /admin/api/v1{path}` with `token` and `body` sent as it is.
async fn send_raw(app: &TestApp, token: &str, method: Method, path: &str, body: &str) -> Value {
    let response = app
        .client
        .request(method.clone(), app.url(&format!("{API}{path}")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let error: Value = response.json().await.unwrap_or(Value::Null);
    json!({"status": status, "error": error["error"]})
}

#[tokio::test]
async fn a_caller_without_the_permission_gets_403_whatever_it_sends() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    // Holds a permission, just not the one any of these routes needs.
    app.add_role("session-ender", ADMIN_API, &["sessions:write"]);
    let secret = add_service_account(&app, "bystander", &["session-ender"]);
    let bystander = service_token(&app, "bystander", &secret).await;

    use Method as M;
    // Malformed bodies and queries, for every route that takes one.
    let malformed = [
        (M::GET, "/users?limit=many", ""),
        (M::POST, "/users", "{"),
        (M::PATCH, "/users/somebody", r#"{"email": 7}"#),
        (M::PUT, "/users/somebody/password", "{}"),
        (M::POST, "/roles", "[]"),
        (M::POST, "/roles/clerk/permissions", "{"),
        (M::DELETE, "/roles/clerk/permissions?api=orders", ""),
        (M::POST, "/apis", r#"{"identifier": null}"#),
        (M::DELETE, "/apis", ""),
        (M::POST, "/apis/permissions", "not json"),
        (M::DELETE, "/apis/permissions?permission=x:y", ""),
        (
            M::POST,
            "/clients",
            r#"{"client_id": "x", "public": "yes"}"#,
        ),
        (M::POST, "/keys/rotate", "{"),
        (M::GET, "/audit?limit=all", ""),
    ];
    for (method, path, body) in malformed {
        let what = format!("{method} {path} {body:?}");
        assert_eq!(
            send_raw(&app, &bystander, method.clone(), path, body).await,
            json!({"status": 403, "error": "forbidden"}),
            "{what}: without the permission"
        );
        assert_eq!(
            send_raw(&app, &admin.token, method, path, body).await,
            json!({"status": 422, "error": "invalid_input"}),
            "{what}: with the permission"
        );
    }
}
