//! Running the examples as real processes: the actix-web binary that cargo
//! builds next to this test, and the FastAPI app under the Python of
//! `GATEHOUSE_TEST_PYTHON`. Each prints `listening on http://ADDR` once it
//! accepts connections, so it can listen on port 0.

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, SystemTime},
};

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;

use crate::helpers::in_ci;

/// The Python with the FastAPI example's requirements (`.ci/run` makes a
/// virtualenv and sets it).
pub const PYTHON_ENV: &str = "GATEHOUSE_TEST_PYTHON";

const STARTUP: Duration = Duration::from_secs(60);

/// One running example. Killed on drop; its output is shown if the test
/// fails.
pub struct RunningExample {
    pub name: &'static str,
    pub base: String,
    child: Child,
    output: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// What an example answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn challenge(&self) -> &str {
        self.headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

impl RunningExample {
    /// The actix-web example, configured for the school API of `issuer`.
    pub fn rust(issuer: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(rust_binary());
        command.env_remove("RUST_LOG");
        Self::start("actix-web example", command, issuer, env)
    }

    /// The FastAPI example, run by `python` (see [`python`]).
    pub fn fastapi(python: &Path, issuer: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(python);
        command
            .arg("app.py")
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fastapi"))
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        Self::start("FastAPI example", command, issuer, env)
    }

    fn start(name: &'static str, mut command: Command, issuer: &str, env: &[(&str, &str)]) -> Self {
        command
            .env("GATEHOUSE_ISSUER", issuer)
            .env("RESOURCE_AUDIENCE", super::school::SCHOOL)
            .env("LISTEN", "127.0.0.1:0")
            .env_remove("JWKS_URI")
            .env_remove("JWKS_REFRESH_COOLDOWN_SECS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {name} ({command:?}): {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stdout_log = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("listening on ") {
                    let _ = address_tx.send(address.trim().to_owned());
                }
                stdout_log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr_log = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                stderr_log
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let base = match address_rx.recv_timeout(STARTUP) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "the {name} did not say where it listens:\n{}",
                    output.lock().unwrap()
                );
            }
        };
        RunningExample {
            name,
            base,
            child,
            output,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> Answer {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", self.name, self.output()));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn profile(&self, token: Option<&str>) -> Answer {
        let request = self.http.get(format!("{}/profile", self.base));
        self.send(request, token).await
    }

    pub async fn delete_student(&self, id: &str, token: Option<&str>) -> Answer {
        let request = self.http.delete(format!("{}/students/{id}", self.base));
        self.send(request, token).await
    }

    /// A request with a raw `Authorization` header.
    pub async fn profile_with_authorization(&self, value: &str) -> Answer {
        let request = self
            .http
            .get(format!("{}/profile", self.base))
            .header("authorization", value);
        self.send(request, None).await
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for RunningExample {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- output of the {}:\n{}", self.name, self.output());
        }
    }
}

/// `target/<profile>/examples/resource_server`, next to this test binary's
/// `deps/`. `cargo test` builds it; `cargo test --test api` does not, so a
/// missing or outdated binary is built here (once per test run).
fn rust_binary() -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()));
    let binary = profile_dir.join("examples").join("resource_server");
    let _guard = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    if !is_fresh(&binary) {
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--example", "resource_server", "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo to build the example: {e}"));
        assert!(
            status.success(),
            "cargo build --example resource_server failed"
        );
    }
    binary
}

/// Built, and newer than every source file of the example.
fn is_fresh(binary: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(built) = modified(binary) else {
        return false;
    };
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/resource_server");
    let newest_source = std::fs::read_dir(&sources)
        .unwrap()
        .filter_map(|entry| modified(&entry.ok()?.path()))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    built >= newest_source
}

/// The Python of `GATEHOUSE_TEST_PYTHON` if it can run the FastAPI example.
/// Otherwise: a one-line notice and `None`, or a panic under CI.
pub fn python() -> Option<PathBuf> {
    let hint = "python3 -m venv VENV && VENV/bin/pip install -r examples/fastapi/requirements.txt, \
                then set GATEHOUSE_TEST_PYTHON=VENV/bin/python";
    let unavailable = |why: String| {
        if in_ci() {
            panic!("the FastAPI example needs {why} under CI=true ({hint})");
        }
        eprintln!("skipped: FastAPI example: {why} ({hint})");
        None
    };
    let Some(python) = std::env::var_os(PYTHON_ENV).filter(|v| !v.is_empty()) else {
        return unavailable(format!("{PYTHON_ENV}, which is not set"));
    };
    let python = PathBuf::from(python);
    let importable = Command::new(&python)
        .args(["-c", "import fastapi, uvicorn, jwt, cryptography"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        return unavailable(format!(
            "{} with fastapi, uvicorn and PyJWT[crypto]",
            python.display()
        ));
    }
    Some(python)
}
