//! Sign-in throttle counters, one row per key. Counting and checking are
//! one conditional upsert per key, so concurrent attempts each see the
//! others' counts and none is lost.

use diesel::dsl::{case_when, not};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::login_failures;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_failures)]
pub struct LoginFailureRow {
    pub throttle_key: String,
    pub failures: i64,
    pub first_failure_at: i64,
    pub last_failure_at: i64,
    pub blocked_until: i64,
}

/// How one key counts: failures before the first delay, how long a quiet
/// key remembers, and the first and longest delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub threshold: i64,
    pub window_secs: i64,
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
}

/// diesel's `MultiConnection` backend has no `ON CONFLICT`: the same
/// statement is written out once for each concrete backend.
macro_rules! on_each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            DbConnection::Postgres($c) => $body,
            DbConnection::Sqlite($c) => $body,
        }
    };
}

pub fn find(conn: &mut DbConnection, key: &str) -> Result<Option<LoginFailureRow>, DbError> {
    super::unique_row(
        login_failures::table
            .find(key)
            .select(LoginFailureRow::as_select()),
        conn,
    )
}

/// Counts one attempt under `key` unless the key is delayed, in one
/// statement:
///
/// ```sql
/// INSERT … VALUES (key, 1, now, now, …) ON CONFLICT (throttle_key) DO UPDATE
///   SET failures = failures + 1 (or 1 once the window has passed), …,
///       blocked_until = now + the next delay (once past the threshold)
///   WHERE login_failures.blocked_until <= now RETURNING failures
/// ```
///
/// The row lock (PostgreSQL) or the single writer (SQLite) orders
/// concurrent attempts; each sees the count the previous one left. `Some`
/// with the new count if the attempt was counted, `None` if the key was
/// delayed (and nothing changed). It commits on its own: a refused or
/// failed sign-in must not roll it back.
pub fn count_attempt(
    conn: &mut DbConnection,
    key: &str,
    rule: Rule,
    now: i64,
) -> Result<Option<i64>, DbError> {
    // `filter` on an upsert is the `WHERE` of its `DO UPDATE`.
    use diesel::query_dsl::methods::FilterDsl as _;
    use login_failures::dsl::{
        blocked_until, failures, first_failure_at, last_failure_at, throttle_key,
    };
    let Rule {
        threshold,
        window_secs,
        base_delay_secs,
        max_delay_secs,
    } = rule;
    let first = LoginFailureRow {
        throttle_key: key.to_owned(),
        failures: 1,
        first_failure_at: now,
        last_failure_at: now,
        blocked_until: if threshold <= 1 {
            now + base_delay_secs
        } else {
            0
        },
    };
    // A key is forgotten after `window_secs` without a failure and without
    // a delay: counted from the end of the delay, or a delay as long as the
    // window would wipe the count the moment it ended.
    let forgotten = now.saturating_sub(window_secs);
    // Each SET expression sees the row as it was before this statement.
    let within_window = last_failure_at
        .gt(forgotten)
        .or(blocked_until.gt(forgotten));
    let new_failures = case_when::<_, _, BigInt>(within_window, failures + 1).otherwise(1_i64);
    let new_first = case_when::<_, _, BigInt>(within_window, first_failure_at).otherwise(now);
    // The previous delay is what the previous failure added to its own
    // time (nothing once undone or below the threshold): doubled, capped.
    let previous_delay = blocked_until - last_failure_at;
    let new_blocked = case_when::<_, _, BigInt>(not(within_window), first.blocked_until)
        .when((failures + 1).lt(threshold), 0_i64)
        .when(previous_delay.le(0_i64), now + base_delay_secs)
        .when(
            (previous_delay * 2).ge(max_delay_secs),
            now + max_delay_secs,
        )
        .otherwise(previous_delay * 2 + now);
    let counted: Vec<i64> = on_each_backend!(conn, c => diesel::insert_into(login_failures::table)
        .values(&first)
        .on_conflict(throttle_key)
        .do_update()
        .set((
            failures.eq(new_failures),
            first_failure_at.eq(new_first),
            last_failure_at.eq(now),
            blocked_until.eq(new_blocked),
        ))
        .filter(blocked_until.le(now))
        .returning(failures)
        .get_results(c))?;
    Ok(counted.into_iter().next())
}

/// Takes back one attempt counted by `count_attempt` (it succeeded, or was
/// never checked). Below the threshold again, the delay it may have
/// started is lifted too.
pub fn uncount_attempt(conn: &mut DbConnection, key: &str, threshold: i64) -> Result<(), DbError> {
    use login_failures::dsl::{blocked_until, failures};
    diesel::update(login_failures::table.find(key))
        .set((
            failures
                .eq(case_when::<_, _, BigInt>(failures.gt(0_i64), failures - 1).otherwise(0_i64)),
            blocked_until.eq(
                case_when::<_, _, BigInt>((failures - 1).lt(threshold), 0_i64)
                    .otherwise(blocked_until),
            ),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(login_failures::table.find(key)).execute(conn)?;
    Ok(())
}

/// Deletes every key starting with `prefix` (taken literally).
pub fn clear_prefix(conn: &mut DbConnection, prefix: &str) -> Result<(), DbError> {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    diesel::delete(
        login_failures::table.filter(login_failures::throttle_key.like(pattern).escape('\\')),
    )
    .execute(conn)?;
    Ok(())
}
