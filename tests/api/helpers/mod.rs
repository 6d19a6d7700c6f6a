//! `TestApp`: the real server, started on port 0 with its own data
//! directory, database and clock, driven over TCP.

#![allow(dead_code)] // Each test file uses a different part of the kit.

pub mod browser;
mod cli;
mod database;
mod seed;
mod tools;
mod waiting;

use std::{collections::BTreeMap, net::TcpListener, path::Path, sync::Arc};

use actix_web::dev::ServerHandle;
use gatehouse::{
    app::AppState,
    clock::{Clock, ManualClock},
    config::{Overrides, Settings},
    db::{DbConnection, DbError},
    startup::{StartupError, build_state},
};

#[allow(unused_imports)]
pub use cli::{CliOutput, USING_DATABASE, cli_command, gatehouse_bin, run as run_cli};
pub use database::{POSTGRES_URL_ENV, TestDatabase, postgres_admin_url};
pub use seed::{ADMIN_API, PASSWORD, REDIRECT_URI};
#[allow(unused_imports)]
pub use tools::{BACKEND_ENV, find_executable, in_ci, require_tool};
pub use waiting::{WITHIN, within_two_seconds};

/// What outlives one server: the data directory (with `master.key`) and the
/// database. Share it (`Arc`) to restart a server on the same data.
#[derive(Debug)]
pub struct TestEnv {
    // Field order is drop order: the database goes before its directory.
    pub db: TestDatabase,
    dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> Arc<Self> {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let db = TestDatabase::create(dir.path());
        Arc::new(Self { db, dir })
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    /// A `gatehouse` command line aimed at this database and data directory
    /// (so it shares `master.key`); add `env`s, then `run_cli` it.
    pub fn command(&self) -> std::process::Command {
        cli::command_for(self)
    }

    /// Runs the real `gatehouse` binary against this environment.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        cli::run(self.command(), args, stdin)
    }

    /// The settings a test server starts from: defaults, this data directory
    /// and database, cheap password hashing, no environment.
    pub fn settings(&self) -> Settings {
        let overrides = Overrides {
            database_url: Some(self.database_url().to_owned()),
            ..Overrides::default()
        };
        let mut settings = Settings::load_from(None, &BTreeMap::new(), &overrides)
            .unwrap_or_else(|e| panic!("default settings do not load: {e}"));
        settings.data_dir = self.data_dir().to_path_buf();
        settings.server.workers = 2;
        settings.passwords.memory_kib = 1024;
        settings.passwords.iterations = 1;
        settings
    }
}

pub struct TestApp {
    /// Where the server listens: `http://127.0.0.1:PORT`.
    pub address: String,
    /// The configured issuer (the address, unless a test changed it).
    pub issuer: String,
    pub port: u16,
    /// Where `/metrics` is served: `http://127.0.0.1:METRICS_PORT`.
    pub metrics_address: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// Redirects are not followed; cookies are kept.
    pub client: reqwest::Client,
    pub env: Arc<TestEnv>,
    /// Secrets of the clients the builder made, by client id.
    secrets: BTreeMap<String, String>,
    server: ServerHandle,
    /// Disconnects when the server thread has finished.
    stopped: std::sync::mpsc::Receiver<()>,
}

/// A change to the settings before the server starts.
type Customise = Box<dyn FnOnce(&mut Settings)>;

/// `TestApp::new().with_user("rahul", &["student"]).start()`: a server
/// with what the test needs already made.
#[derive(Default)]
#[must_use]
pub struct TestAppBuilder {
    users: Vec<(String, Vec<String>)>,
    clients: Vec<(String, Vec<String>)>,
    customise: Option<Customise>,
}

impl TestAppBuilder {
    /// A user with `PASSWORD` and `roles` (see `TestApp::add_user`).
    pub fn with_user(mut self, username: &str, roles: &[&str]) -> Self {
        let roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self.users.push((username.to_owned(), roles));
        self
    }

    /// A client (see `TestApp::add_client`); its secret is `app.secret(id)`.
    pub fn with_client(mut self, client_id: &str, flags: &[&str]) -> Self {
        let flags = flags.iter().map(|f| (*f).to_owned()).collect();
        self.clients.push((client_id.to_owned(), flags));
        self
    }

    /// Settings changed before the server starts.
    pub fn with_settings(mut self, customise: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.customise = Some(Box::new(customise));
        self
    }

    pub async fn start(self) -> TestApp {
        let customise = self.customise;
        let mut app = TestApp::spawn_with(|settings| {
            if let Some(customise) = customise {
                customise(settings);
            }
        })
        .await;
        for (username, roles) in &self.users {
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            app.add_user(username, &roles);
        }
        for (client_id, flags) in &self.clients {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            let secret = app.add_client(client_id, &flags);
            app.secrets.insert(client_id.clone(), secret);
        }
        app
    }
}

impl TestApp {
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The secret of a client made by `TestAppBuilder::with_client`.
    pub fn secret(&self, client_id: &str) -> &str {
        self.secrets
            .get(client_id)
            .unwrap_or_else(|| panic!("no client {client_id} was built"))
    }

    /// A browser of its own for this app (its own cookies).
    pub fn browser(&self) -> browser::Browser {
        browser::Browser::new()
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server whose settings `customise` may change first.
    pub async fn spawn_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_in(TestEnv::new(), customise).await
    }

