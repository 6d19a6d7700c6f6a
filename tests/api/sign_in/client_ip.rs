//! The client address behind a proxy (issue 10, defect 4): forwarding
//! headers count only from `server.trusted_proxies`, and then only their
//! right-most untrusted address; it keys the sign-in throttle and is what
//! the audit log records.

use gatehouse::db::{self, audit::AuditRow};
use reqwest::StatusCode;

use super::flow::{self, PASSWORD};
use super::throttle::Door;
use crate::helpers::TestApp;

const WRONG: &str = "not the password";

fn sign_in_events(app: &TestApp) -> Vec<AuditRow> {
    app.db(|conn| db::audit::recent(conn, Some("login."), 1000))
}

/// The client address of the latest sign-in event.
fn last_client_ip(app: &TestApp) -> String {
    sign_in_events(app)
        .into_iter()
        .next()
        .and_then(|event| event.client_ip)
        .expect("no sign-in event with an address")
}

async fn app_with(customise: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    let app = TestApp::spawn_with(|s| {
        s.login.ip_failures_before_delay = 3;
        customise(s);
    })
    .await;
    flow::add_alice(&app);
    app
}

fn trust(settings: &mut gatehouse::config::Settings, ranges: &[&str]) {
    settings.server.trusted_proxies = ranges.iter().map(|r| r.parse().unwrap()).collect();
}

#[tokio::test]
async fn behind_a_trusted_proxy_two_forwarded_clients_are_throttled_apart() {
    let app = app_with(|s| trust(s, &["127.0.0.1/32"])).await;
    let door = Door::open(&app).await;
    for name in ["u1", "u2", "u3"] {
        let answer = door.sign_in_from("198.51.100.1", name, WRONG).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_client_ip(&app), "198.51.100.1");
    }
    let answer = door.sign_in_from("198.51.100.1", "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client of the same proxy is not held back by the first.
    let answer = door.sign_in_from("198.51.100.2", "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(last_client_ip(&app), "198.51.100.2");
}

#[tokio::test]
async fn without_trusted_proxies_forged_forwarding_headers_are_ignored() {
    let app = app_with(|_| {}).await;
    let door = Door::open(&app).await;
    for (n, forged) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let forwarded = format!("for={forged}");
        let answer = door
            .sign_in(
                &format!("u{n}"),
                WRONG,
                &[
                    ("x-forwarded-for", forged),
                    ("forwarded", forwarded.as_str()),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_client_ip(&app), "127.0.0.1");
    }
    // Every forged address was the one TCP peer: it is throttled now.
    let answer = door.sign_in_from("198.51.100.4", "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_peer_outside_the_trusted_ranges_cannot_forward_either() {
    let app = app_with(|s| trust(s, &["10.0.0.0/8", "::1/128"])).await;
    let door = Door::open(&app).await;
    for (n, name) in ["u1", "u2", "u3"].into_iter().enumerate() {
        let answer = door
            .sign_in_from(&format!("198.51.100.{n}"), name, WRONG)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_client_ip(&app), "127.0.0.1");
    }
    let answer = door.sign_in_from("198.51.100.9", "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_right_most_untrusted_address_of_a_forwarded_chain_is_the_client() {
    let app = app_with(|s| trust(s, &["127.0.0.1/32", "10.0.0.0/8"])).await;
    let door = Door::open(&app).await;
    // The client forges the left of the chain differently each time; the
    // proxies (10.0.0.2, then 127.0.0.1) append what they saw.
    for (name, chain) in [
        ("u1", "1.1.1.1, 198.51.100.7, 10.0.0.2"),
        ("u2", "2.2.2.2,198.51.100.7,10.0.0.2"),
        ("u3", "10.9.9.9, 3.3.3.3, 198.51.100.7, 10.0.0.2"),
    ] {
        let answer = door
            .sign_in(name, WRONG, &[("x-forwarded-for", chain)])
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(last_client_ip(&app), "198.51.100.7", "{chain}");
    }
    let answer = door
        .sign_in_from("4.4.4.4, 198.51.100.7, 10.0.0.2", "alice", PASSWORD)
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    // Its neighbour behind the same proxies is someone else.
    let answer = door
        .sign_in_from("198.51.100.8, 10.0.0.2", "alice", PASSWORD)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(last_client_ip(&app), "198.51.100.8");
}

#[tokio::test]
async fn forwarded_for_in_its_rfc_7239_forms_names_the_client() {
    let app = app_with(|s| {
        trust(s, &["127.0.0.1/32"]);
        s.server.client_ip_header = gatehouse::config::ClientIpHeader::Forwarded;
    })
    .await;
    let door = Door::open(&app).await;
    for (value, client) in [
        ("for=\"[::1]:1234\"", "::1"),
        ("for=192.0.2.60;proto=https;by=203.0.113.43", "192.0.2.60"),
        ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
        ("for=\"192.0.2.61:8080\", for=127.0.0.1", "192.0.2.61"),
        ("for=unknown", "127.0.0.1"),
    ] {
        let answer = door.sign_in("alice", WRONG, &[("forwarded", value)]).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value}");
        assert_eq!(last_client_ip(&app), client, "{value}");
    }
    // With `forwarded` configured, X-Forwarded-For is just another header.
    let answer = door.sign_in_from("198.51.100.99", "alice", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(last_client_ip(&app), "127.0.0.1");
}

#[tokio::test]
async fn the_admin_api_audits_the_forwarded_client_address() {
    let app = app_with(|s| trust(s, &["127.0.0.1/32"])).await;
    let admin = crate::admin_api::Api::ops(&app).await;
    let response = app
        .client
        .post(app.url("/admin/api/v1/users/alice/unlock"))
        .bearer_auth(&admin.token)
        .header("x-forwarded-for", "198.51.100.44")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let events = app.db(|conn| db::audit::recent(conn, Some("admin.user.unlocked"), 10));
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].client_ip.as_deref(), Some("198.51.100.44"));
}

#[test]
fn trusted_proxies_come_from_the_environment_and_a_bad_range_exits_2() {
    let cwd = tempfile::tempdir().unwrap();
    let run = |value: &str| {
        let mut command = crate::helpers::cli_command(cwd.path());
        command.env("GATEHOUSE__SERVER__TRUSTED_PROXIES", value);
        // `migrate`: it may create the database in `cwd`; an
        // administrative command would refuse to.
        crate::helpers::run_cli(command, &["migrate"], None)
    };
    run("10.0.0.0/8,127.0.0.1/32").ok();
    let out = run("10.0.0.0/8,10.0.0.0/33");
    let line = out.fails_with(2);
    assert!(line.contains("configuration error"), "{out}");
    assert!(line.contains("server.trusted_proxies"), "{out}");
    assert!(line.contains("10.0.0.0/33"), "{out}");
}
