//! Finding users by username or email prefix, one page at a time, at any
//! size of directory.
//!
//! One query cannot serve "username or email starts with P, in username
//! order": neither index yields that order, so both databases gather and
//! sort every match (half a second for a one-letter prefix among a million
//! users). A search is therefore two runs, each an index range read in the
//! index's own order: first the users whose username starts with P, by
//! username; then the users whose email starts with P and username does
//! not, by email. A page then costs the same whether it is the first or
//! the thousandth, and however many users match.

use diesel::{dsl::not, prelude::*};

use super::schema::users;
use super::users::UserRow;
use super::{DbConnection, DbError};

/// Where a page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum UserCursor {
    #[default]
    Start,
    /// After this username, in the username run.
    Username(String),
    /// After this (email, username), in the email run.
    Email { email: String, username: String },
}

/// Marks a cursor in the email run. Usernames cannot contain `:`, so a
/// plain username is never mistaken for one, and the first `:` after the
/// mark ends the username.
const EMAIL_RUN: &str = "email:";

impl UserCursor {
    /// Reads the `after` parameter of a users page (what `encode` wrote).
    pub fn parse(text: &str) -> Self {
        if text.is_empty() {
            return UserCursor::Start;
        }
        match text
            .strip_prefix(EMAIL_RUN)
            .and_then(|rest| rest.split_once(':'))
        {
            Some((username, email)) => UserCursor::Email {
                email: email.to_owned(),
                username: username.to_owned(),
            },
            None => UserCursor::Username(text.to_owned()),
        }
    }

    /// An opaque `after` parameter for the next page's link.
    pub fn encode(&self) -> String {
        match self {
            UserCursor::Start => String::new(),
            UserCursor::Username(username) => username.clone(),
            UserCursor::Email { email, username } => format!("{EMAIL_RUN}{username}:{email}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<UserCursor>,
}

/// The first byte string greater than every string starting with `prefix`
/// that users can type: `[prefix, upper)` is the prefix as an index range.
fn upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Up to `limit` users after `after`: all users by username when `prefix`
/// is empty, else those whose username or email starts with it.
pub fn search(
    conn: &mut DbConnection,
    prefix: Option<&str>,
    after: &UserCursor,
    limit: i64,
) -> Result<UserPage, DbError> {
    let prefix = prefix.filter(|p| !p.is_empty());
    let limit = usize::try_from(limit.max(1)).unwrap_or(1);
    // One row more than a page tells whether another page follows.
    let wanted = limit + 1;

    let mut found = Vec::new();
    if !matches!(after, UserCursor::Email { .. }) {
        let mut query = users::table
            .select(UserRow::as_select())
            .order(users::username.asc())
            .limit(wanted as i64)
            .into_boxed();
        if let Some(prefix) = prefix {
            query = query.filter(
                users::username
                    .ge(prefix.to_owned())
                    .and(users::username.lt(upper_bound(prefix))),
            );
        }
        if let UserCursor::Username(username) = after {
            query = query.filter(users::username.gt(username.clone()));
        }
        found = query.load(conn)?;
    }
    let from_username_run = found.len();

    if let Some(prefix) = prefix.filter(|_| found.len() < wanted) {
        let upper = upper_bound(prefix);
        let mut query = users::table
            .select(UserRow::as_select())
            .filter(
                users::email
                    .ge(prefix.to_owned())
                    .and(users::email.lt(upper.clone())),
            )
            // Those were listed in the username run.
            .filter(not(users::username
                .ge(prefix.to_owned())
                .and(users::username.lt(upper))))
            .order((users::email.asc(), users::username.asc()))
            .limit((wanted - found.len()) as i64)
            .into_boxed();
        if let UserCursor::Email { email, username } = after {
            // The first conjunct lets the index start at the cursor.
            query = query.filter(users::email.ge(email.clone())).filter(
                users::email
                    .gt(email.clone())
                    .or(users::username.gt(username.clone())),
            );
        }
        found.extend(query.load(conn)?);
    }

    if found.len() <= limit {
        return Ok(UserPage {
            users: found,
            next: None,
        });
    }
    found.truncate(limit);
    let last = &found[limit - 1];
    let next = if limit <= from_username_run {
        UserCursor::Username(last.username.clone())
    } else {
        UserCursor::Email {
            email: last.email.clone().unwrap_or_default(),
            username: last.username.clone(),
        }
    };
    Ok(UserPage {
        users: found,
        next: Some(next),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_survive_their_encoding() {
        for cursor in [
            UserCursor::Start,
            UserCursor::Username("alice".into()),
            UserCursor::Username("a.b@c".into()),
            UserCursor::Email {
                email: "odd:local@example.com".into(),
                username: "bob".into(),
            },
        ] {
            assert_eq!(UserCursor::parse(&cursor.encode()), cursor);
        }
    }
}
