//! `/admin/audit`: newest first in a stable order (events of the same
//! second too), paged with `before`, filtered by kind prefix and by user
//! (about or by them), with UTC times and usernames for user ids.

use gatehouse::{
    administration::directory,
    audit::{self, Event},
    db::DbConnection,
};

use super::{PASSWORD, Page, Person, add_root, find_user, unescape};
use crate::helpers::TestApp;

/// One row of the log as shown.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    when: String,
    kind: String,
    actor: String,
    subject: String,
}

/// The rows of an audit page, in order.
fn rows(page: &Page) -> Vec<Row> {
    let body = super::between(&page.html, "<tbody>", "</tbody>")
        .unwrap_or_else(|| panic!("no table: {page:?}"));
    body.split("<tr><td>")
        .skip(1)
        .map(|row| {
            let cells: Vec<String> = row
                .split("</td><td>")
                .map(|cell| unescape(cell.split("</td>").next().unwrap_or_default()))
                .collect();
            Row {
                when: cells[0].clone(),
                kind: cells[1].clone(),
                actor: cells[2].clone(),
                subject: cells[3].clone(),
            }
        })
        .collect()
}

fn kinds(page: &Page) -> Vec<String> {
    rows(page).into_iter().map(|row| row.kind).collect()
}

/// The "Older events" link, as a browser would follow it.
fn older(page: &Page) -> Option<String> {
    link(page, "\">Older events")
}

fn newest(page: &Page) -> Option<String> {
    link(page, "\">← Newest events")
}

fn link(page: &Page, text: &str) -> Option<String> {
    let end = page.html.find(text)?;
    let start = page.html[..end].rfind("<a href=\"")? + "<a href=\"".len();
    Some(unescape(&page.html[start..end]))
}

/// Follows "Older events" from `first`; returns each page's kinds.
async fn walk(person: &Person<'_>, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        assert!(pages.len() < 10, "paging does not end: {path}");
        let page = person.get(&path).await;
        page.expect(200);
        if !pages.is_empty() {
            // A later page leads back to the first of the same search.
            let back = newest(&page).unwrap_or_else(|| panic!("no way back: {page:?}"));
            assert!(!back.contains("before="), "{back}");
        }
        pages.push(kinds(&page));
        next = older(&page);
    }
    pages
}

/// An event straight into the log, as any part of Gatehouse records one.
fn record(
    conn: &mut DbConnection,
    kind: &str,
    actor: Option<&str>,
    subject: Option<&str>,
    at: i64,
) {
    audit::record(
        conn,
        Event {
            kind,
            actor,
            subject,
            client_ip: None,
            details: None,
        },
        at,
    )
    .unwrap_or_else(|e| panic!("recording {kind}: {e}"));
}

/// Whether `when` reads like `2026-11-29 18:04:05 UTC`.
fn is_utc_time(when: &str) -> bool {
    let shape = "dddd-dd-dd dd:dd:dd UTC";
    when.len() == shape.len()
        && when
            .chars()
            .zip(shape.chars())
            .all(|(c, s)| if s == 'd' { c.is_ascii_digit() } else { c == s })
}

