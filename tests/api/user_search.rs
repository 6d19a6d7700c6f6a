//! The users search (`db::user_search`) against a brute-force answer: every
//! prefix, page size and cursor gives the users whose username starts with
//! the prefix, by username, then those matched by email only, by (email,
//! username) — whichever way the email part is read.

use gatehouse::db::{
    self,
    user_search::{self, UserCursor},
    users::UserRow,
};

use crate::helpers::TestApp;

const PEOPLE: &[(&str, Option<&str>)] = &[
    ("anna", Some("anna@example.com")),
    ("annabel", Some("bel@example.com")),
    ("andre", Some("dre@corp.example")),
    ("bob", Some("annette@example.org")),
    ("carl", Some("anb@example.org")),
    ("abe", Some("anz@example.org")),
    ("zoe", None),
    // One address shared: the cursor must break the tie by username.
    ("x1", Some("an@tie.example")),
    ("x2", Some("an@tie.example")),
    // Matched by email only when searching "u".
    ("zed", Some("uz@example.org")),
    ("bob2", Some("u@example.org")),
];

fn user(username: &str, email: Option<&str>) -> UserRow {
    UserRow {
        id: db::new_id(),
        username: username.to_owned(),
        email: email.map(str::to_owned),
        email_verified: false,
        name: None,
        password_hash: None,
        disabled: false,
        created_at: 0,
        updated_at: 0,
        tokens_valid_after: 0,
    }
}

/// What a search must list, computed the obvious way.
fn expected(all: &[UserRow], prefix: &str) -> Vec<String> {
    let mut by_username: Vec<&UserRow> = all
        .iter()
        .filter(|u| u.username.starts_with(prefix))
        .collect();
    by_username.sort_by(|a, b| a.username.cmp(&b.username));
    let mut by_email: Vec<&UserRow> = all
        .iter()
        .filter(|u| !u.username.starts_with(prefix))
        .filter(|u| u.email.as_deref().is_some_and(|e| e.starts_with(prefix)))
        .collect();
    by_email.sort_by(|a, b| (&a.email, &a.username).cmp(&(&b.email, &b.username)));
    by_username
        .into_iter()
        .chain(by_email)
        .map(|u| u.username.clone())
        .collect()
}

/// Every page of a search, following `next`, with the given line between
/// few and many.
fn walk(app: &TestApp, prefix: &str, limit: i64, few: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = UserCursor::Start;
    for _ in 0..100 {
        let (wanted, cursor) = (prefix.to_owned(), after.clone());
        let page = app.db(move |conn| {
            user_search::search_with_threshold(conn, Some(&wanted), &cursor, limit, few)
        });
        assert!(page.users.len() as i64 <= limit);
        seen.extend(page.users.iter().map(|u| u.username.clone()));
        match page.next {
            Some(next) => {
                // What a link carries survives the trip.
                after = UserCursor::parse(&next.encode());
            }
            None => return seen,
        }
    }
    panic!("{prefix:?} limit {limit}: does not end");
}

#[tokio::test]
async fn every_page_of_every_search_lists_each_match_once_in_order() {
    let app = TestApp::spawn().await;
    let mut all: Vec<UserRow> = PEOPLE.iter().map(|(u, e)| user(u, *e)).collect();
    all.extend((0..18).map(|n| {
        let name = format!("u{n:02}");
        let email = format!("{name}@example.net");
        user(&name, Some(&email))
    }));
    let rows = all.clone();
    app.db(move |conn| {
        for row in &rows {
            db::users::insert(conn, row)?;
        }
        Ok(())
    });

    // 12 lies between the 11 users whose username does not start with "u"
    // and the 20 whose email does: searching "u" with it reads the email
    // part through the username index; the default reads the email index.
    for prefix in [
        "", "a", "an", "ann", "an@", "u", "u1", "b", "x", "zz", "nna",
    ] {
        let want = expected(&all, prefix);
        for limit in [1, 2, 3, 5, 50] {
            for few in [10_000, 12, 3, 1] {
                assert_eq!(
                    walk(&app, prefix, limit, few),
                    want,
                    "prefix {prefix:?}, limit {limit}, few {few}"
                );
            }
        }
    }
    // The default entry point is the same search.
    let first = app.db(|conn| user_search::search(conn, Some("an"), &UserCursor::Start, 50));
    assert_eq!(
        first
            .users
            .iter()
            .map(|u| u.username.clone())
            .collect::<Vec<_>>(),
        expected(&all, "an")
    );
}
