//! Growing delays after failed sign-ins (ASVS 4.0.3 V2.2.1), under three
//! keys: the client address, the account from that address (the pair), and
//! the account from everywhere. Five wrong guesses slow down the guesser's
//! own pair, not the account's owner signing in from elsewhere; the softer
//! per-account limit bounds guessing spread over many addresses. State
//! lives in the database so every node agrees.
//!
//! An attempt is counted under every key before its password is checked,
//! each count one conditional statement that refuses a delayed key, so
//! concurrent attempts cannot all slip in under the limit.

use std::net::IpAddr;

use crate::config::LoginSettings;
use crate::db::{
    self, DbConnection, DbError,
    login_failures::{Rule, count_attempt, uncount_attempt},
};

/// IPv6 addresses count per /64: one subscriber (or one attacker) is
/// usually handed a whole /64, so single addresses would be free to vary.
const IPV6_PREFIX_BITS: u32 = 64;

fn address(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(ip)) => ip.to_string(),
        Some(IpAddr::V6(ip)) => {
            let mask = u128::MAX << (128 - IPV6_PREFIX_BITS);
            let network = std::net::Ipv6Addr::from(u128::from(ip) & mask);
            format!("{network}/{IPV6_PREFIX_BITS}")
        }
        None => "unknown".into(),
    }
}

fn account(username: &str) -> String {
    username.to_lowercase()
}

pub fn account_key(username: &str) -> String {
    format!("account:{}", account(username))
}

/// The account first, so that unlocking an account can find its pairs.
/// Real usernames contain no `|`.
pub fn pair_key(username: &str, ip: Option<IpAddr>) -> String {
    format!("pair:{}|{}", account(username), address(ip))
}

pub fn ip_key(ip: Option<IpAddr>) -> String {
    format!("ip:{}", address(ip))
}

/// The keys of one sign-in attempt, in the order they are counted: the
/// address, the pair, the account (the key an attacker shares with the
/// owner goes last, so it only counts attempts that will be checked).
#[derive(Debug, Clone)]
pub struct AttemptKeys {
    ip: String,
    pair: String,
    account: String,
}

impl AttemptKeys {
    pub fn new(username: &str, ip: Option<IpAddr>) -> Self {
        Self {
            ip: ip_key(ip),
            pair: pair_key(username, ip),
            account: account_key(username),
        }
    }

    fn with_rules(&self, settings: &LoginSettings) -> [(&str, Rule); 3] {
        let rule = |threshold, window_secs, max_delay_secs| Rule {
            threshold,
            window_secs,
            base_delay_secs: settings.base_delay_secs,
            max_delay_secs,
        };
        [
            (
                self.ip.as_str(),
                rule(
                    settings.ip_failures_before_delay,
                    settings.failure_window_secs,
                    settings.max_delay_secs,
                ),
            ),
            (
                self.pair.as_str(),
                rule(
                    settings.pair_failures_before_delay,
                    settings.failure_window_secs,
                    settings.max_delay_secs,
                ),
            ),
            (
                self.account.as_str(),
                rule(
                    settings.account_failures_before_delay,
                    settings.account_failure_window_secs,
                    settings.account_max_delay_secs,
                ),
            ),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted under every key: check the password.
    Counted,
    /// A key is delayed: refuse without checking, nothing counted.
    Delayed { retry_after_secs: i64 },
}

/// Counts the attempt under each key in turn. If one is delayed, the counts
/// already made are taken back: a refused attempt costs nobody anything.
pub fn count(
    conn: &mut DbConnection,
    keys: &AttemptKeys,
    settings: &LoginSettings,
    now: i64,
) -> Result<Admission, DbError> {
    let rules = keys.with_rules(settings);
    for (position, (key, rule)) in rules.iter().enumerate() {
        if count_attempt(conn, key, *rule, now)?.is_none() {
            for (counted, rule) in &rules[..position] {
                uncount_attempt(conn, counted, rule.threshold)?;
            }
            return Ok(Admission::Delayed {
                retry_after_secs: retry_after(conn, &rules, now)?,
            });
        }
    }
    Ok(Admission::Counted)
}

/// Seconds until every key of the attempt is free again (at least 1).
fn retry_after(conn: &mut DbConnection, rules: &[(&str, Rule)], now: i64) -> Result<i64, DbError> {
    let mut longest = 1;
    for (key, _) in rules {
        if let Some(row) = db::login_failures::find(conn, key)? {
            longest = longest.max(row.blocked_until - now);
        }
    }
    Ok(longest)
}

/// The password was right: the pair starts afresh; the address and the
/// account take back this attempt but keep the failures of others.
pub fn succeeded(
    conn: &mut DbConnection,
    keys: &AttemptKeys,
    settings: &LoginSettings,
) -> Result<(), DbError> {
    let [ip, _, account] = keys.with_rules(settings);
    db::login_failures::clear(conn, &keys.pair)?;
    uncount_attempt(conn, ip.0, ip.1.threshold)?;
    uncount_attempt(conn, account.0, account.1.threshold)
}

/// The attempt was counted but never checked (no hashing slot was free).
pub fn not_checked(
    conn: &mut DbConnection,
    keys: &AttemptKeys,
    settings: &LoginSettings,
) -> Result<(), DbError> {
    for (key, rule) in keys.with_rules(settings) {
        uncount_attempt(conn, key, rule.threshold)?;
    }
    Ok(())
}

/// Lifts every delay on the account: its own key and all its pairs (not
/// the addresses', which other accounts share).
pub fn unlock_account(conn: &mut DbConnection, username: &str) -> Result<(), DbError> {
    db::login_failures::clear(conn, &account_key(username))?;
    db::login_failures::clear_prefix(conn, &format!("pair:{}|", account(username)))
}

/// How long a key may need remembering, for the purge.
pub fn longest_window_secs(settings: &LoginSettings) -> i64 {
    settings
        .failure_window_secs
        .max(settings.account_failure_window_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn keys_fold_case_and_group_ipv6_by_slash_64() {
        assert_eq!(account_key("Alice"), "account:alice");
        assert_eq!(
            pair_key("Alice", ip("203.0.113.7")),
            "pair:alice|203.0.113.7"
        );
        assert_eq!(ip_key(ip("::ffff:203.0.113.7")), "ip:203.0.113.7");
        assert_eq!(
            ip_key(ip("2001:db8:1:2:aaaa::1")),
            ip_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_eq!(ip_key(ip("2001:db8:1:2::9")), "ip:2001:db8:1:2::/64");
        assert_ne!(ip_key(ip("2001:db8:1:2::1")), ip_key(ip("2001:db8:1:3::1")));
        assert_eq!(ip_key(None), "ip:unknown");
    }
}
