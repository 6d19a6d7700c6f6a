//! Editing a client (issue 18, point 1) through the real `gatehouse
//! client update` and `PATCH /admin/api/v1/clients/{id}`: every list
//! gains and loses entries, settings change, the secret and the consents
//! given stay (unless `--drop-consents`), each edit leaves one audit
//! event, and the privilege rules of `client add` hold for edits too.

use gatehouse::db::{self, consents::ConsentRow};
use serde_json::{Value, json};

use crate::admin_api::{ADMIN_API, Api, add_service_account, client_credentials, service_token};
use crate::helpers::TestApp;

const WEB: &str = "http://127.0.0.1:3000/cb";
const SCHOOL: &str = "https://api.example.com/school";

/// `client show ID` as `label: value` lines.
fn show(app: &TestApp, client_id: &str) -> Vec<(String, String)> {
    app.cli(&["client", "show", client_id], None)
        .ok()
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn field(app: &TestApp, client_id: &str, label: &str) -> String {
    show(app, client_id)
        .into_iter()
        .find(|(k, _)| k == label)
        .unwrap_or_else(|| panic!("no {label} shown"))
        .1
}

fn update(app: &TestApp, client_id: &str, args: &[&str]) -> crate::helpers::CliOutput {
    let mut all = vec!["client", "update", client_id];
    all.extend_from_slice(args);
    app.cli(&all, None)
}

/// A consent `user_id` gave `client_id`, made straight in the database.
fn give_consent(app: &TestApp, user_id: &str, client_id: &str) {
    let row = ConsentRow {
        user_id: user_id.to_owned(),
        client_id: client_id.to_owned(),
        scope: "openid profile".into(),
        resources: String::new(),
        granted_at: 1,
    };
    app.db(move |conn| db::consents::save(conn, &row));
}

fn consent_exists(app: &TestApp, user_id: &str, client_id: &str) -> bool {
    let (user, client) = (user_id.to_owned(), client_id.to_owned());
    app.db(move |conn| db::consents::find(conn, &user, &client))
        .is_some()
}

/// The `admin.client.updated` events for `client_id`, oldest first.
fn updates(app: &TestApp, client_id: &str) -> Vec<(String, Value)> {
    let events = app.db(|conn| db::audit::recent(conn, Some("admin.client.updated"), 100));
    events
        .into_iter()
        .rev()
        .filter(|e| e.subject.as_deref() == Some(client_id))
        .map(|e| {
            (
                e.actor.unwrap_or_default(),
                serde_json::from_str(&e.details).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_cli_adds_and_removes_every_list_and_keeps_secret_and_consents() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", SCHOOL], None).ok();
    app.cli(&["api", "add", "reports"], None).ok();
    app.cli(&["role", "add", "reader"], None).ok();
    let secret = app.add_client(
        "web",
        &[
            "--redirect-uri",
            WEB,
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
            "--resource",
            "reports",
        ],
    );
    let rahul = app.add_user("rahul", &[]);
    give_consent(&app, &rahul, "web");

    let out = update(
        &app,
        "web",
        &[
            "--add-redirect-uri",
            "http://127.0.0.1:3000/cb2",
            "--add-post-logout-redirect-uri",
            "http://127.0.0.1:3000/",
            "--add-resource",
            SCHOOL,
            "--add-scope",
            "students:read",
            "--add-grant",
            "refresh_token",
            "--add-role",
            "reader",
            "--add-introspect",
            "reports",
            "--name",
            "The web app",
            "--id-token-alg",
            "ES256",
            "--backchannel-logout-uri",
            "http://127.0.0.1:3000/bc",
        ],
    );
    assert!(out.ok().contains("updated client web"), "{out}");
    let shown = |label| field(&app, "web", label);
    assert_eq!(
        shown("redirect_uris"),
        format!("{WEB} http://127.0.0.1:3000/cb2")
    );
    assert_eq!(shown("post_logout_redirect_uris"), "http://127.0.0.1:3000/");
    // Added APIs come after: the default audience stays.
    assert_eq!(shown("resources"), format!("reports {SCHOOL}"));
    assert!(
        shown("scopes").ends_with(" students:read"),
        "{}",
        shown("scopes")
    );
    assert_eq!(
        shown("grant_types"),
        "authorization_code refresh_token client_credentials"
    );
    assert_eq!(shown("roles"), "reader");
    assert_eq!(shown("introspect"), "reports");
    assert_eq!(shown("name"), "The web app");
    assert_eq!(shown("id_token_alg"), "ES256");
    assert_eq!(shown("backchannel_logout_uri"), "http://127.0.0.1:3000/bc");

    // The secret still works, and the consent given is still there.
    let (status, body) = client_credentials(&app, "web", &secret, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(consent_exists(&app, &rahul, "web"));

    // One audit event, by the operator, saying what changed.
    let events = updates(&app, "web");
    assert_eq!(events.len(), 1, "{events:?}");
    let (actor, details) = &events[0];
    assert_eq!(actor, "cli");
    assert_eq!(
        details["changes"]["resources"],
        json!({"before": ["reports"], "after": ["reports", SCHOOL]})
    );
    assert_eq!(details["roles_added"], json!(["reader"]));
    assert_eq!(details["consents_dropped"], json!(0));
    assert!(!details.to_string().contains(&secret));

    // And back again.
    update(
        &app,
        "web",
        &[
            "--remove-redirect-uri",
            "http://127.0.0.1:3000/cb2",
            "--remove-post-logout-redirect-uri",
            "http://127.0.0.1:3000/",
            "--remove-resource",
            "reports",
            "--remove-scope",
            "students:read",
            "--remove-grant",
            "refresh_token",
            "--remove-role",
            "reader",
            "--remove-introspect",
            "reports",
            "--id-token-alg",
            "default",
            "--no-backchannel-logout-uri",
            "--skip-consent",
            "true",
        ],
    )
    .ok();
    assert_eq!(shown("redirect_uris"), WEB);
    assert_eq!(shown("post_logout_redirect_uris"), "-");
    // Removing the first API makes the next the default audience.
    assert_eq!(shown("resources"), SCHOOL);
    assert!(!shown("scopes").contains("students:read"));
    assert_eq!(
        shown("grant_types"),
        "authorization_code client_credentials"
    );
    assert_eq!(shown("roles"), "-");
    assert_eq!(shown("introspect"), "-");
    assert_eq!(shown("id_token_alg"), "default");
    assert_eq!(shown("backchannel_logout_uri"), "-");
    assert_eq!(shown("skip_consent"), "true");
    assert!(consent_exists(&app, &rahul, "web"));
    let (status, _) = client_credentials(&app, "web", &secret, &[]).await;
    assert_eq!(status, 200);

    // Adding what is there changes nothing and records nothing.
    update(&app, "web", &["--add-redirect-uri", WEB]).ok();
    assert_eq!(updates(&app, "web").len(), 2);

    // Consents go only when asked.
    let out = update(&app, "web", &["--drop-consents"]);
    assert!(out.ok().contains("consents dropped"), "{out}");
    assert!(!consent_exists(&app, &rahul, "web"));
    let events = updates(&app, "web");
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].1["consents_dropped"], json!(1));
}

#[tokio::test]
async fn the_cli_refuses_mistakes_with_one_line_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", SCHOOL], None).ok();
    app.add_client("web", &["--redirect-uri", WEB]);
    app.cli(
        &["client", "add", "spa", "--public", "--redirect-uri", WEB],
        None,
    )
    .ok();
    let before = show(&app, "web");

    let cases: [(&str, &[&str], &str); 9] = [
        (
            "nobody",
            &["--add-resource", SCHOOL],
            "client \"nobody\" not found",
        ),
        (
            "web",
            &["--add-redirect-uri", "javascript:alert(1)"],
            "redirect",
        ),
        ("web", &["--add-redirect-uri", "not a uri"], "redirect"),
        (
            "web",
            &["--remove-redirect-uri", WEB],
            "at least one --redirect-uri",
        ),
        (
            "web",
            &["--remove-redirect-uri", "http://elsewhere/cb"],
            "has no redirect URI",
        ),
        (
            "web",
            &["--add-resource", "https://nowhere.example"],
            "not found",
        ),
        (
            "web",
            &["--remove-grant", "authorization_code"],
            "at least one grant",
        ),
        (
            "spa",
            &["--add-grant", "client_credentials"],
            "public clients cannot use client_credentials",
        ),
        (
            "spa",
            &["--add-introspect", SCHOOL],
            "public clients cannot introspect",
        ),
    ];
    for (client_id, args, words) in cases {
        let out = update(&app, client_id, args);
        let line = out.fails_with(1);
        assert!(line.contains(words), "{client_id} {args:?}: {line}");
    }
    // Usage errors: no change asked for, an unknown algorithm.
    let out = update(&app, "web", &[]);
    assert_eq!(out.code, 2, "{out}");
    let out = update(&app, "web", &["--id-token-alg", "HS256"]);
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(show(&app, "web"), before);
    assert!(updates(&app, "web").is_empty());
}

#[tokio::test]
async fn patch_edits_a_client_and_answers_it() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    app.cli(&["api", "add", SCHOOL], None).ok();
    app.cli(&["role", "add", "reader"], None).ok();
    let secret = app.add_client(
        "school-web",
        &[
            "--redirect-uri",
            WEB,
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
        ],
    );
    let rahul = app.add_user("rahul", &[]);
    give_consent(&app, &rahul, "school-web");

    let reply = admin
        .patch(
            "/clients/school-web",
            json!({
                "add_resources": [SCHOOL],
                "add_redirect_uris": ["http://127.0.0.1:3000/cb2"],
                "add_post_logout_redirect_uris": ["http://127.0.0.1:3000/"],
                "add_grant_types": ["refresh_token"],
                "add_scopes": ["students:read"],
                "add_roles": ["reader"],
                "add_introspect": [SCHOOL],
                "name": "School",
                "id_token_alg": "EdDSA",
            }),
        )
        .await;
    let client = reply.expect(200);
    assert_eq!(client["resources"], json!([SCHOOL]));
    assert_eq!(
        client["redirect_uris"],
        json!([WEB, "http://127.0.0.1:3000/cb2"])
    );
    assert_eq!(
        client["post_logout_redirect_uris"],
        json!(["http://127.0.0.1:3000/"])
    );
    assert_eq!(
        client["grant_types"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert!(
        client["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("students:read"))
    );
    assert_eq!(client["roles"], json!(["reader"]));
    assert_eq!(client["introspect"], json!([SCHOOL]));
    assert_eq!(client["name"], "School");
    assert_eq!(client["id_token_alg"], "EdDSA");
    assert!(client.get("client_secret").is_none());
    assert_eq!(admin.get("/clients/school-web").await.expect(200), client);
    let event = admin.audited("admin.client.updated", "school-web").await;
    assert_eq!(event["actor"], admin.sub(), "{event}");

    // The secret still works for the API just added; the consent stays.
    let (status, body) = client_credentials(&app, "school-web", &secret, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(consent_exists(&app, &rahul, "school-web"));

    let reply = admin
        .patch(
            "/clients/school-web",
            json!({
                "remove_redirect_uris": ["http://127.0.0.1:3000/cb2"],
                "remove_post_logout_redirect_uris": ["http://127.0.0.1:3000/"],
                "remove_grant_types": ["refresh_token"],
                "remove_scopes": ["students:read"],
                "remove_roles": ["reader"],
                "remove_introspect": [SCHOOL],
                "id_token_alg": "",
                "drop_consents": true,
            }),
        )
        .await;
    let client = reply.expect(200);
    assert_eq!(client["redirect_uris"], json!([WEB]));
    assert_eq!(client["post_logout_redirect_uris"], json!([]));
    assert_eq!(client["roles"], json!([]));
    assert_eq!(client["introspect"], json!([]));
    assert_eq!(client["id_token_alg"], Value::Null);
    assert!(!consent_exists(&app, &rahul, "school-web"));
    let (status, _) = client_credentials(&app, "school-web", &secret, &[]).await;
    assert_eq!(status, 200);

    // Mistakes: clear errors, nothing changed.
    let before = admin.get("/clients/school-web").await.expect(200).clone();
    admin
        .patch("/clients/nobody", json!({"add_resources": [SCHOOL]}))
        .await
        .expect_error(404, "not_found");
    let message = admin
        .patch(
            "/clients/school-web",
            json!({"add_redirect_uris": ["javascript:alert(1)"]}),
        )
        .await
        .expect_error(422, "invalid_input");
    assert!(message.contains("redirect"), "{message}");
    admin
        .patch("/clients/school-web", json!({"add_redirect_uri": [WEB]}))
        .await
        .expect_error(422, "invalid_input");
    admin
        .patch(
            "/clients/school-web",
            json!({"add_grant_types": ["teleport"]}),
        )
        .await
        .expect_error(422, "invalid_input");
    assert_eq!(admin.get("/clients/school-web").await.expect(200), &before);
}

#[tokio::test]
async fn clients_write_alone_cannot_edit_a_client_into_an_admin_tool() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    app.add_role("registrar", ADMIN_API, &["clients:read", "clients:write"]);
    let secret = add_service_account(&app, "registrar", &["registrar"]);
    let registrar = Api::new(&app, service_token(&app, "registrar", &secret).await);
    app.cli(&["api", "add", SCHOOL], None).ok();
    app.add_client("web", &["--redirect-uri", WEB]);
    app.add_client("first-party", &["--redirect-uri", WEB, "--skip-consent"]);
    let events = admin.admin_events().await.len();

    // Giving the admin API as an audience or introspection target, or
    // skipping consent, needs every admin permission.
    for body in [
        json!({"add_resources": [ADMIN_API]}),
        json!({"add_introspect": [ADMIN_API]}),
        json!({"skip_consent": true}),
    ] {
        let message = registrar
            .patch("/clients/web", body.clone())
            .await
            .expect_error(403, "forbidden");
        assert!(message.contains("web"), "{body}: {message}");
    }
    // So is any edit of a client that skips consent: a new redirect URI
    // would carry its power to whoever holds the URI.
    registrar
        .patch(
            "/clients/first-party",
            json!({"add_redirect_uris": ["https://attacker.example/cb"]}),
        )
        .await
        .expect_error(403, "forbidden");
    // Nothing was changed or recorded; the operator may make the edit.
    assert_eq!(admin.admin_events().await.len(), events);
    assert_eq!(field(&app, "first-party", "redirect_uris"), WEB);
    update(&app, "first-party", &["--name", "x"]).ok();
    assert_eq!(updates(&app, "first-party").len(), 1);

    // Within the rules the registrar edits, and takes powers away.
    registrar
        .patch("/clients/web", json!({"add_resources": [SCHOOL]}))
        .await
        .expect(200);
    registrar
        .patch("/clients/first-party", json!({"skip_consent": false}))
        .await
        .expect(200);
    // A full administrator may give them.
    admin
        .patch(
            "/clients/web",
            json!({"add_resources": [ADMIN_API], "skip_consent": true}),
        )
        .await
        .expect(200);
    assert_eq!(
        field(&app, "web", "resources"),
        format!("{SCHOOL} {ADMIN_API}")
    );
}