#[tokio::test]
async fn times_are_utc_and_people_are_named() {
    let app = TestApp::spawn().await;
    add_root(&app);
    app.add_client("reports", &["--grant", "client_credentials"]);
    let admin = Person::signed_in(&app, "root").await;
    admin
        .submit(
            "/admin/users",
            &[("username", "gina"), ("password", PASSWORD)],
        )
        .await
        .location();
    let gina = find_user(&app, "gina").unwrap().id;
    app.operate(|conn, actor, now| {
        directory::create_role(conn, actor, "editor", "", now).map(drop)
    });
    app.db(|conn| {
        record(
            conn,
            "test.dated",
            Some("reports"),
            Some(&gina),
            1_795_975_445,
        );
        record(conn, "test.leap_day", None, None, 951_782_400 + 3723);
        Ok(())
    });

    let page = admin.get("/admin/audit").await;
    page.expect(200);
    let listed = rows(&page);
    let find = |kind: &str| {
        listed
            .iter()
            .find(|row| row.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} in {listed:#?}"))
            .clone()
    };
    // Times in UTC, whatever the server's time zone; client ids as they
    // are, user ids as usernames.
    assert_eq!(
        find("test.dated"),
        Row {
            when: "2026-11-29 18:04:05 UTC".into(),
            kind: "test.dated".into(),
            actor: "reports".into(),
            subject: "gina".into(),
        }
    );
    assert_eq!(find("test.leap_day").when, "2000-02-29 01:02:03 UTC");
    let created = find("admin.user.created");
    assert_eq!(
        (created.actor.as_str(), created.subject.as_str()),
        ("root", "gina")
    );
    let login = find("login.success");
    assert_eq!(
        (login.actor.as_str(), login.subject.as_str()),
        ("root", "root")
    );
    for row in &listed {
        assert!(is_utc_time(&row.when), "{row:?}");
    }
    // The command line is named as such.
    let role = find("admin.role.created");
    assert_eq!(
        (role.actor.as_str(), role.subject.as_str()),
        ("command line", "editor")
    );
    // No user id is left on the page.
    assert!(!page.html.contains(&gina), "{page:?}");

    // Once gina is deleted, her events name her by the username they kept.
    app.operate(|conn, actor, now| {
        gatehouse::administration::users::delete(conn, actor, "gina", now)
    });
    let page = admin.get("/admin/audit").await;
    let listed = rows(&page);
    let created = listed
        .iter()
        .find(|row| row.kind == "admin.user.created")
        .unwrap();
    assert_eq!(created.subject, "gina (deleted)", "{listed:#?}");
}

#[tokio::test]
async fn events_of_one_second_keep_their_order_across_pages() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let at = app.now();
    // 120 events in one second, recorded in order test.000 … test.119.
    app.db(|conn| {
        for i in 0..120 {
            record(conn, &format!("test.{i:03}"), None, None, at);
        }
        Ok(())
    });
    let admin = Person::signed_in(&app, "root").await;

    let pages = walk(&admin, "/admin/audit?kind=test.").await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50, 20],
        "page sizes"
    );
    let expected: Vec<String> = (0..120).rev().map(|i| format!("test.{i:03}")).collect();
    assert_eq!(pages.concat(), expected, "newest first, each once");
    // The same page twice is the same page.
    let again = walk(&admin, "/admin/audit?kind=test.").await;
    assert_eq!(again, pages);

    // Exactly two pages' worth: no link to an empty third page.
    let pages = walk(&admin, "/admin/audit?kind=test.0").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50]);

    // Unfiltered, the log pages through everything, the sign-in and root's
    // creation (the set-up, by the command-line operator) included.
    let everything = walk(&admin, "/admin/audit").await.concat();
    assert_eq!(everything.len(), 122, "{everything:?}");
    assert_eq!(everything[0], "login.success", "the newest event first");

    // A mangled link is a message, not an error page; the newest events
    // are shown under it.
    for before in ["abc", "-5", "0", "99999999999999999999"] {
        let page = admin
            .get(&format!("/admin/audit?kind=test.&before={before}"))
            .await;
        page.expect(400);
        assert!(
            page.error().unwrap_or_default().contains("before="),
            "{page:?}"
        );
        assert_eq!(kinds(&page).first().map(String::as_str), Some("test.119"));
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_kind_prefix() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let admin = Person::signed_in(&app, "root").await;
    admin
        .submit("/admin/roles", &[("name", "editor")])
        .await
        .location();
    // In the same second: the order is still the order of events.
    admin
        .submit(
            "/admin/users",
            &[("username", "gina"), ("password", PASSWORD)],
        )
        .await
        .location();

    let all = admin.get("/admin/audit").await;
    all.expect(200);
    let listed = kinds(&all);
    for kind in ["admin.user.created", "admin.role.created", "login.success"] {
        assert!(listed.iter().any(|k| k == kind), "{kind} not in {listed:?}");
    }

    let admin_only = admin.get("/admin/audit?kind=admin.").await;
    assert_eq!(admin_only.value("kind").as_deref(), Some("admin."));
    let listed = rows(&admin_only);
    assert_eq!(
        listed
            .iter()
            .map(|row| (row.kind.as_str(), row.actor.as_str()))
            .collect::<Vec<_>>(),
        [
            ("admin.user.created", "root"),
            ("admin.role.created", "root"),
            ("admin.user.created", "command line"),
        ],
        "newest first (root's own creation, the set-up, last)"
    );
    assert_eq!(
        kinds(&admin.get("/admin/audit?kind=admin.user").await),
        ["admin.user.created", "admin.user.created"]
    );
    // A prefix, not a pattern.
    for kind in ["%25", "admin_", "nothing", "ADMIN."] {
        let page = admin.get(&format!("/admin/audit?kind={kind}")).await;
        page.expect(200);
        assert!(kinds(&page).is_empty(), "kind={kind}: {:?}", kinds(&page));
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_user_about_or_by_them() {
    let app = TestApp::spawn().await;
    let root = add_root(&app);
    let carol = app.add_user("carol", &[]);
    app.operate(|conn, actor, now| {
        directory::create_role(conn, actor, "editor", "", now).map(drop)
    });
    let admin = Person::signed_in(&app, "root").await;
    // carol signs in (the console then refuses her), once with a typo.
    let browser = Person::new(&app);
    let login = browser.get("/admin/users").await.location();
    let csrf = browser.get(&login).await.value("csrf_token").unwrap();
    browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("password", "not her password"),
            ],
        )
        .await
        .expect(401);
    browser
        .post(
            "/login",
            &[
                ("return_to", "/admin/users"),
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("password", PASSWORD),
            ],
        )
        .await
        .location();
    admin
        .submit("/admin/users/carol/grant-role", &[("role", "editor")])
        .await
        .location();

    let about_carol = admin.get("/admin/audit?user=carol").await;
    about_carol.expect(200);
    assert_eq!(about_carol.value("user").as_deref(), Some("carol"));
    assert_eq!(
        rows(&about_carol)
            .iter()
            .map(|row| (row.kind.as_str(), row.actor.as_str(), row.subject.as_str()))
            .collect::<Vec<_>>(),
        [
            ("admin.user.role_granted", "root", "carol"),
            ("login.success", "carol", "carol"),
            // The name a failed sign-in tried is matched as typed.
            ("login.failure", "", "carol"),
            ("admin.user.created", "command line", "carol"),
        ]
    );
    // Her id works as well as her name; root's page is root's doing.
    assert_eq!(
        kinds(&admin.get(&format!("/admin/audit?user={carol}")).await),
        [
            "admin.user.role_granted",
            "login.success",
            "admin.user.created"
        ]
    );
    assert_eq!(
        kinds(&admin.get("/admin/audit?user=root").await),
        [
            "admin.user.role_granted",
            "login.success",
            "admin.user.created"
        ]
    );
    assert_eq!(
        kinds(
            &admin
                .get(&format!("/admin/audit?user={root}&kind=login."))
                .await
        ),
        ["login.success"]
    );
    // Anything else that events are about: a role, the command line.
    assert_eq!(
        kinds(&admin.get("/admin/audit?user=editor").await),
        ["admin.role.created"]
    );
    assert_eq!(
        kinds(&admin.get("/admin/audit?user=cli").await),
        [
            "admin.role.created",
            "admin.user.created",
            "admin.user.created"
        ]
    );
    assert!(kinds(&admin.get("/admin/audit?user=nobody").await).is_empty());
}

