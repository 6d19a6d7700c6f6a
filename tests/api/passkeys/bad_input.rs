//! The passkey endpoints over plain HTTP: what they ask of a browser
//! (creation options), and their answers to bad input — readable JSON
//! errors with 4xx statuses, never a 500.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::on_localhost;
use crate::helpers::{TestApp, browser::Person};

const START: &str = "/account/passkeys/register/start";
const FINISH: &str = "/account/passkeys/register/finish";

/// POSTs `body` as JSON with `csrf` in the header (if any): status and JSON.
async fn post_json(
    person: &Person<'_>,
    path: &str,
    csrf: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = person
        .client
        .post(person.app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("POST {path}: {status} not JSON ({e}): {text}"));
    (status, json)
}

fn message(json: &Value) -> String {
    json["error"].as_str().unwrap_or_default().to_owned()
}

async fn signed_in(app: &TestApp) -> Person<'_> {
    let person = Person::new(app);
    person.sign_in("amara", "/account/passkeys").await;
    person
}

#[tokio::test]
async fn creation_options_ask_for_a_discoverable_credential_with_user_verification() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let person = signed_in(&app).await;
    let csrf = person.csrf();
    let (status, json) = post_json(&person, START, Some(&csrf), r#"{"name":"Laptop"}"#).await;
    assert_eq!(status, 200, "{json}");
    assert!(
        json["ceremony"].as_str().is_some_and(|c| c.len() >= 43),
        "{json}"
    );
    let options = &json["options"]["publicKey"];
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{json}");
    assert_eq!(selection["requireResidentKey"], true, "{json}");
    assert_eq!(selection["userVerification"], "required", "{json}");
    assert_eq!(options["rp"]["id"], "localhost", "{json}");
    assert_eq!(options["user"]["name"], "amara", "{json}");
    assert!(options["challenge"].as_str().is_some_and(|c| !c.is_empty()));
}

