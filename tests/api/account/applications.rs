//! Applications on the account page: those the person consented to, with
//! what they were allowed and when; "Revoke" forgets the consent (the
//! application must ask again) and revokes the refresh tokens it holds for
//! the person, with their access tokens — and nothing of another
//! application's.

use reqwest::StatusCode;

use super::{TestApp, audit, signed_in};
use crate::helpers::browser::{
    Auth, Next, assert_token_error, authorize_url, get, next, refresh, token_ok, tokens_in,
    userinfo_status,
};

#[tokio::test]
async fn revoking_an_application_ends_its_consent_and_its_refresh_tokens() {
    let refreshing = ["--grant", "authorization_code", "--grant", "refresh_token"];
    let app = TestApp::new()
        .with_user("priya", &[])
        .with_client(
            "notes",
            &[&refreshing[..], &["--name", "Class notes"]].concat(),
        )
        .with_client(
            "calendar",
            &[&refreshing[..], &["--name", "Calendar"]].concat(),
        )
        .start()
        .await;
    let person = signed_in(&app, "priya").await;
    let (notes_secret, calendar_secret) = (
        app.secret("notes").to_owned(),
        app.secret("calendar").to_owned(),
    );
    let notes = Auth::Basic("notes", &notes_secret);
    let calendar = Auth::Basic("calendar", &calendar_secret);
    let scope = "openid profile offline_access";
    let notes_tokens = tokens_in(&app, &person.client, notes, "notes", scope, "priya").await;
    let calendar_tokens =
        tokens_in(&app, &person.client, calendar, "calendar", scope, "priya").await;

    let page = person.get("/account").await;
    page.expect(200);
    let text = page.text();
    for wanted in [
        "<strong>Class notes</strong>",
        "<strong>Calendar</strong>",
        "Stay signed in when you are away (refresh tokens) <span class=\"muted\">(offline_access)</span>",
        "name=\"client_id\" value=\"notes\"",
        "name=\"client_id\" value=\"calendar\"",
    ] {
        assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
    }

    let revoked = person
        .submit("/account/applications/revoke", &[("client_id", "notes")])
        .await;
    assert_eq!(revoked.location(), "/account?notice=revoked");
    let page = person.get("/account?notice=revoked").await;
    assert!(!page.html.contains("Class notes"), "{}", page.html);
    assert!(page.html.contains("Calendar"));
    assert!(page.notice().unwrap_or_default().contains("withdrawn"));

    // Its refresh token stops working, and the access token issued with it.
    let answer = refresh(&app, notes, notes_tokens.refresh_token(), &[]).await;
    assert_token_error(answer, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(
        userinfo_status(&app, notes_tokens.access_token()).await,
        401
    );
    // The other application's go on.
    let answer = refresh(&app, calendar, calendar_tokens.refresh_token(), &[]).await;
    token_ok(answer).await;

    // Its next sign-in asks for consent again; the other's does not.
    let asks = next(
        &app,
        get(&person.client, &authorize_url(&app, "notes", scope, &[])).await,
    )
    .await;
    assert!(matches!(asks, Next::Consent(_)), "{asks:?}");
    let goes = next(
        &app,
        get(&person.client, &authorize_url(&app, "calendar", scope, &[])).await,
    )
    .await;
    assert!(matches!(goes, Next::Client(_)), "{goes:?}");

    let events = audit(&app, "consent.revoked");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(
        events[0].details.contains("\"client_id\":\"notes\""),
        "{events:#?}"
    );

    // Revoking again (a second tab) says it is done already.
    let again = person
        .submit("/account/applications/revoke", &[("client_id", "notes")])
        .await;
    again.expect(422);
    assert_eq!(
        again.error().as_deref(),
        Some("That application no longer has your consent.")
    );
}
