//! `/admin/api/v1/users`: create, read, search and page, update, passwords,
//! disable/enable, unlock, delete, roles and sessions — each checked by its
//! effect on signing in and on tokens, and by its audit event.

use std::collections::BTreeSet;

use gatehouse::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    ADMIN_API, Api, PASSWORD, add_console, browser, claims, new_user, prompt_none_error, refresh,
    roles_of, sign_in, urlencode,
};
use crate::helpers::TestApp;

fn usernames(page: &Value) -> Vec<String> {
    page["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users: {page}"))
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_user_is_listed_and_signs_in_with_the_roles_given() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    assert_eq!(
        admin.get("/users").await.expect(200),
        &json!({"users": [], "next": null})
    );

    let mut body = new_user("alice");
    body["roles"] = json!(["admin"]);
    body["email_verified"] = json!(true);
    let created = admin.post("/users", body).await.expect(201).clone();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(uuid_like(&id), "{id}");
    let now = app.clock.now();
    assert_eq!(
        created,
        json!({
            "id": id,
            "username": "alice",
            "email": "alice@example.com",
            "email_verified": true,
            "name": "User alice",
            "disabled": false,
            "roles": ["admin"],
            "created_at": now,
            "updated_at": now,
        })
    );
    assert_eq!(admin.get("/users/alice").await.expect(200), &created);
    let page = admin.get("/users").await.expect(200).clone();
    assert_eq!(page["users"], json!([created.clone()]));

    // The user signs in with that password; the token carries the role.
    let tokens = sign_in(&app, &browser(), &console, "alice", PASSWORD)
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["sub"], id.as_str());
    assert_eq!(claims(access)["roles"], json!(["admin"]));
    // And administers in turn.
    Api::new(&app, access).get("/users/alice").await.expect(200);

    let event = admin.audited("admin.user.created", &id).await;
    assert_eq!(
        event["details"],
        json!({"username": "alice", "roles": ["admin"]})
    );

    // Usernames may hold `@` and `.`, which travel in the path as they are.
    admin
        .post("/users", json!({"username": "kim.lee@example.com"}))
        .await
        .expect(201);
    let kim = admin
        .get("/users/kim.lee@example.com")
        .await
        .expect(200)
        .clone();
    assert_eq!(kim["username"], "kim.lee@example.com");
    assert_eq!(kim["email"], Value::Null);
    assert_eq!(kim["roles"], json!([]));
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn user_creation_is_validated_and_all_or_nothing() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;

    for (body, what) in [
        (json!({"username": "bad name"}), "a space"),
        (json!({"username": ""}), "empty"),
        (json!({"username": "x".repeat(65)}), "too long"),
        (json!({"username": "<script>"}), "markup"),
        (
            json!({"username": "carol", "email": "not-an-address"}),
            "a bad email",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            "a short password",
        ),
    ] {
        let reply = admin.post("/users", body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            reply.body
        );
        reply.expect_error(422, "invalid_input");
    }

    // An unknown role: nothing is created, not even the user row.
    let mut body = new_user("carol");
    body["roles"] = json!(["admin", "no-such-role"]);
    let message = admin
        .post("/users", body)
        .await
        .expect_error(404, "not_found");
    assert!(message.contains("no-such-role"), "{message}");
    admin
        .get("/users/carol")
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        usernames(admin.get("/users?q=carol").await.expect(200)),
        Vec::<String>::new()
    );
    assert_eq!(
        sign_in(&app, &browser(), &console, "carol", PASSWORD)
            .await
            .unwrap_err(),
        StatusCode::UNAUTHORIZED
    );

    // The same user, asked for properly, is created.
    let carol = admin
        .post("/users", new_user("carol"))
        .await
        .expect(201)
        .clone();
    // A duplicate username.
    let message = admin
        .post("/users", new_user("carol"))
        .await
        .expect_error(409, "conflict");
    assert!(message.contains("carol"), "{message}");
    // The duplicate changed nothing.
    assert_eq!(admin.get("/users/carol").await.expect(200), &carol);

    // Refused attempts leave no audit event; the success leaves one.
    let events = admin.admin_events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    admin
        .audited("admin.user.created", carol["id"].as_str().unwrap())
        .await;

    // A user without a password exists but cannot sign in with one.
    admin
        .post("/users", json!({"username": "nopass"}))
        .await
        .expect(201);
    assert_eq!(
        sign_in(&app, &browser(), &console, "nopass", "")
            .await
            .unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn users_are_searched_by_prefix_and_paged_by_username_then_email() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let mut everyone: Vec<String> = Vec::new();
    for (username, email) in [
        ("anna", Some("anna@example.com")),
        ("annabel", Some("bel@example.com")),
        ("andre", Some("dre@corp.example")),
        ("bob", Some("annette@example.org")),
        ("carl", Some("anb@example.org")),
        ("abe", Some("anz@example.org")),
        ("zoe", None),
    ] {
        admin
            .post("/users", json!({"username": username, "email": email}))
            .await
            .expect(201);
        everyone.push(username.to_owned());
    }
    for n in 0..18 {
        let username = format!("u{n:02}");
        admin
            .post(
                "/users",
                json!({"username": username, "email": format!("{username}@example.net")}),
            )
            .await
            .expect(201);
        everyone.push(username);
    }
    everyone.sort();
    assert_eq!(everyone.len(), 25);

    // Username prefix, email prefix, or both: those whose username matches
    // first, by username, then those matched by email only, by email —
    // each an index range read in order, at any number of users.
    let search = |q: &str| {
        let admin = &admin;
        let path = format!("/users?q={}", urlencode(q));
        async move { usernames(admin.get(&path).await.expect(200)) }
    };
    assert_eq!(
        search("an").await,
        ["andre", "anna", "annabel", "carl", "bob", "abe"]
    );
    assert_eq!(search("ann").await, ["anna", "annabel", "bob"]);
    assert_eq!(search("anna").await, ["anna", "annabel"]);
    assert_eq!(search("annab").await, ["annabel"]);
    assert_eq!(search("bel@").await, ["annabel"]);
    assert_eq!(search("dre@corp").await, ["andre"]);
    assert_eq!(
        search("u1").await,
        (10..18).map(|n| format!("u{n}")).collect::<Vec<_>>()
    );
    assert_eq!(search("zz").await, Vec::<String>::new());
    // A prefix, not a substring or a pattern.
    assert_eq!(search("nna").await, Vec::<String>::new());
    assert_eq!(search("a%").await, Vec::<String>::new());
    assert_eq!(search("_").await, Vec::<String>::new());
    assert_eq!(search("").await, everyone);

    // Keyset pages: every user exactly once, in order, `next` until the end.
    for limit in [1, 4, 5, 7, 23, 50] {
        let (seen, pages) = walk(&admin, "", limit).await;
        assert_eq!(seen, everyone, "limit {limit}");
        assert_eq!(
            pages,
            everyone.len().div_ceil(limit),
            "limit {limit}: pages"
        );
    }
    // Pages of a search, across both runs, each user once.
    for limit in [1, 2, 3, 4, 6] {
        let (seen, _) = walk(&admin, "q=an&", limit).await;
        assert_eq!(
            seen,
            ["andre", "anna", "annabel", "carl", "bob", "abe"],
            "limit {limit}"
        );
    }
    let (seen, pages) = walk(&admin, "q=u&", 4).await;
    assert_eq!(
        seen,
        (0..18).map(|n| format!("u{n:02}")).collect::<Vec<_>>()
    );
    assert_eq!(pages, 5);
    // `after` by hand.
    assert_eq!(
        usernames(admin.get("/users?after=anna&limit=2").await.expect(200)),
        ["annabel", "bob"]
    );
    assert_eq!(
        usernames(admin.get("/users?q=an&after=anna").await.expect(200)),
        ["annabel", "carl", "bob", "abe"]
    );
    // `limit` is clamped to 1..=200.
    assert_eq!(
        usernames(admin.get("/users?limit=0").await.expect(200)),
        ["abe"]
    );
    assert_eq!(
        usernames(admin.get("/users?limit=-3").await.expect(200)),
        ["abe"]
    );
    assert_eq!(
        usernames(admin.get("/users?limit=100000").await.expect(200)),
        everyone
    );
}

