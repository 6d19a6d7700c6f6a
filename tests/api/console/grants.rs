//! The roles page's removals (a permission from a role, a permission from
//! its API, a whole API) and the clients page's roles (given and taken):
//! each a form with the CSRF token, made through the administration layer
//! and audited as the person who made it; a change that makes no sense is a
//! message on the page.

use base64::Engine;
use gatehouse::{administration::directory, db};

use super::{ADMIN_API, Page, Person, add_root, audit, audited_once, token};
use crate::helpers::TestApp;

/// The API `reports-api` with `reports:read` and `reports:write`, both
/// granted by the role `reporter`.
fn reporting(app: &TestApp) {
    app.operate(|conn, actor, now| {
        directory::create_api(conn, actor, "reports-api", Some("Reports API"), now)?;
        directory::create_role(conn, actor, "reporter", "", now)?;
        for permission in ["reports:read", "reports:write"] {
            directory::add_permission(conn, actor, "reports-api", permission, now)?;
            directory::allow(conn, actor, "reporter", "reports-api", permission, now)?;
        }
        Ok(())
    });
}

/// What `role` grants, as `api permission`.
fn grants_of(app: &TestApp, role: &str) -> Vec<String> {
    let role = role.to_owned();
    app.db(move |conn| {
        let row = db::roles::find_by_name(conn, &role)?.expect("role");
        Ok(db::roles::permissions_of(conn, &row.id)?
            .into_iter()
            .map(|(api, permission)| format!("{api} {permission}"))
            .collect())
    })
}

/// The permissions of an API; `None` once it is gone.
fn permissions_of_api(app: &TestApp, identifier: &str) -> Option<Vec<String>> {
    let identifier = identifier.to_owned();
    app.db(move |conn| {
        let Some(api) = db::apis::find_by_identifier(conn, &identifier)? else {
            return Ok(None);
        };
        Ok(Some(
            db::apis::permissions_of(conn, &api.id)?
                .into_iter()
                .map(|p| p.name)
                .collect(),
        ))
    })
}

/// Posts a roles-page form that should be refused with 422.
#[track_caller]
fn refused_with(answer: &Page, words: &str) {
    answer.expect(422);
    let error = answer
        .error()
        .unwrap_or_else(|| panic!("no message: {answer:?}"));
    assert!(error.contains(words), "{}: {error:?}", answer.what);
}

#[tokio::test]
async fn permissions_leave_roles_and_apis_and_apis_go() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    reporting(&app);
    let admin = Person::signed_in(&app, "root").await;

    // The forms: one per permission of each role that is not built in, one
    // per permission of each API that is not built in, one per such API.
    let page = admin.get("/admin/roles").await;
    page.expect(200);
    assert_eq!(
        page.html
            .matches("action=\"/admin/roles/disallow\"")
            .count(),
        2
    );
    assert_eq!(
        page.html
            .matches("action=\"/admin/apis/permissions/remove\"")
            .count(),
        2
    );
    assert_eq!(
        page.html.matches("action=\"/admin/apis/remove\"").count(),
        1
    );
    assert!(
        page.html
            .contains("name=\"identifier\" value=\"reports-api\"")
    );

    // A permission taken from the role.
    let reporter_read = [
        ("role", "reporter"),
        ("api", "reports-api"),
        ("permission", "reports:read"),
    ];
    let done = admin.submit("/admin/roles/disallow", &reporter_read).await;
    assert_eq!(done.location(), "/admin/roles?notice=disallowed");
    let page = admin.get(&done.location()).await;
    assert_eq!(
        page.notice().as_deref(),
        Some("Permission removed from the role.")
    );
    assert_eq!(grants_of(&app, "reporter"), ["reports-api reports:write"]);
    let event = audited_once(&app, "admin.role.disallowed", &root);
    assert_eq!(event.subject.as_deref(), Some("reporter"));
    assert!(event.details.contains("reports:read"), "{event:?}");

    // Mistakes are messages, and change nothing.
    refused_with(
        &admin.submit("/admin/roles/disallow", &reporter_read).await,
        "does not grant",
    );
    refused_with(
        &admin
            .submit(
                "/admin/roles/disallow",
                &[
                    ("role", "admin"),
                    ("api", ADMIN_API),
                    ("permission", "users:read"),
                ],
            )
            .await,
        "built in",
    );
    assert!(grants_of(&app, "admin").contains(&format!("{ADMIN_API} users:read")));

    // A permission deleted from its API: no role grants it any more.
    let done = admin
        .submit(
            "/admin/apis/permissions/remove",
            &[("api", "reports-api"), ("permission", "reports:write")],
        )
        .await;
    assert_eq!(done.location(), "/admin/roles?notice=permission_removed");
    assert_eq!(
        admin.get(&done.location()).await.notice().as_deref(),
        Some("Permission removed: no role grants it any more.")
    );
    assert_eq!(
        permissions_of_api(&app, "reports-api").as_deref(),
        Some(&["reports:read".to_owned()][..])
    );
    assert!(grants_of(&app, "reporter").is_empty());
    let event = audited_once(&app, "admin.api.permission_removed", &root);
    assert_eq!(event.subject.as_deref(), Some("reports-api"));
    assert!(event.details.contains("reports:write"), "{event:?}");
    refused_with(
        &admin
            .submit(
                "/admin/apis/permissions/remove",
                &[("api", "reports-api"), ("permission", "reports:write")],
            )
            .await,
        "not found",
    );
    refused_with(
        &admin
            .submit(
                "/admin/apis/permissions/remove",
                &[("api", ADMIN_API), ("permission", "audit:read")],
            )
            .await,
        "built in",
    );
    assert!(
        permissions_of_api(&app, ADMIN_API)
            .unwrap()
            .contains(&"audit:read".to_owned())
    );

    // The API, with what is left of it: only with the box ticked.
    let remove = |confirm: &'static str| {
        let admin = &admin;
        async move {
            let mut fields = vec![("identifier", "reports-api")];
            if !confirm.is_empty() {
                fields.push(("confirm", confirm));
            }
            admin.submit("/admin/apis/remove", &fields).await
        }
    };
    for confirm in ["", "on", "no"] {
        refused_with(
            &remove(confirm).await,
            "Tick the box to confirm the removal.",
        );
    }
    assert!(permissions_of_api(&app, "reports-api").is_some());
    assert!(audit(&app, "admin.api.removed").is_empty());
    let done = remove("yes").await;
    assert_eq!(done.location(), "/admin/roles?notice=api_removed");
    let page = admin.get(&done.location()).await;
    assert_eq!(
        page.notice().as_deref(),
        Some("API removed, with its permissions.")
    );
    assert!(!page.html.contains("<code>reports-api</code>"), "{page:?}");
    assert!(permissions_of_api(&app, "reports-api").is_none());
    let event = audited_once(&app, "admin.api.removed", &root);
    assert_eq!(event.subject.as_deref(), Some("reports-api"));

    refused_with(&remove("yes").await, "not found");
    refused_with(
        &admin
            .submit(
                "/admin/apis/remove",
                &[("identifier", ADMIN_API), ("confirm", "yes")],
            )
            .await,
        "built in",
    );
    assert!(permissions_of_api(&app, ADMIN_API).is_some());
}

