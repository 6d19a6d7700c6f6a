//! The sign-in throttle under concurrency (issue 10, defects 3 and 4):
//! every attempt is counted before its password is checked, in one
//! conditional statement per key, so concurrent guesses cannot slip past
//! the limit or lose a count; password hashing runs in a bounded number of
//! slots; five guesses slow down the guesser's own address, not the
//! account's owner elsewhere; guesses spread over many addresses meet the
//! softer per-account limit.

use std::net::IpAddr;

use gatehouse::accounts::throttle::{account_key, ip_key, pair_key};
use gatehouse::db::login_failures;
use reqwest::{StatusCode, header};
use tokio::task::JoinSet;

use super::flow::{self, PASSWORD};
use crate::helpers::{TestApp, form_value};

const WRONG: &str = "not the password";

/// The console's sign-in form (`/login?return_to=/admin`): the same
/// `authenticate` as the authorization flow's, without a pending request.
/// Cheap to clone into concurrent tasks.
#[derive(Clone)]
pub(super) struct Door {
    client: reqwest::Client,
    csrf: String,
    url: String,
}

/// What a sign-in attempt got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<i64>,
}

impl Door {
    pub async fn open(app: &TestApp) -> Door {
        let client = flow::browser();
        let response = flow::get(&client, &app.url("/login?return_to=%2Fadmin")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        let csrf = form_value(&html, "csrf_token").expect("login form without csrf_token");
        Door {
            client,
            csrf,
            url: app.url("/login"),
        }
    }

    /// Signs in with these credentials, adding `headers` (forwarding
    /// headers, in these tests).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.client.post(&self.url).form(&[
            ("return_to", "/admin"),
            ("csrf_token", self.csrf.as_str()),
            ("username", username),
            ("password", password),
        ]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let body = response.text().await.unwrap();
        assert!(
            !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
            "{body}"
        );
        match status {
            StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED => {
                assert_eq!(retry_after, None, "{status}")
            }
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(
                    retry_after.is_some_and(|s| s >= 1),
                    "{status} without Retry-After"
                )
            }
            other => panic!("unexpected {other}: {body}"),
        }
        Answer {
            status,
            retry_after,
        }
    }

    /// From this client address, through a trusted proxy.
    pub async fn sign_in_from(&self, address: &str, username: &str, password: &str) -> Answer {
        self.sign_in(username, password, &[("x-forwarded-for", address)])
            .await
    }
}

/// The stored count under `key` (0 without a row).
pub(super) fn failures(app: &TestApp, key: String) -> i64 {
    app.db(move |conn| login_failures::find(conn, &key))
        .map_or(0, |row| row.failures)
}

fn loopback() -> Option<IpAddr> {
    Some("127.0.0.1".parse().unwrap())
}

fn tally(answers: &[Answer], status: StatusCode) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// `n` sign-ins at once, all through `door`.
async fn at_once(door: &Door, n: usize, username: &str, password: &str) -> Vec<Answer> {
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let (door, username, password) = (door.clone(), username.to_owned(), password.to_owned());
        tasks.spawn(async move { door.sign_in(&username, &password, &[]).await });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn concurrent_wrong_passwords_for_one_account_check_at_most_the_limit() {
    let app = TestApp::spawn_with(|s| s.passwords.hash_queue_timeout_ms = 30_000).await;
    flow::add_alice(&app);
    let limit = app.state.settings.login.pair_failures_before_delay;
    assert_eq!(limit, 5, "the documented default");
    let door = Door::open(&app).await;
    let before = app.state.passwords.verification_count();

    let answers = at_once(&door, 40, "alice", WRONG).await;

    assert_eq!(tally(&answers, StatusCode::UNAUTHORIZED), 5, "{answers:?}");
    assert_eq!(
        tally(&answers, StatusCode::TOO_MANY_REQUESTS),
        35,
        "{answers:?}"
    );
    assert_eq!(
        app.state.passwords.verification_count() - before,
        5,
        "only the counted attempts were checked"
    );
    // Each key holds exactly the checked failures: refused attempts were
    // taken back from the keys counted before the refusing one.
    assert_eq!(failures(&app, pair_key("alice", loopback())), 5);
    assert_eq!(failures(&app, ip_key(loopback())), 5);
    assert_eq!(failures(&app, account_key("alice")), 5);
    // The right password is refused too now, without a check.
    let answer = door.sign_in("alice", PASSWORD, &[]).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        answer.retry_after,
        Some(app.state.settings.login.base_delay_secs)
    );
}

