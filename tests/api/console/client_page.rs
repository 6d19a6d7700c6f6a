//! `/admin/clients/{id}` (issue 18, point 10): a client's own page with
//! its details, an edit form of boxes and lists, secret rotation, and
//! deletion behind a confirmation page; and the confirmation page in front
//! of deleting a role. Every form carries the CSRF token.

use super::{Person, add_root, audit, audited_once, between};
use crate::helpers::TestApp;
use gatehouse::db;

const WEB: &str = "http://127.0.0.1:3000/cb";
const SCHOOL: &str = "https://api.example.com/school";

fn shown_secret(page: &super::Page) -> Option<String> {
    between(
        &page.html,
        "<p class=\"secret\" id=\"client-secret\">",
        "</p>",
    )
}

/// The edit form as the page fills it in, with `changes` applied: boxes
/// ticked stay ticked, text fields keep their values.
fn edit_form(
    page: &super::Page,
    changes: &[(&str, &str)],
    untick: &[(&str, &str)],
) -> Vec<(String, String)> {
    let form = between(&page.html, "action=\"/admin/clients/", "</form>").expect("the edit form");
    let mut fields: Vec<(String, String)> = Vec::new();
    for input in form.split("<input").skip(1) {
        let attr =
            |name: &str| between(input, &format!("{name}=\""), "\"").map(|v| super::unescape(&v));
        let (Some(name), Some(value)) = (attr("name"), attr("value")) else {
            continue;
        };
        let checkbox = input.contains("type=\"checkbox\"");
        if name == "csrf_token" || (checkbox && !input.contains(" checked")) {
            continue;
        }
        if untick.iter().any(|(n, v)| *n == name && *v == value) {
            continue;
        }
        fields.push((name, value));
    }
    for textarea in ["redirect_uris", "post_logout_redirect_uris"] {
        let value = between(
            form.as_str(),
            &format!("name=\"{textarea}\" rows=\""),
            "</textarea>",
        )
        .and_then(|t| t.split_once('>').map(|(_, v)| super::unescape(v)))
        .unwrap_or_default();
        fields.push((textarea.to_owned(), value));
    }
    let select = between(form.as_str(), "name=\"id_token_alg\">", "</select>").unwrap_or_default();
    let chosen = select
        .split("<option")
        .find(|o| o.contains(" selected"))
        .and_then(|o| between(o, "value=\"", "\""))
        .unwrap_or_default();
    fields.push(("id_token_alg".into(), chosen));
    for (name, value) in changes {
        fields.retain(|(n, _)| {
            n != name
                || ["grant_types", "scopes", "resources", "introspect", "roles"].contains(name)
        });
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    fields
}

async fn save(admin: &Person<'_>, client_id: &str, fields: Vec<(String, String)>) -> super::Page {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    admin
        .submit(&format!("/admin/clients/{client_id}/edit"), &borrowed)
        .await
}

fn consents_of(app: &TestApp, client_id: &str, user_id: &str) -> bool {
    let (client, user) = (client_id.to_owned(), user_id.to_owned());
    app.db(move |conn| db::consents::find(conn, &user, &client))
        .is_some()
}

#[tokio::test]
async fn a_client_s_page_shows_it_and_edits_it_with_boxes_and_lists() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    app.cli(&["api", "add", SCHOOL], None).ok();
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
            "--post-logout-redirect-uri",
            "http://127.0.0.1:3000/",
        ],
    );
    let row = gatehouse::db::consents::ConsentRow {
        user_id: root.clone(),
        client_id: "web".into(),
        scope: "openid".into(),
        resources: String::new(),
        granted_at: 1,
    };
    app.db(move |conn| db::consents::save(conn, &row));
    let admin = Person::signed_in(&app, "root").await;

    // The table links to the page and shows post-logout URIs and APIs.
    let list = admin.get("/admin/clients").await;
    list.expect(200);
    assert!(list.html.contains("<a href=\"/admin/clients/web\" title="));
    assert!(
        list.html.contains("<td>http://127.0.0.1:3000/<br></td>"),
        "{list:?}"
    );
    assert!(
        list.html
            .contains("<option value=\"reader\">reader</option>")
    );

    let page = admin.get("/admin/clients/web").await;
    page.expect(200);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.html.contains("<h1>web</h1>"));
    assert!(
        page.html
            .contains(&format!("id=\"client-redirect-uris\">{WEB}<br>"))
    );
    // Boxes to choose from, not free text: every API and role is offered.
    assert!(
        page.html
            .contains(&format!("name=\"resources\" value=\"{SCHOOL}\" >")),
        "{page:?}"
    );
    assert!(page.html.contains("name=\"roles\" value=\"reader\" >"));
    assert!(
        page.html
            .contains("name=\"grant_types\" value=\"client_credentials\" checked")
    );
    assert!(
        page.html
            .contains("<option value=\"ES256\" >ES256</option>")
    );

    // Tick an API, a role and a grant, add a redirect URI, choose an algorithm.
    let fields = edit_form(
        &page,
        &[
            ("resources", SCHOOL),
            ("roles", "reader"),
            ("grant_types", "refresh_token"),
            (
                "redirect_uris",
                &format!("{WEB}\nhttp://127.0.0.1:3000/cb2"),
            ),
            ("id_token_alg", "ES256"),
            ("name", "The web app"),
        ],
        &[],
    );
    let done = save(&admin, "web", fields).await;
    assert_eq!(done.location(), "/admin/clients/web?notice=client_saved");
    let page = admin.get(&done.location()).await;
    assert_eq!(page.notice().as_deref(), Some("Client saved."));
    let shown = app.cli(&["client", "show", "web"], None).ok().to_owned();
    assert!(shown.contains(&format!("resources: {SCHOOL}\n")), "{shown}");
    assert!(shown.contains("roles: reader\n"), "{shown}");
    assert!(
        shown.contains(&format!("redirect_uris: {WEB} http://127.0.0.1:3000/cb2\n")),
        "{shown}"
    );
    assert!(
        shown.contains("grant_types: authorization_code refresh_token client_credentials\n"),
        "{shown}"
    );
    assert!(shown.contains("id_token_alg: ES256\n"), "{shown}");
    assert!(shown.contains("name: The web app\n"), "{shown}");
    let event = audited_once(&app, "admin.client.updated", &root);
    assert!(event.details.contains("reader"), "{event:?}");
    // The secret works still; the consent is kept.
    let (status, _) = crate::admin_api::client_credentials(&app, "web", &secret, &[]).await;
    assert_eq!(status, 200);
    assert!(consents_of(&app, "web", &root));

    // Untick them again, and forget the consents.
    let fields = edit_form(
        &page,
        &[("drop_consents", "true")],
        &[("resources", SCHOOL), ("roles", "reader")],
    );
    let done = save(&admin, "web", fields).await;
    assert_eq!(done.location(), "/admin/clients/web?notice=client_saved");
    let shown = app.cli(&["client", "show", "web"], None).ok().to_owned();
    assert!(
        shown.contains("resources: -\n") && shown.contains("roles: -\n"),
        "{shown}"
    );
    assert!(!consents_of(&app, "web", &root));

    // A bad redirect URI: the page again, the message, what was typed.
    let page = admin.get("/admin/clients/web").await;
    let fields = edit_form(&page, &[("redirect_uris", "javascript:alert(1)")], &[]);
    let answer = save(&admin, "web", fields).await;
    answer.expect(422);
    assert!(answer.error().is_some(), "{answer:?}");
    assert!(answer.html.contains("javascript:alert(1)</textarea>"));
    assert_eq!(audit(&app, "admin.client.updated").len(), 2);

    // Without the CSRF token nothing happens.
    let forged = admin
        .post("/admin/clients/web/edit", &[("name", "forged")])
        .await;
    forged.expect(403);
    assert!(
        !app.cli(&["client", "show", "web"], None)
            .ok()
            .contains("forged")
    );

    // Unknown clients are 404 pages.
    admin.get("/admin/clients/nobody").await.expect(404);
    admin.get("/admin/clients/nobody/delete").await.expect(404);
}

