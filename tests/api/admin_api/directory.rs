//! `/admin/api/v1/roles` and `/admin/api/v1/apis`: what the directory
//! holds, and that its changes show in the tokens and checks that follow.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{
    ADMIN_API, Api, PERMISSIONS, add_service_account, claims, client_credentials, service_token,
    urlencode,
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
    assert_eq!(event["details"], json!({"role": "editor"}));
    let allowed = admin.audited_times("admin.role.allowed", "editor", 2).await;
    assert_eq!(
        allowed[0]["details"],
        json!({"role": "editor", "api": ADMIN_API, "permission": "users:read"})
    );
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
    let secret = app.add_client(
        "till",
        &["--grant", "client_credentials", "--resource", orders],
    );
    app.grant_client_role("till", "clerk");
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
    assert_eq!(event["details"], json!({"api": orders, "name": "Orders"}));
    let event = admin.audited("admin.api.permission_added", orders).await;
    assert_eq!(event["details"], added);
}

/// The permissions in a fresh token of the service account `till`.
async fn till_permissions(app: &TestApp, secret: &str) -> Value {
    let (status, body) = client_credentials(app, "till", secret, &[]).await;
    assert_eq!(status, 200, "{body}");
    claims(body["access_token"].as_str().unwrap())["permissions"].clone()
}