#[tokio::test]
async fn concurrent_failures_are_each_counted_none_lost() {
    let app = TestApp::spawn_with(|s| {
        s.login.pair_failures_before_delay = 1000;
        s.login.ip_failures_before_delay = 1000;
        s.login.account_failures_before_delay = 1000;
        s.passwords.hash_queue_timeout_ms = 30_000;
    })
    .await;
    flow::add_alice(&app);
    let door = Door::open(&app).await;

    let answers = at_once(&door, 40, "alice", WRONG).await;

    assert_eq!(tally(&answers, StatusCode::UNAUTHORIZED), 40, "{answers:?}");
    assert_eq!(failures(&app, pair_key("alice", loopback())), 40);
    assert_eq!(failures(&app, ip_key(loopback())), 40);
    assert_eq!(failures(&app, account_key("alice")), 40);
}

#[tokio::test]
async fn with_every_hashing_slot_taken_a_sign_in_gets_503_with_retry_after_and_counts_nothing() {
    let app = TestApp::spawn_with(|s| {
        s.passwords.max_concurrent_hashes = 1;
        s.passwords.hash_queue_timeout_ms = 20;
    })
    .await;
    flow::add_alice(&app);
    let door = Door::open(&app).await;
    let before = app.state.passwords.verification_count();

    let slot = app.state.hash_limiter.acquire().await.unwrap();
    for password in [WRONG, PASSWORD] {
        let answer = door.sign_in("alice", password, &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.retry_after, Some(1));
    }
    assert_eq!(app.state.passwords.verification_count(), before);
    // An attempt that was never checked is no failure.
    assert_eq!(failures(&app, pair_key("alice", loopback())), 0);
    assert_eq!(failures(&app, ip_key(loopback())), 0);
    assert_eq!(failures(&app, account_key("alice")), 0);

    drop(slot);
    assert_eq!(
        door.sign_in("alice", PASSWORD, &[]).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn concurrent_sign_ins_beyond_the_hashing_slots_get_503_never_500() {
    let app = TestApp::spawn_with(|s| {
        s.passwords.max_concurrent_hashes = 1;
        s.passwords.hash_queue_timeout_ms = 1;
        // Thirty sign-ins in flight at once from one address would be
        // delayed by the throttle (each is counted until it succeeds):
        // this test is about the hashing slots.
        s.login.pair_failures_before_delay = 1000;
        s.login.ip_failures_before_delay = 1000;
        // Dearer hashes, so that thirty sign-ins overlap for certain.
        s.passwords.memory_kib = 16 * 1024;
        s.passwords.iterations = 2;
    })
    .await;
    flow::add_alice(&app);
    let door = Door::open(&app).await;

    let answers = at_once(&door, 30, "alice", PASSWORD).await;

    // `sign_in` has already refused any 5xx but 503 (with Retry-After).
    assert!(
        tally(&answers, StatusCode::SERVICE_UNAVAILABLE) >= 1,
        "{answers:?}"
    );
    assert!(tally(&answers, StatusCode::SEE_OTHER) >= 1, "{answers:?}");
    assert_eq!(
        tally(&answers, StatusCode::SERVICE_UNAVAILABLE) + tally(&answers, StatusCode::SEE_OTHER),
        30,
        "{answers:?}"
    );
    assert_eq!(failures(&app, ip_key(loopback())), 0);
    assert_eq!(failures(&app, account_key("alice")), 0);
}

/// Gatehouse behind a proxy on loopback, so each test chooses its
/// clients' addresses with `X-Forwarded-For`.
async fn behind_proxy(customise: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    let app = TestApp::spawn_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        customise(s);
    })
    .await;
    flow::add_alice(&app);
    app
}

