//! Administrative changes, one function per operation, shared by the admin
//! console, the admin API and the command line so that all three enforce
//! the same rules and leave the same audit trail.
//!
//! Every operation runs inside the caller's transaction and does three
//! things in order: checks that the actor may make the change
//! ([`privilege`]), makes it, and records an audit event. A rule that says
//! no returns an `Err`, which rolls the whole transaction back — including
//! the post-condition that an enabled administrator remains, checked after
//! the change itself.

pub mod access;
pub mod account;
pub mod account_totp;
pub mod clients;
pub mod directory;
pub mod keys;
pub mod privilege;
pub mod users;
pub mod views;

use serde_json::Value;

use crate::accounts::AccountError;
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::db::{self, DbConnection, DbError};
use access::Administrator;

/// Who makes a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A person or service account holding permissions on
    /// `gatehouse-admin`, through the console or the admin API. May only
    /// hand out, and only manage holders of, privileges it holds itself.
    Administrator {
        who: Administrator,
        client_ip: Option<String>,
    },
    /// The operator at the command line, who already holds the database and
    /// the master key; the privilege rules would protect nothing from them.
    Operator,
}

/// Runs one operation as `actor`, at the state's current time, in one
/// transaction: a refusal by any rule rolls back the change and its audit
/// event together (a database failure comes back as `AccountError::Db`).
/// Once the change has committed, this server forgets what it held in
/// memory, so the change is in force here before the caller answers.
pub async fn perform<T, F>(state: &AppState, actor: Actor, operation: F) -> Result<T, AccountError>
where
    F: FnOnce(&mut DbConnection, &Actor, i64) -> Result<T, AccountError> + Send + 'static,
    T: Send + 'static,
{
    let now = state.clock.now();
    let outcome = state
        .db
        .transaction(move |conn| operation(conn, &actor, now))
        .await?;
    crate::invalidation::refresh_now(state).await;
    Ok(outcome)
}

/// The audit `actor` for command-line changes.
pub const OPERATOR: &str = "cli";

impl Actor {
    pub fn administrator(who: Administrator, client_ip: Option<String>) -> Self {
        Actor::Administrator { who, client_ip }
    }

    fn audit_name(&self) -> &str {
        match self {
            Actor::Administrator { who, .. } => &who.sub,
            Actor::Operator => OPERATOR,
        }
    }

    /// Records the change in the same transaction as the change itself,
    /// and moves the change epoch with it, so every server re-reads what it
    /// holds in memory once the change commits (`crate::invalidation`).
    fn record(
        &self,
        conn: &mut DbConnection,
        kind: &str,
        subject: &str,
        details: Value,
        now: i64,
    ) -> Result<(), DbError> {
        let client_ip = match self {
            Actor::Administrator { client_ip, .. } => client_ip.as_deref(),
            Actor::Operator => None,
        };
        audit::record(
            conn,
            Event {
                kind,
                actor: Some(self.audit_name()),
                subject: Some(subject),
                client_ip,
                details: Some(details),
            },
            now,
        )?;
        db::change_epoch::bump(conn)
    }
}
