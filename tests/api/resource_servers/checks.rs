//! What every example must do, checked the same way for each.

use gatehouse::crypto::SigningAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::examples::{Answer, RunningExample};
use super::forge;
use super::school::{LIBRARY, SCHOOL, School, Tokens, payload};
use crate::helpers::TestApp;

fn now() -> i64 {
    use gatehouse::clock::Clock;
    gatehouse::clock::SystemClock.now()
}

#[track_caller]
fn assert_ok(example: &RunningExample, what: &str, answer: &Answer) {
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}: {what}: {answer:?}\n{}",
        example.name,
        example.output()
    );
}

/// 401 with `error="invalid_token"` in the body and the challenge.
#[track_caller]
fn assert_invalid_token(example: &RunningExample, what: &str, answer: &Answer) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{}: {what} must be refused: {answer:?}",
        example.name
    );
    assert_eq!(answer.error(), "invalid_token", "{}: {what}", example.name);
    let challenge = answer.challenge();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{}: {what}: WWW-Authenticate {challenge:?}",
        example.name
    );
}

/// Both routes refuse `token` with 401 (never 403: the token itself is bad).
async fn assert_refused(example: &RunningExample, what: &str, token: &str) {
    let answer = example.profile(Some(token)).await;
    assert_invalid_token(example, &format!("GET /profile with {what}"), &answer);
    let answer = example.delete_student("42", Some(token)).await;
    assert_invalid_token(example, &format!("DELETE with {what}"), &answer);
}

/// The teaching pair: everyone signed in reads their profile; only a holder
/// of `students:delete` deletes; no token is a 401 with a bare challenge.
pub async fn authorizes_by_permission(school: &School, example: &RunningExample) {
    let name = example.name;
    let suman = school.user_tokens("suman", SCHOOL).await;
    let rahul = school.user_tokens("rahul", SCHOOL).await;
    let reporter = school.reporter_token().await;

    // suman, a school-admin, deletes a student.
    let answer = example
        .delete_student("42", Some(&suman.access_token))
        .await;
    assert_ok(example, "suman deletes a student", &answer);
    assert_eq!(answer.body["deleted"], "42", "{name}");
    assert_eq!(answer.body["by"], school.sub_of("suman"), "{name}");

    // Both see their own profile.
    for (username, tokens, role) in [
        ("suman", &suman, "school-admin"),
        ("rahul", &rahul, "student"),
    ] {
        let answer = example.profile(Some(&tokens.access_token)).await;
        assert_ok(example, &format!("{username} reads the profile"), &answer);
        assert_eq!(answer.body["sub"], school.sub_of(username), "{name}");
        assert_eq!(answer.body["client_id"], "school-web", "{name}");
        let roles = answer.body["roles"].as_array().unwrap();
        assert!(
            roles.contains(&json!(role)),
            "{name}: {username}: {roles:?}"
        );
    }

    // rahul, a student, may not delete: 403 insufficient_scope naming the
    // permission.
    let answer = example
        .delete_student("42", Some(&rahul.access_token))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{name}: {answer:?}");
    assert_eq!(answer.error(), "insufficient_scope", "{name}");
    let challenge = answer.challenge();
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"students:delete\""),
        "{name}: WWW-Authenticate {challenge:?}"
    );

    // The reporter service account: its own sub, may read, may not delete.
    let answer = example.profile(Some(&reporter.access_token)).await;
    assert_ok(example, "the reporter reads", &answer);
    assert_eq!(answer.body["sub"], "reporter", "{name}");
    assert_eq!(
        answer.body["permissions"],
        json!(["students:read"]),
        "{name}"
    );
    let answer = example
        .delete_student("42", Some(&reporter.access_token))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{name}: {answer:?}");

    // No token: 401 and a challenge without an error code (RFC 6750 §3.1),
    // on both routes (not 403: the caller has not said who it is).
    for answer in [
        example.profile(None).await,
        example.delete_student("42", None).await,
        example
            .profile_with_authorization("Basic c3VtYW46cHc=")
            .await,
        example.profile_with_authorization("Bearer ").await,
    ] {
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {answer:?}"
        );
        let challenge = answer.challenge();
        assert!(
            challenge.starts_with("Bearer ") && !challenge.contains("error="),
            "{name}: WWW-Authenticate {challenge:?}"
        );
    }
}

