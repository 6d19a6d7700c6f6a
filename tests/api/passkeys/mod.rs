//! Passkeys (issue 14): registration from the account page, passwordless
//! sign-in, the passkey as the second step after a password, and the
//! endpoints' answers to bad input. The browser tests drive Chromium with a
//! virtual authenticator (Chrome DevTools Protocol `WebAuthn` domain)
//! against an issuer at `http://localhost:PORT`: WebAuthn needs a domain.

mod account;
mod bad_input;
mod factors;
mod off;
mod sign_in;

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::webdriver::Browser;
use crate::helpers::{PASSWORD, TestApp, TestAppBuilder};

/// A whole navigation chain after a click, on a loaded machine.
pub const NAVIGATION: Duration = Duration::from_secs(30);

/// The app with its issuer at `localhost` (same port): passkeys are on.
pub fn on_localhost(builder: TestAppBuilder) -> TestAppBuilder {
    builder.with_settings(|settings| {
        settings.server.issuer = settings.server.issuer.replace("127.0.0.1", "localhost");
    })
}

/// An address under the issuer (`http://localhost:PORT/…`).
pub fn at(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.issuer)
}

/// Records the body (and CSRF header) of every `…/finish` request the page
/// sends, in `sessionStorage` (which outlives the page's navigations), and
/// holds back those whose path is flagged with `hold:PATH`: so a test can
/// replay a finish, or send it after changing the world.
const RECORDER: &str = r#"(function () {
  var original = window.fetch;
  window.__unrecordedFetch = original;
  window.fetch = function (url, init) {
    var path = new URL(String(url), location.href).pathname;
    if (/\/finish$/.test(path) && init && init.body) {
      var csrf = init.headers && init.headers["X-CSRF-Token"];
      sessionStorage.setItem("finish:" + path, JSON.stringify({ body: init.body, csrf: csrf }));
      if (sessionStorage.getItem("hold:" + path)) {
        return new Promise(function () {});
      }
    }
    return original.apply(this, arguments);
  };
})();"#;

/// Hides conditional mediation (passkeys among the username field's
/// suggestions) from the page. The virtual authenticator answers such a
/// request at once, as if the person had picked the passkey, so a page
/// that starts one signs in by itself; tests of the buttons turn it off.
const NO_CONDITIONAL_UI: &str = r#"if (window.PublicKeyCredential) {
  PublicKeyCredential.isConditionalMediationAvailable = function () { return Promise.resolve(false); };
}"#;

/// Chromium with a virtual platform authenticator that keeps discoverable
/// credentials and verifies its user (as a phone or laptop with a screen
/// lock does), and with `RECORDER` in every page.
pub struct PasskeyBrowser {
    pub browser: Browser,
    pub authenticator: String,
}

impl PasskeyBrowser {
    /// Pages see no conditional mediation: passkeys are used by the buttons.
    pub async fn start() -> PasskeyBrowser {
        let person = Self::with_conditional_ui().await;
        person
            .browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": NO_CONDITIONAL_UI }),
            )
            .await;
        person
    }

    /// Pages see the browser's conditional mediation.
    pub async fn with_conditional_ui() -> PasskeyBrowser {
        let browser = Browser::start().await;
        // The domain works on the page the session has open (about:blank)
        // and stays with it across navigations.
        browser
            .cdp("WebAuthn.enable", json!({ "enableUI": false }))
            .await;
        let added = browser
            .cdp(
                "WebAuthn.addVirtualAuthenticator",
                json!({ "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": true,
                    "hasUserVerification": true,
                    "isUserVerified": true,
                    "automaticPresenceSimulation": true,
                } }),
            )
            .await;
        let authenticator = added["authenticatorId"]
            .as_str()
            .unwrap_or_else(|| panic!("no authenticator id: {added}"))
            .to_owned();
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": RECORDER }),
            )
            .await;
        PasskeyBrowser {
            browser,
            authenticator,
        }
    }

    /// The credentials the authenticator holds.
    pub async fn credentials(&self) -> Vec<Value> {
        let answer = self
            .browser
            .cdp(
                "WebAuthn.getCredentials",
                json!({ "authenticatorId": self.authenticator }),
            )
            .await;
        answer["credentials"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Opens `page` (a path under the issuer), signs in there with the
    /// password, and waits to be back on `page`.
    pub async fn sign_in_with_password(&self, app: &TestApp, page: &str, username: &str) {
        let browser = &self.browser;
        browser.goto(&at(app, page)).await;
        browser
            .find("input[name=username]")
            .await
            .type_text(username)
            .await;
        browser
            .find("input[name=password]")
            .await
            .type_text(PASSWORD)
            .await;
        browser.find("button[type=submit]").await.click().await;
        let back = at(app, page);
        browser
            .wait_for_url(|url| url.starts_with(&back), NAVIGATION)
            .await;
    }

    /// Sends the recorded body of the last finish to `path` again, from the
    /// page (same cookies, same CSRF header): the status and body.
    pub async fn replay_finish(&self, path: &str) -> (u16, String) {
        let answer = self
            .browser
            .execute_async(
                r#"var path = arguments[0], done = arguments[1];
                var entry = JSON.parse(sessionStorage.getItem("finish:" + path) || "null");
                if (!entry) { done({ status: -1, body: "nothing recorded for " + path }); return; }
                (window.__unrecordedFetch || fetch)(path, { method: "POST", credentials: "same-origin",
                    headers: { "Content-Type": "application/json", "X-CSRF-Token": entry.csrf },
                    body: entry.body })
                  .then(function (r) { return r.text().then(function (t) { done({ status: r.status, body: t }); }); })
                  .catch(function (e) { done({ status: 0, body: String(e) }); });"#,
                json!([path]),
            )
            .await;
        (
            answer["status"].as_i64().unwrap_or_default() as u16,
            answer["body"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// The recorded JSON body of the last finish sent to `path`.
    pub async fn recorded_finish(&self, path: &str) -> Value {
        let entry = self
            .browser
            .execute(
                "return sessionStorage.getItem('finish:' + arguments[0]);",
                json!([path]),
            )
            .await;
        let entry: Value = serde_json::from_str(entry.as_str().unwrap_or("null")).unwrap();
        serde_json::from_str(entry["body"].as_str().unwrap_or("null")).unwrap()
    }

    /// Holds back the next finish sent to `path` (recorded, never sent).
    pub async fn hold_finish(&self, path: &str) {
        self.browser
            .execute(
                "sessionStorage.setItem('hold:' + arguments[0], '1');",
                json!([path]),
            )
            .await;
    }
}