#[tokio::test]
async fn grants_permissions_and_apis_are_removed_but_built_ins_stay() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    // An identifier with slashes travels in the query.
    let orders = "https://orders.example/api";
    let api = urlencode(orders);
    admin
        .post("/apis", json!({"identifier": orders}))
        .await
        .expect(201);
    admin
        .post("/roles", json!({"name": "clerk"}))
        .await
        .expect(201);
    for permission in ["orders:read", "orders:write"] {
        let body = json!({"api": orders, "permission": permission});
        admin
            .post("/apis/permissions", body.clone())
            .await
            .expect(201);
        admin
            .post("/roles/clerk/permissions", body)
            .await
            .expect(204);
    }
    let secret = app.add_client(
        "till",
        &["--grant", "client_credentials", "--resource", orders],
    );
    app.grant_client_role("till", "clerk");
    assert_eq!(
        till_permissions(&app, &secret).await,
        json!(["orders:read", "orders:write"])
    );
    let clerk = |roles: &Value| find(roles, "name", "clerk").unwrap()["permissions"].clone();

    // Disallow: the role stops granting it, the next token lacks it.
    let disallow_write = format!("/roles/clerk/permissions?api={api}&permission=orders:write");
    assert_eq!(
        admin.delete(&disallow_write).await.expect(204),
        &Value::Null
    );
    assert_eq!(
        clerk(admin.get("/roles").await.expect(200)),
        json!([{"api": orders, "permission": "orders:read"}])
    );
    assert_eq!(
        till_permissions(&app, &secret).await,
        json!(["orders:read"])
    );
    // Not granted (any more), unknown, built in, incomplete.
    admin
        .delete(&disallow_write)
        .await
        .expect_error(422, "invalid_input");
    admin
        .delete(&format!(
            "/roles/clerk/permissions?api={api}&permission=orders:none"
        ))
        .await
        .expect_error(404, "not_found");
    admin
        .delete("/roles/nobody/permissions?api=orders&permission=orders:read")
        .await
        .expect_error(404, "not_found");
    let message = admin
        .delete(&format!(
            "/roles/admin/permissions?api={ADMIN_API}&permission=users:read"
        ))
        .await
        .expect_error(422, "invalid_input");
    assert!(message.contains("built in"), "{message}");
    admin
        .delete(&format!("/roles/clerk/permissions?api={api}"))
        .await
        .expect_error(422, "invalid_input");

    // Removing a permission removes it from every role granting it.
    admin
        .delete(&format!(
            "/apis/permissions?api={api}&permission=orders:read"
        ))
        .await
        .expect(204);
    assert_eq!(clerk(admin.get("/roles").await.expect(200)), json!([]));
    assert_eq!(
        find(admin.get("/apis").await.expect(200), "identifier", orders).unwrap()["permissions"],
        json!(["orders:write"])
    );
    assert_eq!(till_permissions(&app, &secret).await, json!([]));
    admin
        .delete(&format!(
            "/apis/permissions?api={api}&permission=orders:read"
        ))
        .await
        .expect_error(404, "not_found");
    let message = admin
        .delete(&format!(
            "/apis/permissions?api={ADMIN_API}&permission=keys:write"
        ))
        .await
        .expect_error(422, "invalid_input");
    assert!(message.contains("built in"), "{message}");

    // Removing the API; the built-in one stays.
    admin
        .delete(&format!("/apis?identifier={api}"))
        .await
        .expect(204);
    assert!(find(admin.get("/apis").await.expect(200), "identifier", orders).is_none());
    admin
        .delete(&format!("/apis?identifier={api}"))
        .await
        .expect_error(404, "not_found");
    admin
        .delete(&format!("/apis?identifier={ADMIN_API}"))
        .await
        .expect_error(422, "invalid_input");
    admin
        .delete("/apis")
        .await
        .expect_error(422, "invalid_input");
    let apis = admin.get("/apis").await.expect(200).clone();
    let built_in = find(&apis, "identifier", ADMIN_API).unwrap();
    assert_eq!(built_in["permissions"].as_array().unwrap().len(), 10);
    let roles = admin.get("/roles").await.expect(200).clone();
    assert_eq!(
        find(&roles, "name", "admin").unwrap()["permissions"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    // One event per change, none for the refusals.
    let event = admin.audited("admin.role.disallowed", "clerk").await;
    assert_eq!(
        event["details"],
        json!({"role": "clerk", "api": orders, "permission": "orders:write"})
    );
    let event = admin.audited("admin.api.permission_removed", orders).await;
    assert_eq!(
        event["details"],
        json!({"api": orders, "permission": "orders:read"})
    );
    let event = admin.audited("admin.api.removed", orders).await;
    assert_eq!(event["details"], json!({"api": orders}));
    for kind in [
        "admin.role.disallowed",
        "admin.api.permission_removed",
        "admin.api.removed",
    ] {
        let events = admin.admin_events().await;
        let count = events.iter().filter(|e| e["kind"] == kind).count();
        assert_eq!(count, 1, "{kind}: {events:?}");
    }
}

#[tokio::test]
async fn removals_need_roles_write() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    admin
        .post("/apis", json!({"identifier": "orders"}))
        .await
        .expect(201);
    admin
        .post(
            "/apis/permissions",
            json!({"api": "orders", "permission": "orders:read"}),
        )
        .await
        .expect(201);
    admin
        .post("/roles", json!({"name": "clerk"}))
        .await
        .expect(201);
    admin
        .post(
            "/roles/clerk/permissions",
            json!({"api": "orders", "permission": "orders:read"}),
        )
        .await
        .expect(204);
    app.add_role("reader", ADMIN_API, &["roles:read"]);
    let secret = add_service_account(&app, "reader", &["reader"]);
    let reader = Api::new(&app, service_token(&app, "reader", &secret).await);
    let before = (
        admin.get("/roles").await.expect(200).clone(),
        admin.get("/apis").await.expect(200).clone(),
    );

    let removals = [
        "/roles/clerk/permissions?api=orders&permission=orders:read",
        "/apis/permissions?api=orders&permission=orders:read",
        "/apis?identifier=orders",
    ];
    for path in removals {
        let message = reader.delete(path).await.expect_error(403, "forbidden");
        assert!(message.contains("roles:write"), "{path}: {message}");
    }
    assert_eq!(
        (
            admin.get("/roles").await.expect(200).clone(),
            admin.get("/apis").await.expect(200).clone(),
        ),
        before
    );
    // With the permission, in order (the API last: it takes the rest).
    for path in removals {
        admin.delete(path).await.expect(204);
    }
}