/// Follows `next` from the first page; returns the usernames seen and the
/// number of pages.
async fn walk(admin: &Api<'_>, query: &str, limit: usize) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(after) => format!("/users?{query}limit={limit}&after={}", urlencode(after)),
            None => format!("/users?{query}limit={limit}"),
        };
        let page = admin.get(&path).await.expect(200).clone();
        pages += 1;
        let names = usernames(&page);
        assert!(names.len() <= limit, "{path}: {page}");
        assert!(!names.is_empty(), "{path}: an empty page: {page}");
        seen.extend(names.iter().cloned());
        // `next` is opaque: a username in the username run, a marked
        // (username, email) pair in the email run.
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.contains(names.last().unwrap().as_str()), "{path}");
                after = Some(next.to_owned());
            }
            None => {
                assert!(page.get("next").is_some(), "{path}: `next` should be null");
                return (seen, pages);
            }
        }
        assert!(pages < 100, "{path}: does not end");
    }
}

#[tokio::test]
async fn a_profile_is_updated_field_by_field() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    let created = admin
        .post("/users", new_user("dave"))
        .await
        .expect(201)
        .clone();
    let id = created["id"].as_str().unwrap();

    app.clock.advance(5);
    let updated = admin
        .patch(
            "/users/dave",
            json!({"name": "Dave Dee", "email_verified": true}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(updated["name"], "Dave Dee");
    assert_eq!(updated["email"], "dave@example.com", "untouched");
    assert_eq!(updated["email_verified"], true);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_eq!(updated["updated_at"], app.clock.now());

    let updated = admin
        .patch("/users/dave", json!({"email": "  dave@new.example  "}))
        .await
        .expect(200)
        .clone();
    assert_eq!(updated["email"], "dave@new.example");
    assert_eq!(updated["name"], "Dave Dee", "untouched");
    assert_eq!(
        updated["email_verified"], false,
        "nobody has verified the new address"
    );

    // Empty strings remove.
    let updated = admin
        .patch("/users/dave", json!({"email": "", "name": "  "}))
        .await
        .expect(200)
        .clone();
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["name"], Value::Null);
    assert_eq!(admin.get("/users/dave").await.expect(200), &updated);

    // Refused: a bad address (nothing changes), an unknown user.
    admin
        .patch("/users/dave", json!({"email": "nope", "name": "Changed"}))
        .await
        .expect_error(422, "invalid_input");
    assert_eq!(admin.get("/users/dave").await.expect(200), &updated);
    admin
        .patch("/users/nobody", json!({"name": "x"}))
        .await
        .expect_error(404, "not_found");

    // Each event names what changed, newest first.
    let events = admin.audited_times("admin.user.updated", id, 3).await;
    let changed: Vec<&Value> = events.iter().map(|e| &e["details"]["changed"]).collect();
    assert_eq!(
        changed,
        [
            &json!(["email", "name"]),
            &json!(["email", "email_verified"]),
            &json!(["email_verified", "name"]),
        ]
    );
}

