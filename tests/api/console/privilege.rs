//! The privilege rules of `gatehouse::administration`, as the console
//! shows them: a refused change is the same page again with the reason and
//! status 403, and it changes nothing and audits nothing.

use gatehouse::administration::directory;

use super::{
    ADMIN_API, PASSWORD, Person, add_root, audit, audited_once, console_changes, find_user,
    role_names,
};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_users_write_only_administrator_cannot_hand_out_admin() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_role("user-manager", ADMIN_API, &["users:read", "users:write"]);
    let uma = app.add_user("uma", &["user-manager"]);
    app.add_user("carol", &[]);
    let manager = Person::signed_in(&app, "uma").await;

    // Granting `admin`: the user's page again, 403, with the reason.
    let refused = manager
        .submit("/admin/users/carol/grant-role", &[("role", "admin")])
        .await;
    refused.expect(403);
    assert!(refused.html.contains("<h1>carol</h1>"), "{refused:?}");
    let message = refused.error().unwrap_or_else(|| panic!("{refused:?}"));
    assert!(
        message.contains("You may not hand out or change role \"admin\"")
            && message.contains("which you do not hold"),
        "{message}"
    );
    assert_eq!(refused.header("cache-control"), "no-store");
    assert!(role_names(&app, "carol").is_empty());

    // Creating a user with `admin`: the form again, as typed, 403.
    let refused = manager
        .submit(
            "/admin/users",
            &[
                ("username", "mallory"),
                ("email", "mallory@example.com"),
                ("password", PASSWORD),
                ("role", "admin"),
            ],
        )
        .await;
    refused.expect(403);
    assert!(refused.error().unwrap().contains("role \"admin\""));
    assert_eq!(refused.value("username").as_deref(), Some("mallory"));
    assert_eq!(refused.value("role").as_deref(), Some("admin"));
    assert!(find_user(&app, "mallory").is_none());

    // Managing a more privileged account: setting root's password is
    // taking it over.
    let root_hash = find_user(&app, "root").unwrap().password_hash;
    let refused = manager
        .submit(
            "/admin/users/root/password",
            &[("password", "mallory's new passphrase")],
        )
        .await;
    refused.expect(403);
    assert!(
        refused
            .error()
            .unwrap()
            .contains("You may not manage user \"root\""),
        "{refused:?}"
    );
    assert_eq!(find_user(&app, "root").unwrap().password_hash, root_hash);
    assert!(
        console_changes(&app).is_empty(),
        "{:#?}",
        console_changes(&app)
    );

    // What uma holds herself she may hand out: the refusals above are the
    // rules, not a console that refuses everything.
    let done = manager
        .submit("/admin/users/carol/grant-role", &[("role", "user-manager")])
        .await;
    assert_eq!(done.location(), "/admin/users/carol?notice=role_granted");
    assert_eq!(role_names(&app, "carol"), ["user-manager"]);
    audited_once(&app, "admin.user.role_granted", &uma);
}

#[tokio::test]
async fn a_clients_administrator_cannot_give_a_client_more_than_they_hold() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_role(
        "client-manager",
        ADMIN_API,
        &["clients:read", "clients:write"],
    );
    let cleo = app.add_user("cleo", &["client-manager"]);
    app.add_client("reports", &["--grant", "client_credentials"]);
    app.operate(|conn, actor, now| {
        directory::create_role(conn, actor, "reporter", "", now).map(drop)
    });
    let manager = Person::signed_in(&app, "cleo").await;

    let refused = manager
        .submit("/admin/clients/reports/grant-role", &[("role", "admin")])
        .await;
    refused.expect(403);
    assert!(refused.html.contains("<h1>Clients</h1>"));
    assert!(
        refused
            .error()
            .unwrap()
            .contains("You may not hand out or change role \"admin\""),
        "{refused:?}"
    );
    let roles = |app: &TestApp| {
        app.db(|conn| {
            Ok(gatehouse::db::clients::find(conn, "reports")?
                .expect("client reports")
                .roles)
        })
    };
    assert!(roles(&app).is_empty());
    assert!(audit(&app, "admin.client.role_granted").is_empty());

    // A role without admin permissions is hers to give.
    let done = manager
        .submit("/admin/clients/reports/grant-role", &[("role", "reporter")])
        .await;
    assert_eq!(done.location(), "/admin/clients?notice=client_role_granted");
    assert_eq!(roles(&app), ["reporter"]);
    audited_once(&app, "admin.client.role_granted", &cleo);
}

#[tokio::test]
async fn nobody_disables_or_deletes_themselves_or_the_last_administrator() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;

    for (path, fields, says) in [
        (
            "/admin/users/root/disable",
            &[][..],
            "You cannot disable your own account; ask another administrator",
        ),
        (
            "/admin/users/root/delete",
            &[("confirm", "yes")][..],
            "You cannot delete your own account; ask another administrator",
        ),
        (
            "/admin/users/root/revoke-role",
            &[("role", "admin")][..],
            "This would leave no enabled user with the \"admin\" role",
        ),
    ] {
        let refused = admin.submit(path, fields).await;
        refused.expect(403);
        assert!(refused.html.contains("<h1>root</h1>"), "{path}");
        let message = refused.error().unwrap_or_else(|| panic!("{refused:?}"));
        assert!(message.starts_with(says), "{path}: {message}");
    }
    let root_row = find_user(&app, "root").expect("root is still there");
    assert!(!root_row.disabled);
    assert_eq!(role_names(&app, "root"), ["admin"]);
    assert!(
        console_changes(&app).is_empty(),
        "{:#?}",
        console_changes(&app)
    );
    // Still signed in: disabling would have ended the session.
    admin.get("/admin/users").await.expect(200);

    // With a second administrator, root may step down (a change the rule
    // allows goes through), and the other may disable root.
    app.add_user("ada", &["admin"]);
    let done = admin
        .submit("/admin/users/root/revoke-role", &[("role", "admin")])
        .await;
    assert_eq!(done.location(), "/admin/users/root?notice=role_revoked");
    audited_once(&app, "admin.user.role_revoked", &root);
    // Root no longer holds any admin permission: the console is closed.
    admin.get("/admin/users").await.expect(403);
    let ada = Person::signed_in(&app, "ada").await;
    let done = ada.submit("/admin/users/root/disable", &[]).await;
    assert_eq!(done.location(), "/admin/users/root?notice=disabled");
    assert!(find_user(&app, "root").unwrap().disabled);
}