    /// Starts a server on an existing data directory and database.
    pub async fn spawn_in(env: Arc<TestEnv>, customise: impl FnOnce(&mut Settings)) -> TestApp {
        match Self::try_spawn_in(env, customise).await {
            Ok(app) => app,
            Err(error) => panic!("the test server did not start: {error}"),
        }
    }

    /// Like `spawn_in`, but hands back a startup failure.
    pub async fn try_spawn_in(
        env: Arc<TestEnv>,
        customise: impl FnOnce(&mut Settings),
    ) -> Result<TestApp, StartupError> {
        init_test_logging();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let metrics_listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let metrics_port = metrics_listener.local_addr()?.port();

        let mut settings = env.settings();
        settings.server.issuer = format!("http://127.0.0.1:{port}");
        settings.server.listen = format!("127.0.0.1:{port}");
        settings.server.metrics_listen = format!("127.0.0.1:{metrics_port}");
        customise(&mut settings);
        let issuer = settings.issuer().to_owned();

        let clock = Arc::new(ManualClock::new());
        let app_clock: Arc<dyn Clock> = clock.clone();
        // Migrations and key generation block: keep them off the runtime.
        let state = tokio::task::spawn_blocking(move || build_state(settings, app_clock))
            .await
            .map_err(|e| StartupError::Io(std::io::Error::other(e)))??;

        let (server, stopped) = start_server(state.clone(), listener, metrics_listener).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .map_err(std::io::Error::other)?;
        Ok(TestApp {
            address: format!("http://127.0.0.1:{port}"),
            issuer,
            port,
            metrics_address: format!("http://127.0.0.1:{metrics_port}"),
            state,
            clock,
            client,
            env,
            secrets: BTreeMap::new(),
            server,
            stopped,
        })
    }

    /// Stops this server and starts a new one on the same data directory and
    /// database (new ports, new clock).
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    pub async fn restart_with(self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        let env = self.env.clone();
        drop(self);
        Self::spawn_in(env, customise).await
    }

    pub fn is_postgres(&self) -> bool {
        self.env.is_postgres()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = self.url(path);
        self.client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = self.url(path);
        self.client
            .post(&url)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    /// The `kid`s currently published at `/jwks.json`, sorted.
    pub async fn published_kids(&self) -> Vec<String> {
        let jwks = self.get_json("/jwks.json").await;
        let mut kids: Vec<String> = jwks["keys"]
            .as_array()
            .unwrap_or_else(|| panic!("JWKS without keys: {jwks}"))
            .iter()
            .map(|key| key["kid"].as_str().unwrap_or_default().to_owned())
            .collect();
        kids.sort();
        kids
    }

    /// Runs `work` on a connection from the server's own pool.
    pub fn db<T>(&self, work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>) -> T {
        self.state
            .db
            .run_blocking(work)
            .unwrap_or_else(|e| panic!("test database query failed: {e}"))
    }

    /// Runs the real `gatehouse` binary against this app's database and
    /// data directory (so it shares `master.key`), then lets the server
    /// forget what it holds in memory, as its change-epoch poll would within
    /// half a second — so that a test can act on the change at once.
    /// `lifecycle::caches` tests the poll itself, through `env.cli`.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        let out = self.env.cli(args, stdin);
        self.state.caches.clear();
        out
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; its future only
        // reports completion. Then wait (milliseconds, normally) for the
        // server thread, and with it the pool, to finish: the database is
        // idle before it is dropped, and no connection is being opened when
        // the test process exits. Bounded, in case a graceful stop hangs.
        drop(self.server.stop(false));
        let _ = self
            .stopped
            .recv_timeout(std::time::Duration::from_secs(10));
    }
}

/// Runs the server on its own thread and actix system, so that tests can
/// be plain `#[tokio::test]`s.
async fn start_server(
    state: AppState,
    listener: TcpListener,
    metrics_listener: TcpListener,
) -> Result<(ServerHandle, std::sync::mpsc::Receiver<()>), StartupError> {
    let (started, handle) = tokio::sync::oneshot::channel();
    let (stopped_tx, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name(format!("test-server-{}", listener.local_addr()?.port()))
        .spawn(move || {
            // Dropped (disconnecting `stopped`) when this thread ends.
            let _stopped = stopped_tx;
            let result = gatehouse::http::server::system_run(move || async move {
                let running =
                    match gatehouse::http::server::start(state, listener, Some(metrics_listener)) {
                        Ok(running) => running,
                        Err(error) => {
                            let _ = started.send(Err(error));
                            return Ok(());
                        }
                    };
                let _ = started.send(Ok(running.handle()));
                running.run().await
            });
            if let Err(error) = result {
                eprintln!("test server stopped with an error: {error}");
            }
        })?;
    let handle = handle
        .await
        .map_err(|_| std::io::Error::other("the server thread ended before starting"))??;
    Ok((handle, stopped))
}

/// `TEST_LOG=debug cargo test …` shows the servers' logs.
fn init_test_logging() {
    if let Ok(level) = std::env::var("TEST_LOG") {
        gatehouse::telemetry::init(&gatehouse::config::LogSettings {
            format: gatehouse::config::LogFormat::Pretty,
            level,
        });
    }
}

/// The value of `<input name="NAME" value="...">` in an HTML page.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_at = tag.find("value=\"")? + "value=\"".len();
    let value_end = value_at + tag[value_at..].find('"')?;
    Some(tag[value_at..value_end].to_owned())
}