#[tokio::test]
async fn setting_a_password_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let erin = admin
        .post("/users", new_user("erin"))
        .await
        .expect(201)
        .clone();
    let new_password = "a brand new passphrase";

    let reply = admin
        .put(
            "/users/erin/password",
            Some(json!({"password": new_password})),
        )
        .await;
    assert_eq!(reply.expect(204), &Value::Null);
    assert_eq!(
        sign_in(&app, &browser(), &console, "erin", PASSWORD)
            .await
            .unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    sign_in(&app, &browser(), &console, "erin", new_password)
        .await
        .unwrap();

    admin
        .put("/users/erin/password", Some(json!({"password": "short"})))
        .await
        .expect_error(422, "invalid_input");
    // The refused one did not replace it.
    sign_in(&app, &browser(), &console, "erin", new_password)
        .await
        .unwrap();
    admin
        .put(
            "/users/nobody/password",
            Some(json!({"password": new_password})),
        )
        .await
        .expect_error(404, "not_found");

    // A user created without a password gets one.
    admin
        .post("/users", json!({"username": "frank"}))
        .await
        .expect(201);
    admin
        .put("/users/frank/password", Some(json!({"password": PASSWORD})))
        .await
        .expect(204);
    sign_in(&app, &browser(), &console, "frank", PASSWORD)
        .await
        .unwrap();

    let event = admin
        .audited("admin.user.password_set", erin["id"].as_str().unwrap())
        .await;
    assert_eq!(event["details"], json!({"username": "erin"}));
    let text = event.to_string();
    assert!(!text.contains(new_password), "the password leaked: {text}");
}

