//! `/admin/clients`, `/admin/roles` and `/admin/keys` (their removals and
//! client roles: `grants`; the audit log: `audit_log`).

use super::{ADMIN_API, Page, Person, REDIRECT_URI, add_root, audit, audited_once, between, token};
use crate::helpers::TestApp;

/// A form post on the roles page: path, fields, and what it should lead to
/// (an audit kind, or words of the error message).
type Change<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// The secret shown on a clients page, if one is.
fn shown_secret(page: &Page) -> Option<String> {
    between(
        &page.html,
        "<p class=\"secret\" id=\"client-secret\">",
        "</p>",
    )
}

async fn client_credentials(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    token(
        app,
        client_id,
        secret,
        &[("grant_type", "client_credentials")],
    )
    .await
    .0
}

#[tokio::test]
async fn a_registered_client_s_secret_is_shown_once_and_works() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;

    let created = admin
        .submit(
            "/admin/clients",
            &[
                ("client_id", "reports"),
                ("name", "Nightly reports"),
                ("grant_types", "client_credentials"),
                ("scopes", ""),
                ("resources", ADMIN_API),
            ],
        )
        .await;
    created.expect(201);
    assert_eq!(created.notice().as_deref(), Some("Client registered."));
    assert_eq!(created.header("cache-control"), "no-store");
    let secret = shown_secret(&created).unwrap_or_else(|| panic!("no secret: {created:?}"));
    assert!(secret.len() >= 43, "{secret:?}");
    assert!(
        created
            .html
            .contains("The secret of <strong>reports</strong>")
    );
    let event = audited_once(&app, "admin.client.created", &root);
    assert_eq!(event.subject.as_deref(), Some("reports"));
    assert!(!event.details.contains(&secret), "the secret was logged");

    // Listed, without the secret, on every later visit.
    let list = admin.get("/admin/clients").await;
    list.expect(200);
    assert!(list.html.contains("<strong>reports</strong>"));
    assert!(list.html.contains("Nightly reports"));
    assert!(list.html.contains("<td>confidential</td>"));
    assert!(list.html.contains("<td>client_credentials</td>"));
    assert!(shown_secret(&list).is_none());
    assert!(!list.html.contains(&secret));

    // The secret works at the token endpoint; a wrong one does not.
    assert_eq!(client_credentials(&app, "reports", &secret).await, 200);
    assert_eq!(
        client_credentials(&app, "reports", "wrong-secret").await,
        401
    );

    // Rotating shows the new secret once; the old one stops working.
    let rotated = admin
        .submit("/admin/clients/reports/rotate-secret", &[])
        .await;
    rotated.expect(200);
    let new_secret = shown_secret(&rotated).expect("the new secret");
    assert_ne!(new_secret, secret);
    audited_once(&app, "admin.client.secret_rotated", &root);
    assert_eq!(client_credentials(&app, "reports", &secret).await, 401);
    assert_eq!(client_credentials(&app, "reports", &new_secret).await, 200);
    assert!(!admin.get("/admin/clients").await.html.contains(&new_secret));

    // Disable and enable.
    let done = admin.submit("/admin/clients/reports/disable", &[]).await;
    assert_eq!(done.location(), "/admin/clients?notice=client_disabled");
    audited_once(&app, "admin.client.disabled", &root);
    let list = admin.get(&done.location()).await;
    assert_eq!(list.notice().as_deref(), Some("Client disabled."));
    assert!(list.html.contains("<td>disabled</td>"));
    assert_ne!(client_credentials(&app, "reports", &new_secret).await, 200);
    let done = admin.submit("/admin/clients/reports/enable", &[]).await;
    assert_eq!(done.location(), "/admin/clients?notice=client_enabled");
    audited_once(&app, "admin.client.enabled", &root);
    assert_eq!(client_credentials(&app, "reports", &new_secret).await, 200);

    // Delete needs the box ticked.
    let unconfirmed = admin.submit("/admin/clients/reports/delete", &[]).await;
    unconfirmed.expect(422);
    assert_eq!(
        unconfirmed.error().as_deref(),
        Some("Tick the box to confirm the deletion.")
    );
    assert_eq!(client_credentials(&app, "reports", &new_secret).await, 200);
    let done = admin
        .submit("/admin/clients/reports/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/admin/clients?notice=client_deleted");
    audited_once(&app, "admin.client.deleted", &root);
    assert!(
        !admin
            .get("/admin/clients")
            .await
            .html
            .contains("<strong>reports</strong>")
    );
    assert_eq!(client_credentials(&app, "reports", &new_secret).await, 401);
    admin
        .submit("/admin/clients/reports/rotate-secret", &[])
        .await
        .expect(422);
}

