//! What the token path holds in memory (issue 12) follows changes: at once
//! on the server that made them, within two seconds when another process —
//! the command line — made them. And the audit trail of tokens, written in
//! batches, is committed before the token is handed out.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::flow::*;
use crate::helpers::{TestApp, within_two_seconds};

const API: &str = "https://reports.example";

/// A service account `reporter` holding `reports:read` on `API` through
/// the role `reporting`; returns its secret.
fn add_reporter(app: &TestApp) -> String {
    app.cli(&["api", "add", API, "--name", "Reports"], None)
        .ok();
    app.cli(&["permission", "add", API, "reports:read"], None)
        .ok();
    app.cli(&["role", "add", "reporting"], None).ok();
    app.cli(&["role", "allow", "reporting", API, "reports:read"], None)
        .ok();
    let out = app.cli(
        &[
            "client",
            "add",
            "reporter",
            "--grant",
            "client_credentials",
            "--resource",
            API,
        ],
        None,
    );
    let secret = out
        .ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client secret printed: {out}"))
        .trim()
        .to_owned();
    app.cli(&["client", "grant-role", "reporter", "reporting"], None)
        .ok();
    secret
}

async fn service_token(app: &TestApp, secret: &str) -> reqwest::Response {
    post_as(
        app,
        "/token",
        Auth::Basic("reporter", secret),
        &[("grant_type", "client_credentials")],
    )
    .await
}

#[tokio::test]
async fn the_command_line_changes_what_a_running_server_issues_within_two_seconds() {
    let app = TestApp::spawn().await;
    let secret = add_reporter(&app);
    let first = token_ok(service_token(&app, &secret).await).await;
    assert_eq!(
        jwt_parts(&first.access_token).1["permissions"],
        serde_json::json!(["reports:read"])
    );

    // The grants are in memory now; another process takes the permission.
    app.env
        .cli(
            &["role", "disallow", "reporting", API, "reports:read"],
            None,
        )
        .ok();
    within_two_seconds("a permission taken away", || async {
        let tokens = token_ok(service_token(&app, &secret).await).await;
        jwt_parts(&tokens.access_token).1["permissions"] == serde_json::json!([])
    })
    .await;

    // The client is in memory too; another process disables it.
    app.env.cli(&["client", "disable", "reporter"], None).ok();
    within_two_seconds("a disabled client", || async {
        service_token(&app, &secret).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
    assert_oauth_error(
        service_token(&app, &secret).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn a_user_disabled_elsewhere_loses_userinfo_and_introspection_within_two_seconds() {
    let app = TestApp::spawn().await;
    add_reporter(&app);
    app.add_user("rahul", &[]);
    let web = app.add_client("web", &["--skip-consent", "--resource", API]);
    let rs = app.add_client(
        "rs",
        &["--grant", "client_credentials", "--introspect", API],
    );
    let tokens = tokens_in(
        &app,
        &Browser::new(),
        Auth::Basic("web", &web),
        "web",
        "openid",
        "rahul",
    )
    .await;
    let rs = Auth::Basic("rs", &rs);
    assert_eq!(
        userinfo_status(&app, &tokens.access_token).await,
        StatusCode::OK
    );
    assert_eq!(
        introspect(&app, rs, &tokens.access_token).await["active"],
        true
    );

    app.env.cli(&["user", "disable", "rahul"], None).ok();
    // Introspection decides on the token alone, so it shows the cache;
    // userinfo reads the person's claims from the database anyway.
    within_two_seconds("a disabled user at /introspect", || async {
        introspect(&app, rs, &tokens.access_token).await["active"] == false
    })
    .await;
    assert_eq!(
        userinfo_status(&app, &tokens.access_token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_change_made_through_this_server_is_in_force_at_once() {
    use gatehouse::administration::{self, Actor, clients};
    let app = TestApp::spawn().await;
    let secret = add_reporter(&app);
    let token = token_ok(service_token(&app, &secret).await).await;
    let rs = app.add_client(
        "rs",
        &["--grant", "client_credentials", "--introspect", API],
    );
    let rs = Auth::Basic("rs", &rs);
    assert_eq!(
        introspect(&app, rs, &token.access_token).await["active"],
        true
    );

    // What the console and the admin API call for a change; no poll has
    // run when the next requests arrive.
    administration::perform(&app.state, Actor::Operator, |conn, actor, now| {
        clients::set_disabled(conn, actor, "reporter", true, now)
    })
    .await
    .unwrap();
    assert_eq!(
        introspect(&app, rs, &token.access_token).await["active"],
        false
    );
    assert_oauth_error(
        service_token(&app, &secret).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

/// Holds the write lock on the audit table from another connection for
/// `held`; returns once it is held.
fn lock_audit_table(app: &TestApp, held: Duration) -> std::thread::JoinHandle<()> {
    use gatehouse::db::{DbConnection, DbError};
    let (locked, wait_locked) = std::sync::mpsc::channel();
    let db = app.state.db.clone();
    let holder = std::thread::spawn(move || {
        let _ = db.run_blocking(|conn| {
            diesel::connection::Connection::transaction::<(), DbError, _>(conn, |conn| {
                let lock = match conn {
                    DbConnection::Postgres(_) => "LOCK TABLE audit_events IN EXCLUSIVE MODE",
                    // SQLite has one write lock for the whole file.
                    DbConnection::Sqlite(_) => {
                        "INSERT INTO audit_events (id, occurred_at, kind, details) \
                         VALUES ('lock', 0, 'test.lock', '{}')"
                    }
                };
                diesel::RunQueryDsl::execute(diesel::sql_query(lock), conn)?;
                locked.send(()).unwrap();
                std::thread::sleep(held);
                Err(DbError::NotFound) // roll back
            })
        });
    });
    wait_locked.recv().unwrap();
    holder
}

#[tokio::test]
async fn a_token_is_handed_out_only_once_its_audit_event_is_committed() {
    let app = TestApp::spawn().await;
    let secret = add_reporter(&app);
    token_ok(service_token(&app, &secret).await).await;

    let held = Duration::from_millis(600);
    let locked_at = Instant::now();
    let holder = lock_audit_table(&app, held);
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .client
                .post(app.url("/token"))
                .basic_auth("reporter", Some(&secret))
                .form(&[("grant_type", "client_credentials")]);
            tokio::spawn(async move { (request.send().await.unwrap().status(), Instant::now()) })
        })
        .collect();
    for request in requests {
        let (status, answered_at) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        // The batch could only commit once the lock was released.
        assert!(
            answered_at.duration_since(locked_at) >= held,
            "answered before the commit"
        );
    }
    holder.join().unwrap();
    let recorded = app.db(|conn| {
        gatehouse::db::audit::search(
            conn,
            &gatehouse::db::audit::AuditFilter {
                kind_prefix: Some("token.issued".into()),
                actor: Some("reporter".into()),
                ..Default::default()
            },
            1000,
        )
    });
    assert_eq!(recorded.len(), 21);
}

#[tokio::test]
async fn a_token_whose_audit_event_cannot_be_written_is_refused_within_a_second() {
    let app = TestApp::spawn().await;
    let secret = add_reporter(&app);
    token_ok(service_token(&app, &secret).await).await;

    let holder = lock_audit_table(&app, Duration::from_secs(3));
    let started = Instant::now();
    let refused = service_token(&app, &secret).await;
    let took = started.elapsed();
    assert_oauth_error(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    )
    .await;
    assert!(took < Duration::from_millis(1500), "refused after {took:?}");
    holder.join().unwrap();
    token_ok(service_token(&app, &secret).await).await;
}