#[tokio::test]
async fn bad_registration_requests_get_readable_refusals_never_a_500() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let person = signed_in(&app).await;
    let token = person.csrf();
    let csrf = Some(token.as_str());

    let (status, json) = post_json(&person, START, None, "{}").await;
    assert_eq!(status, 403, "{json}");
    assert!(message(&json).contains("expired"), "{json}");
    let (status, json) = post_json(&person, START, Some("forged"), "{}").await;
    assert_eq!(status, 403, "{json}");

    let cases: &[(&str, &str, u16, &str)] = &[
        (START, "{", 400, "not valid JSON"),
        (START, "[1, 2", 400, "not valid JSON"),
        (START, "[1, 2]", 400, "must be a JSON object"),
        (START, r#"{"name": 5}"#, 400, "at name"),
        (
            START,
            &format!(r#"{{"name": "{}"}}"#, "x".repeat(65)),
            400,
            "at most 64",
        ),
        (FINISH, "not json at all", 400, "not valid JSON"),
        (FINISH, r#"{"name": "x"}"#, 400, "missing field `ceremony`"),
        (
            FINISH,
            r#"{"ceremony": "c", "credential": {}}"#,
            400,
            "malformed",
        ),
        (
            FINISH,
            r#"{"ceremony": "c", "credential": {"id": "a", "rawId": "!!", "type": "public-key",
                "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}}"#,
            400,
            "malformed",
        ),
        (
            FINISH,
            r#"{"ceremony": "no-such-ceremony", "credential": {"id": "AA", "rawId": "AA",
                "type": "public-key", "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}}"#,
            400,
            "expired or was already used",
        ),
    ];
    for (path, body, expected, says) in cases {
        let (status, json) = post_json(&person, path, csrf, body).await;
        assert_eq!(status.as_u16(), *expected, "{path} {body}: {json}");
        let text = message(&json);
        assert!(
            text.contains(says),
            "{path} {body}: {text:?} lacks {says:?}"
        );
        assert!(text.ends_with('.'), "{text:?} is not a sentence");
    }

    // Not JSON at all as a content type.
    let response = person
        .client
        .post(app.url(START))
        .header("x-csrf-token", &token)
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn adding_or_removing_asks_for_a_fresh_sign_in_after_five_minutes() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let person = signed_in(&app).await;
    let csrf = person.csrf();
    app.clock.advance(5 * 60 + 1);
    let (status, json) = post_json(&person, START, Some(&csrf), "{}").await;
    assert_eq!(status, 401, "{json}");
    assert!(message(&json).contains("sign in again"), "{json}");
    assert_eq!(
        json["sign_in"],
        "/login?return_to=%2Faccount%2Fpasskeys&reason=recent"
    );

    // The page itself still opens; removing goes by the login page.
    person.get("/account/passkeys").await.expect(200);
    let removal = person.submit("/account/passkeys/some-id/remove", &[]).await;
    assert_eq!(
        removal.location(),
        "/login?return_to=%2Faccount%2Fpasskeys&reason=recent"
    );
}

#[tokio::test]
async fn the_page_needs_a_sign_in_and_changes_only_touch_ones_own_passkeys() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let stranger = Person::new(&app);
    let page = stranger.get("/account/passkeys").await;
    assert_eq!(page.location(), "/login?return_to=%2Faccount%2Fpasskeys");

    let person = signed_in(&app).await;
    let page = person.get("/account/passkeys").await;
    page.expect(200);
    assert!(
        page.html.contains("You have no passkeys yet"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("id=\"passkey-register\""),
        "{}",
        page.html
    );
    for action in ["rename", "remove"] {
        let answer = person
            .submit(
                &format!("/account/passkeys/not-mine/{action}"),
                &[("name", "Mine now")],
            )
            .await;
        answer.expect(400);
        assert_eq!(
            answer.error().as_deref(),
            Some("That passkey is not one of yours."),
            "{action}"
        );
    }
    // A form without its CSRF token is refused.
    let forged = person
        .post("/account/passkeys/not-mine/remove", &[("csrf_token", "x")])
        .await;
    forged.expect(403);
}

#[tokio::test]
async fn passwordless_sign_in_options_and_bad_finishes() {
    let app = on_localhost(TestApp::new().with_user("amara", &[]))
        .start()
        .await;
    let person = Person::new(&app);
    // The login page sets the CSRF cookie the script sends back.
    let login = person.get("/login?return_to=%2Faccount%2Fpasskeys").await;
    login.expect(200);
    let csrf = login.value("csrf_token").unwrap();
    let (status, json) = post_json(
        &person,
        "/login/passkey/start",
        Some(&csrf),
        r#"{"return_to": "/account/passkeys"}"#,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["options"]["mediation"], "conditional", "{json}");
    let options = &json["options"]["publicKey"];
    assert_eq!(options["userVerification"], "required", "{json}");
    assert_eq!(options["rpId"], "localhost", "{json}");
    let ceremony = json["ceremony"].as_str().unwrap().to_owned();

    let fake = json!({ "id": "AA", "rawId": "AA", "type": "public-key", "response": {
        "authenticatorData": "AA", "clientDataJSON": "AA", "signature": "AA", "userHandle": null } });
    let cases = [
        ("{", 400, "not valid JSON"),
        (r#"{"ceremony": 1}"#, 400, "at ceremony"),
        // Neither a request nor a page to go back to.
        (r#"{"ceremony": "x", "credential": {}}"#, 400, "expired"),
        (
            r#"{"ceremony": "x", "credential": {"id": "x"}, "return_to": "/account/passkeys"}"#,
            400,
            "malformed",
        ),
        (
            &json!({ "ceremony": "unknown", "credential": fake, "return_to": "/account/passkeys" })
                .to_string()[..],
            400,
            "expired or was already used",
        ),
        // A real ceremony, but an answer no authenticator gave.
        (
            &json!({ "ceremony": ceremony, "credential": fake, "return_to": "/account/passkeys" })
                .to_string()[..],
            401,
            "could not be verified",
        ),
        // That ceremony is spent now.
        (
            &json!({ "ceremony": ceremony, "credential": fake, "return_to": "/account/passkeys" })
                .to_string()[..],
            400,
            "expired or was already used",
        ),
    ];
    for (body, expected, says) in cases {
        let (status, json) = post_json(&person, "/login/passkey/finish", Some(&csrf), body).await;
        assert_eq!(status.as_u16(), expected, "{body}: {json}");
        assert!(message(&json).contains(says), "{body}: {json}");
    }
}
