use actix_web::middleware::DefaultHeaders;

/// Sent on every response. No `form-action` in the CSP: Chromium applies it
/// to the redirect that follows a form post, which would block the hop back
/// to the client's redirect URI.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
}
