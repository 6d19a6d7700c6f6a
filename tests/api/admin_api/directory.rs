//! `/admin/api/v1/roles` and `/admin/api/v1/apis`: what the directory
//! holds, and that its changes show in the tokens and checks that follow.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{
    ADMIN_API, Api, PERMISSIONS, add_client, add_service_account, claims, client_credentials,
    service_token,
};
use crate::helpers::TestApp;

fn find<'a>(list: &'a Value, field: &str, name: &str) -> Option<&'a Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .find(|item| item[field] == name)
}

fn admin_permissions() -> BTreeSet<String> {
    PERMISSIONS.iter().map(|p| (*p).to_owned()).collect()
}

#[tokio::test]
async fn roles_are_created_allowed_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;

    let roles = admin.get("/roles").await.expect(200).clone();
    let built_in = find(&roles, "name", "admin").unwrap_or_else(|| panic!("{roles}"));
    assert_eq!(built_in["built_in"], true);
    let granted: BTreeSet<String> = built_in["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["api"], ADMIN_API, "{p}");
            p["permission"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(granted, admin_permissions());

    let reply = admin
        .post(
            "/roles",
            json!({"name": "editor", "description": "Edits people"}),
        )
        .await;
    assert_eq!(reply.expect(201), &json!({"name": "editor"}));
    admin
        .post("/roles", json!({"name": "editor"}))
        .await
        .expect_error(409, "conflict");
    for bad in ["Editor", "", "has space", &"r".repeat(65)] {
        admin
            .post("/roles", json!({"name": bad}))
            .await
            .expect_error(422, "invalid_input");
    }
    let roles = admin.get("/roles").await.expect(200).clone();
    assert_eq!(
        find(&roles, "name", "editor"),
        Some(&json!({
            "name": "editor",
            "description": "Edits people",
            "built_in": false,
            "permissions": [],
        }))
    );
    let names: Vec<&str> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "editor"]);

    // Allow a permission (twice: harmless), refuse unknown ones.
    let allow = json!({"api": ADMIN_API, "permission": "users:read"});
    assert_eq!(
        admin
            .post("/roles/editor/permissions", allow.clone())
            .await
            .expect(204),
        &Value::Null
    );
    admin
        .post("/roles/editor/permissions", allow.clone())
        .await
        .expect(204);
    for (role, body) in [
        (
            "editor",
            json!({"api": ADMIN_API, "permission": "users:everything"}),
        ),
        (
            "editor",
            json!({"api": "no-such-api", "permission": "users:read"}),
        ),
        ("no-such-role", allow.clone()),
    ] {
        admin
            .post(&format!("/roles/{role}/permissions"), body)
            .await
            .expect_error(404, "not_found");
    }
    let roles = admin.get("/roles").await.expect(200).clone();
    assert_eq!(
        find(&roles, "name", "editor").unwrap()["permissions"],
        json!([allow.clone()])
    );

    // Its holders get exactly that.
    let secret = add_service_account(&app, "editor-bot", &["editor"]);
    let editor = Api::new(&app, service_token(&app, "editor-bot", &secret).await);
    assert_eq!(claims(&editor.token)["permissions"], json!(["users:read"]));
    assert_eq!(claims(&editor.token)["roles"], json!(["editor"]));
    editor.get("/users").await.expect(200);
    editor
        .post("/users", json!({"username": "someone"}))
        .await
        .expect_error(403, "forbidden");

    // Deleting the role takes the permission from the same token at once.
    assert_eq!(
        admin.delete("/roles/editor").await.expect(204),
        &Value::Null
    );
    editor.get("/users").await.expect_error(403, "forbidden");
    let roles = admin.get("/roles").await.expect(200).clone();
    assert!(find(&roles, "name", "editor").is_none(), "{roles}");
    assert_eq!(
        admin.get("/clients/editor-bot").await.expect(200)["roles"],
        json!([])
    );
    admin
        .delete("/roles/editor")
        .await
        .expect_error(404, "not_found");
    // Built in: stays.
    admin
        .delete("/roles/admin")
        .await
        .expect_error(422, "invalid_input");
    admin.get("/roles").await.expect(200);

    let event = admin.audited("admin.role.created", "editor").await;
    assert_eq!(event["details"], json!({}));
    let allowed = admin.audited_times("admin.role.allowed", "editor", 2).await;
    assert_eq!(allowed[0]["details"], allow);
    admin.audited("admin.role.deleted", "editor").await;
    // Refusals are not changes.
    assert!(
        admin
            .audited_times("admin.role.deleted", "admin", 0)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn apis_are_created_and_given_permissions() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let orders = "https://orders.example/api";

    let apis = admin.get("/apis").await.expect(200).clone();
    let built_in = find(&apis, "identifier", ADMIN_API).unwrap_or_else(|| panic!("{apis}"));
    assert_eq!(built_in["built_in"], true);
    let permissions: BTreeSet<String> = built_in["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(permissions, admin_permissions());

    let reply = admin
        .post("/apis", json!({"identifier": orders, "name": "Orders"}))
        .await;
    assert_eq!(reply.expect(201), &json!({"identifier": orders}));
    admin
        .post("/apis", json!({"identifier": "billing"}))
        .await
        .expect(201);
    admin
        .post("/apis", json!({"identifier": orders}))
        .await
        .expect_error(409, "conflict");
    for bad in ["", "has space", "https://exa mple.com", "tab\there"] {
        admin
            .post("/apis", json!({"identifier": bad}))
            .await
            .expect_error(422, "invalid_input");
    }

    let added = json!({"api": orders, "permission": "orders:read"});
    assert_eq!(
        admin
            .post("/apis/permissions", added.clone())
            .await
            .expect(201),
        &added
    );
    admin
        .post("/apis/permissions", added.clone())
        .await
        .expect_error(409, "conflict");
    admin
        .post(
            "/apis/permissions",
            json!({"api": orders, "permission": "bad permission"}),
        )
        .await
        .expect_error(422, "invalid_input");
    admin
        .post(
            "/apis/permissions",
            json!({"api": "no-such-api", "permission": "orders:read"}),
        )
        .await
        .expect_error(404, "not_found");

    let apis = admin.get("/apis").await.expect(200).clone();
    assert_eq!(
        find(&apis, "identifier", orders),
        Some(&json!({
            "identifier": orders,
            "name": "Orders",
            "built_in": false,
            "permissions": ["orders:read"],
        }))
    );
    // Without a name, the identifier names it.
    assert_eq!(
        find(&apis, "identifier", "billing").unwrap()["name"],
        "billing"
    );

    // The new API is a token audience carrying its permissions.
    admin
        .post("/roles", json!({"name": "clerk"}))
        .await
        .expect(201);
    admin
        .post("/roles/clerk/permissions", added.clone())
        .await
        .expect(204);
    let secret = add_client(
        &app,
        &[
            "till",
            "--grant",
            "client_credentials",
            "--resource",
            orders,
        ],
    );
    app.cli(&["client", "grant-role", "till", "clerk"], None)
        .ok();
    let (status, body) = client_credentials(&app, "till", &secret, &[]).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims(token)["aud"], orders);
    assert_eq!(claims(token)["permissions"], json!(["orders:read"]));
    // …and not one for the admin API.
    Api::new(&app, token)
        .get("/apis")
        .await
        .expect_error(401, "unauthenticated");

    let event = admin.audited("admin.api.created", orders).await;
    assert_eq!(event["details"], json!({"name": "Orders"}));
    let event = admin.audited("admin.api.permission_added", orders).await;
    assert_eq!(event["details"], json!({"permission": "orders:read"}));
}
