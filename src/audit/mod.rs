//! Security events: one row in `audit_events` and one line on the `audit`
//! log target. Never tokens, passwords or cookies — names and ids only.

mod queue;

use serde_json::Value;

pub use queue::AuditQueue;

use crate::db::{self, DbConnection, DbError, audit::NewAuditRow};

#[derive(Debug, Default, Clone)]
pub struct Event<'a> {
    pub kind: &'a str,
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub details: Option<Value>,
}

/// Records `event` in the caller's transaction, with what it changed.
pub fn record(conn: &mut DbConnection, event: Event<'_>, now: i64) -> Result<(), DbError> {
    db::audit::insert(conn, &row_for(event, now))
}

/// The log line, now, and the row to store.
fn row_for(event: Event<'_>, now: i64) -> NewAuditRow {
    let details = event.details.unwrap_or(Value::Object(Default::default()));
    tracing::info!(
        target: "audit",
        kind = event.kind,
        actor = event.actor.unwrap_or("-"),
        subject = event.subject.unwrap_or("-"),
        client_ip = event.client_ip.unwrap_or("-"),
        details = %details,
    );
    NewAuditRow {
        id: db::new_id(),
        occurred_at: now,
        kind: event.kind.to_owned(),
        actor: event.actor.map(str::to_owned),
        subject: event.subject.map(str::to_owned),
        client_ip: event.client_ip.map(str::to_owned),
        details: details.to_string(),
    }
}
