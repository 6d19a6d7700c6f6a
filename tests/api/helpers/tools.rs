//! Tests that need something from the machine (a browser, a Python venv,
//! PostgreSQL) skip with a notice under a plain `cargo test`, and fail under
//! CI (`CI=true`), where a skipped test would be a silent hole.

use std::path::PathBuf;

use super::database::{POSTGRES_URL_ENV, postgres_admin_url};

/// `.ci/run` sets this to `sqlite` for its SQLite pass, the one CI run that
/// legitimately has no PostgreSQL URL.
pub const BACKEND_ENV: &str = "GATEHOUSE_TEST_BACKEND";

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// True if `name` is available. Known names: `postgres` (the
/// `GATEHOUSE_TEST_POSTGRES_URL` variable), `python3-venv` (python3 able to
/// create a virtual environment), `chromium` (the browser under any of its
/// usual names); anything else is looked up as an executable on `PATH`.
///
/// When missing: prints one line and returns false, or panics under CI.
pub fn require_tool(name: &str) -> bool {
    let (available, hint) = match name {
        "postgres" => (
            postgres_admin_url().is_some(),
            format!("set {POSTGRES_URL_ENV}=postgres://postgres@127.0.0.1:5432/postgres"),
        ),
        "python3-venv" => (
            python_venv_available(),
            "apt-get install python3-venv".into(),
        ),
        "chromium" => (
            find_executable(&["chromium", "chromium-browser", "google-chrome"]).is_some(),
            "apt-get install chromium".into(),
        ),
        "chromedriver" => (
            find_executable(&["chromedriver"]).is_some(),
            "apt-get install chromium-driver".into(),
        ),
        other => (
            find_executable(&[other]).is_some(),
            format!("install {other}"),
        ),
    };
    if available {
        return true;
    }
    // The SQLite pass of CI has no PostgreSQL URL by design; the PostgreSQL
    // pass runs the same tests with it.
    let sqlite_pass =
        name == "postgres" && std::env::var(BACKEND_ENV).is_ok_and(|backend| backend == "sqlite");
    if in_ci() && !sqlite_pass {
        panic!("{name} is required under CI=true but is not available ({hint})");
    }
    eprintln!("skipped: {name} is not available ({hint})");
    false
}

/// The first of `names` found on `PATH`.
pub fn find_executable(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn python_venv_available() -> bool {
    // Debian's python3 has the `venv` module but, without python3-venv, no
    // `ensurepip`, so creating an environment fails later.
    std::process::Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
