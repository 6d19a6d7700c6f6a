//! `gatehouse user …` beyond creation: show, update, unlock, sessions,
//! end-sessions, delete — and the rule every change obeys: an enabled
//! administrator remains. Changes are audited with the actor "cli".

use std::collections::HashMap;

use gatehouse::{
    clock::Clock,
    db::{self, audit::AuditRow},
};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, browser::Person};

/// Admin audit events of exactly `kind`, newest first.
pub fn audit_events(app: &TestApp, kind: &str) -> Vec<AuditRow> {
    app.db(|conn| db::audit::recent(conn, Some("admin."), 100))
        .into_iter()
        .filter(|event| event.kind == kind)
        .collect()
}

/// Asserts one event of `kind` about `subject`, made by the command line.
#[track_caller]
pub fn audited_by_cli(app: &TestApp, kind: &str, subject: &str) -> AuditRow {
    let events = audit_events(app, kind);
    assert_eq!(events.len(), 1, "{kind}: {events:#?}");
    let event = events.into_iter().next().unwrap();
    assert_eq!(event.actor.as_deref(), Some("cli"), "{event:#?}");
    assert_eq!(event.subject.as_deref(), Some(subject), "{event:#?}");
    event
}

fn find_user(app: &TestApp, username: &str) -> Option<db::users::UserRow> {
    app.db(|conn| db::users::find_by_username(conn, username))
}

/// `user show`'s `label: value` lines.
fn show(app: &TestApp, username: &str) -> HashMap<String, String> {
    let out = app.cli(&["user", "show", username], None);
    out.ok()
        .lines()
        .map(|line| {
            let (label, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not `label: value`: {line:?}\n{out}"));
            (label.to_owned(), value.to_owned())
        })
        .collect()
}

/// Whether `person`'s session still signs them in: the console answers a
/// signed-in user without permissions 403, a stranger a 303 to the login
/// page.
async fn signed_in_now(person: &Person<'_>) -> bool {
    let status = person.get("/admin/users").await.status;
    match status.as_u16() {
        403 => true,
        303 => false,
        other => panic!("unexpected {other} for /admin/users"),
    }
}

/// A person signed in as `username` (with `PASSWORD`), checked.
async fn signed_in<'a>(app: &'a TestApp, username: &str) -> Person<'a> {
    let person = Person::signed_in(app, username).await;
    assert!(signed_in_now(&person).await, "{username} is not signed in");
    person
}

/// Unix seconds from `YYYY-MM-DDTHH:MM:SSZ`, computed independently of the
/// formatter (days from the civil date, the inverse algorithm).
fn parse_utc(text: &str) -> i64 {
    assert_eq!(text.len(), 20, "{text:?}");
    assert!(
        text.as_bytes()[10] == b'T' && text.ends_with('Z'),
        "{text:?}"
    );
    let number = |range: std::ops::Range<usize>| -> i64 { text[range].parse().unwrap() };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    days * 86_400 + hour * 3600 + minute * 60 + second
}