#[tokio::test]
async fn a_disabled_user_gets_no_tokens_until_enabled() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let gina = admin
        .post("/users", new_user("gina"))
        .await
        .expect(201)
        .clone();
    let id = gina["id"].as_str().unwrap();
    let gina_browser = browser();
    let tokens = sign_in(&app, &gina_browser, &console, "gina", PASSWORD)
        .await
        .unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(prompt_none_error(&app, &gina_browser).await, None);

    let disabled = admin
        .post_empty("/users/gina/disable")
        .await
        .expect(200)
        .clone();
    assert_eq!(disabled["disabled"], true);
    assert_eq!(admin.get("/users/gina").await.expect(200)["disabled"], true);

    // No sign-in, no refresh, no session.
    assert_eq!(
        sign_in(&app, &browser(), &console, "gina", PASSWORD)
            .await
            .unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(&app, &console, refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        prompt_none_error(&app, &gina_browser).await.as_deref(),
        Some("login_required")
    );

    // Disabling twice is harmless.
    admin.post_empty("/users/gina/disable").await.expect(200);
    let enabled = admin
        .post_empty("/users/gina/enable")
        .await
        .expect(200)
        .clone();
    assert_eq!(enabled["disabled"], false);
    sign_in(&app, &browser(), &console, "gina", PASSWORD)
        .await
        .unwrap();
    // The old refresh token stays revoked.
    assert_eq!(
        refresh(&app, &console, refresh_token).await.0,
        StatusCode::BAD_REQUEST
    );

    admin
        .post_empty("/users/nobody/disable")
        .await
        .expect_error(404, "not_found");
    admin.audited_times("admin.user.disabled", id, 2).await;
    admin.audited("admin.user.enabled", id).await;
}