#[tokio::test]
async fn a_victim_elsewhere_signs_in_while_the_guessers_own_delays_grow() {
    let app = behind_proxy(|_| {}).await;
    let door = Door::open(&app).await;
    let (attacker, victim) = ("198.51.100.66", "203.0.113.10");
    for _ in 0..5 {
        let answer = door.sign_in_from(attacker, "alice", WRONG).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    // The guesser's pair is delayed, even with the right password …
    let answer = door.sign_in_from(attacker, "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    // … the owner, from another address, is not.
    let answer = door.sign_in_from(victim, "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);

    // Each further failure doubles the guesser's wait, up to the maximum.
    let max = app.state.settings.login.max_delay_secs;
    let mut expected = app.state.settings.login.base_delay_secs;
    for _ in 0..12 {
        let refused = door.sign_in_from(attacker, "alice", WRONG).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.retry_after, Some(expected));
        app.clock.advance(expected);
        let answer = door.sign_in_from(attacker, "alice", WRONG).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        expected = (expected * 2).min(max);
    }
    assert_eq!(expected, max, "the delay reached its cap");
    // Still the owner gets in, and the account's own count stays below
    // its limit: the guesses were 17, the owner's two successes are not
    // counted.
    let answer = door.sign_in_from(victim, "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(failures(&app, account_key("alice")), 17);
}

#[tokio::test]
async fn a_success_clears_its_pair_and_takes_back_only_its_own_count() {
    let app = behind_proxy(|_| {}).await;
    let door = Door::open(&app).await;
    let here = "198.51.100.7";
    let ip = Some(here.parse().unwrap());
    for _ in 0..4 {
        assert_eq!(
            door.sign_in_from(here, "alice", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        door.sign_in_from(here, "alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let pair = pair_key("alice", ip);
    assert!(
        app.db(move |conn| login_failures::find(conn, &pair))
            .is_none()
    );
    assert_eq!(failures(&app, ip_key(ip)), 4);
    assert_eq!(failures(&app, account_key("alice")), 4);
    // The pair starts afresh: five more failures before a delay.
    for _ in 0..5 {
        assert_eq!(
            door.sign_in_from(here, "alice", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        door.sign_in_from(here, "alice", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_meet_the_per_account_limit() {
    let app = behind_proxy(|_| {}).await;
    let door = Door::open(&app).await;
    let login = app.state.settings.login.clone();
    assert_eq!(
        login.account_failures_before_delay, 50,
        "the documented default"
    );
    let mut address = 0_u32;
    let mut fresh = || {
        address += 1;
        format!(
            "10.{}.{}.{}",
            address >> 16,
            (address >> 8) & 255,
            address & 255
        )
    };
    for _ in 0..login.account_failures_before_delay {
        let answer = door.sign_in_from(&fresh(), "alice", WRONG).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    // Now the account itself waits, from any address — briefly.
    let answer = door.sign_in_from(&fresh(), "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.retry_after, Some(login.base_delay_secs));

    // A guesser who never misses a chance, from a new address every time,
    // for the rest of the hour: ASVS V2.2.1 allows at most 100 failures an
    // hour on one account, and the account is never delayed for long.
    let mut checked = login.account_failures_before_delay;
    let mut elapsed = 0;
    loop {
        let answer = door.sign_in_from(&fresh(), "alice", WRONG).await;
        match answer.status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = answer.retry_after.unwrap();
                assert!(wait <= login.account_max_delay_secs, "{wait}");
                if elapsed + wait >= 3600 {
                    break;
                }
                app.clock.advance(wait);
                elapsed += wait;
            }
            other => panic!("{other}"),
        }
    }
    assert!(checked <= 100, "{checked} failures in an hour");
    assert!(checked >= 80, "{checked}: the limit is soft, not a lockout");
    // Once the current delay has passed, the owner signs in.
    app.clock.advance(login.account_max_delay_secs);
    let answer = door.sign_in_from(&fresh(), "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn password_changes_through_the_admin_api_wait_for_a_hashing_slot_too() {
    let app = TestApp::spawn_with(|s| {
        s.passwords.max_concurrent_hashes = 1;
        s.passwords.hash_queue_timeout_ms = 20;
    })
    .await;
    flow::add_alice(&app);
    let admin = crate::admin_api::Api::ops(&app).await;
    let body = serde_json::json!({ "password": "a brand new passphrase" });

    let slot = app.state.hash_limiter.acquire().await.unwrap();
    let reply = admin.put("/users/alice/password", Some(body.clone())).await;
    reply.expect_error(503, "unavailable");
    assert_eq!(reply.header("retry-after"), "1");

    drop(slot);
    admin
        .put("/users/alice/password", Some(body))
        .await
        .expect(204);
}

#[tokio::test]
async fn a_delayed_key_is_remembered_for_its_window_after_the_delay_even_through_a_purge() {
    // A delay longer than the window: the window counts from its end.
    let app = TestApp::spawn_with(|s| {
        s.login.pair_failures_before_delay = 1;
        s.login.base_delay_secs = 1000;
        s.login.max_delay_secs = 7200;
        s.login.account_max_delay_secs = 7200;
        s.login.failure_window_secs = 900;
        s.login.account_failure_window_secs = 900;
    })
    .await;
    flow::add_alice(&app);
    let door = Door::open(&app).await;
    let answer = door.sign_in("alice", WRONG, &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // More than the window since the failure, not since the delay ended.
    app.clock.advance(1001);
    gatehouse::housekeeping::sweep(&app.state).await.unwrap();
    assert_eq!(failures(&app, pair_key("alice", loopback())), 1);
    let answer = door.sign_in("alice", WRONG, &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = door.sign_in("alice", PASSWORD, &[]).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.retry_after, Some(2000), "the delay went on doubling");
}
