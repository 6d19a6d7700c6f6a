//! A minimal W3C WebDriver client for headless Chromium, over `reqwest`.
//!
//! `Browser::start()` runs `chromedriver` on a free loopback port in its own
//! process group and opens a session with a fresh profile directory. Dropping
//! the `Browser` — also while a failed test unwinds — deletes the session
//! (chromedriver then closes Chromium), kills whatever is left of the
//! process group, and removes the profile.
//!
//! Every method panics with a readable message on a WebDriver error: these
//! are test helpers. `find` and `wait_for_url` poll, so a test never races a
//! navigation.

#![allow(dead_code)] // A shared kit: each browser test uses a different part.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::find_executable;

/// How long `find` waits for an element, and chromedriver for a page load.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long chromedriver and a new Chromium session may take to start on a
/// loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// At most this many browsers run at once in the test binary: each Chromium
/// is a handful of processes, and the suite runs on small machines.
static BROWSER_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// The W3C key under which an element reference is returned.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium as root in a container, headless, with nothing that phones home
/// (this machine's network refuses such connections, which slows start-up).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1024,768",
];

/// The Chromium binary: Debian's real executable (its `/usr/bin/chromium`
/// is a shell wrapper that adds flags), else the first browser on `PATH`.
pub fn chromium_binary() -> Option<PathBuf> {
    let debian = Path::new("/usr/lib/chromium/chromium");
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    find_executable(&["chromium", "chromium-browser", "google-chrome"])
}

/// A WebDriver error answer (`{"value": {"error", "message"}}`) or a
/// transport failure.
#[derive(Debug)]
struct WebDriverError {
    error: String,
    message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The first line is enough; chromedriver appends a native stack.
        let message = self.message.lines().next().unwrap_or_default();
        write!(f, "{}: {message}", self.error)
    }
}

/// A running `chromedriver`, leader of its own process group, which Chromium
/// joins; the whole group is killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let program = find_executable(&["chromedriver"])
            .unwrap_or_else(|| panic!("chromedriver is not on PATH"));
        let mut last_error = String::new();
        // The free port may be taken between releasing and chromedriver
        // binding it: then chromedriver exits, and we try another.
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
            let mut driver = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            match driver.wait_until_ready() {
                Ok(()) => return driver,
                Err(error) => last_error = error,
            }
        }
        panic!("chromedriver did not start: {last_error}");
    }

    /// Polls `/status` until chromedriver answers `ready: true`.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let address = self.url.trim_start_matches("http://").to_owned();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited with {status}"));
            }
            if let Some(body) = blocking_request(&address, "GET", "/status")
                && body.contains("\"ready\":true")
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no ready answer at {} within {START_TIMEOUT:?}",
                    self.url
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (`process_group(0)`); Chromium
        // and its helpers inherit the group. `kill` by group id, not by name.
        // (Chromium's crashpad handlers start sessions of their own; they
        // exit by themselves once the browser is gone. Do not try
        // `--disable-crashpad-for-testing`: its renderers crash at start.)
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

/// A plain HTTP/1.1 request without a body, for `Drop` and start-up, where
/// there is no async runtime to rely on. Returns the response body.
/// (Chromedriver keeps connections open despite `Connection: close`, so the
/// body is read by its `Content-Length`, not to the end of the stream.)
fn blocking_request(address: &str, method: &str, path: &str) -> Option<String> {
    let addr = address.parse().ok()?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let (head_end, length) = loop {
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..read]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (at + 4, length);
        }
    };
    while received.len() < head_end + length {
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    Some(String::from_utf8_lossy(&received[head_end..]).into_owned())
}

/// A Chromium session. Dropping it ends the session and the processes.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session_url: String,
    session_path: String,
    // Field order is drop order (after `Drop::drop` deleted the session):
    // the processes go before their profile directory.
    driver: Driver,
    _profile: tempfile::TempDir,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

