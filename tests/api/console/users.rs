//! `/admin/users` and `/admin/users/{username}`: search and pagination,
//! creating users (and the 422 that keeps what was typed), the per-user
//! forms, and what disabling and deleting do to the user.

use gatehouse::accounts::users::NewUser;
use gatehouse::db::{self, users::UserRow};

use super::{
    PASSWORD, Page, Person, REDIRECT_URI, add_refreshing_client, add_root, audit, audited_once,
    console_changes, find_user, role_names, token, tokens_for, unescape,
};
use crate::helpers::TestApp;

/// `count` users `user000…`, with emails `team+000@example.org…`, straight
/// into the database (no password: they only need to be listed).
fn add_many(app: &TestApp, count: usize) {
    let now = app.now();
    app.db(move |conn| {
        for i in 0..count {
            db::users::insert(
                conn,
                &UserRow {
                    id: db::new_id(),
                    username: format!("user{i:03}"),
                    email: Some(format!("team+{i:03}@example.org")),
                    email_verified: false,
                    name: Some(format!("User {i}")),
                    password_hash: None,
                    disabled: false,
                    created_at: now,
                    updated_at: now,
                    tokens_valid_after: 0,
                },
            )?;
        }
        Ok(())
    });
}

/// The usernames listed on a users page, in order.
fn listed(page: &Page) -> Vec<String> {
    let marker = "<td><a href=\"/admin/users/";
    page.html
        .match_indices(marker)
        .map(|(at, _)| {
            let rest = &page.html[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The "Next page" link of a users page, as the browser would follow it.
fn next_link(page: &Page) -> Option<String> {
    let end = page.html.find("\">Next page")?;
    let start = page.html[..end].rfind("<a href=\"")? + "<a href=\"".len();
    Some(unescape(&page.html[start..end]))
}

/// Follows "Next page" from `first`; returns every page's usernames.
async fn walk(admin: &Person<'_>, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        assert!(pages.len() < 10, "pagination does not end: {path}");
        let page = admin.get(&path).await;
        page.expect(200);
        pages.push(listed(&page));
        next = next_link(&page);
    }
    pages
}

#[tokio::test]
async fn users_are_searched_by_prefix_and_paged_by_username() {
    let app = TestApp::spawn().await;
    add_root(&app);
    add_many(&app, 120);
    let admin = Person::signed_in(&app, "root").await;

    // Everyone: 121 users in pages of 50, in username order, each once.
    let pages = walk(&admin, "/admin/users").await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 50, 21], "page sizes");
    let all: Vec<String> = pages.concat();
    let mut expected: Vec<String> = (0..120).map(|i| format!("user{i:03}")).collect();
    expected.insert(0, "root".to_owned());
    assert_eq!(all, expected);

    // A username prefix.
    let page = admin.get("/admin/users?q=user11").await;
    page.expect(200);
    let found = listed(&page);
    assert_eq!(found.len(), 10, "{found:?}");
    assert!(found.iter().all(|u| u.starts_with("user11")), "{found:?}");
    assert!(next_link(&page).is_none());
    assert_eq!(page.value("q").as_deref(), Some("user11"));

    // An email prefix (with a `+`, as email addresses have): 100 matches,
    // two full pages, and the query survives the page links.
    let pages = walk(&admin, "/admin/users?q=team%2B0").await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 50], "page sizes for team+0");
    let found = pages.concat();
    let expected: Vec<String> = (0..100).map(|i| format!("user{i:03}")).collect();
    assert_eq!(found, expected);

    // Exactly a page's worth: no link to an empty page.
    let pages = walk(&admin, "/admin/users?q=user0").await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50],
        "user000…user099"
    );

    // Nothing matches; a prefix is not a pattern.
    for q in ["nobody", "%25", "user_"] {
        let page = admin.get(&format!("/admin/users?q={q}")).await;
        page.expect(200);
        assert!(listed(&page).is_empty(), "q={q}: {:?}", listed(&page));
    }
    // Keyset: after= starts strictly after that username.
    let page = admin.get("/admin/users?after=user117").await;
    assert_eq!(listed(&page), ["user118", "user119"]);
}

