//! The real `gatehouse serve`, as a separate process: its own working
//! directory, its log lines on stderr.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::helpers::TestEnv;

pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Served {
    /// `gatehouse serve` on `env`'s database, run in `cwd`, logging at
    /// `info` to a pipe; returns once it says where it listens.
    pub fn start(env: &TestEnv, cwd: &Path) -> Served {
        let mut command = env.command();
        command
            .current_dir(cwd)
            .env("GATEHOUSE_METRICS_LISTEN", "")
            .env("GATEHOUSE__LOG__LEVEL", "info")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null());
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut served = Served {
            child,
            address: String::new(),
            lines,
        };
        let start = served.wait_for_log(|line| line.contains("gatehouse starting"));
        let listen = start
            .split("listen=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no listen= in {start:?}"));
        served.address = format!("http://{listen}");
        served
    }

    /// The first log line (so far or within 20 s) that `wanted` accepts.
    #[track_caller]
    pub fn wait_for_log(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| wanted(l)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such log line; the server logged:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Served {
    /// How many log lines so far contain `text`.
    pub fn lines_containing(&self, text: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains(text))
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
