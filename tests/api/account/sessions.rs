//! Live sessions on the account page: listed (this one marked), one ended
//! as a logout ends it (the access tokens issued in it are refused at
//! once), all others ended; never this one, and never someone else's.

use gatehouse::db;

use super::{Person, TestApp, audit, listed_sids, open_sessions, signed_in};
use crate::helpers::browser::{Auth, SESSION_COOKIE, token_hash, tokens_in, userinfo_status};

/// The `sid` of the session `person`'s browser holds.
fn sid_of(app: &TestApp, person: &Person<'_>) -> String {
    let hash = token_hash(&person.cookie(SESSION_COOKIE).expect("signed in"));
    app.db(move |conn| db::sessions::find_live(conn, &hash, i64::MIN))
        .expect("a session")
        .sid
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_by_one_or_all_but_this_one() {
    let app = TestApp::new()
        .with_client("web", &["--grant", "authorization_code", "--skip-consent"])
        .start()
        .await;
    let priya = app.add_user("priya", &[]);
    let here = signed_in(&app, "priya").await;
    app.clock.advance(60);
    let laptop = signed_in(&app, "priya").await;
    app.clock.advance(60);
    let phone = signed_in(&app, "priya").await;
    let (here_sid, laptop_sid, phone_sid) = (
        sid_of(&app, &here),
        sid_of(&app, &laptop),
        sid_of(&app, &phone),
    );
    // An application the laptop signed in to: its access token lives in
    // the laptop's session.
    let secret = app.secret("web").to_owned();
    let tokens = tokens_in(
        &app,
        &laptop.client,
        Auth::Basic("web", &secret),
        "web",
        "openid",
        "priya",
    )
    .await;
    assert_eq!(userinfo_status(&app, tokens.access_token()).await, 200);

    // Newest first; this browser is marked and has no "End" button.
    let page = here.get("/account").await;
    page.expect(200);
    assert_eq!(listed_sids(&page), [phone_sid.clone(), laptop_sid.clone()]);
    assert!(!page.html.contains(&here_sid), "{}", page.html);
    assert_eq!(
        page.text().matches("<strong>This browser</strong>").count(),
        1
    );
    assert!(
        page.html
            .contains("action=\"/account/sessions/end-others#sessions\"")
    );

    // End the laptop's session: it is signed out, and its token refused.
    let ended = here
        .submit("/account/sessions/end", &[("sid", &laptop_sid)])
        .await;
    assert_eq!(ended.location(), "/account?notice=session_ended");
    assert_eq!(
        laptop.get("/account").await.location(),
        "/login?return_to=%2Faccount"
    );
    assert_eq!(userinfo_status(&app, tokens.access_token()).await, 401);
    let key = format!("sid:{laptop_sid}");
    assert!(app.db(move |conn| db::revoked_tokens::is_revoked(conn, &key)));
    phone.get("/account").await.expect(200);
    assert_eq!(audit(&app, "session.ended").len(), 1);

    // Ending it again, or this session, is refused beside the list.
    let again = here
        .submit("/account/sessions/end", &[("sid", &laptop_sid)])
        .await;
    again.expect(422);
    assert_eq!(
        again.error().as_deref(),
        Some("That session has already ended.")
    );
    let this_one = here
        .submit("/account/sessions/end", &[("sid", &here_sid)])
        .await;
    this_one.expect(422);
    assert_eq!(
        this_one.error().as_deref(),
        Some("This is the session you are using; sign out to end it.")
    );

    // All the others: the phone is signed out, this browser is not.
    let all = here.submit("/account/sessions/end-others", &[]).await;
    assert_eq!(all.location(), "/account?notice=sessions_ended");
    assert_eq!(
        phone.get("/account").await.location(),
        "/login?return_to=%2Faccount"
    );
    let page = here.get("/account?notice=sessions_ended").await;
    page.expect(200);
    assert!(listed_sids(&page).is_empty(), "{}", page.html);
    assert_eq!(
        page.notice().as_deref(),
        Some("Your other sessions have been ended.")
    );
    let open = open_sessions(&app, &priya);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].sid, here_sid);
    assert_eq!(audit(&app, "session.ended").len(), 2);
}

#[tokio::test]
async fn nobody_ends_a_session_of_someone_else() {
    let app = TestApp::new()
        .with_user("priya", &[])
        .with_user("rahul", &[])
        .start()
        .await;
    let priya = signed_in(&app, "priya").await;
    let rahul = signed_in(&app, "rahul").await;
    let rahul_sid = sid_of(&app, &rahul);

    let answer = priya
        .submit("/account/sessions/end", &[("sid", &rahul_sid)])
        .await;
    answer.expect(422);
    assert_eq!(
        answer.error().as_deref(),
        Some("That session has already ended.")
    );
    rahul.get("/account").await.expect(200);
    // "Everywhere else" is priya's own everywhere.
    priya.submit("/account/sessions/end-others", &[]).await;
    rahul.get("/account").await.expect(200);
}