#[tokio::test]
async fn an_administrator_creates_a_user_who_can_then_sign_in() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let admin = Person::signed_in(&app, "root").await;

    let created = admin
        .submit(
            "/admin/users",
            &[
                ("username", "carol"),
                ("email", "carol@example.com"),
                ("name", "Carol Jones"),
                ("password", PASSWORD),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(created.location(), "/admin/users/carol?notice=created");
    let page = admin.get("/admin/users/carol?notice=created").await;
    page.expect(200);
    assert_eq!(page.notice().as_deref(), Some("User created."));
    assert_eq!(page.value("email").as_deref(), Some("carol@example.com"));
    assert_eq!(page.value("name").as_deref(), Some("Carol Jones"));
    assert!(page.html.contains("<h1>carol</h1>"));

    let carol = find_user(&app, "carol").expect("carol exists");
    assert_eq!(carol.email.as_deref(), Some("carol@example.com"));
    assert_eq!(carol.name.as_deref(), Some("Carol Jones"));
    assert!(!carol.email_verified);
    assert!(carol.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(role_names(&app, "carol"), ["admin"]);
    let event = audited_once(&app, "admin.user.created", &root);
    assert_eq!(event.subject.as_deref(), Some(carol.id.as_str()));
    assert!(event.details.contains("\"carol\""), "{event:?}");
    assert!(!event.details.contains(PASSWORD), "the password was logged");
    assert_eq!(event.client_ip.as_deref(), Some("127.0.0.1"));

    // What people type is shown as text, never as markup.
    let done = admin
        .submit(
            "/admin/users/carol/profile",
            &[
                ("name", "<script>alert(1)</script>"),
                ("email", "carol@example.com"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/admin/users/carol?notice=updated");
    let page = admin.get("/admin/users/carol").await;
    assert!(!page.html.contains("<script>alert(1)</script>"));
    assert_eq!(
        page.value("name").as_deref(),
        Some("<script>alert(1)</script>")
    );
    let list = admin.get("/admin/users?q=carol").await;
    assert!(!list.html.contains("<script>"), "{list:?}");
    assert!(list.text().contains("<td><script>alert(1)</script></td>"));

    // She is listed, and signs in to the console with her password.
    let list = admin.get("/admin/users").await;
    assert!(
        list.html
            .contains("<a href=\"/admin/users/carol\">carol</a>")
    );
    let carol = Person::signed_in(&app, "carol").await;
    carol.get("/admin/users/root").await.expect(200);
}

#[tokio::test]
async fn input_errors_show_the_form_again_with_what_was_typed() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_user_with(NewUser {
        username: "carol".into(),
        email: Some("carol@example.com".into()),
        ..NewUser::default()
    });
    let admin = Person::signed_in(&app, "root").await;

    let cases: [(&str, &str, &str, &str, &str); 5] = [
        // username, email, password, role, what the message says
        (
            "carol",
            "second@example.com",
            PASSWORD,
            "",
            "already exists",
        ),
        ("a b", "ab@example.com", PASSWORD, "", "not allowed"),
        (
            "dora",
            "not-an-email",
            PASSWORD,
            "",
            "is not an email address",
        ),
        ("dora", "dora@example.com", "short", "", "password"),
        ("dora", "dora@example.com", PASSWORD, "ghost", "not found"),
    ];
    for (username, email, password, role, message) in cases {
        let answer = admin
            .submit(
                "/admin/users",
                &[
                    ("username", username),
                    ("email", email),
                    ("name", "Typed Name"),
                    ("password", password),
                    ("role", role),
                ],
            )
            .await;
        answer.expect(422);
        let error = answer
            .error()
            .unwrap_or_else(|| panic!("no message: {answer:?}"));
        assert!(
            error.to_lowercase().contains(message),
            "{username}/{email}: {error:?} does not say {message:?}"
        );
        // The create form again, as typed (except the password).
        assert_eq!(answer.value("username").as_deref(), Some(username));
        assert_eq!(answer.value("email").as_deref(), Some(email));
        assert_eq!(answer.value("name").as_deref(), Some("Typed Name"));
        assert_eq!(answer.value("role").as_deref(), Some(role));
        assert_eq!(
            answer.value("password"),
            None,
            "the password is not sent back"
        );
        assert_eq!(answer.header("cache-control"), "no-store");
    }
    // Nothing was made, the first carol is untouched.
    assert!(find_user(&app, "dora").is_none());
    assert!(find_user(&app, "a b").is_none());
    let carol = find_user(&app, "carol").unwrap();
    assert_eq!(carol.email.as_deref(), Some("carol@example.com"));
    assert!(
        console_changes(&app).is_empty(),
        "{:#?}",
        console_changes(&app)
    );
}

#[tokio::test]
async fn disabling_a_user_stops_their_sign_in_and_their_refresh_tokens() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let dave = app.add_user("dave", &[]);
    let secret = add_refreshing_client(&app, "app");
    let tokens = tokens_for(&app, "dave", "app", &secret, "openid offline_access").await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let dave_console = Person::new(&app);
    let admin = Person::signed_in(&app, "root").await;

    let done = admin.submit("/admin/users/dave/disable", &[]).await;
    assert_eq!(done.location(), "/admin/users/dave?notice=disabled");
    let page = admin.get(&done.location()).await;
    assert_eq!(
        page.notice().as_deref(),
        Some("User disabled: sessions ended, refresh tokens revoked.")
    );
    assert!(page.html.contains("<strong>disabled</strong>"));
    assert!(page.html.contains("action=\"/admin/users/dave/enable\""));
    assert!(find_user(&app, "dave").unwrap().disabled);
    let event = audited_once(&app, "admin.user.disabled", &root);
    assert_eq!(event.subject.as_deref(), Some(dave.as_str()));
    let listed = admin.get("/admin/users?q=dave").await;
    assert!(listed.html.contains("<td>disabled</td>"), "{listed:?}");

    // The refresh token is dead, and so is the password.
    let (status, body) = token(
        &app,
        "app",
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let login = dave_console.get("/admin/users").await.location();
    let csrf = dave_console.get(&login).await.value("csrf_token").unwrap();
    let refused = dave_console
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "dave"),
                ("password", PASSWORD),
            ],
        )
        .await;
    refused.expect(401);
    assert_eq!(
        refused.error().as_deref(),
        Some("Incorrect username or password.")
    );

    // Enabled again: the password works, the old refresh token stays dead.
    let done = admin.submit("/admin/users/dave/enable", &[]).await;
    assert_eq!(done.location(), "/admin/users/dave?notice=enabled");
    audited_once(&app, "admin.user.enabled", &root);
    assert!(!find_user(&app, "dave").unwrap().disabled);
    let (status, _) = token(
        &app,
        "app",
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 400);
    tokens_for(&app, "dave", "app", &secret, "openid").await;
}

#[tokio::test]
async fn deleting_a_user_needs_the_confirm_box() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let erin = app.add_user("erin", &["admin"]);
    let admin = Person::signed_in(&app, "root").await;

    for confirm in [None, Some(""), Some("on"), Some("no")] {
        let mut fields = Vec::new();
        if let Some(value) = confirm {
            fields.push(("confirm", value));
        }
        let answer = admin.submit("/admin/users/erin/delete", &fields).await;
        answer.expect(422);
        assert_eq!(
            answer.error().as_deref(),
            Some("Tick the box to confirm the deletion."),
            "confirm={confirm:?}"
        );
        // The user's page again.
        assert!(answer.html.contains("<h1>erin</h1>"));
    }
    assert!(find_user(&app, "erin").is_some());
    assert!(audit(&app, "admin.user.deleted").is_empty());

    let done = admin
        .submit("/admin/users/erin/delete", &[("confirm", "yes")])
        .await;
    assert_eq!(done.location(), "/admin/users?notice=deleted");
    let list = admin.get(&done.location()).await;
    assert_eq!(list.notice().as_deref(), Some("User deleted."));
    assert!(!list.html.contains("/admin/users/erin"));
    assert!(find_user(&app, "erin").is_none());
    let event = audited_once(&app, "admin.user.deleted", &root);
    assert_eq!(event.subject.as_deref(), Some(erin.as_str()));
    assert!(event.details.contains("erin"));

    // Gone: her page and her forms answer 404.
    admin.get("/admin/users/erin").await.expect(404);
    admin
        .submit("/admin/users/erin/delete", &[("confirm", "yes")])
        .await
        .expect(404);
    admin
        .submit("/admin/users/root/explode", &[])
        .await
        .expect(404);
}

