//! The privilege rules, through the admin API: an administrator may only
//! hand out, and only manage holders of, admin permissions it holds itself;
//! nobody disables or deletes themselves; an enabled administrator remains.
//! Each refusal is checked by its effect (nothing changed, nothing audited)
//! next to the same call on a target the caller may reach.

use serde_json::json;

use super::{
    ADMIN_API, Api, PASSWORD, add_console, add_service_account, browser, new_user, roles_of,
    service_token, sign_in, user_token,
};
use crate::helpers::TestApp;

/// A service account holding only `permissions` on `gatehouse-admin`
/// (through a role of the same name), as an API caller.
async fn caller_with<'a>(app: &'a TestApp, name: &str, permissions: &[&str]) -> Api<'a> {
    app.add_role(name, ADMIN_API, permissions);
    let secret = add_service_account(app, name, &[name]);
    Api::new(app, service_token(app, name, &secret).await)
}

/// Asserts a 403 whose message comes from a privilege rule (not from a
/// missing route permission, which names the permission the route needs).
#[track_caller]
fn refused(reply: &super::Reply) -> String {
    let message = reply.expect_error(403, "forbidden");
    assert!(
        !message.starts_with("this call needs"),
        "{}: refused for a missing route permission, not by a rule: {message}",
        reply.what
    );
    message
}

#[tokio::test]
async fn a_user_administrator_cannot_reach_administrators_but_manages_everyone_else() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    app.add_user("root", &["admin"]);
    app.add_user("pat", &[]);
    let helpdesk = caller_with(&app, "helpdesk", &["users:read", "users:write"]).await;
    let root_before = admin.get("/users/root").await.expect(200).clone();
    let events_before = admin.admin_events().await.len();

    // The admin role is more than the helpdesk holds: not to a plain user,
    // not to a new one.
    let message = refused(&helpdesk.put("/users/pat/roles/admin", None).await);
    assert!(message.contains("keys:write"), "{message}");
    assert_eq!(
        roles_of(admin.get("/users/pat").await.expect(200)),
        Vec::<String>::new()
    );
    let mut mallory = new_user("mallory");
    mallory["roles"] = json!(["admin"]);
    refused(&helpdesk.post("/users", mallory).await);
    admin
        .get("/users/mallory")
        .await
        .expect_error(404, "not_found");

    // An administrator is out of reach: password, profile, state, roles,
    // sessions, deletion.
    refused(
        &helpdesk
            .put(
                "/users/root/password",
                Some(json!({"password": "taken over now"})),
            )
            .await,
    );
    refused(
        &helpdesk
            .patch("/users/root", json!({"name": "Hacked"}))
            .await,
    );
    refused(&helpdesk.post_empty("/users/root/disable").await);
    refused(&helpdesk.delete("/users/root").await);
    refused(&helpdesk.delete("/users/root/roles/admin").await);
    refused(&helpdesk.post_empty("/users/root/unlock").await);
    assert_eq!(admin.get("/users/root").await.expect(200), &root_before);
    sign_in(&app, &browser(), &console, "root", PASSWORD)
        .await
        .expect("root's password is unchanged");
    // Refusals roll back and leave no audit event.
    assert_eq!(admin.admin_events().await.len(), events_before);

    // The same calls on a plain user go through.
    let granted = helpdesk
        .put("/users/pat/roles/helpdesk", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(roles_of(&granted), ["helpdesk"]);
    helpdesk
        .put(
            "/users/pat/password",
            Some(json!({"password": "a new passphrase"})),
        )
        .await
        .expect(204);
    sign_in(&app, &browser(), &console, "pat", "a new passphrase")
        .await
        .expect("pat signs in with the new password");
    assert_eq!(
        helpdesk
            .patch("/users/pat", json!({"name": "Pat"}))
            .await
            .expect(200)["name"],
        "Pat"
    );
    helpdesk.post_empty("/users/pat/disable").await.expect(200);
    helpdesk.post_empty("/users/pat/enable").await.expect(200);
    helpdesk.delete("/users/pat").await.expect(204);
    let mut quinn = new_user("quinn");
    quinn["roles"] = json!(["helpdesk"]);
    helpdesk.post("/users", quinn).await.expect(201);
    // A peer holding exactly what the helpdesk holds is within reach too.
    helpdesk.delete("/users/quinn").await.expect(204);
}

