//! Cluster-wide jobs run on one node: the housekeeping sweep's advisory
//! lock has one holder, and when that node stops another takes it over.

use std::time::{Duration, Instant};

use diesel::{QueryableByName, RunQueryDsl, sql_types::Integer};
use gatehouse::db::{DbConnection, advisory::Lock};

use super::kit::*;
use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// The backend pids holding `lock` on the cluster's database.
fn holders(conn: &mut DbConnection, lock: Lock) -> Vec<i32> {
    let id = lock.id();
    diesel::sql_query(format!(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND ((classid::bigint << 32) | objid::bigint) = {id}"
    ))
    .load::<Holder>(conn)
    .unwrap()
    .into_iter()
    .map(|h| h.pid)
    .collect()
}

async fn holder_after(node: &TestApp, not: Option<i32>, within: Duration) -> i32 {
    let started = Instant::now();
    loop {
        let now_held = node.db(|conn| Ok(holders(conn, Lock::Housekeeping)));
        assert!(now_held.len() <= 1, "two holders: {now_held:?}");
        if let Some(pid) = now_held.first().copied().filter(|pid| Some(*pid) != not) {
            return pid;
        }
        assert!(started.elapsed() < within, "nobody took the sweep over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn one_node_sweeps_and_another_takes_over_when_it_stops() {
    let Some(env) = cluster_env() else { return };
    let every_second = |s: &mut gatehouse::config::Settings| {
        s.master_key = MASTER_KEY.to_owned().into();
        s.housekeeping.interval_secs = 1;
    };
    let first = TestApp::spawn_in(env.clone(), every_second).await;
    let held_by_first = holder_after(&first, None, Duration::from_secs(5)).await;
    let issuer = first.issuer.clone();
    let others = [
        TestApp::spawn_in(env.clone(), |s| {
            every_second(s);
            s.server.issuer = issuer.clone();
        })
        .await,
        TestApp::spawn_in(env.clone(), |s| {
            every_second(s);
            s.server.issuer = issuer.clone();
        })
        .await,
    ];
    // The others ask every second and are refused: still one holder.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        others[0].db(|conn| Ok(holders(conn, Lock::Housekeeping))),
        vec![held_by_first]
    );

    drop(first);
    holder_after(&others[0], Some(held_by_first), Duration::from_secs(5)).await;
}