#[tokio::test]
async fn a_public_client_has_no_secret_and_errors_keep_the_form() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;

    let created = admin
        .submit(
            "/admin/clients",
            &[
                ("client_id", "spa"),
                ("public", "true"),
                (
                    "redirect_uris",
                    "http://127.0.0.1:3000/cb\nhttp://127.0.0.1:3000/cb2",
                ),
                ("grant_types", "authorization_code refresh_token"),
            ],
        )
        .await;
    created.expect(201);
    assert!(
        shown_secret(&created).is_none(),
        "a public client got a secret"
    );
    assert!(created.html.contains("<td>public</td>"));
    assert!(
        created
            .html
            .contains("http://127.0.0.1:3000/cb<br>http://127.0.0.1:3000/cb2<br>")
    );
    audited_once(&app, "admin.client.created", &root);

    let cases: [(&str, &str, &str, &str); 4] = [
        // client_id, grant_types, redirect_uris, what the message says
        ("spa", "authorization_code", REDIRECT_URI, "already exists"),
        ("jobs", "teleport", "", "teleport"),
        ("web", "authorization_code", "", "redirect"),
        ("web", "authorization_code", "javascript:alert(1)", ""),
    ];
    for (client_id, grants, redirect_uris, message) in cases {
        let answer = admin
            .submit(
                "/admin/clients",
                &[
                    ("client_id", client_id),
                    ("name", "Typed name"),
                    ("grant_types", grants),
                    ("redirect_uris", redirect_uris),
                    ("skip_consent", "true"),
                ],
            )
            .await;
        answer.expect(422);
        let error = answer
            .error()
            .unwrap_or_else(|| panic!("no message: {answer:?}"));
        assert!(error.contains(message), "{client_id}: {error:?}");
        assert!(shown_secret(&answer).is_none());
        assert_eq!(answer.value("client_id").as_deref(), Some(client_id));
        assert_eq!(answer.value("name").as_deref(), Some("Typed name"));
        // Grants are checkboxes: the one ticked stays ticked.
        let ticked = format!("name=\"grant_types\" value=\"{grants}\" checked");
        assert_eq!(answer.html.contains(&ticked), grants != "teleport");
        let typed = between(
            &answer.html,
            "name=\"redirect_uris\" rows=\"3\">",
            "</textarea>",
        )
        .map(|t| super::unescape(&t));
        assert_eq!(typed.as_deref(), Some(redirect_uris));
        assert!(
            answer
                .html
                .contains("name=\"skip_consent\" value=\"true\" checked")
        );
    }
    assert_eq!(audit(&app, "admin.client.").len(), 1);
}

