//! Who reaches `/account`: a signed-out visitor is sent to the login page
//! and comes back; a signed-in person, whoever they are, sees their name
//! and email and the page's sections; nothing is cached; the landing page
//! and the console link to it; "Sign out" signs out; a session without the
//! second factor a role requires is sent to the second step, as the
//! console's is.

use gatehouse::{accounts::users::NewUser, administration::directory};

use super::{Person, TestApp, signed_in};

#[tokio::test]
async fn a_signed_out_visitor_signs_in_and_comes_back_to_the_account_page() {
    let app = TestApp::new().start().await;
    app.add_user_with(NewUser {
        username: "rahul".into(),
        email: Some("rahul@example.com".into()),
        ..NewUser::default()
    });
    let person = Person::new(&app);

    let away = person.get("/account").await;
    assert_eq!(away.location(), "/login?return_to=%2Faccount");
    assert_eq!(away.header("cache-control"), "no-store");
    let login = person.get("/login?return_to=%2Faccount").await;
    login.expect(200);
    assert!(
        login
            .text()
            .contains("to continue to <strong>your Gatehouse account</strong>"),
        "{}",
        login.html
    );
    person.sign_in("rahul", "/account").await;

    let page = person.get("/account").await;
    page.expect(200);
    assert_eq!(page.header("cache-control"), "no-store");
    let text = page.text();
    for wanted in [
        "<h1>Your account</h1>",
        "rahul · rahul@example.com",
        "Signed in as <strong>rahul</strong>",
        "action=\"/account/password#password\"",
        "href=\"/account/totp\">Authenticator app</a>",
        "href=\"/account/passkeys\">Passkeys</a>",
        "<strong>This browser</strong>",
        "You have not allowed any application to use your account.",
        // Sign out: the logout confirmation, with this page's token.
        "action=\"/logout\"",
        "name=\"decision\" value=\"logout\"",
    ] {
        assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn a_session_that_ended_is_signed_out_of_the_account_page_and_its_forms() {
    let app = TestApp::new().with_user("rahul", &[]).start().await;
    let person = signed_in(&app, "rahul").await;
    // A form posted after the session ended goes to the login page, back
    // to the account page.
    let csrf = person.csrf();
    let sign_out = person
        .post("/logout", &[("csrf_token", &csrf), ("decision", "logout")])
        .await;
    sign_out.expect(200);
    assert!(
        sign_out.text().contains("You are signed out"),
        "{sign_out:?}"
    );
    assert_eq!(
        person.get("/account").await.location(),
        "/login?return_to=%2Faccount"
    );
    let answer = person
        .post("/account/sessions/end-others", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.location(), "/login?return_to=%2Faccount");
}

#[tokio::test]
async fn the_landing_page_and_the_console_lead_to_the_account_page() {
    let app = TestApp::new().with_user("root", &["admin"]).start().await;
    let landing = Person::new(&app).get("/").await;
    landing.expect(200);
    assert!(
        landing
            .html
            .contains("<a href=\"/account\">Your account</a>"),
        "{}",
        landing.html
    );
    let directly = Person::new(&app).get("/login").await;
    assert!(
        directly
            .html
            .contains("<a href=\"/account\">Your account</a>")
    );

    let root = Person::signed_in(&app, "root").await;
    let console = root.get("/admin/users").await;
    console.expect(200);
    assert!(
        console
            .html
            .contains("<a href=\"/account\" class=\"account-link\">Your account</a>"),
        "{}",
        console.html
    );
    // The console's session is the account page's.
    root.get("/account").await.expect(200);
}

#[tokio::test]
async fn a_role_requiring_a_second_factor_sends_a_password_only_session_to_the_second_step() {
    let app = TestApp::new().start().await;
    app.operate(|conn, actor, now| directory::create_role(conn, actor, "teacher", "", now));
    app.add_user("rahul", &["teacher"]);
    let person = signed_in(&app, "rahul").await;
    // The role requires a second factor from now on: the session signed in
    // with a password only is asked for one (here: to enrol one) first.
    app.operate(|conn, actor, now| directory::require_mfa(conn, actor, "teacher", true, now));
    let answer = person.get("/account").await;
    assert_eq!(
        answer.location(),
        "/login/second-factor?return_to=%2Faccount"
    );
    let form = person
        .post(
            "/account/sessions/end-others",
            &[("csrf_token", &person.csrf())],
        )
        .await;
    assert_eq!(form.location(), "/login/second-factor?return_to=%2Faccount");
}