#[tokio::test]
async fn secret_rotation_and_deletion_go_through_the_client_s_page() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let secret = app.add_client("jobs", &["--grant", "client_credentials"]);
    let admin = Person::signed_in(&app, "root").await;

    let rotated = admin
        .submit("/admin/clients/jobs/rotate-secret", &[("back", "client")])
        .await;
    rotated.expect(200);
    assert!(rotated.html.contains("<h1>jobs</h1>"));
    let new_secret = shown_secret(&rotated).expect("the new secret");
    assert_ne!(new_secret, secret);
    audited_once(&app, "admin.client.secret_rotated", &root);
    assert!(
        !admin
            .get("/admin/clients/jobs")
            .await
            .html
            .contains(&new_secret)
    );

    let done = admin
        .submit("/admin/clients/jobs/disable", &[("back", "client")])
        .await;
    assert_eq!(
        done.location(),
        "/admin/clients/jobs?notice=client_disabled"
    );

    // The page's delete is a link to a confirmation page, whose button
    // posts `confirm=yes` with the CSRF token.
    let page = admin.get("/admin/clients/jobs").await;
    assert!(page.html.contains("href=\"/admin/clients/jobs/delete\""));
    let confirm = admin.get("/admin/clients/jobs/delete").await;
    confirm.expect(200);
    assert!(confirm.html.contains("<h1>Delete client jobs?</h1>"));
    assert!(
        confirm
            .html
            .contains("action=\"/admin/clients/jobs/delete\"")
    );
    assert!(confirm.html.contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(confirm.value("csrf_token"), Some(admin.csrf()));
    assert!(audit(&app, "admin.client.deleted").is_empty());
    let forged = admin
        .post("/admin/clients/jobs/delete", &[("confirm", "yes")])
        .await;
    forged.expect(403);
    let done = admin
        .submit("/admin/clients/jobs/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/admin/clients?notice=client_deleted");
    audited_once(&app, "admin.client.deleted", &root);
    admin.get("/admin/clients/jobs").await.expect(404);
}

#[tokio::test]
async fn deleting_a_role_goes_through_a_confirmation_page() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    app.cli(&["role", "add", "reader"], None).ok();
    let admin = Person::signed_in(&app, "root").await;

    let roles = admin.get("/admin/roles").await;
    assert!(roles.html.contains("href=\"/admin/roles/reader/delete\""));
    assert!(!roles.html.contains("href=\"/admin/roles/admin/delete\""));

    let confirm = admin.get("/admin/roles/reader/delete").await;
    confirm.expect(200);
    assert!(confirm.html.contains("<h1>Delete role reader?</h1>"));
    assert!(
        confirm
            .html
            .contains("action=\"/admin/roles/reader/delete\"")
    );
    admin.get("/admin/roles/nobody/delete").await.expect(404);
    admin.get("/admin/roles/admin/delete").await.expect(422);

    // Not without the confirmation, nor without the token.
    let unconfirmed = admin.submit("/admin/roles/reader/delete", &[]).await;
    unconfirmed.expect(422);
    admin
        .post("/admin/roles/reader/delete", &[("confirm", "yes")])
        .await
        .expect(403);
    assert!(audit(&app, "admin.role.deleted").is_empty());

    let done = admin
        .submit("/admin/roles/reader/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/admin/roles?notice=saved");
    audited_once(&app, "admin.role.deleted", &root);
}