#[tokio::test]
async fn user_show_and_update() {
    let app = TestApp::spawn().await;
    app.cli(&["role", "add", "editor"], None).ok();
    let sub = app.add_user("alice", &["editor"]);

    let shown = show(&app, "alice");
    assert_eq!(shown["username"], "alice");
    assert_eq!(shown["id"], sub);
    assert_eq!(shown["email"], "-");
    assert_eq!(shown["email_verified"], "false");
    assert_eq!(shown["name"], "-");
    assert_eq!(shown["disabled"], "false");
    assert_eq!(shown["roles"], "editor");
    assert_eq!(shown["password"], "set");
    assert!(!shown.values().any(|v| v.contains("$argon2")), "{shown:?}");
    let created = find_user(&app, "alice").unwrap().created_at;
    assert_eq!(parse_utc(&shown["created"]), created);

    let out = app.cli(
        &[
            "user",
            "update",
            "alice",
            "--email",
            "alice@example.com",
            "--email-verified",
            "true",
            "--name",
            "Alice Example",
        ],
        None,
    );
    assert!(out.ok().starts_with("updated alice: "), "{out}");
    let user = find_user(&app, "alice").unwrap();
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert!(user.email_verified);
    assert_eq!(user.name.as_deref(), Some("Alice Example"));
    let shown = show(&app, "alice");
    assert_eq!(shown["email"], "alice@example.com");
    assert_eq!(shown["email_verified"], "true");
    assert_eq!(shown["name"], "Alice Example");
    audited_by_cli(&app, "admin.user.updated", &sub);

    // A new address is nobody's verified address until someone says so.
    app.cli(
        &[
            "user",
            "update",
            "alice",
            "--email",
            "alice@elsewhere.example",
        ],
        None,
    )
    .ok();
    let user = find_user(&app, "alice").unwrap();
    assert_eq!(user.email.as_deref(), Some("alice@elsewhere.example"));
    assert!(!user.email_verified, "a changed email stays unverified");
    app.cli(
        &[
            "user",
            "update",
            "alice",
            "--email",
            "alice@example.com",
            "--email-verified",
            "true",
        ],
        None,
    )
    .ok();
    let events = audit_events(&app, "admin.user.updated");
    assert!(events[0].details.contains("\"email\""), "{:#?}", events[0]);
    // Names people read: no control characters.
    let bell = app.cli(&["user", "update", "alice", "--name", "A\u{7}B"], None);
    assert!(bell.fails_with(1).contains("control"), "{bell}");

    // Only what is given changes; --no-… clears.
    app.cli(&["user", "update", "alice", "--no-name"], None)
        .ok();
    assert!(find_user(&app, "alice").unwrap().email_verified);
    let user = find_user(&app, "alice").unwrap();
    assert_eq!(user.name, None);
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    app.cli(
        &[
            "user",
            "update",
            "alice",
            "--no-email",
            "--email-verified",
            "false",
        ],
        None,
    )
    .ok();
    let user = find_user(&app, "alice").unwrap();
    assert_eq!(user.email, None);
    assert!(!user.email_verified);

    // Refusals.
    let unknown = app.cli(&["user", "update", "nobody", "--name", "N"], None);
    assert!(unknown.fails_with(1).contains("not found"), "{unknown}");
    let bad_email = app.cli(&["user", "update", "alice", "--email", "nope"], None);
    assert!(bad_email.fails_with(1).contains("email"), "{bad_email}");
    let unknown = app.cli(&["user", "show", "nobody"], None);
    assert!(
        unknown.fails_with(1).contains("\"nobody\" not found"),
        "{unknown}"
    );
    // Usage errors: nothing to change, both set and clear, not a boolean.
    for args in [
        &["user", "update", "alice"][..],
        &[
            "user",
            "update",
            "alice",
            "--email",
            "a@example.com",
            "--no-email",
        ],
        &["user", "update", "alice", "--name", "A", "--no-name"],
        &["user", "update", "alice", "--email-verified", "maybe"],
    ] {
        let out = app.cli(args, None);
        assert_eq!(out.code, 2, "{args:?}: {out}");
    }
    assert_eq!(
        audit_events(&app, "admin.user.updated").len(),
        5,
        "refusals leave no event"
    );
}

#[tokio::test]
async fn user_unlock_lifts_the_sign_in_throttle() {
    let app = TestApp::spawn().await;
    let sub = app.add_user("hana", &[]);
    let failures = app.state.settings.login.pair_failures_before_delay;
    let browser = Person::new(&app);
    for attempt in 1..=failures {
        assert_eq!(
            browser
                .log_in("/admin/users", "hana", "not the password")
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        browser
            .log_in("/admin/users", "hana", PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "throttled now"
    );

    let out = app.cli(&["user", "unlock", "hana"], None);
    assert!(out.ok().contains("unlocked hana"), "{out}");
    audited_by_cli(&app, "admin.user.unlocked", &sub);
    signed_in(&app, "hana").await;

    let unknown = app.cli(&["user", "unlock", "nobody"], None);
    assert!(unknown.fails_with(1).contains("not found"), "{unknown}");
}

#[tokio::test]
async fn user_sessions_lists_live_sessions_and_end_sessions_ends_them() {
    let app = TestApp::spawn().await;
    let sub = app.add_user("alice", &[]);
    app.add_user("bob", &[]);
    let out = app.cli(&["user", "sessions", "alice"], None);
    assert_eq!(out.ok().trim(), "alice has no live sessions", "{out}");

    let laptop = signed_in(&app, "alice").await;
    let phone = signed_in(&app, "alice").await;
    let bobs = signed_in(&app, "bob").await;
    let out = app.cli(&["user", "sessions", "alice"], None);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SID", "AUTH_TIME", "LAST_SEEN", "EXPIRES"],
        "{out}"
    );
    assert_eq!(lines.len(), 3, "{out}");
    let now = app.clock.now();
    let stored = app.db(|conn| db::sessions::live_for_user(conn, &sub, now));
    for line in &lines[1..] {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns.len(), 4, "{line}");
        let session = stored
            .iter()
            .find(|s| s.sid == columns[0])
            .unwrap_or_else(|| panic!("{} is not a session of alice: {out}", columns[0]));
        assert_eq!(parse_utc(columns[1]), session.auth_time, "{line}");
        assert_eq!(parse_utc(columns[2]), session.last_seen_at, "{line}");
        assert_eq!(parse_utc(columns[3]), session.expires_at, "{line}");
    }
    assert!(
        !out.stdout.contains(&stored[0].id_hash),
        "the cookie's hash stays in the database"
    );

    let out = app.cli(&["user", "end-sessions", "alice"], None);
    assert_eq!(out.ok().trim(), "ended 2 session(s) of alice", "{out}");
    assert!(!signed_in_now(&laptop).await);
    assert!(!signed_in_now(&phone).await);
    assert!(signed_in_now(&bobs).await, "only alice's sessions end");
    let event = audited_by_cli(&app, "admin.user.sessions_ended", &sub);
    assert!(event.details.contains("\"ended\":2"), "{event:#?}");
    let out = app.cli(&["user", "sessions", "alice"], None);
    assert_eq!(out.ok().trim(), "alice has no live sessions", "{out}");

    for command in ["sessions", "end-sessions"] {
        let unknown = app.cli(&["user", command, "nobody"], None);
        assert!(unknown.fails_with(1).contains("not found"), "{unknown}");
    }
}

