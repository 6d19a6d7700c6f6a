//! `/admin/api/v1/clients`: registration (the secret shown once, and
//! working at `/token`), secret rotation, disable/enable and delete.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    ADMIN_API, Api, CONSOLE, OPS, PASSWORD, REDIRECT_URI, browser, claims, client_credentials,
    sign_in,
};
use crate::helpers::TestApp;

/// Asserts `/token` refuses `client_id` with `secret`.
async fn assert_refused(app: &TestApp, client_id: &str, secret: &str) {
    let (status, body) = client_credentials(app, client_id, secret, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{client_id}: {body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
}

/// Asserts `/token` gives `client_id` an admin API token for `secret`.
async fn assert_accepted(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (status, body) = client_credentials(app, client_id, secret, &[]).await;
    assert_eq!(status, StatusCode::OK, "{client_id}: {body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["sub"], client_id);
    assert_eq!(claims(&token)["aud"], ADMIN_API);
    token
}

fn service(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "grant_types": ["client_credentials"],
        "resources": [ADMIN_API],
    })
}

/// The secret of a create or rotate answer; checks its strength.
fn secret_of(body: &Value) -> String {
    let secret = body["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no secret: {body}"))
        .to_owned();
    assert!(secret.len() >= 43, "a short secret: {secret}");
    secret
}

