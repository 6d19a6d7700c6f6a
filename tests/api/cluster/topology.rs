//! The real thing: `deploy/cluster/cluster.sh` starts a throwaway
//! PostgreSQL (initdb + pg_ctl on its own port, never the suite's shared
//! one), three `gatehouse serve` processes and nginx in front. Under load,
//! one node is killed with SIGKILL and PostgreSQL is restarted.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Command, Output},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use diesel::{Connection, QueryableByName, RunQueryDsl, pg::PgConnection, sql_types::Text};
use gatehouse::db::advisory::Lock;
use reqwest::StatusCode;

use crate::helpers::{gatehouse_bin, require_tool};

const API: &str = "https://api.example";

struct Cluster {
    dir: PathBuf,
    pg_port: u16,
    lb: String,
    node_ports: Vec<u16>,
    master_key: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    fn script(&self, args: &[&str]) -> Output {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/cluster/cluster.sh");
        let mut command = Command::new("bash");
        command.arg(script).args(args);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("GATEHOUSE") {
                command.env_remove(name);
            }
        }
        let metrics: Vec<String> = (0..3).map(|_| free_port().to_string()).collect();
        command
            .env("CLUSTER_DIR", &self.dir)
            .env("CLUSTER_PG_PORT", self.pg_port.to_string())
            .env("CLUSTER_LB_PORT", self.lb.rsplit(':').next().unwrap())
            .env(
                "CLUSTER_NODE_PORTS",
                self.node_ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
            .env("CLUSTER_METRICS_PORTS", metrics.join(" "))
            .env("GATEHOUSE_BIN", gatehouse_bin())
            .env("GATEHOUSE__HOUSEKEEPING__INTERVAL_SECS", "1")
            .env("GATEHOUSE__LOG__LEVEL", "info")
            .env("GATEHOUSE__PASSWORDS__MEMORY_KIB", "1024")
            .env("GATEHOUSE__PASSWORDS__ITERATIONS", "1");
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "cluster.sh {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn start() -> Cluster {
        let lb_port = free_port();
        let mut cluster = Cluster {
            // Not under a private temporary directory: PostgreSQL's own
            // user must reach its data directory.
            dir: std::env::temp_dir().join(format!(
                "gatehouse-cluster-{}",
                uuid::Uuid::new_v4().simple()
            )),
            pg_port: free_port(),
            lb: format!("http://127.0.0.1:{lb_port}"),
            node_ports: (0..3).map(|_| free_port()).collect(),
            master_key: String::new(),
        };
        cluster.script(&["start"]);
        cluster.master_key = std::fs::read_to_string(cluster.dir.join("master.key")).unwrap();
        cluster
    }

