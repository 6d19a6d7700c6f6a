use diesel::prelude::*;

use super::schema::audit_events;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: String,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Newest first; `kind_prefix` filters by event kind.
pub fn recent(
    conn: &mut DbConnection,
    kind_prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .into_boxed();
    // A range, not LIKE: case-sensitive on both backends (SQLite's LIKE is
    // not) and served by an index.
    if let Some(prefix) = kind_prefix.filter(|p| !p.is_empty()) {
        query = query.filter(
            audit_events::kind
                .ge(prefix.to_owned())
                .and(audit_events::kind.lt(format!("{prefix}\u{10FFFF}"))),
        );
    }
    Ok(query.load(conn)?)
}