#[tokio::test]
async fn unlock_lifts_the_sign_in_throttle() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let hana = admin
        .post("/users", new_user("hana"))
        .await
        .expect(201)
        .clone();
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &browser(), &console, "hana", "wrong password!")
                .await
                .unwrap_err(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Throttled now, even with the right password.
    assert_eq!(
        sign_in(&app, &browser(), &console, "hana", PASSWORD)
            .await
            .unwrap_err(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let reply = admin.post_empty("/users/hana/unlock").await;
    assert_eq!(reply.expect(204), &Value::Null);
    sign_in(&app, &browser(), &console, "hana", PASSWORD)
        .await
        .unwrap();
    // Unlocking an unlocked user is harmless.
    admin.post_empty("/users/hana/unlock").await.expect(204);
    admin
        .post_empty("/users/nobody/unlock")
        .await
        .expect_error(404, "not_found");
    admin
        .audited_times("admin.user.unlocked", hana["id"].as_str().unwrap(), 2)
        .await;
}

#[tokio::test]
async fn a_deleted_user_is_gone() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let ivan = admin
        .post("/users", new_user("ivan"))
        .await
        .expect(201)
        .clone();
    admin.post("/users", new_user("jane")).await.expect(201);
    let ivan_browser = browser();
    let tokens = sign_in(&app, &ivan_browser, &console, "ivan", PASSWORD)
        .await
        .unwrap();

    let reply = admin.delete("/users/ivan").await;
    assert_eq!(reply.expect(204), &Value::Null);
    admin
        .get("/users/ivan")
        .await
        .expect_error(404, "not_found");
    assert_eq!(usernames(admin.get("/users").await.expect(200)), ["jane"]);
    assert_eq!(
        sign_in(&app, &browser(), &console, "ivan", PASSWORD)
            .await
            .unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(&app, &console, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        prompt_none_error(&app, &ivan_browser).await.as_deref(),
        Some("login_required")
    );
    admin
        .delete("/users/ivan")
        .await
        .expect_error(404, "not_found");

    // The name is free again, for a new person with a new `sub`.
    let again = admin
        .post("/users", new_user("ivan"))
        .await
        .expect(201)
        .clone();
    assert_ne!(again["id"], ivan["id"]);
    let event = admin
        .audited("admin.user.deleted", ivan["id"].as_str().unwrap())
        .await;
    assert_eq!(event["details"], json!({"username": "ivan"}));
}

#[tokio::test]
async fn roles_are_granted_and_revoked() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    // Another enabled administrator, so that taking `admin` from Kate
    // leaves one.
    app.add_user("root", &["admin"]);
    app.add_role("editor", ADMIN_API, &[]);
    let kate = admin
        .post("/users", new_user("kate"))
        .await
        .expect(201)
        .clone();
    let id = kate["id"].as_str().unwrap();
    assert_eq!(kate["roles"], json!([]));

    let kate_before = super::user_token(&app, &console, "kate").await;
    Api::new(&app, kate_before.as_str())
        .get("/users")
        .await
        .expect_error(403, "forbidden");

    let granted = admin
        .put("/users/kate/roles/admin", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(granted["roles"], json!(["admin"]));
    // Granting again changes nothing.
    let again = admin
        .put("/users/kate/roles/admin", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(again["roles"], json!(["admin"]));
    let both = admin
        .put("/users/kate/roles/editor", None)
        .await
        .expect(200)
        .clone();
    assert_eq!(roles_of(&both), ["admin", "editor"]);
    assert_eq!(
        roles_of(admin.get("/users/kate").await.expect(200)),
        roles_of(&both)
    );
    // A token keeps what it was granted: the grant counts from the next one.
    Api::new(&app, kate_before.as_str())
        .get("/users")
        .await
        .expect_error(403, "forbidden");
    let kate_token = super::user_token(&app, &console, "kate").await;
    assert_eq!(
        claims(&kate_token)["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        // The roles that grant on the token's audience; `editor` grants
        // nothing on gatehouse-admin.
        ["admin"]
    );

    let revoked = admin
        .delete("/users/kate/roles/admin")
        .await
        .expect(200)
        .clone();
    assert_eq!(revoked["roles"], json!(["editor"]));
    Api::new(&app, kate_token.as_str())
        .get("/users")
        .await
        .expect_error(403, "forbidden");
    // Revoking a role not held is refused, so a typo is noticed.
    admin
        .delete("/users/kate/roles/admin")
        .await
        .expect_error(422, "invalid_input");
    admin
        .put("/users/kate/roles/no-such-role", None)
        .await
        .expect_error(404, "not_found");
    admin
        .delete("/users/kate/roles/no-such-role")
        .await
        .expect_error(404, "not_found");
    admin
        .put("/users/nobody/roles/admin", None)
        .await
        .expect_error(404, "not_found");

    let granted = admin.audited_times("admin.user.role_granted", id, 3).await;
    let roles: BTreeSet<String> = granted
        .iter()
        .map(|e| e["details"]["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, BTreeSet::from(["admin".into(), "editor".into()]));
    let event = admin.audited("admin.user.role_revoked", id).await;
    assert_eq!(
        event["details"],
        json!({"username": "kate", "role": "admin"})
    );
}

#[tokio::test]
async fn sessions_are_listed_and_ended() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let liam = admin
        .post("/users", new_user("liam"))
        .await
        .expect(201)
        .clone();
    admin.post("/users", new_user("mia")).await.expect(201);
    assert_eq!(
        admin.get("/users/liam/sessions").await.expect(200),
        &json!([])
    );

    let (laptop, phone, mia) = (browser(), browser(), browser());
    sign_in(&app, &laptop, &console, "liam", PASSWORD)
        .await
        .unwrap();
    app.clock.advance(3);
    sign_in(&app, &phone, &console, "liam", PASSWORD)
        .await
        .unwrap();
    sign_in(&app, &mia, &console, "mia", PASSWORD)
        .await
        .unwrap();

    let sessions = admin.get("/users/liam/sessions").await.expect(200).clone();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let now = app.clock.now();
    for session in sessions {
        assert!(
            session["sid"].as_str().is_some_and(|s| !s.is_empty()),
            "{session}"
        );
        assert!(session["expires_at"].as_i64().unwrap() > now, "{session}");
        assert!(session["auth_time"].as_i64().unwrap() <= now, "{session}");
        // Never the cookie value.
        assert!(session.get("id").is_none() && session.get("session_id").is_none());
    }
    assert_ne!(sessions[0]["sid"], sessions[1]["sid"]);
    // Newest first.
    assert_eq!(sessions[0]["created_at"], now);

    let reply = admin.delete("/users/liam/sessions").await;
    assert_eq!(reply.expect(204), &Value::Null);
    assert_eq!(
        admin.get("/users/liam/sessions").await.expect(200),
        &json!([])
    );
    assert_eq!(
        prompt_none_error(&app, &laptop).await.as_deref(),
        Some("login_required")
    );
    assert_eq!(
        prompt_none_error(&app, &phone).await.as_deref(),
        Some("login_required")
    );
    // Only Liam's.
    assert_eq!(prompt_none_error(&app, &mia).await, None);
    assert_eq!(
        admin
            .get("/users/mia/sessions")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );

    admin
        .get("/users/nobody/sessions")
        .await
        .expect_error(404, "not_found");
    admin
        .delete("/users/nobody/sessions")
        .await
        .expect_error(404, "not_found");
    let event = admin
        .audited("admin.user.sessions_ended", liam["id"].as_str().unwrap())
        .await;
    assert_eq!(event["details"], json!({"username": "liam", "ended": 2}));
}
