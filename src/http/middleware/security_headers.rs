//! Headers every response carries, set once here rather than in each
//! handler: a strict CSP and friends, HSTS when the issuer is https, and
//! `Cache-Control: no-store` on every HTML page and every `/admin` and
//! `/account` answer that did not choose its own caching (pages carry CSRF
//! tokens, pending-request ids and user data, error pages echo what went
//! wrong, the admin API hands out client secrets). A handler's own header
//! always wins.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use crate::app::AppState;
use crate::routes;

/// No `form-action` in the CSP: Chromium applies it to the redirect that
/// follows a form post, which would block the hop back to the client's
/// redirect URI. `connect-src 'self'`: the passkey script posts JSON to
/// this origin and nowhere else.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// One year (the HSTS preload list's minimum). No `includeSubDomains`:
/// the issuer's parent domain may serve other sites, which are not ours to
/// pin to https.
pub const HSTS: &str = "max-age=31536000";

const ALWAYS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Browsers ignore HSTS over plain http (RFC 6797 §8.1), so sending it
    // behind a TLS-terminating proxy, where we see http, is right.
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.issuer().starts_with("https://"));
    let private = is_admin_path(req.path()) || is_account_path(req.path());
    // Handlers' errors arrive here as responses (actix converts them at the
    // route), so they get the headers too. No clone of the request may be
    // held across `call`: routing needs it unshared.
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in ALWAYS {
        set_default(headers, name, value);
    }
    if https {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if private || is_html(headers) {
        set_default(headers, header::CACHE_CONTROL, "no-store");
    }
    Ok(response)
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..9)
                .is_some_and(|t| t.eq_ignore_ascii_case("text/html"))
        })
}

/// `/admin` and everything below it (not `/administrator`).
fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(routes::ADMIN)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// `/account` and the pages below it: a person's own account, redirects
/// included.
fn is_account_path(path: &str) -> bool {
    path.strip_prefix(routes::ACCOUNT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths_are_the_console_and_the_api() {
        assert!(is_admin_path("/admin"));
        assert!(is_admin_path("/admin/api/v1/users"));
        assert!(!is_admin_path("/administrator"));
        assert!(!is_admin_path("/login"));
        assert!(is_account_path("/account"));
        assert!(is_account_path("/account/passkeys"));
        assert!(!is_account_path("/accounts"));
    }

    #[test]
    fn html_is_recognised_whatever_its_parameters_and_case() {
        let mut headers = HeaderMap::new();
        assert!(!is_html(&headers));
        for (value, html) in [
            ("text/html; charset=utf-8", true),
            ("TEXT/HTML", true),
            ("text/plain", false),
            ("application/json", false),
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_html(&headers), html, "{value}");
        }
    }
}
