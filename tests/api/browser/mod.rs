//! Browser tests: headless Chromium driven over W3C WebDriver by
//! `chromedriver` (Debian `chromium` and `chromium-driver`).

pub mod webdriver;

mod account;
mod console;
mod sign_in;

use std::path::PathBuf;

use crate::helpers::require_tool;

/// True when Chromium and chromedriver are installed; otherwise skips with a
/// notice (or fails under `CI=true`).
pub fn browser_available() -> bool {
    require_tool("chromium") && require_tool("chromedriver")
}

/// Where a test saves the screenshot `name`: `screenshots/` under Cargo's
/// per-target temporary directory (kept after the run, for people to look at).
pub fn screenshot_path(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(name)
}
