//! A change made on one node is in force on the others within two seconds:
//! they hold clients, users' standing and keys in memory, and learn of the
//! change by PostgreSQL `LISTEN/NOTIFY` (the epoch poll is the fallback).

use diesel::{ExpressionMethods, RunQueryDsl};
use gatehouse::{
    administration::{self, Actor, clients, keys, users},
    db::{DbConnection, schema},
};
use reqwest::StatusCode;

use super::kit::*;
use crate::helpers::TestApp;

const API: &str = "https://api.example";

/// An API, a service client with tokens for it, and a resource server that
/// may introspect them.
fn add_service_clients(env: &crate::helpers::TestEnv) -> (String, String) {
    cli(env, &["api", "add", API, "--name", "Api"]);
    let service = add_client(
        env,
        "svc",
        &["--grant", "client_credentials", "--resource", API],
    );
    let rs = add_client(
        env,
        "rs",
        &["--grant", "client_credentials", "--introspect", API],
    );
    (service, rs)
}

async fn token(node: &TestApp, client: (&str, &str)) -> String {
    let response = client_credentials(node, client).await;
    assert_eq!(response.status(), StatusCode::OK, "on {}", node.address);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_client_deleted_on_one_node_is_refused_by_the_others_within_two_seconds() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    let (service, _) = add_service_clients(&env);
    // Every node now holds the client in memory.
    for node in &nodes {
        token(node, ("svc", &service)).await;
    }
    administration::perform(&nodes[0].state, Actor::Operator, |conn, actor, now| {
        clients::delete(conn, actor, "svc", now)
    })
    .await
    .unwrap();
    for node in &nodes[1..] {
        within_two_seconds("a deleted client", || async {
            client_credentials(node, ("svc", &service)).await.status() == StatusCode::UNAUTHORIZED
        })
        .await;
    }
}

#[tokio::test]
async fn a_user_disabled_on_one_node_loses_their_tokens_on_the_others_within_two_seconds() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    add_user(&env, "mira");
    let (_, rs) = add_service_clients(&env);
    let web = add_client(&env, "web", &["--skip-consent", "--resource", API]);
    let browser = Browser::new();
    let a = &nodes[0];
    // Sign in on A (consent is skipped) and redeem there.
    let authorize = browser.get(&a.url(&authorize_path("web", "openid"))).await;
    let login = location(&authorize);
    let page = browser
        .get(&a.url(&format!("{}?{}", login.path(), login.query().unwrap())))
        .await
        .text()
        .await
        .unwrap();
    let request = crate::helpers::form_value(&page, "request").unwrap();
    let csrf = crate::helpers::form_value(&page, "csrf_token").unwrap();
    let logged_in = browser
        .post_form(
            &a.url("/login"),
            &[
                ("request", request.as_str()),
                ("csrf_token", &csrf),
                ("username", "mira"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let code = param(&location(&logged_in), "code").unwrap();
    let response = redeem(a, ("web", &web), &code).await;
    let body: serde_json::Value = response.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    for node in &nodes {
        assert_eq!(
            introspect(node, ("rs", &rs), &access_token).await["active"],
            true
        );
    }

    administration::perform(&a.state, Actor::Operator, |conn, actor, now| {
        users::set_disabled(conn, actor, "mira", true, now)
    })
    .await
    .unwrap();
    for node in &nodes[1..] {
        within_two_seconds("a disabled user", || async {
            introspect(node, ("rs", &rs), &access_token).await["active"] == false
        })
        .await;
    }
}

#[tokio::test]
async fn a_key_revoked_on_one_node_is_neither_published_nor_trusted_by_the_others_within_two_seconds()
 {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 3).await;
    let (service, rs) = add_service_clients(&env);
    let access_token = token(&nodes[0], ("svc", &service)).await;
    let kid = nodes[0]
        .state
        .keys
        .signer(nodes[0].state.settings.tokens.access_token_alg)
        .map(|key| key.kid().to_owned())
        .unwrap();
    for node in &nodes {
        assert!(node.published_kids().await.contains(&kid));
        assert_eq!(
            introspect(node, ("rs", &rs), &access_token).await["active"],
            true
        );
    }

    keys::apply(
        &nodes[0].state,
        Actor::Operator,
        move |conn, actor, store, now| keys::revoke(conn, actor, store, &kid, now).map(|_| kid),
    )
    .await
    .unwrap();
    for node in &nodes[1..] {
        within_two_seconds("a revoked key", || async {
            introspect(node, ("rs", &rs), &access_token).await["active"] == false
        })
        .await;
    }
}

/// The announcement alone moves the nodes: a client disabled behind their
/// back (no epoch bump, so the poll sees nothing for 30 s) is refused once
/// `NOTIFY` says something changed.
#[tokio::test]
async fn an_announcement_alone_empties_every_node_s_caches() {
    let Some(env) = cluster_env() else { return };
    let nodes = nodes(&env, 2).await;
    let (service, _) = add_service_clients(&env);
    // Past the polls that follow the set-up's own changes.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for node in &nodes {
        token(node, ("svc", &service)).await;
    }
    nodes[0].db(|conn: &mut DbConnection| {
        diesel::update(schema::clients::table)
            .filter(schema::clients::client_id.eq("svc"))
            .set(schema::clients::disabled.eq(true))
            .execute(conn)?;
        Ok(())
    });
    // Still served from memory: nothing announced, the epoch did not move.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    for node in &nodes {
        assert_eq!(
            client_credentials(node, ("svc", &service)).await.status(),
            StatusCode::OK
        );
    }
    nodes[0].db(|conn| {
        diesel::sql_query("NOTIFY gatehouse_change").execute(conn)?;
        Ok(())
    });
    for node in &nodes {
        within_two_seconds("an announced change", || async {
            client_credentials(node, ("svc", &service)).await.status() == StatusCode::UNAUTHORIZED
        })
        .await;
    }
}

/// Every administrative change announces itself when it commits — here
/// one made by the command line, another process.
#[tokio::test]
async fn every_administrative_change_is_announced_when_it_commits() {
    use diesel::{Connection, pg::PgConnection};
    let Some(env) = cluster_env() else { return };
    let _node =
        TestApp::spawn_in(env.clone(), |s| s.master_key = MASTER_KEY.to_owned().into()).await;
    let mut listener = PgConnection::establish(env.database_url()).unwrap();
    diesel::sql_query("LISTEN gatehouse_change")
        .execute(&mut listener)
        .unwrap();
    add_user(&env, "mira");
    let started = std::time::Instant::now();
    let mut heard = 0;
    while heard == 0 && started.elapsed() < WITHIN {
        heard = listener.notifications_iter().map(Result::unwrap).count();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(heard > 0, "no announcement of the change");
}
