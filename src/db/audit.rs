use diesel::prelude::*;

use super::schema::audit_events;
use super::{DbConnection, DbError};

/// A recorded event; `seq` orders events, even those of the same second.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: String,
}

/// An event to record; the database assigns its `seq`. `None` is NULL,
/// not DEFAULT, so that SQLite takes many rows in one statement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct NewAuditRow {
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: String,
}

/// Which events to list; empty fields match everything.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Events whose kind starts with this, such as `admin.` or `login.`.
    pub kind_prefix: Option<String>,
    /// Events about this user id, client id, role or API.
    pub subject: Option<String>,
    /// Events caused by this user id or client id.
    pub actor: Option<String>,
    /// Only events older than this `seq` (the previous page's last).
    pub before: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &NewAuditRow) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Several events in one statement (the group-commit writer's batch).
pub fn insert_many(conn: &mut DbConnection, rows: &[NewAuditRow]) -> Result<(), DbError> {
    let statement = diesel::insert_into(audit_events::table).values(rows);
    // Multi-row VALUES is spelled per backend; diesel's MultiConnection
    // does not carry it.
    match conn {
        DbConnection::Postgres(pg) => statement.execute(pg)?,
        DbConnection::Sqlite(sqlite) => statement.execute(sqlite)?,
    };
    Ok(())
}

/// Newest first, at most `limit`, each filter served by a `(column, seq)`
/// index.
pub fn search(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .order(audit_events::seq.desc())
        .limit(limit)
        .into_boxed();
    // A range, not LIKE: case-sensitive on both backends (SQLite's LIKE is
    // not) and served by an index.
    if let Some(prefix) = filter.kind_prefix.as_deref().filter(|p| !p.is_empty()) {
        query = query.filter(
            audit_events::kind
                .ge(prefix.to_owned())
                .and(audit_events::kind.lt(format!("{prefix}\u{10FFFF}"))),
        );
    }
    if let Some(subject) = filter.subject.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(audit_events::subject.eq(subject.to_owned()));
    }
    if let Some(actor) = filter.actor.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_events::actor.eq(actor.to_owned()));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_events::seq.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Newest first; `kind_prefix` filters by event kind.
pub fn recent(
    conn: &mut DbConnection,
    kind_prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    search(
        conn,
        &AuditFilter {
            kind_prefix: kind_prefix.map(str::to_owned),
            ..AuditFilter::default()
        },
        limit,
    )
}