/// Everything that must not pass, each differing from an acceptable token
/// in one way.
pub async fn rejects_bad_tokens(school: &School, example: &RunningExample) {
    let name = example.name;
    let app = &school.app;

    // Control: tokens forged with Gatehouse's own keys are accepted, with
    // each of the algorithms it publishes, so the refusals below are due to
    // the one thing each changes.
    let good = forge::school_admin_claims(app, &school.sub_of("suman"));
    for alg in SigningAlgorithm::ALL {
        let token = forge::signed_by_gatehouse(app, alg, "at+jwt", &good);
        let answer = example.delete_student("7", Some(&token)).await;
        assert_ok(example, &format!("a valid {alg} token"), &answer);
    }
    let token =
        forge::signed_by_gatehouse(app, SigningAlgorithm::ES256, "application/at+jwt", &good);
    assert_ok(
        example,
        "typ application/at+jwt",
        &example.profile(Some(&token)).await,
    );

    // A token for another API (suman may lend books, but this is the
    // school).
    let library = school.user_tokens("suman", LIBRARY).await;
    let aud = library.claims()["aud"].clone();
    assert!(
        aud.as_array().unwrap().contains(&json!(LIBRARY)) && !aud.to_string().contains(SCHOOL),
        "{aud}"
    );
    assert_refused(example, "a token for another API", &library.access_token).await;

    // Expired: issued an hour ago by Gatehouse's clock.
    app.clock.advance(-3600);
    let expired = school.user_tokens("suman", SCHOOL).await;
    app.clock.advance(3600);
    let exp = expired.claims()["exp"].as_i64().unwrap();
    assert!(exp < now() - 60, "exp {exp} should lie in the past");
    assert_refused(example, "an expired token", &expired.access_token).await;

    // Not yet valid: issued an hour from now.
    app.clock.advance(3600);
    let early = school.user_tokens("suman", SCHOOL).await;
    app.clock.advance(-3600);
    assert_refused(
        example,
        "a token whose nbf is in the future",
        &early.access_token,
    )
    .await;

    // Signed by a key Gatehouse never published.
    let foreign = forge::signed_by_foreign_key(&good);
    assert_refused(example, "a token signed by a foreign key", &foreign).await;

    // alg none, and HS256 keyed with the published public key.
    let (kid, secrets) = forge::public_key_secrets(app);
    assert_refused(example, "alg none", &forge::unsigned(&kid, &good)).await;
    for (form, secret) in secrets {
        let token = forge::hs256(&kid, &secret, &good);
        assert_refused(
            example,
            &format!("HS256 keyed with the public key ({form})"),
            &token,
        )
        .await;
    }

    // Real signatures, one claim or header wrong.
    let es256 = |typ: &str, claims: &Value| {
        forge::signed_by_gatehouse(app, SigningAlgorithm::ES256, typ, claims)
    };
    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        claims
    };
    let without = |name: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().unwrap().remove(name);
        claims
    };
    let cases: Vec<(&str, String)> = vec![
        ("typ JWT (an ID token's type)", es256("JWT", &good)),
        ("an empty typ", es256("", &good)),
        (
            "another issuer",
            es256("at+jwt", &with("iss", json!("https://evil.example.com"))),
        ),
        (
            "another audience",
            es256("at+jwt", &with("aud", json!(LIBRARY))),
        ),
        ("no audience", es256("at+jwt", &without("aud"))),
        (
            "exp in the past",
            es256("at+jwt", &with("exp", json!(now() - 600))),
        ),
        ("no exp", es256("at+jwt", &without("exp"))),
        (
            "nbf in the future",
            es256("at+jwt", &with("nbf", json!(now() + 600))),
        ),
    ];
    for (what, token) in cases {
        assert_refused(example, what, &token).await;
    }

    // The ID token: Gatehouse's signature, but typ JWT and aud the client.
    let tokens = school.user_tokens("suman", SCHOOL).await;
    let id_token = tokens
        .id_token
        .clone()
        .expect("an ID token for scope=openid");
    assert_refused(example, "an ID token", &id_token).await;

    // rahul's token with its payload edited to grant the delete permission.
    let rahul = school.user_tokens("rahul", SCHOOL).await;
    let tampered = tamper(&rahul, |claims| {
        claims["permissions"] = json!(["students:delete", "students:read"]);
    });
    assert_refused(example, "a token whose payload was edited", &tampered).await;
    assert_refused(example, "garbage", "not.a.jwt").await;
    let _ = name;
}

/// `tokens`' access token with its payload changed and the old signature.
fn tamper(tokens: &Tokens, change: impl FnOnce(&mut Value)) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut claims = payload(&tokens.access_token);
    change(&mut claims);
    let parts: Vec<&str> = tokens.access_token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

/// A token from a key Gatehouse published after the example cached the
/// JWKS: the example fetches the set again and accepts it.
pub async fn follows_key_rotation(school: &School, example: &RunningExample) {
    let before = school.user_tokens("suman", SCHOOL).await;
    assert_ok(
        example,
        "a token before the rotation",
        &example
            .delete_student("1", Some(&before.access_token))
            .await,
    );
    let app = &school.app;
    let now = gatehouse::clock::Clock::now(app.clock.as_ref());
    let new_kid = app.db(|conn| {
        let kid = app
            .state
            .keys
            .rotate(conn, SigningAlgorithm::ES256, now, true)
            .unwrap();
        // The store changes only the table; this server re-reads it now.
        app.state.keys.refresh(conn, now).unwrap();
        Ok(kid)
    });
    let after = school.user_tokens("suman", SCHOOL).await;
    let header = header_of(&after.access_token);
    assert_eq!(header["kid"], new_kid, "the new key must sign at once");
    assert_ok(
        example,
        "a token signed by the new key",
        &example.delete_student("2", Some(&after.access_token)).await,
    );
    // The old key is still published (and cached), so its tokens still pass.
    assert_ok(
        example,
        "a token signed by the previous key",
        &example.profile(Some(&before.access_token)).await,
    );
}

fn header_of(jwt: &str) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// With the issuer unreachable nothing can be verified: 503, never a pass.
/// (`app` signs a token that would otherwise be accepted.)
pub async fn fails_closed_without_keys(app: &TestApp, example: &RunningExample) {
    let claims = forge::school_admin_claims(app, "c769ae00-bfe8-4d56-b76e-74a68167c2d5");
    let token = forge::signed_by_gatehouse(app, SigningAlgorithm::ES256, "at+jwt", &claims);
    let answer = example.delete_student("42", Some(&token)).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}: {answer:?}",
        example.name
    );
    // Still a 401 for a request without a token: no keys are needed for that.
    let answer = example.profile(None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", example.name);
}
