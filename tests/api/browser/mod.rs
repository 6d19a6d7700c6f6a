//! Browser tests: headless Chromium driven over W3C WebDriver by
//! `chromedriver` (Debian `chromium` and `chromium-driver`).

pub mod webdriver;

mod account;
mod console;
mod sign_in;
mod two_step;

use std::path::PathBuf;

use webdriver::Browser;

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

/// Types `text` into the field `css`, replacing what it held.
pub async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.find(css).await;
    field.clear().await;
    field.type_text(text).await;
}

/// A screenshot of the whole page at `width` (the window made as tall as
/// the page), after checking that the page is no wider than the window:
/// wider would mean sideways scrolling.
pub async fn screenshot_at(browser: &Browser, width: u32, name: &str) {
    browser.set_window_size(width, 800).await;
    let html = browser.find("html").await;
    let size = |name: &'static str| {
        let html = &html;
        async move {
            html.property(name)
                .await
                .and_then(|value| value.parse::<u32>().ok())
                .unwrap_or_else(|| panic!("no {name}"))
        }
    };
    let (page_width, viewport) = (size("scrollWidth").await, size("clientWidth").await);
    assert!(
        page_width <= viewport,
        "{name}: the page is {page_width}px wide in a {viewport}px viewport"
    );
    // The window's height includes what is not the page.
    let tall = size("scrollHeight").await + 800 - size("clientHeight").await;
    browser.set_window_size(width, tall).await;
    let path = screenshot_path(name);
    browser.screenshot_to(&path).await;
    println!("screenshot: {}", path.display());
    browser.set_window_size(1024, 768).await;
}
