//! Security events: one row in `audit_events` and one line on the `audit`
//! log target. Never tokens, passwords or cookies — names and ids only.

use serde_json::Value;

use crate::db::{self, DbConnection, DbError, audit::NewAuditRow};

#[derive(Debug, Default, Clone)]
pub struct Event<'a> {
    pub kind: &'a str,
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub details: Option<Value>,
}

pub fn record(conn: &mut DbConnection, event: Event<'_>, now: i64) -> Result<(), DbError> {
    let details = event.details.unwrap_or(Value::Object(Default::default()));
    tracing::info!(
        target: "audit",
        kind = event.kind,
        actor = event.actor.unwrap_or("-"),
        subject = event.subject.unwrap_or("-"),
        client_ip = event.client_ip.unwrap_or("-"),
        details = %details,
    );
    db::audit::insert(
        conn,
        &NewAuditRow {
            id: db::new_id(),
            occurred_at: now,
            kind: event.kind.to_owned(),
            actor: event.actor.map(str::to_owned),
            subject: event.subject.map(str::to_owned),
            client_ip: event.client_ip.map(str::to_owned),
            details: details.to_string(),
        },
    )
}

/// Records an administrator's change (who, what, to whom, from where) off
/// the async workers. The admin API and the console both write through it.
pub async fn record_admin_change(
    state: &crate::startup::AppState,
    kind: &'static str,
    actor: String,
    subject: String,
    client_ip: Option<String>,
    details: Value,
) -> Result<(), DbError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            record(
                conn,
                Event {
                    kind,
                    actor: Some(&actor),
                    subject: Some(&subject),
                    client_ip: client_ip.as_deref(),
                    details: Some(details),
                },
                now,
            )
        })
        .await
}