#[tokio::test]
async fn profile_password_roles_sessions_and_unlock() {
    let app = TestApp::spawn_with(|settings| {
        settings.login.account_failures_before_delay = 1;
        settings.login.base_delay_secs = 600;
    })
    .await;
    let root = add_root(&app);
    app.add_user_with(NewUser {
        username: "fred".into(),
        email: Some("fred@example.com".into()),
        ..NewUser::default()
    });
    app.cli(&["role", "add", "editor"], None).ok();
    let admin = Person::signed_in(&app, "root").await;

    // Profile: a bad email is refused with a message, a good one saved.
    let bad = admin
        .submit(
            "/admin/users/fred/profile",
            &[("name", "Fred"), ("email", "fred-at-example")],
        )
        .await;
    bad.expect(422);
    assert!(bad.error().unwrap().contains("is not an email address"));
    assert_eq!(
        find_user(&app, "fred").unwrap().email.as_deref(),
        Some("fred@example.com")
    );
    let done = admin
        .submit(
            "/admin/users/fred/profile",
            &[
                ("name", "Fred Smith"),
                ("email", "fred.smith@example.com"),
                ("email_verified", "true"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/admin/users/fred?notice=updated");
    let fred = find_user(&app, "fred").unwrap();
    assert_eq!(fred.name.as_deref(), Some("Fred Smith"));
    assert_eq!(fred.email.as_deref(), Some("fred.smith@example.com"));
    assert!(fred.email_verified);
    audited_once(&app, "admin.user.updated", &root);

    // Roles: an unknown role is a message; a real one is added and removed.
    let ghost = admin
        .submit("/admin/users/fred/grant-role", &[("role", "ghost")])
        .await;
    ghost.expect(422);
    assert!(ghost.error().unwrap().contains("not found"), "{ghost:?}");
    let done = admin
        .submit("/admin/users/fred/grant-role", &[("role", "editor")])
        .await;
    assert_eq!(done.location(), "/admin/users/fred?notice=role_granted");
    assert_eq!(role_names(&app, "fred"), ["editor"]);
    let page = admin.get("/admin/users/fred").await;
    assert!(page.html.contains("<li>editor"), "{page:?}");
    let event = audited_once(&app, "admin.user.role_granted", &root);
    assert!(event.details.contains("editor"));
    let done = admin
        .submit("/admin/users/fred/revoke-role", &[("role", "editor")])
        .await;
    assert_eq!(done.location(), "/admin/users/fred?notice=role_revoked");
    assert!(role_names(&app, "fred").is_empty());
    audited_once(&app, "admin.user.role_revoked", &root);

    // Password: too short is a message; a new one replaces the old.
    let short = admin
        .submit("/admin/users/fred/password", &[("password", "short")])
        .await;
    short.expect(422);
    assert!(short.error().is_some());
    let done = admin
        .submit(
            "/admin/users/fred/password",
            &[("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(done.location(), "/admin/users/fred?notice=password");
    audited_once(&app, "admin.user.password_set", &root);
    let stored = find_user(&app, "fred").unwrap().password_hash.unwrap();
    assert!(
        app.state
            .passwords
            .verify("a brand new passphrase", Some(&stored))
            && !app.state.passwords.verify(PASSWORD, Some(&stored))
    );

    // Sessions: fred signs in (new password), the page lists the session,
    // "End all sessions" signs him out.
    let fred_browser = Person::new(&app);
    let login = fred_browser.get("/admin/users").await.location();
    let csrf = fred_browser.get(&login).await.value("csrf_token").unwrap();
    fred_browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "fred"),
                ("password", "a brand new passphrase"),
            ],
        )
        .await
        .location();
    fred_browser.get("/admin/users").await.expect(403);
    let page = admin.get("/admin/users/fred").await;
    assert_eq!(
        page.html.matches("<tr><td><code>").count(),
        1,
        "one session"
    );
    let done = admin.submit("/admin/users/fred/end-sessions", &[]).await;
    assert_eq!(done.location(), "/admin/users/fred?notice=sessions_ended");
    audited_once(&app, "admin.user.sessions_ended", &root);
    assert_eq!(
        fred_browser.get("/admin/users").await.location(),
        "/login?return_to=%2Fadmin%2Fusers"
    );
    let page = admin.get("/admin/users/fred").await;
    assert_eq!(page.html.matches("<tr><td><code>").count(), 0, "no session");

    // Unlock: one failure blocks fred for ten minutes; unlocking lifts it.
    let wrong = fred_browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "fred"),
                ("password", "a wrong passphrase"),
            ],
        )
        .await;
    wrong.expect(401);
    let blocked = fred_browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "fred"),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    blocked.expect(429);
    let done = admin.submit("/admin/users/fred/unlock", &[]).await;
    assert_eq!(done.location(), "/admin/users/fred?notice=unlocked");
    audited_once(&app, "admin.user.unlocked", &root);
    let back = fred_browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "fred"),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(back.location(), "/admin/users");
}