#[tokio::test]
async fn user_delete_needs_yes_and_removes_the_user_with_their_live_session() {
    let app = TestApp::spawn().await;
    let sub = app.add_user("bob", &[]);
    let browser = signed_in(&app, "bob").await;
    let now = app.clock.now();
    assert_eq!(
        app.db(|conn| db::sessions::live_for_user(conn, &sub, now))
            .len(),
        1
    );

    let refused = app.cli(&["user", "delete", "bob"], None);
    assert!(refused.fails_with(1).contains("--yes"), "{refused}");
    assert!(find_user(&app, "bob").is_some());
    assert!(signed_in_now(&browser).await);

    let out = app.cli(&["user", "delete", "bob", "--yes"], None);
    assert!(out.ok().starts_with("deleted user bob"), "{out}");
    assert!(find_user(&app, "bob").is_none());
    assert!(
        app.db(|conn| db::sessions::live_for_user(conn, &sub, now))
            .is_empty(),
        "the session went with the user"
    );
    assert!(!signed_in_now(&browser).await);
    audited_by_cli(&app, "admin.user.deleted", &sub);

    let unknown = app.cli(&["user", "delete", "bob", "--yes"], None);
    assert!(unknown.fails_with(1).contains("not found"), "{unknown}");
}

#[tokio::test]
async fn the_only_enabled_admin_cannot_be_disabled_deleted_or_demoted() {
    let app = TestApp::spawn().await;
    let root = app.add_user("root", &["admin"]);
    let refusals: [&[&str]; 3] = [
        &["user", "disable", "root"],
        &["user", "delete", "root", "--yes"],
        &["role", "revoke", "admin", "root"],
    ];
    for args in refusals {
        let out = app.cli(args, None);
        let line = out.fails_with(1);
        assert!(line.contains("no enabled user"), "{args:?}: {out}");
        let user = find_user(&app, "root").expect("root must remain");
        assert!(!user.disabled, "{args:?} left root disabled");
        assert_eq!(
            app.db(|conn| db::users::role_names(conn, &user.id)),
            ["admin"],
            "{args:?}"
        );
    }
    assert!(
        audit_events(&app, "admin.user.disabled").is_empty()
            && audit_events(&app, "admin.user.deleted").is_empty()
            && audit_events(&app, "admin.user.role_revoked").is_empty(),
        "a refused change is rolled back with its audit event"
    );

    // With a second administrator, the first may go.
    app.add_user("ops", &["admin"]);
    app.cli(&["user", "disable", "root"], None).ok();
    assert!(find_user(&app, "root").unwrap().disabled);
    audited_by_cli(&app, "admin.user.disabled", &root);
    // The last enabled one stays, even though a disabled admin exists.
    let out = app.cli(&["user", "disable", "ops"], None);
    assert!(out.fails_with(1).contains("no enabled user"), "{out}");
    app.cli(&["user", "enable", "root"], None).ok();
    audited_by_cli(&app, "admin.user.enabled", &root);
}
