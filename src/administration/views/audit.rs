//! The audit log: the admin API's filtered search, and the console's
//! search by "user" with the usernames of the ids it shows.

use std::collections::HashMap;

use crate::db::{self, DbConnection, DbError};

pub use crate::db::audit::{AuditFilter, AuditRow};

/// Events matching `filter`, newest first, at most `limit`: 1 query.
pub fn search(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    db::audit::search(conn, filter, limit)
}

/// What the console's audit form asks for.
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    pub kind_prefix: Option<String>,
    /// A username, user id, client id, role or API name, or the name a
    /// failed sign-in tried.
    pub user: Option<String>,
    /// Only events older than this `seq`.
    pub before: Option<i64>,
}

/// A page of events with the username of every actor and subject that is
/// a user id.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub rows: Vec<AuditRow>,
    pub usernames: HashMap<String, String>,
}

/// The events of one page, newest first, at most `limit`, and the
/// usernames they name: at most 6 queries. "User" matches events about or
/// by them: a username stands for its user id, and what was typed also
/// counts as itself. Each of those (at most four) searches is served by a
/// `(column, seq)` index; the first `limit` of their union are among the
/// first `limit` of each, so keyset paging stays exact.
pub fn by_user(
    conn: &mut DbConnection,
    search: &UserSearch,
    limit: usize,
) -> Result<EventPage, DbError> {
    let rows = find(conn, search, limit)?;
    let usernames = usernames_of(conn, &rows)?;
    Ok(EventPage { rows, usernames })
}

fn find(
    conn: &mut DbConnection,
    search: &UserSearch,
    limit: usize,
) -> Result<Vec<AuditRow>, DbError> {
    let limit_i64 = i64::try_from(limit).unwrap_or(i64::MAX);
    let base = AuditFilter {
        kind_prefix: search.kind_prefix.clone(),
        before: search.before,
        ..AuditFilter::default()
    };
    let Some(typed) = &search.user else {
        return db::audit::search(conn, &base, limit_i64);
    };
    let mut names = vec![typed.clone()];
    if let Some(user) = db::users::find_by_username(conn, typed)?
        && user.id != *typed
    {
        names.push(user.id);
    }
    let mut rows = Vec::new();
    for name in names {
        for filter in [
            AuditFilter {
                subject: Some(name.clone()),
                ..base.clone()
            },
            AuditFilter {
                actor: Some(name.clone()),
                ..base.clone()
            },
        ] {
            rows.extend(db::audit::search(conn, &filter, limit_i64)?);
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.seq));
    rows.dedup_by_key(|row| row.seq);
    rows.truncate(limit);
    Ok(rows)
}

/// Username by user id, for every actor and subject of the page that is
/// one: a single query.
fn usernames_of(
    conn: &mut DbConnection,
    rows: &[AuditRow],
) -> Result<HashMap<String, String>, DbError> {
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|row| [row.actor.clone(), row.subject.clone()])
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    Ok(db::users::usernames_by_ids(conn, &ids)?
        .into_iter()
        .collect())
}