#[tokio::test]
async fn roles_and_apis_are_managed_from_the_roles_page() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;

    let page = admin.get("/admin/roles").await;
    page.expect(200);
    // The built-in admin role and API, with root holding it.
    assert!(
        page.html
            .contains("<strong>admin</strong> <span class=\"muted\">(built in)</span>")
    );
    assert!(page.html.contains("<code>gatehouse-admin</code>"));
    assert!(page.text().contains("root<br>"));
    assert!(!page.html.contains("action=\"/admin/roles/admin/delete\""));

    let steps: [Change; 4] = [
        (
            "/admin/apis",
            &[("identifier", "reports"), ("name", "Reports API")],
            "admin.api.created",
        ),
        (
            "/admin/apis/permissions",
            &[("api", "reports"), ("permission", "reports:read")],
            "admin.api.permission_added",
        ),
        (
            "/admin/roles",
            &[("name", "reporter")],
            "admin.role.created",
        ),
        (
            "/admin/roles/allow",
            &[
                ("role", "reporter"),
                ("api", "reports"),
                ("permission", "reports:read"),
            ],
            "admin.role.allowed",
        ),
    ];
    for (path, fields, kind) in steps {
        let done = admin.submit(path, fields).await;
        assert_eq!(done.location(), "/admin/roles?notice=saved", "POST {path}");
        audited_once(&app, kind, &root);
    }
    let page = admin.get("/admin/roles?notice=saved").await;
    assert_eq!(page.notice().as_deref(), Some("Saved."));
    assert!(page.html.contains("<strong>reporter</strong>"));
    assert!(page.html.contains("<code>reports</code> reports:read"));
    let api_row = between(
        &page.html,
        "<td><code>reports</code></td><td>Reports API</td>",
        "</tr>",
    )
    .unwrap_or_else(|| panic!("no row for the API: {page:?}"));
    assert!(api_row.contains("reports:read"), "{api_row}");
    let roles = app.cli(&["role", "list"], None);
    assert!(roles.ok().contains("reporter"), "{roles}");

    // Mistakes are messages on the page, and change nothing.
    let mistakes: [Change; 5] = [
        ("/admin/roles", &[("name", "reporter")], "already exists"),
        ("/admin/roles", &[("name", "Bad Name")], "not allowed"),
        (
            "/admin/roles/allow",
            &[
                ("role", "reporter"),
                ("api", "reports"),
                ("permission", "reports:delete"),
            ],
            "not found",
        ),
        (
            "/admin/apis/permissions",
            &[("api", "nowhere"), ("permission", "x:y")],
            "not found",
        ),
        (
            "/admin/roles/admin/delete",
            &[("confirm", "yes")],
            "built in",
        ),
    ];
    for (path, fields, message) in mistakes {
        let answer = admin.submit(path, fields).await;
        answer.expect(422);
        let error = answer
            .error()
            .unwrap_or_else(|| panic!("{path}: {answer:?}"));
        assert!(error.contains(message), "{path}: {error:?}");
        assert!(answer.html.contains("<h1>Roles</h1>"));
    }
    assert_eq!(audit(&app, "admin.role.").len(), 2);

    let done = admin
        .submit("/admin/roles/reporter/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/admin/roles?notice=saved");
    audited_once(&app, "admin.role.deleted", &root);
    assert!(
        !admin
            .get("/admin/roles")
            .await
            .html
            .contains("<strong>reporter</strong>")
    );
}

#[tokio::test]
async fn keys_are_listed_and_rotated_from_the_keys_page() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;
    let before = app.published_kids().await;

    let page = admin.get("/admin/keys").await;
    page.expect(200);
    for kid in &before {
        assert!(
            page.html.contains(&format!("<code>{kid}</code>")),
            "{kid} not listed"
        );
    }

    let done = admin.submit("/admin/keys/rotate", &[]).await;
    assert_eq!(done.location(), "/admin/keys?notice=rotated");
    let rotated = audit(&app, "admin.key.rotated");
    assert!(!rotated.is_empty());
    assert!(
        rotated
            .iter()
            .all(|e| e.actor.as_deref() == Some(root.as_str()))
    );
    let page = admin.get(&done.location()).await;
    assert_eq!(
        page.notice().as_deref(),
        Some("New keys published; they sign once resource servers have seen them.")
    );
    // Each rotation added a key to the page, under the kid it audited.
    for event in &rotated {
        let kid = event.subject.as_deref().unwrap();
        assert!(!before.contains(&kid.to_owned()), "{kid} is not new");
        assert!(
            page.html.contains(&format!("<code>{kid}</code>")),
            "{kid} not listed"
        );
    }
    let rows_before = before.len();
    let rows_after = page.html.matches("<tr><td><code>").count();
    assert_eq!(rows_after, rows_before + rotated.len(), "{page:?}");
}
