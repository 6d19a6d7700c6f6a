//! Growing delays after failed sign-ins, per account and per client IP.
//! State lives in the database so every node agrees.

use crate::config::LoginSettings;
use crate::db::{self, DbConnection, DbError, login_failures::LoginFailureRow};

pub fn account_key(username: &str) -> String {
    format!("account:{}", username.to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the longest block among `keys` ends, if any is blocked.
pub fn blocked_for(
    conn: &mut DbConnection,
    keys: &[String],
    now: i64,
) -> Result<Option<i64>, DbError> {
    let mut longest = None;
    for key in keys {
        if let Some(row) = db::login_failures::find(conn, key)?
            && row.blocked_until > now
        {
            longest = Some(longest.unwrap_or(0).max(row.blocked_until - now));
        }
    }
    Ok(longest)
}

/// Counts a failure. Past `threshold` failures inside the window, each one
/// doubles the delay before the next attempt is even checked.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    threshold: i64,
    settings: &LoginSettings,
    now: i64,
) -> Result<(), DbError> {
    let previous = db::login_failures::find(conn, key)?
        .filter(|row| row.last_failure_at + settings.failure_window_secs > now);
    let (failures, first_failure_at) = match previous {
        Some(row) => (row.failures + 1, row.first_failure_at),
        None => (1, now),
    };
    let blocked_until = if failures >= threshold {
        let exponent = u32::try_from((failures - threshold).min(30)).unwrap_or(30);
        let delay = settings
            .base_delay_secs
            .saturating_mul(1_i64 << exponent)
            .min(settings.max_delay_secs);
        now + delay
    } else {
        0
    };
    db::login_failures::save(
        conn,
        &LoginFailureRow {
            throttle_key: key.to_owned(),
            failures,
            first_failure_at,
            last_failure_at: now,
            blocked_until,
        },
    )
}

pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    db::login_failures::clear(conn, key)
}
