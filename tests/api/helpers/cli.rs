//! Running the real `gatehouse` binary.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

use super::TestEnv;

pub fn gatehouse_bin() -> &'static str {
    env!("CARGO_BIN_EXE_gatehouse")
}

/// A `gatehouse` command with a clean environment: no `GATEHOUSE_*` or
/// `RUST_LOG` from the caller, logs at `warn` (so stderr holds only what the
/// command itself says), cheap password hashing, run in `cwd`.
pub fn cli_command(cwd: &Path) -> Command {
    let mut command = Command::new(gatehouse_bin());
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if name_str.starts_with("GATEHOUSE") || name_str == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
        .current_dir(cwd)
        .env("GATEHOUSE__LOG__LEVEL", "warn")
        .env("GATEHOUSE__PASSWORDS__MEMORY_KIB", "1024")
        .env("GATEHOUSE__PASSWORDS__ITERATIONS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// How an administrative command names its database on stderr.
pub const USING_DATABASE: &str = "gatehouse: using database ";

#[derive(Debug)]
pub struct CliOutput {
    pub args: Vec<String>,
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Asserts exit code 0 and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "gatehouse {:?} failed:\n{}", self.args, self);
        &self.stdout
    }

    /// Asserts `code` and an error of exactly one line on stderr (besides
    /// the `using database …` line administrative commands print first),
    /// and returns that line.
    #[track_caller]
    pub fn fails_with(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "gatehouse {:?}:\n{}", self.args, self);
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(USING_DATABASE))
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line:\n{self}");
        assert!(lines[0].starts_with("gatehouse: "), "{self}");
        lines[0]
    }
}

impl std::fmt::Display for CliOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}{}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.signal
                .map(|s| format!(" (killed by signal {s})"))
                .unwrap_or_default(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs `command` with `args`, feeding `stdin` if given.
pub fn run(mut command: Command, args: &[&str], stdin: Option<&str>) -> CliOutput {
    command.args(args);
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", gatehouse_bin()));
    if let Some(input) = stdin {
        let mut pipe = child
            .stdin
            .take()
            .unwrap_or_else(|| panic!("no stdin pipe"));
        pipe.write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write to gatehouse's stdin: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("gatehouse {args:?}: {e}"));
    CliOutput {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code().unwrap_or(-1),
        signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A command aimed at `env`'s database and data directory.
pub(super) fn command_for(env: &TestEnv) -> Command {
    let mut command = cli_command(env.data_dir());
    command
        .env("GATEHOUSE_DATA_DIR", env.data_dir())
        .args(["--database-url", env.database_url()]);
    command
}
