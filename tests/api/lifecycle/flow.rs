//! What the lifecycle tests share beyond the kit (`helpers::browser`).

use gatehouse::clock::{Clock, SystemClock};

pub use crate::helpers::PASSWORD;
use crate::helpers::TestApp;
pub use crate::helpers::browser::*;

pub const POST_LOGOUT_URI: &str = "http://127.0.0.1:3000/bye";
pub const OFFLINE: &str = "openid offline_access profile email";

/// A confidential client allowed to refresh; returns its secret.
pub fn add_refreshing_client(app: &TestApp, client_id: &str, extra: &[&str]) -> String {
    let mut args = vec!["--grant", "authorization_code", "--grant", "refresh_token"];
    args.extend_from_slice(extra);
    app.add_client(client_id, &args)
}

/// Moves the server's clock up to the real time: the `gatehouse` command
/// line stamps rows with the real clock, the test server's clock stands
/// still unless told.
pub fn catch_up(app: &TestApp) {
    let (real, server) = (SystemClock.now(), app.clock.now());
    if real > server {
        app.clock.advance(real - server);
    }
}

/// Makes the server re-read the signing keys now (it does so every 30 s).
pub fn refresh_keys(app: &TestApp) {
    let now = app.clock.now();
    let keys = app.state.keys.clone();
    app.db(move |conn| Ok(keys.refresh(conn, now)))
        .unwrap_or_else(|e| panic!("key refresh failed: {e}"));
}