#[tokio::test]
async fn a_role_administrator_cannot_hand_out_admin_permissions_it_lacks() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let librarian = caller_with(&app, "librarian", &["roles:read", "roles:write"]).await;
    app.add_role("key-keeper", ADMIN_API, &["keys:read", "keys:write"]);
    librarian
        .post("/roles", json!({"name": "escalate"}))
        .await
        .expect(201);
    let events_before = admin.admin_events().await.len();

    let message = refused(
        &librarian
            .post(
                "/roles/escalate/permissions",
                json!({"api": ADMIN_API, "permission": "keys:write"}),
            )
            .await,
    );
    assert!(message.contains("keys:write"), "{message}");
    // Nor take apart, or delete, a role carrying what it lacks.
    refused(
        &librarian
            .delete(&format!(
                "/roles/key-keeper/permissions?api={ADMIN_API}&permission=keys:read"
            ))
            .await,
    );
    refused(&librarian.delete("/roles/key-keeper").await);
    let roles = admin.get("/roles").await.expect(200).clone();
    let permissions_of = |name: &str| {
        roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no role {name}: {roles}"))["permissions"]
            .clone()
    };
    assert_eq!(permissions_of("escalate"), json!([]));
    assert_eq!(
        permissions_of("key-keeper"),
        json!([
            {"api": ADMIN_API, "permission": "keys:read"},
            {"api": ADMIN_API, "permission": "keys:write"},
        ])
    );
    assert_eq!(admin.admin_events().await.len(), events_before);

    // What it holds, and other APIs' permissions, it may hand out.
    let roles_read = json!({"api": ADMIN_API, "permission": "roles:read"});
    librarian
        .post("/roles/escalate/permissions", roles_read.clone())
        .await
        .expect(204);
    librarian
        .post("/apis", json!({"identifier": "orders"}))
        .await
        .expect(201);
    let orders_read = json!({"api": "orders", "permission": "orders:read"});
    librarian
        .post("/apis/permissions", orders_read.clone())
        .await
        .expect(201);
    librarian
        .post("/roles/escalate/permissions", orders_read.clone())
        .await
        .expect(204);
    let roles = admin.get("/roles").await.expect(200).clone();
    let escalate = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "escalate")
        .unwrap();
    assert_eq!(escalate["permissions"], json!([roles_read, orders_read]));

    // Removing a permission, or its API, changes every role granting it:
    // refused while key-keeper (beyond the librarian) grants it too.
    admin
        .post("/roles/key-keeper/permissions", orders_read.clone())
        .await
        .expect(204);
    refused(
        &librarian
            .delete("/apis/permissions?api=orders&permission=orders:read")
            .await,
    );
    refused(&librarian.delete("/apis?identifier=orders").await);
    admin
        .delete("/roles/key-keeper/permissions?api=orders&permission=orders:read")
        .await
        .expect(204);
    librarian
        .delete("/apis/permissions?api=orders&permission=orders:read")
        .await
        .expect(204);
    librarian
        .delete("/apis?identifier=orders")
        .await
        .expect(204);
    librarian.delete("/roles/escalate").await.expect(204);
    // The operator's administrator holds everything and may delete it.
    admin.delete("/roles/key-keeper").await.expect(204);
}

#[tokio::test]
async fn a_client_administrator_cannot_reach_admin_service_accounts() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let integrator = caller_with(&app, "integrator", &["clients:read", "clients:write"]).await;
    let robot_secret = add_service_account(&app, "robot", &["admin"]);
    add_service_account(&app, "batch", &[]);
    let events_before = admin.admin_events().await.len();

    // A new secret for an administrator's account is a way in.
    refused(&integrator.post_empty("/clients/robot/rotate-secret").await);
    service_token(&app, "robot", &robot_secret).await;
    refused(&integrator.post_empty("/clients/robot/disable").await);
    refused(&integrator.delete("/clients/robot").await);
    assert_eq!(
        admin.get("/clients/robot").await.expect(200)["disabled"],
        false
    );
    // Handing the admin role to a client it manages is refused as well.
    let message = refused(&integrator.put("/clients/batch/roles/admin", None).await);
    assert!(message.contains("users:write"), "{message}");
    assert_eq!(
        admin.get("/clients/batch").await.expect(200)["roles"],
        json!([])
    );
    assert_eq!(admin.admin_events().await.len(), events_before);

    // Plain clients, and roles within its own reach, it manages.
    integrator
        .post_empty("/clients/batch/rotate-secret")
        .await
        .expect(200);
    let granted = integrator
        .put("/clients/batch/roles/integrator", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(granted["roles"], json!(["integrator"]));
    integrator
        .delete("/clients/batch/roles/integrator")
        .await
        .expect(200);
}

#[tokio::test]
async fn an_administrator_cannot_lock_themselves_or_everyone_out() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    // The service account is an administrator too, but the rule counts
    // people: someone must be able to sign in to the console.
    let admin = Api::ops(&app).await;
    app.add_user("alice", &["admin"]);
    let alice = Api::new(&app, user_token(&app, &console, "alice").await);

    let message = refused(&alice.post_empty("/users/alice/disable").await);
    assert!(message.contains("your own account"), "{message}");
    refused(&alice.delete("/users/alice").await);
    alice.get("/users/alice").await.expect(200);

    // Alice is the last enabled administrator: not by her, not by anyone.
    for caller in [&alice, &admin] {
        let message = refused(&caller.delete("/users/alice/roles/admin").await);
        assert!(message.contains("no enabled user"), "{message}");
    }
    refused(&admin.post_empty("/users/alice/disable").await);
    refused(&admin.delete("/users/alice").await);
    let still = admin.get("/users/alice").await.expect(200).clone();
    assert_eq!(roles_of(&still), ["admin"]);
    assert_eq!(still["disabled"], false);
    alice.get("/users").await.expect(200);

    // With a second administrator, the role can go.
    let mut bob = new_user("bob");
    bob["roles"] = json!(["admin"]);
    alice.post("/users", bob).await.expect(201);
    let revoked = admin
        .delete("/users/alice/roles/admin")
        .await
        .expect(200)
        .clone();
    assert_eq!(roles_of(&revoked), Vec::<String>::new());
    alice.get("/users").await.expect_error(403, "forbidden");
    // …and now Bob is the last one.
    refused(&admin.delete("/users/bob/roles/admin").await);
    refused(&admin.post_empty("/users/bob/disable").await);
    // A disabled administrator does not count as the one who remains.
    admin
        .put("/users/alice/roles/admin", None)
        .await
        .expect(200);
    admin.post_empty("/users/alice/disable").await.expect(200);
    refused(&admin.delete("/users/bob").await);
    admin.get("/users/bob").await.expect(200);
}
