//! Nodes starting together on a new database: migrations run once, under
//! an advisory lock, and the first signing keys are created once.

use std::collections::BTreeMap;

use gatehouse::db::signing_keys;

use super::kit::*;
use crate::helpers::TestApp;

#[tokio::test]
async fn nodes_and_migrate_commands_starting_together_on_a_new_database_all_succeed_and_agree() {
    let Some(env) = cluster_env() else { return };
    // Three `gatehouse migrate` processes and three servers, all at once on
    // the empty database.
    let migrations: Vec<_> = (0..3)
        .map(|_| {
            let mut command = env.command();
            command.arg("migrate");
            std::thread::spawn(move || command.output().unwrap())
        })
        .collect();
    let node = || {
        TestApp::try_spawn_in(env.clone(), |s| {
            s.master_key = MASTER_KEY.to_owned().into();
        })
    };
    let (a, b, c) = tokio::join!(node(), node(), node());
    let nodes: Vec<TestApp> = [a, b, c]
        .into_iter()
        .map(|n| n.unwrap_or_else(|e| panic!("a node did not start: {e}")))
        .collect();
    for migration in migrations {
        let out = migration.join().unwrap();
        assert!(
            out.status.success(),
            "gatehouse migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // One first key per algorithm, not one per node, published alike by all.
    let keys = nodes[0].db(signing_keys::list);
    let mut per_alg: BTreeMap<String, usize> = BTreeMap::new();
    for key in &keys {
        *per_alg.entry(key.alg.clone()).or_default() += 1;
    }
    assert!(
        per_alg.values().all(|n| *n == 1),
        "first keys created more than once: {per_alg:?}"
    );
    let published = nodes[0].published_kids().await;
    for node in &nodes[1..] {
        assert_eq!(node.published_kids().await, published);
    }
}
