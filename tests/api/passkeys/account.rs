//! The account page in a browser: a passkey is added (a discoverable
//! credential, verified user), its finish cannot be replayed, a credential
//! id registered to someone else is refused, and it is renamed and removed.

use gatehouse::db::{self, audit::AuditFilter, passkeys::PasskeyRow, users::UserRow};
use serde_json::json;

use super::{NAVIGATION, PasskeyBrowser, on_localhost};
use crate::browser::{browser_available, screenshot_path};
use crate::helpers::TestApp;

const REGISTER_FINISH: &str = "/account/passkeys/register/finish";

/// Signs in on the account page and adds a passkey called `name`.
async fn add_passkey(app: &TestApp, person: &PasskeyBrowser, username: &str, name: &str) {
    person
        .sign_in_with_password(app, "/account/passkeys", username)
        .await;
    let browser = &person.browser;
    browser.find("#passkey-name").await.type_text(name).await;
    browser.find("#passkey-add").await.click().await;
    browser
        .wait_for_url(|url| url.contains("done=added"), NAVIGATION)
        .await;
}

#[tokio::test]
async fn a_person_adds_renames_and_removes_a_passkey_and_a_finish_is_not_replayed() {
    if !browser_available() {
        return;
    }
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let person = PasskeyBrowser::start().await;
    add_passkey(&app, &person, "amara", "Work laptop").await;
    let browser = &person.browser;

    // Listed under its name; the authenticator holds it as a discoverable
    // credential (creation asked for residentKey "required").
    let name = browser.find(".passkey-name").await.text().await;
    assert_eq!(name, "Work laptop");
    let notice = browser.find("p.notice").await.text().await;
    assert!(notice.contains("passkey was added"), "{notice}");
    let held = person.credentials().await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["isResidentCredential"], true, "{held:?}");
    let stored = passkeys_of(&app, "amara");
    assert_eq!(stored.len(), 1);
    // The same credential id (CDP gives it base64, standard alphabet).
    let held_id = held[0]["credentialId"].as_str().unwrap();
    assert_eq!(
        stored[0].credential_id,
        held_id
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('='),
    );
    let png = screenshot_path("account_passkeys.png");
    browser.screenshot_to(&png).await;
    println!("account passkeys screenshot: {}", png.display());

    // The finish that added it, sent again: its ceremony is spent.
    let (status, body) = person.replay_finish(REGISTER_FINISH).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expired or was already used"), "{body}");
    assert_eq!(passkeys_of(&app, "amara").len(), 1);

    // Renamed with the plain form.
    let rename = browser.find("form.rename input[name=name]").await;
    rename.clear().await;
    rename.type_text("Phone").await;
    browser.find("form.rename button").await.click().await;
    browser
        .wait_for_url(|url| url.contains("done=renamed"), NAVIGATION)
        .await;
    assert_eq!(browser.find(".passkey-name").await.text().await, "Phone");

    // Removed (the sign-in is still fresh).
    browser.find("form.remove button").await.click().await;
    browser
        .wait_for_url(|url| url.contains("done=removed"), NAVIGATION)
        .await;
    browser.find("#no-passkeys").await;
    assert!(passkeys_of(&app, "amara").is_empty());
    let kinds = audit_kinds(&app);
    for kind in ["passkey.added", "passkey.renamed", "passkey.removed"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} not in {kinds:?}");
    }
}

#[tokio::test]
async fn a_credential_id_registered_to_anyone_else_is_refused() {
    if !browser_available() {
        return;
    }
    let app = on_localhost(TestApp::new().with_user("amara", &[]).with_user("bao", &[]))
        .start()
        .await;
    let person = PasskeyBrowser::start().await;
    person
        .sign_in_with_password(&app, "/account/passkeys", "amara")
        .await;
    // The authenticator makes the credential; its finish is held back while
    // the same credential id becomes bao's (a passkey synced between two
    // people's accounts, or a replayed attestation).
    person.hold_finish(REGISTER_FINISH).await;
    let browser = &person.browser;
    browser
        .find("#passkey-name")
        .await
        .type_text("Shared")
        .await;
    browser.find("#passkey-add").await.click().await;
    let recorded = wait_for_recorded(&person).await;
    let raw_id = recorded["credential"]["rawId"].as_str().unwrap().to_owned();
    let baos = PasskeyRow {
        id: db::new_id(),
        user_id: user(&app, "bao").id,
        credential_id: raw_id,
        passkey: "{}".into(),
        name: "Bao's".into(),
        created_at: 0,
        last_used_at: None,
    };
    app.db(move |conn| db::passkeys::insert(conn, &baos));
    let (status, body) = person.replay_finish(REGISTER_FINISH).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already registered"), "{body}");
    assert!(passkeys_of(&app, "amara").is_empty());
}

async fn wait_for_recorded(person: &PasskeyBrowser) -> serde_json::Value {
    let deadline = std::time::Instant::now() + NAVIGATION;
    loop {
        let entry = person
            .browser
            .execute(
                "return sessionStorage.getItem('finish:' + arguments[0]);",
                json!([REGISTER_FINISH]),
            )
            .await;
        if entry.is_string() {
            return person.recorded_finish(REGISTER_FINISH).await;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page never sent its finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn user(app: &TestApp, username: &str) -> UserRow {
    let username = username.to_owned();
    app.db(move |conn| db::users::find_by_username(conn, &username))
        .unwrap_or_else(|| panic!("no user"))
}

fn passkeys_of(app: &TestApp, username: &str) -> Vec<PasskeyRow> {
    let id = user(app, username).id;
    app.db(move |conn| db::passkeys::for_user(conn, &id))
}

fn audit_kinds(app: &TestApp) -> Vec<String> {
    let filter = AuditFilter {
        kind_prefix: Some("passkey.".into()),
        ..AuditFilter::default()
    };
    app.db(move |conn| db::audit::search(conn, &filter, 100))
        .into_iter()
        .map(|row| row.kind)
        .collect()
}
