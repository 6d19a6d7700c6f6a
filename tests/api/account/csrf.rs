//! Every form of the account page carries the CSRF token of the
//! double-submit cookie; a POST without it, or with another browser's, is
//! refused with 403 and changes nothing.

use gatehouse::db;

use super::{
    CSRF_COOKIE, NEW_PASSWORD, PASSWORD, Person, TestApp, audit, listed_sids, open_sessions,
    signed_in,
};
use crate::helpers::browser::{Auth, tokens_in};

#[tokio::test]
async fn account_forms_without_this_browsers_token_are_refused() {
    let app = TestApp::new()
        .with_client("notes", &["--grant", "authorization_code"])
        .start()
        .await;
    let priya = app.add_user("priya", &[]);
    let person = signed_in(&app, "priya").await;
    let other = signed_in(&app, "priya").await;
    let secret = app.secret("notes").to_owned();
    tokens_in(
        &app,
        &person.client,
        Auth::Basic("notes", &secret),
        "notes",
        "openid",
        "priya",
    )
    .await;

    // Every form of the page echoes this browser's cookie.
    let page = person.get("/account").await;
    page.expect(200);
    let token = person.cookie(CSRF_COOKIE).unwrap();
    let forms = page.html.matches("<form method=\"post\"").count();
    let tokens = page
        .html
        .matches(&format!("name=\"csrf_token\" value=\"{token}\""))
        .count();
    assert_eq!(forms, tokens, "{}", page.html);
    assert!(forms >= 5, "{}", page.html);

    let other_sid = listed_sids(&page).remove(0);
    let theirs = other.csrf();
    assert_ne!(theirs, token);
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_again", NEW_PASSWORD),
            ],
        ),
        ("/account/sessions/end", vec![("sid", other_sid.as_str())]),
        ("/account/sessions/end-others", vec![]),
        ("/account/applications/revoke", vec![("client_id", "notes")]),
    ];
    for (path, fields) in &forms {
        for csrf in [None, Some(""), Some(theirs.as_str())] {
            let mut form = fields.clone();
            if let Some(csrf) = csrf {
                form.push(("csrf_token", csrf));
            }
            let answer = person.post(path, &form).await;
            answer.expect(403);
            assert!(answer.text().contains("Form expired"), "{answer:?}");
            assert_eq!(answer.header("cache-control"), "no-store");
        }
    }
    // Nothing changed: both sessions, the consent, the password.
    assert_eq!(open_sessions(&app, &priya).len(), 2);
    other.get("/account").await.expect(200);
    let id = priya.clone();
    assert!(
        app.db(move |conn| db::consents::find(conn, &id, "notes"))
            .is_some()
    );
    for kind in ["password.changed", "session.ended", "consent.revoked"] {
        assert!(audit(&app, kind).is_empty(), "{kind}");
    }
    Person::new(&app).sign_in("priya", "/account").await;
}