/// The `roles` claim of a client-credentials access token for `client_id`.
async fn token_roles(app: &TestApp, client_id: &str, secret: &str) -> Vec<String> {
    let (status, body) = token(
        app,
        client_id,
        secret,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let jwt = body["access_token"].as_str().expect("an access token");
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    claims["roles"]
        .as_array()
        .map(|roles| {
            roles
                .iter()
                .map(|r| r.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn client_roles(app: &TestApp, client_id: &str) -> Vec<String> {
    let client_id = client_id.to_owned();
    app.db(move |conn| {
        Ok(db::clients::find(conn, &client_id)?
            .expect("the client")
            .roles)
    })
}

#[tokio::test]
async fn a_client_is_given_a_role_and_it_is_taken_away() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    reporting(&app);
    let secret = app.add_client(
        "reports",
        &["--grant", "client_credentials", "--resource", "reports-api"],
    );
    let admin = Person::signed_in(&app, "root").await;
    assert!(token_roles(&app, "reports", &secret).await.is_empty());

    let page = admin.get("/admin/clients").await;
    assert!(
        page.html
            .contains("action=\"/admin/clients/reports/grant-role\""),
        "{page:?}"
    );
    let done = admin
        .submit(
            "/admin/clients/reports/grant-role",
            &[("role", " reporter ")],
        )
        .await;
    assert_eq!(done.location(), "/admin/clients?notice=client_role_granted");
    let page = admin.get(&done.location()).await;
    assert_eq!(page.notice().as_deref(), Some("Role given to the client."));
    assert!(
        page.html
            .contains("action=\"/admin/clients/reports/revoke-role\""),
        "{page:?}"
    );
    assert!(page.html.contains("name=\"role\" value=\"reporter\""));
    assert_eq!(client_roles(&app, "reports"), ["reporter"]);
    let event = audited_once(&app, "admin.client.role_granted", &root);
    assert_eq!(event.subject.as_deref(), Some("reports"));
    assert!(event.details.contains("reporter"), "{event:?}");
    assert_eq!(token_roles(&app, "reports", &secret).await, ["reporter"]);

    // Unknown roles and clients are messages on the clients page.
    for (path, role, words) in [
        ("/admin/clients/reports/grant-role", "ghost", "not found"),
        ("/admin/clients/nobody/grant-role", "reporter", "not found"),
        ("/admin/clients/reports/revoke-role", "ghost", "not found"),
    ] {
        let answer = admin.submit(path, &[("role", role)]).await;
        answer.expect(422);
        assert!(answer.html.contains("<h1>Clients</h1>"));
        let error = answer.error().unwrap_or_default();
        assert!(error.contains(words), "{path} {role}: {error:?}");
    }

    let done = admin
        .submit(
            "/admin/clients/reports/revoke-role",
            &[("role", "reporter")],
        )
        .await;
    assert_eq!(done.location(), "/admin/clients?notice=client_role_revoked");
    assert_eq!(
        admin.get(&done.location()).await.notice().as_deref(),
        Some("Role taken from the client.")
    );
    assert!(client_roles(&app, "reports").is_empty());
    audited_once(&app, "admin.client.role_revoked", &root);
    assert!(token_roles(&app, "reports", &secret).await.is_empty());

    // Taking a role the client does not hold says so.
    let again = admin
        .submit(
            "/admin/clients/reports/revoke-role",
            &[("role", "reporter")],
        )
        .await;
    again.expect(422);
    assert!(
        again.error().unwrap().contains("does not hold role"),
        "{again:?}"
    );
    assert_eq!(audit(&app, "admin.client.role_").len(), 2);
}
