//! What the access tokens say: the same person gets different permissions
//! per API, exactly as the role grants say, and a role change shows in the
//! next token (not in tokens already issued).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::examples::RunningExample;
use super::school::{LIBRARY, SCHOOL, School};

fn set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn strings(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn tokens_carry_the_permissions_of_their_audience_only() {
    let school = School::spawn().await;
    let userinfo = format!("{}/userinfo", school.app.issuer);
    // A token names the roles that grant something on its audience, and
    // the permissions those roles grant there (issue 10: roles that mean
    // nothing to an API are none of its business).
    let matrix: [(&str, &str, &[&str], &[&str]); 4] = [
        (
            "suman",
            SCHOOL,
            &["school-admin"],
            &["students:delete", "students:read"],
        ),
        (
            "suman",
            LIBRARY,
            &["librarian"],
            &["books:lend", "books:read"],
        ),
        ("rahul", SCHOOL, &["student"], &["students:read"]),
        ("rahul", LIBRARY, &["student"], &["books:read"]),
    ];
    for (username, api, roles, permissions) in matrix {
        let claims = school.user_tokens(username, api).await.claims();
        let case = format!("{username} on {api}: {claims}");
        assert_eq!(claims["sub"], school.sub_of(username), "{case}");
        assert_eq!(claims["iss"], school.app.issuer, "{case}");
        assert_eq!(claims["client_id"], "school-web", "{case}");
        // scope=openid adds the userinfo endpoint to the audience.
        assert_eq!(set(&claims["aud"]), strings(&[api, &userinfo]), "{case}");
        assert_eq!(set(&claims["roles"]), strings(roles), "{case}");
        assert_eq!(set(&claims["permissions"]), strings(permissions), "{case}");
    }

    // The service account: its client roles, its permissions on its API,
    // and a plain-string audience (no openid, no userinfo).
    let claims = school.reporter_token().await.claims();
    assert_eq!(claims["sub"], "reporter", "{claims}");
    assert_eq!(claims["aud"], SCHOOL, "{claims}");
    assert_eq!(claims["roles"], json!(["report-reader"]), "{claims}");
    assert_eq!(claims["permissions"], json!(["students:read"]), "{claims}");
}

#[tokio::test]
async fn a_permission_scope_is_granted_only_to_those_who_hold_it() {
    let school = School::spawn().await;
    // Permission scopes must be listed for the client (its default is the
    // standard OpenID Connect scopes).
    let client = school.add_web_client(
        "gradebook",
        &[
            "--resource",
            SCHOOL,
            "--scope",
            "openid",
            "--scope",
            "students:delete",
            "--scope",
            "students:read",
        ],
    );
    let scope = "openid students:delete students:read";
    let granted = |tokens: super::school::Tokens| {
        let claims = tokens.claims();
        claims["scope"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    };
    let suman = school
        .user_tokens_with(&client, "suman", SCHOOL, scope)
        .await;
    assert_eq!(
        granted(suman),
        strings(&["openid", "students:delete", "students:read"])
    );
    let rahul = school
        .user_tokens_with(&client, "rahul", SCHOOL, scope)
        .await;
    assert_eq!(granted(rahul), strings(&["openid", "students:read"]));

    // school-web lists no permission scopes: they are dropped, while the
    // permissions claim still says what suman may do.
    let tokens = school
        .user_tokens_with(&school.web, "suman", SCHOOL, scope)
        .await;
    let claims = tokens.claims();
    assert_eq!(claims["scope"], "openid", "{claims}");
    assert_eq!(
        set(&claims["permissions"]),
        strings(&["students:delete", "students:read"])
    );
}

#[tokio::test]
async fn revoking_a_role_changes_the_next_token_not_the_ones_already_issued() {
    let school = School::spawn().await;
    let example = RunningExample::rust(&school.app.issuer, &[]);
    let before = school.user_tokens("suman", SCHOOL).await;
    assert!(set(&before.claims()["permissions"]).contains("students:delete"));

    school
        .app
        .cli(&["role", "revoke", "school-admin", "suman"], None)
        .ok();

    let after = school.user_tokens("suman", SCHOOL).await;
    let claims = after.claims();
    assert_eq!(claims["roles"], json!([]), "{claims}");
    assert_eq!(claims["permissions"], json!([]), "{claims}");
    let answer = example
        .delete_student("42", Some(&after.access_token))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
    // Still a profile: any valid token will do.
    let answer = example.profile(Some(&after.access_token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");

    // A resource server decides from the token alone: the token issued
    // before the change keeps its permissions until it expires (which is
    // why access tokens live minutes, not days).
    let answer = example
        .delete_student("42", Some(&before.access_token))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");

    // Granting it again shows in the next token.
    school
        .app
        .cli(&["role", "grant", "school-admin", "suman"], None)
        .ok();
    let again = school.user_tokens("suman", SCHOOL).await;
    assert!(set(&again.claims()["permissions"]).contains("students:delete"));
}

/// RFC 6749 §5.1: `scope` is required when the grant differs from the
/// request, optional when equal — and nothing asked, nothing granted.
#[tokio::test]
async fn a_service_token_response_states_its_scope_only_when_one_was_asked_for() {
    let school = School::spawn().await;

    let plain = school.reporter_token_response(&[]).await;
    assert!(plain.get("scope").is_none(), "{plain}");

    let held = school
        .reporter_token_response(&[("scope", "students:read")])
        .await;
    assert_eq!(held["scope"], "students:read", "{held}");

    // Asked for a permission its roles lack: granted nothing, and says so.
    let lacking = school
        .reporter_token_response(&[("scope", "students:delete")])
        .await;
    assert_eq!(lacking["scope"], "", "{lacking}");
}
