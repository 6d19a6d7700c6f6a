//! CSRF protection for forms that are not tied to a server-side request:
//! a random token in an HttpOnly, SameSite=Lax cookie that the form must
//! echo (double submit). A cross-site page can neither read the cookie nor
//! set it for our origin.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};

use crate::crypto::random;

/// The cookie name: `__Host-` on https, which pins it to this origin.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gatehouse_csrf"
    } else {
        "gatehouse_csrf"
    }
}

/// The request's token, or a fresh one with the cookie to set.
pub fn token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = req.cookie(cookie_name(secure))
        && existing.value().len() == 43
    {
        return (existing.value().to_owned(), None);
    }
    let token = random::new_token().into_inner();
    let cookie = Cookie::build(cookie_name(secure), token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    (token, Some(cookie))
}

/// True when the submitted field matches the cookie.
pub fn verify(req: &HttpRequest, secure: bool, submitted: &str) -> bool {
    req.cookie(cookie_name(secure)).is_some_and(|cookie| {
        !submitted.is_empty()
            && random::constant_time_eq(cookie.value().as_bytes(), submitted.as_bytes())
    })
}
