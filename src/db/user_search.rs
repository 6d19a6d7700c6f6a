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
    search_with_threshold(conn, prefix, after, limit, FEW)
}

/// `search`, with another line between "few" and "many" users (see
/// `email_run`), so that tests can show both ways give the same pages
/// without ten thousand users.
pub fn search_with_threshold(
    conn: &mut DbConnection,
    prefix: Option<&str>,
    after: &UserCursor,
    limit: i64,
    few: i64,
) -> Result<UserPage, DbError> {
    let prefix = prefix.filter(|p| !p.is_empty());
    let limit = usize::try_from(limit.max(1)).unwrap_or(1);
    // One row more than a page tells whether another page follows.
    let wanted = limit + 1;

    let mut found = match after {
        UserCursor::Email { .. } => Vec::new(),
        UserCursor::Username(username) => username_run(conn, prefix, Some(username), wanted)?,
        UserCursor::Start => username_run(conn, prefix, None, wanted)?,
    };
    let from_username_run = found.len();
    if let Some(prefix) = prefix.filter(|_| found.len() < wanted) {
        let cursor = match after {
            UserCursor::Email { email, username } => Some((email.as_str(), username.as_str())),
            _ => None,
        };
        found.extend(email_run(conn, prefix, cursor, wanted - found.len(), few)?);
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

/// Users whose username starts with `prefix` (all, without one), after
/// `after`, by username.
fn username_run(
    conn: &mut DbConnection,
    prefix: Option<&str>,
    after: Option<&str>,
    wanted: usize,
) -> Result<Vec<UserRow>, DbError> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::username.asc())
        .limit(wanted as i64)
        .into_boxed();
    // One lower bound, the tighter: SQLite starts its index range at the
    // first bound it is given and filters the rest row by row.
    match (prefix, after) {
        (Some(prefix), Some(after)) if after < prefix => {
            query = query.filter(users::username.ge(prefix.to_owned()));
        }
        (_, Some(after)) => query = query.filter(users::username.gt(after.to_owned())),
        (Some(prefix), None) => query = query.filter(users::username.ge(prefix.to_owned())),
        (None, None) => {}
    }
    if let Some(prefix) = prefix {
        query = query.filter(users::username.lt(upper_bound(prefix)));
    }
    Ok(query.load(conn)?)
}

/// How many rows a count may read before it stops: the line between "few"
/// and "many" in `email_run`.
const FEW: i64 = 2_000;

/// Users whose email starts with `prefix` and username does not, after
/// `after`, by (email, username).
///
/// The email index yields them in order, but has to step over every match
/// whose username matches too: when nearly everyone's does (a one-letter
/// search), that is the whole index. So when the email range is large and
/// the users whose username does not match are few, those few are read
/// through the username index and sorted here instead.
///
/// Each probe reads one index range in index order with a `LIMIT`, so
/// every plan PostgreSQL may choose for it (including the generic plan of
/// a prepared statement) stops after `few` rows.
fn email_run(
    conn: &mut DbConnection,
    prefix: &str,
    after: Option<(&str, &str)>,
    wanted: usize,
    few: i64,
) -> Result<Vec<UserRow>, DbError> {
    let upper = upper_bound(prefix);
    let in_email_range: Vec<String> = users::table
        .select(users::username)
        .filter(users::email.ge(prefix.to_owned()))
        .filter(users::email.lt(upper.clone()))
        .order(users::email.asc())
        .limit(few)
        .load(conn)?;
    if in_email_range.len() as i64 >= few
        && let Some(others) = few_others(conn, prefix, &upper, few)?
    {
        return sorted_here(conn, others, prefix, after, wanted);
    }

    let mut query = users::table
        .select(UserRow::as_select())
        .filter(users::email.lt(upper.clone()))
        // Those were listed in the username run.
        .filter(not(users::username
            .ge(prefix.to_owned())
            .and(users::username.lt(upper))))
        .order((users::email.asc(), users::username.asc()))
        .limit(wanted as i64)
        .into_boxed();
    // One lower bound, the tighter (as in the username run).
    match after {
        Some((email, username)) if email >= prefix => {
            query = query.filter(users::email.ge(email.to_owned())).filter(
                users::email
                    .gt(email.to_owned())
                    .or(users::username.gt(username.to_owned())),
            );
        }
        _ => query = query.filter(users::email.ge(prefix.to_owned())),
    }
    Ok(query.load(conn)?)
}

/// `(id, username, email)`: enough of a user to place it in the email run.
type Placed = (String, String, Option<String>);

/// `(id, username, email)` of the users whose username does not start with
/// the prefix (below it, or at or above `upper`), if fewer than `few`.
fn few_others(
    conn: &mut DbConnection,
    prefix: &str,
    upper: &str,
    few: i64,
) -> Result<Option<Vec<Placed>>, DbError> {
    let below: Vec<Placed> = users::table
        .select((users::id, users::username, users::email))
        .filter(users::username.lt(prefix.to_owned()))
        .order(users::username.desc())
        .limit(few)
        .load(conn)?;
    if below.len() as i64 >= few {
        return Ok(None);
    }
    let above: Vec<Placed> = users::table
        .select((users::id, users::username, users::email))
        .filter(users::username.ge(upper.to_owned()))
        .order(users::username.asc())
        .limit(few - below.len() as i64)
        .load(conn)?;
    if (below.len() + above.len()) as i64 >= few {
        return Ok(None);
    }
    Ok(Some(below.into_iter().chain(above).collect()))
}

/// The email run from `others` (the few users whose username does not
/// match), sorted here.
fn sorted_here(
    conn: &mut DbConnection,
    others: Vec<Placed>,
    prefix: &str,
    after: Option<(&str, &str)>,
    wanted: usize,
) -> Result<Vec<UserRow>, DbError> {
    let mut matching: Vec<(String, String, String)> = others
        .into_iter()
        .filter_map(|(id, username, email)| Some((email?, username, id)))
        .filter(|(email, username, _)| {
            email.starts_with(prefix)
                && after.is_none_or(|(e, u)| (email.as_str(), username.as_str()) > (e, u))
        })
        .collect();
    matching.sort();
    matching.truncate(wanted);
    let ids: Vec<String> = matching.iter().map(|(_, _, id)| id.clone()).collect();
    let mut rows: Vec<UserRow> = users::table
        .select(UserRow::as_select())
        .filter(users::id.eq_any(&ids))
        .load(conn)?;
    rows.sort_by(|a, b| (&a.email, &a.username).cmp(&(&b.email, &b.username)));
    Ok(rows)
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