    fn database_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/gatehouse", self.pg_port)
    }

    fn node(&self, n: usize) -> String {
        format!("http://127.0.0.1:{}", self.node_ports[n - 1])
    }

    fn cli(&self, args: &[&str]) -> String {
        let mut command = crate::helpers::cli_command(&self.dir);
        command
            .env("GATEHOUSE_DATABASE_URL", self.database_url())
            .env("GATEHOUSE_MASTER_KEY", &self.master_key)
            .env("GATEHOUSE_DATA_DIR", &self.dir);
        crate::helpers::run_cli(command, args, None).ok().to_owned()
    }

    fn add_client(&self, client_id: &str, extra: &[&str]) -> String {
        let mut args = vec!["client", "add", client_id, "--grant", "client_credentials"];
        args.extend_from_slice(extra);
        let out = self.cli(&args);
        out.lines()
            .find_map(|l| l.strip_prefix("client_secret: "))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The node (1-3) holding the housekeeping lock, if one does.
    fn sweeper(&self) -> Option<usize> {
        #[derive(QueryableByName)]
        struct Holder {
            #[diesel(sql_type = Text)]
            application_name: String,
        }
        let mut conn = PgConnection::establish(&self.database_url()).ok()?;
        let holders: Vec<Holder> = diesel::sql_query(format!(
            "SELECT a.application_name FROM pg_locks l \
             JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
             AND ((l.classid::bigint << 32) | l.objid::bigint) = {}",
            Lock::Housekeeping.id()
        ))
        .load(&mut conn)
        .ok()?;
        assert!(holders.len() <= 1, "the sweep has several holders");
        holders
            .first()?
            .application_name
            .strip_prefix("gatehouse-node-")?
            .parse()
            .ok()
    }

    async fn sweeper_within(&self, not: Option<usize>, within: Duration) -> usize {
        let started = Instant::now();
        loop {
            if let Some(node) = self.sweeper().filter(|n| Some(*n) != not) {
                return node;
            }
            assert!(started.elapsed() < within, "no node took the sweep");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/cluster/cluster.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .env("CLUSTER_DIR", &self.dir)
            .env("CLUSTER_PG_PORT", self.pg_port.to_string())
            .env(
                "CLUSTER_NODE_PORTS",
                self.node_ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
            .output();
    }
}

async fn token(http: &reqwest::Client, base: &str, secret: &str) -> Result<String, String> {
    let response = http
        .post(format!("{base}/token"))
        .basic_auth("svc", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(response.status().to_string());
    }
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    Ok(body["access_token"].as_str().unwrap().to_owned())
}

async fn active(http: &reqwest::Client, base: &str, rs: &str, token: &str) -> bool {
    let response = http
        .post(format!("{base}/introspect"))
        .basic_auth("rs", Some(rs))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["active"] == true
}

#[tokio::test]
async fn behind_nginx_a_killed_node_and_a_restarted_database_lose_nothing() {
    if !require_tool("postgres") || !require_tool("nginx") || !require_tool("curl") {
        return;
    }
    let started = Instant::now();
    let cluster = Cluster::start();
    cluster.cli(&["api", "add", API, "--name", "Api"]);
    let svc = cluster.add_client("svc", &["--resource", API]);
    let rs = cluster.add_client("rs", &["--introspect", API]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Load through nginx: idempotent reads in four loops, tokens in one.
    let victim = cluster.sweeper_within(None, Duration::from_secs(5)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (reads, read_errors) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut loops = Vec::new();
    for path in [
        "/.well-known/openid-configuration",
        "/jwks.json",
        "/readyz",
        "/healthz",
    ] {
        let (http, url) = (http.clone(), format!("{}{path}", cluster.lb));
        let (stop, reads, read_errors) = (stop.clone(), reads.clone(), read_errors.clone());
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match http.get(&url).send().await {
                    Ok(r) if r.status() == StatusCode::OK => {}
                    Ok(r) => {
                        eprintln!("{url}: {}", r.status());
                        read_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        eprintln!("{url}: {e}");
                        read_errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let issuing = {
        let (http, lb, svc, stop) = (http.clone(), cluster.lb.clone(), svc.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut issued, mut refused) = (Vec::new(), 0);
            while !stop.load(Ordering::Relaxed) {
                match token(&http, &lb, &svc).await {
                    Ok(token) => issued.push(token),
                    Err(_) => refused += 1,
                }
            }
            (issued, refused)
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.script(&["kill-node", &victim.to_string()]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for task in loops {
        task.await.unwrap();
    }
    let (issued, refused) = issuing.await.unwrap();
    let reads = reads.load(Ordering::Relaxed);
    eprintln!(
        "load: {reads} reads, {} tokens issued, {refused} token requests failed",
        issued.len()
    );
    assert_eq!(read_errors.load(Ordering::Relaxed), 0, "of {reads} reads");
    assert!(issued.len() > 10, "only {} tokens issued", issued.len());
    // Every token issued is still good, whichever node issued it.
    for token in &issued {
        assert!(active(&http, &cluster.lb, &rs, token).await);
    }
    // The killed node's sweep is taken over.
    let successor = cluster
        .sweeper_within(Some(victim), Duration::from_secs(5))
        .await;
    assert_ne!(successor, victim);

    // PostgreSQL goes away: the nodes say so at once, then recover alone.
    let alive: Vec<usize> = (1..=3).filter(|n| *n != victim).collect();
    cluster.script(&["pg-stop"]);
    for n in &alive {
        let asked = Instant::now();
        let response = http
            .get(format!("{}/readyz", cluster.node(*n)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "/readyz took {:?}",
            asked.elapsed()
        );
    }
    let asked = Instant::now();
    let refused = token(&http, &cluster.node(alive[0]), &svc).await;
    assert_eq!(refused, Err("503 Service Unavailable".to_owned()));
    assert!(
        asked.elapsed() < Duration::from_secs(7),
        "{:?}",
        asked.elapsed()
    );
    cluster.script(&["pg-start"]);
    let recovering = Instant::now();
    for n in &alive {
        loop {
            let ready = http
                .get(format!("{}/readyz", cluster.node(*n)))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK)
                && token(&http, &cluster.node(*n), &svc).await.is_ok()
            {
                break;
            }
            assert!(
                recovering.elapsed() < Duration::from_secs(20),
                "node {n} did not recover"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!(
        "recovered {:?} after PostgreSQL came back; whole test {:?}",
        recovering.elapsed(),
        started.elapsed()
    );
}