#[tokio::test]
async fn a_user_filter_pages_through_events_about_and_by_them_in_order() {
    let app = TestApp::spawn().await;
    add_root(&app);
    let dora = app.add_user("dora", &[]);
    let at = app.now();
    // 150 events in one second: about dora by id, by dora, about "dora"
    // by name, and — every fourth — nothing to do with her.
    let mut expected = Vec::new();
    app.db(|conn| {
        for i in 0..150 {
            let kind = format!("test.{i:03}");
            match i % 4 {
                0 => record(conn, &kind, Some("someone"), Some(&dora), at),
                1 => record(conn, &kind, Some(&dora), Some(&dora), at),
                2 => record(conn, &kind, Some(&dora), Some("something"), at),
                _ => record(conn, &kind, Some("someone"), Some("something"), at),
            }
            if i % 4 != 3 {
                expected.push(kind);
            }
        }
        record(conn, "test.by_name", None, Some("dora"), at);
        Ok(())
    });
    expected.push("test.by_name".to_owned());
    expected.reverse();
    let admin = Person::signed_in(&app, "root").await;

    let pages = walk(&admin, "/admin/audit?kind=test.&user=dora").await;
    assert_eq!(expected.len(), 114);
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50, 14],
        "page sizes"
    );
    assert_eq!(pages.concat(), expected, "newest first, each once");
}