#[tokio::test]
async fn ending_sessions_from_the_console_queues_back_channel_logout() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let secret = app.add_client(
        "app",
        &[
            "--redirect-uri",
            REDIRECT_URI,
            "--grant",
            "authorization_code",
            "--skip-consent",
            "--backchannel-logout-uri",
            "http://127.0.0.1:9/backchannel",
        ],
    );
    let mut sids = Vec::new();
    for username in ["dave", "erin", "fay"] {
        let id = app.add_user(username, &[]);
        tokens_for(&app, username, "app", &secret, "openid").await;
        let now = app.now();
        let sessions = app.db(move |conn| db::sessions::live_for_user(conn, &id, now));
        assert_eq!(sessions.len(), 1, "{username}");
        sids.push(sessions[0].sid.clone());
    }
    let admin = Person::signed_in(&app, "root").await;

    for (path, fields) in [
        ("/admin/users/dave/disable", &[][..]),
        ("/admin/users/erin/end-sessions", &[][..]),
        ("/admin/users/fay/delete", &[("confirm", "yes")][..]),
    ] {
        admin.submit(path, fields).await.location();
    }
    // Each ended session has a logout token queued for the client that
    // joined it (delivery itself is the back-channel worker's business).
    for sid in sids {
        let deliveries = {
            let sid = sid.clone();
            app.db(move |conn| db::backchannel::for_session(conn, &sid))
        };
        assert_eq!(
            deliveries
                .iter()
                .map(|d| (d.client_id.as_str(), d.uri.as_str()))
                .collect::<Vec<_>>(),
            [("app", "http://127.0.0.1:9/backchannel")],
            "session {sid}"
        );
    }
}