fn client_ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_client_gets_a_secret_shown_once_that_works() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;

    let mut body = service("reports");
    body["name"] = json!("Nightly reports");
    let created = admin.post("/clients", body).await.expect(201).clone();
    let secret = secret_of(&created);
    assert_eq!(
        created["client"],
        json!({
            "client_id": "reports",
            "name": "Nightly reports",
            "public": false,
            "disabled": false,
            "grant_types": ["client_credentials"],
            "scopes": ["openid", "profile", "email", "roles", "offline_access"],
            "redirect_uris": [],
            "post_logout_redirect_uris": [],
            "resources": [ADMIN_API],
            "introspect": [],
            "roles": [],
            "skip_consent": false,
            "id_token_alg": null,
            "backchannel_logout_uri": null,
        })
    );
    assert_accepted(&app, "reports", &secret).await;
    assert_refused(&app, "reports", &format!("{secret}x")).await;

    // Never shown again: not by get, not by list, not in the audit log.
    let fetched = admin.get("/clients/reports").await.expect(200).clone();
    assert_eq!(fetched, created["client"]);
    let listed = admin.get("/clients").await.expect(200).clone();
    assert_eq!(
        client_ids(&listed),
        BTreeSet::from([OPS.into(), "reports".into()])
    );
    let event = admin.audited("admin.client.created", "reports").await;
    for text in [fetched.to_string(), listed.to_string(), event.to_string()] {
        assert!(!text.contains(&secret), "the secret leaked: {text}");
        assert!(!text.contains("secret"), "a secret field: {text}");
    }

    // A browser client, registered here, that people sign in through.
    let web = admin
        .post(
            "/clients",
            json!({
                "client_id": CONSOLE,
                "name": "Admin console",
                "redirect_uris": [REDIRECT_URI],
                "post_logout_redirect_uris": ["http://127.0.0.1:3000/bye"],
                "grant_types": ["authorization_code", "refresh_token"],
                "scopes": ["openid", "offline_access"],
                "resources": [ADMIN_API],
                "skip_consent": true,
                "backchannel_logout_uri": "http://127.0.0.1:3000/backchannel",
            }),
        )
        .await
        .expect(201)
        .clone();
    let console_secret = secret_of(&web);
    let view = &web["client"];
    assert_eq!(
        view["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(view["scopes"], json!(["openid", "offline_access"]));
    assert_eq!(view["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(
        view["post_logout_redirect_uris"],
        json!(["http://127.0.0.1:3000/bye"])
    );
    assert_eq!(view["skip_consent"], true);
    assert_eq!(
        view["backchannel_logout_uri"],
        "http://127.0.0.1:3000/backchannel"
    );
    app.add_user("alice", &["admin"]);
    let tokens = sign_in(&app, &browser(), &console_secret, "alice", PASSWORD)
        .await
        .unwrap();
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    Api::new(&app, tokens["access_token"].as_str().unwrap())
        .get("/clients")
        .await
        .expect(200);

    // A public client has no secret.
    let spa = admin
        .post(
            "/clients",
            json!({"client_id": "spa", "public": true, "redirect_uris": [REDIRECT_URI]}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(spa["client_secret"], Value::Null);
    assert_eq!(spa["client"]["public"], true);
    assert_eq!(spa["client"]["grant_types"], json!(["authorization_code"]));
}

#[tokio::test]
async fn client_registration_is_validated() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    admin.post("/clients", service("taken")).await.expect(201);
    admin
        .post("/clients", service("taken"))
        .await
        .expect_error(409, "conflict");

    for (body, what) in [
        (service("bad id"), "a space in the id"),
        (service(""), "an empty id"),
        (service("0b3c1f6e-2a4d-4c8e-9f10-1234567890ab"), "a UUID id"),
        (
            json!({"client_id": "x", "grant_types": ["implicit"]}),
            "an unknown grant",
        ),
        (
            json!({"client_id": "x"}),
            "authorization_code without redirect URI",
        ),
        (
            json!({"client_id": "x", "redirect_uris": ["not a uri"]}),
            "a bad redirect URI",
        ),
        (
            json!({"client_id": "x", "redirect_uris": [REDIRECT_URI], "scopes": ["has space"]}),
            "a bad scope",
        ),
        (
            json!({"client_id": "x", "public": true, "grant_types": ["client_credentials"]}),
            "a public service account",
        ),
        (
            json!({"client_id": "x", "public": true, "redirect_uris": [REDIRECT_URI], "introspect": [ADMIN_API]}),
            "a public introspector",
        ),
    ] {
        let reply = admin.post("/clients", body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            reply.body
        );
        reply.expect_error(422, "invalid_input");
    }
    let mut unknown = service("x");
    unknown["resources"] = json!(["no-such-api"]);
    admin
        .post("/clients", unknown)
        .await
        .expect_error(404, "not_found");

    // Nothing half-made.
    admin.get("/clients/x").await.expect_error(404, "not_found");
    let listed = admin.get("/clients").await.expect(200).clone();
    assert_eq!(
        client_ids(&listed),
        BTreeSet::from([OPS.into(), "taken".into()])
    );
    assert_eq!(admin.admin_events().await.len(), 1);
}

#[tokio::test]
async fn rotating_a_secret_retires_the_old_one() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let first = secret_of(admin.post("/clients", service("svc")).await.expect(201));
    let token = assert_accepted(&app, "svc", &first).await;

    let rotated = admin
        .post_empty("/clients/svc/rotate-secret")
        .await
        .expect(200)
        .clone();
    let second = secret_of(&rotated);
    assert_ne!(second, first);
    assert_eq!(
        rotated["client"],
        admin.get("/clients/svc").await.expect(200).clone()
    );
    assert_refused(&app, "svc", &first).await;
    assert_accepted(&app, "svc", &second).await;

    let third = secret_of(
        admin
            .post_empty("/clients/svc/rotate-secret")
            .await
            .expect(200),
    );
    assert_refused(&app, "svc", &second).await;
    assert_accepted(&app, "svc", &third).await;
    // Tokens already issued are not secrets: they live out their time.
    assert_eq!(claims(&token)["sub"], "svc");

    admin
        .post(
            "/clients",
            json!({"client_id": "spa", "public": true, "redirect_uris": [REDIRECT_URI]}),
        )
        .await
        .expect(201);
    admin
        .post_empty("/clients/spa/rotate-secret")
        .await
        .expect_error(422, "invalid_input");
    admin
        .post_empty("/clients/nope/rotate-secret")
        .await
        .expect_error(404, "not_found");

    let events = admin
        .audited_times("admin.client.secret_rotated", "svc", 2)
        .await;
    for event in events {
        let text = event.to_string();
        assert!(!text.contains(&second) && !text.contains(&third), "{text}");
    }
}

#[tokio::test]
async fn a_disabled_client_gets_no_tokens_until_enabled() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let secret = secret_of(admin.post("/clients", service("batch")).await.expect(201));
    assert_accepted(&app, "batch", &secret).await;

    let disabled = admin
        .post_empty("/clients/batch/disable")
        .await
        .expect(200)
        .clone();
    assert_eq!(disabled["client_id"], "batch");
    assert_eq!(disabled["disabled"], true);
    assert_eq!(
        admin.get("/clients/batch").await.expect(200)["disabled"],
        true
    );
    assert_refused(&app, "batch", &secret).await;

    let enabled = admin
        .post_empty("/clients/batch/enable")
        .await
        .expect(200)
        .clone();
    assert_eq!(enabled["disabled"], false);
    assert_accepted(&app, "batch", &secret).await;

    admin
        .post_empty("/clients/nope/disable")
        .await
        .expect_error(404, "not_found");
    admin
        .post_empty("/clients/nope/enable")
        .await
        .expect_error(404, "not_found");
    admin.audited("admin.client.disabled", "batch").await;
    admin.audited("admin.client.enabled", "batch").await;
}

#[tokio::test]
async fn a_deleted_client_is_gone() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let secret = secret_of(admin.post("/clients", service("temp")).await.expect(201));
    assert_accepted(&app, "temp", &secret).await;

    assert_eq!(
        admin.delete("/clients/temp").await.expect(204),
        &Value::Null
    );
    admin
        .get("/clients/temp")
        .await
        .expect_error(404, "not_found");
    let listed = admin.get("/clients").await.expect(200).clone();
    assert_eq!(client_ids(&listed), BTreeSet::from([OPS.into()]));
    assert_refused(&app, "temp", &secret).await;
    admin
        .delete("/clients/temp")
        .await
        .expect_error(404, "not_found");

    // The id is free again; the old secret does not come back with it.
    let again = secret_of(admin.post("/clients", service("temp")).await.expect(201));
    assert_ne!(again, secret);
    assert_refused(&app, "temp", &secret).await;
    assert_accepted(&app, "temp", &again).await;
    admin.audited("admin.client.deleted", "temp").await;
    admin.audited_times("admin.client.created", "temp", 2).await;
}

