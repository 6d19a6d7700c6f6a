//! The browser session cookie: HttpOnly, SameSite=Lax, and on an https
//! issuer `Secure` with the `__Host-` prefix (pinned to this origin).

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite, time::Duration},
};

use crate::app::AppState;
use crate::secret::Secret;

pub fn secure(state: &AppState) -> bool {
    state.settings.issuer().starts_with("https://")
}

fn name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse_session"
    } else {
        "gatehouse_session"
    }
}

/// The raw cookie value, if the browser sent one.
pub fn read(req: &HttpRequest, state: &AppState) -> Option<String> {
    req.cookie(name(secure(state)))
        .map(|c| c.value().to_owned())
}

pub fn build(state: &AppState, value: &Secret<String>) -> Cookie<'static> {
    let secure = secure(state);
    Cookie::build(name(secure), value.expose().clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(
            state.settings.sessions.absolute_timeout_secs,
        ))
        .finish()
}

/// A cookie that deletes the session cookie.
pub fn removal(state: &AppState) -> Cookie<'static> {
    let secure = secure(state);
    let mut cookie = Cookie::build(name(secure), "")
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}