impl Browser {
    pub async fn start() -> Browser {
        let slot = BROWSER_SLOTS
            .acquire()
            .await
            .unwrap_or_else(|e| panic!("browser slots: {e}"));
        let binary = chromium_binary().unwrap_or_else(|| panic!("no Chromium binary found"));
        let profile = tempfile::Builder::new()
            .prefix("gatehouse-chromium-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a Chromium profile directory: {e}"));
        let driver = tokio::task::spawn_blocking(Driver::start)
            .await
            .unwrap_or_else(|e| panic!("chromedriver start-up: {e}"));
        let http = reqwest::Client::builder()
            // Longer than any WebDriver-side timeout, so those report first.
            .timeout(START_TIMEOUT + Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"));

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {
                        "pageLoad": DEFAULT_TIMEOUT.as_millis() as u64,
                        "script": DEFAULT_TIMEOUT.as_millis() as u64,
                        "implicit": 0,
                    },
                    "goog:chromeOptions": {
                        "binary": binary.to_string_lossy(),
                        "args": args,
                    },
                }
            }
        });
        let created = send(
            &http,
            reqwest::Method::POST,
            &format!("{}/session", driver.url),
            Some(capabilities),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot open a Chromium session ({}): {e}", binary.display()));
        let session_id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session without an id: {created}"))
            .to_owned();
        Browser {
            http,
            session_url: format!("{}/session/{session_id}", driver.url),
            session_path: format!("/session/{session_id}"),
            driver,
            _profile: profile,
            _slot: slot,
        }
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        send(
            &self.http,
            method,
            &format!("{}{path}", self.session_url),
            body,
        )
        .await
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("WebDriver GET {path}: {e}"))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("WebDriver POST {path}: {e}"))
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        let value = self.get("/url").await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The current page's DOM, serialised.
    pub async fn page_source(&self) -> String {
        let value = self.get("/source").await;
        value.as_str().unwrap_or_default().to_owned()
    }

    pub async fn title(&self) -> String {
        let value = self.get("/title").await;
        value.as_str().unwrap_or_default().to_owned()
    }

    async fn find_once(&self, css: &str) -> Result<Option<Element<'_>>, WebDriverError> {
        let body = json!({ "using": "css selector", "value": css });
        match self
            .command(reqwest::Method::POST, "/element", Some(body))
            .await
        {
            Ok(value) => Ok(Some(Element {
                browser: self,
                id: element_id(&value),
                css: css.to_owned(),
            })),
            Err(e) if e.error == "no such element" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The first element matching `css`, if there is one now.
    pub async fn try_find(&self, css: &str) -> Option<Element<'_>> {
        self.find_once(css)
            .await
            .unwrap_or_else(|e| panic!("WebDriver find {css:?}: {e}"))
    }

    /// The first element matching `css`, waiting up to `DEFAULT_TIMEOUT`
    /// for it to appear (a page may still be loading after a click; errors
    /// while it does are retried too).
    pub async fn find(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        loop {
            let last_error = match self.find_once(css).await {
                Ok(Some(element)) => return element,
                Ok(None) => String::from("not found"),
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                panic!(
                    "no element {css:?} within {DEFAULT_TIMEOUT:?} ({last_error}) at {}:\n{}",
                    self.current_url().await,
                    self.page_source().await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Polls the current URL until `predicate` accepts it, and returns it.
    pub async fn wait_for_url(
        &self,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let url = self.current_url().await;
            if predicate(&url) {
                return url;
            }
            if Instant::now() > deadline {
                panic!(
                    "the URL is still {url} after {timeout:?}:\n{}",
                    self.page_source().await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// A Chrome DevTools Protocol command on the current page (chromedriver's
    /// `goog/cdp/execute`), e.g. `WebAuthn.addVirtualAuthenticator`.
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        self.post(
            "/goog/cdp/execute",
            json!({ "cmd": command, "params": params }),
        )
        .await
    }

    /// Runs `script` (a function body; its arguments are `args`) in the
    /// page and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Like `execute`, for a script that ends by calling its last argument
    /// (the callback) with its result.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// Resizes the window to `width` × `height` CSS pixels (headless: the
    /// viewport follows), for screenshots of a page as phones and desktops
    /// lay it out.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await;
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let value = self.get("/screenshot").await;
        let encoded = value
            .as_str()
            .unwrap_or_else(|| panic!("screenshot is not a string: {value}"));
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|e| panic!("screenshot is not base64: {e}"))
    }

    /// Saves a PNG of the viewport to `path`, creating its directories.
    pub async fn screenshot_to(&self, path: &Path) {
        let png = self.screenshot().await;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Synchronous: `Drop` may run outside the runtime or while unwinding.
        // Chromedriver closes Chromium when the session is deleted; the
        // driver's own `Drop` then kills anything left over.
        let address = self.driver.url.trim_start_matches("http://").to_owned();
        let _ = blocking_request(&address, "DELETE", &self.session_path);
    }
}

/// An element of the page it was found on.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
    css: String,
}

impl Element<'_> {
    fn path(&self, action: &str) -> String {
        format!("/element/{}/{action}", self.id)
    }

    /// Types `text` into the element (after what it already holds).
    pub async fn type_text(&self, text: &str) {
        self.browser
            .command(
                reqwest::Method::POST,
                &self.path("value"),
                Some(json!({ "text": text })),
            )
            .await
            .unwrap_or_else(|e| panic!("typing into {:?}: {e}", self.css));
    }

    pub async fn clear(&self) {
        self.browser
            .command(reqwest::Method::POST, &self.path("clear"), Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("clearing {:?}: {e}", self.css));
    }

    pub async fn click(&self) {
        self.browser
            .command(reqwest::Method::POST, &self.path("click"), Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("clicking {:?}: {e}", self.css));
    }

    /// The rendered text.
    pub async fn text(&self) -> String {
        let value = self
            .browser
            .command(reqwest::Method::GET, &self.path("text"), None)
            .await
            .unwrap_or_else(|e| panic!("text of {:?}: {e}", self.css));
        value.as_str().unwrap_or_default().to_owned()
    }

    /// A DOM property (`value` of an input is its current content).
    pub async fn property(&self, name: &str) -> Option<String> {
        let value = self
            .browser
            .command(
                reqwest::Method::GET,
                &self.path(&format!("property/{name}")),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("property {name} of {:?}: {e}", self.css));
        match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    /// A computed CSS value, e.g. `background-color`.
    pub async fn css_value(&self, property: &str) -> String {
        let value = self
            .browser
            .command(
                reqwest::Method::GET,
                &self.path(&format!("css/{property}")),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("CSS {property} of {:?}: {e}", self.css));
        value.as_str().unwrap_or_default().to_owned()
    }
}

fn element_id(value: &Value) -> String {
    value[ELEMENT_KEY]
        .as_str()
        .unwrap_or_else(|| panic!("not an element reference: {value}"))
        .to_owned()
}

/// Sends one WebDriver command and unwraps its `value`.
async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, WebDriverError> {
    let transport = |e: reqwest::Error| WebDriverError {
        error: "transport".into(),
        message: e.to_string(),
    };
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let mut answer: Value = response.json().await.map_err(transport)?;
    let value = answer["value"].take();
    if status.is_success() {
        return Ok(value);
    }
    Err(WebDriverError {
        error: value["error"]
            .as_str()
            .unwrap_or("unknown error")
            .to_owned(),
        message: value["message"].as_str().unwrap_or_default().to_owned(),
    })
}
