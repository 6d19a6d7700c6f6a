//! `/admin/keys`: retiring and revoking one key from the keys page, each a
//! CSRF-protected form through `administration::keys`, audited as the
//! person; revoking asks for a tick and an unknown key is a readable 404.

use gatehouse::crypto::SigningAlgorithm;

use super::{ADMIN_API, Person, add_root, audit, audited_once, console_changes};
use crate::helpers::TestApp;

fn signing_kid(app: &TestApp, alg: SigningAlgorithm) -> String {
    app.state.keys.signer(alg).unwrap().kid().to_owned()
}

/// The state cell of `kid`'s row on the keys page.
fn state_on_page(html: &str, kid: &str) -> String {
    let row = &html[html
        .find(&format!("<tr><td><code>{kid}</code>"))
        .unwrap_or_else(|| panic!("{kid} is not listed"))..];
    // kid, algorithm, state.
    row.split("<td>")
        .nth(3)
        .unwrap()
        .split("</td>")
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_key_is_retired_and_revoked_from_the_keys_page() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;
    let eddsa = signing_kid(&app, SigningAlgorithm::EdDSA);

    let page = admin.get("/admin/keys").await;
    page.expect(200);
    for action in ["retire", "revoke"] {
        assert!(
            page.html
                .contains(&format!("action=\"/admin/keys/{eddsa}/{action}\"")),
            "no {action} form for {eddsa}"
        );
    }

    // Retire: it stops signing, stays published, and a replacement signs.
    let done = admin
        .submit(&format!("/admin/keys/{eddsa}/retire"), &[])
        .await;
    assert_eq!(done.location(), "/admin/keys?notice=key_retired");
    audited_once(&app, "admin.key.retired", &root);
    let replacement = signing_kid(&app, SigningAlgorithm::EdDSA);
    assert_ne!(replacement, eddsa);
    assert!(app.published_kids().await.contains(&eddsa));
    let page = admin.get(&done.location()).await;
    assert_eq!(state_on_page(&page.html, &eddsa), "retired");
    assert!(page.notice().unwrap().starts_with("Key retired"));

    // Revoke needs the tick.
    let path = format!("/admin/keys/{eddsa}/revoke");
    let refused = admin.submit(&path, &[]).await;
    refused.expect(422);
    assert_eq!(
        refused.error().as_deref(),
        Some("Tick the box to confirm the revocation.")
    );
    assert!(app.published_kids().await.contains(&eddsa));

    let done = admin.submit(&path, &[("confirm", "yes")]).await;
    assert_eq!(done.location(), "/admin/keys?notice=key_revoked");
    let event = audited_once(&app, "admin.key.revoked", &root);
    assert_eq!(event.subject.as_deref(), Some(eddsa.as_str()));
    // Gone from the JWKS at once; the replacement keeps signing.
    assert!(!app.published_kids().await.contains(&eddsa));
    assert_eq!(signing_kid(&app, SigningAlgorithm::EdDSA), replacement);
    let page = admin.get(&done.location()).await;
    assert_eq!(state_on_page(&page.html, &eddsa), "revoked");
    assert!(
        !page.html.contains(&format!("action=\"{path}\"")),
        "a revoked key offers no more actions"
    );

    // Twice is harmless, and says so.
    let again = admin.submit(&path, &[("confirm", "yes")]).await;
    assert_eq!(again.location(), "/admin/keys?notice=key_already_revoked");
    assert_eq!(audit(&app, "admin.key.revoked").len(), 1);

    // An unknown key: the page again, with a readable reason.
    let changes = console_changes(&app).len();
    for action in ["retire", "revoke"] {
        let unknown = admin
            .submit(
                &format!("/admin/keys/no-such-kid/{action}"),
                &[("confirm", "yes")],
            )
            .await;
        unknown.expect(404);
        assert_eq!(
            unknown.error().as_deref(),
            Some("There is no signing key no-such-kid.")
        );
    }
    admin
        .submit(&format!("/admin/keys/{replacement}/obliterate"), &[])
        .await
        .expect(404);
    assert_eq!(console_changes(&app).len(), changes);
}

#[tokio::test]
async fn revoking_needs_keys_write_and_a_valid_form() {
    let app = TestApp::spawn().await;
    app.add_role("key-reader", ADMIN_API, &["keys:read"]);
    app.add_user("kim", &["key-reader"]);
    add_root(&app);
    let kid = signing_kid(&app, SigningAlgorithm::ES256);
    let path = format!("/admin/keys/{kid}/revoke");

    let reader = Person::signed_in(&app, "kim").await;
    reader.get("/admin/keys").await.expect(200);
    reader
        .submit(&path, &[("confirm", "yes")])
        .await
        .expect(403);

    let admin = Person::signed_in(&app, "root").await;
    admin.get("/admin/keys").await.expect(200);
    for token in ["", "forged-token"] {
        let answer = admin
            .post(&path, &[("csrf_token", token), ("confirm", "yes")])
            .await;
        answer.expect(403);
    }
    assert!(app.published_kids().await.contains(&kid));
    assert!(console_changes(&app).is_empty());
}