#[tokio::test]
async fn a_service_account_is_given_and_loses_roles() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    app.add_role("reporter", ADMIN_API, &["users:read"]);
    app.add_role("viewer", ADMIN_API, &["clients:read"]);
    let secret = secret_of(admin.post("/clients", service("svc")).await.expect(201));
    let viewer_secret = super::add_service_account(&app, "viewer", &["viewer"]);
    let viewer = Api::new(
        &app,
        super::service_token(&app, "viewer", &viewer_secret).await,
    );

    // Without clients:write: refused, nothing changes.
    for reply in [
        viewer.put("/clients/svc/roles/reporter", None).await,
        viewer.delete("/clients/svc/roles/reporter").await,
    ] {
        let message = reply.expect_error(403, "forbidden");
        assert!(message.contains("clients:write"), "{message}");
    }
    assert_eq!(
        admin.get("/clients/svc").await.expect(200)["roles"],
        json!([])
    );

    let granted = admin
        .put("/clients/svc/roles/reporter", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(granted, admin.get("/clients/svc").await.expect(200).clone());
    assert_eq!(granted["client_id"], "svc");
    assert_eq!(granted["roles"], json!(["reporter"]));
    // Granting again changes nothing.
    assert_eq!(
        admin
            .put("/clients/svc/roles/reporter", None)
            .await
            .expect(200)["roles"],
        json!(["reporter"])
    );
    // The role's permissions are in the service account's next token.
    let token = assert_accepted(&app, "svc", &secret).await;
    assert_eq!(claims(&token)["roles"], json!(["reporter"]));
    assert_eq!(claims(&token)["permissions"], json!(["users:read"]));
    Api::new(&app, token.as_str())
        .get("/users")
        .await
        .expect(200);

    let revoked = admin
        .delete("/clients/svc/roles/reporter")
        .await
        .expect(200)
        .clone();
    assert_eq!(revoked["roles"], json!([]));
    // The same token loses what the role gave, at once.
    Api::new(&app, token.as_str())
        .get("/users")
        .await
        .expect_error(403, "forbidden");
    // Not held (any more), unknown role, unknown client.
    admin
        .delete("/clients/svc/roles/reporter")
        .await
        .expect_error(422, "invalid_input");
    admin
        .put("/clients/svc/roles/no-such-role", None)
        .await
        .expect_error(404, "not_found");
    admin
        .put("/clients/nope/roles/reporter", None)
        .await
        .expect_error(404, "not_found");
    admin
        .delete("/clients/nope/roles/reporter")
        .await
        .expect_error(404, "not_found");

    let granted = admin
        .audited_times("admin.client.role_granted", "svc", 2)
        .await;
    assert_eq!(
        granted[0]["details"],
        json!({"client_id": "svc", "role": "reporter"})
    );
    let event = admin.audited("admin.client.role_revoked", "svc").await;
    assert_eq!(
        event["details"],
        json!({"client_id": "svc", "role": "reporter"})
    );
}
