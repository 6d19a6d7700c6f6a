//! The JSON side of the passkey pages: `static/passkeys.js` posts JSON with
//! the page's CSRF token in a header, and gets JSON back — options to hand
//! to the browser's WebAuthn API, a place to go next, or a readable error.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::accounts::passkeys::{Browser, PasskeyError};
use crate::app::AppState;
use crate::http::{AppError, client_ip, csrf, error::sentence, session_cookie};

/// The header that carries the page's CSRF token (the value of the CSRF
/// cookie, echoed: a cross-site page can read neither).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `{"error": "…"}` with `status`, never cached.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": sentence(message) }))
}

/// A JSON answer, never cached.
pub fn ok(body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// An answer to send back instead of going on (boxed: a response is large).
pub type Refusal = Box<HttpResponse>;

/// The request's JSON body as `T`, after its CSRF header: a refusal to
/// send back otherwise (403 for the token, 415 for another content type,
/// 400 saying what is wrong with the body).
pub fn parse<T: DeserializeOwned>(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<T, Refusal> {
    let submitted = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !csrf::verify(req, session_cookie::secure(state), submitted) {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "This page has expired. Reload it and try again.",
        )));
    }
    let json_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the request as application/json.",
        )));
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            &format!("The request body is not valid JSON: {e}"),
        ))
    })?;
    if !value.is_object() {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object.",
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let what = if path == "." {
            format!("The request body is not what was expected: {inner}")
        } else {
            format!("The request body is not what was expected at {path}: {inner}")
        };
        Box::new(error(StatusCode::BAD_REQUEST, &what))
    })
}

/// The browser at the other end of a JSON request (its CSRF header was
/// verified by [`parse`], so the cookie is there).
pub fn browser(req: &HttpRequest, state: &AppState) -> Browser {
    Browser {
        binding: req
            .cookie(csrf::cookie_name(session_cookie::secure(state)))
            .map(|c| c.value().to_owned())
            .unwrap_or_default(),
        client_ip: client_ip::of(req),
    }
}

/// A refused ceremony or change as a JSON answer; faults go to the one
/// place that logs them.
pub fn refusal(error_: PasskeyError) -> Result<HttpResponse, AppError> {
    let error_ = match error_ {
        PasskeyError::Internal(_) => return Err(AppError::internal(error_)),
        PasskeyError::Db(db) => return Err(db.into()),
        other => other,
    };
    let status = match &error_ {
        PasskeyError::Off => StatusCode::NOT_FOUND,
        PasskeyError::Expired
        | PasskeyError::Malformed(_)
        | PasskeyError::Invalid(_)
        | PasskeyError::NoPasskeys => StatusCode::BAD_REQUEST,
        PasskeyError::Rejected => StatusCode::UNAUTHORIZED,
        PasskeyError::Duplicate => StatusCode::CONFLICT,
        PasskeyError::TooMany | PasskeyError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        PasskeyError::Internal(_) | PasskeyError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = error(status, &error_.to_string());
    if let PasskeyError::Throttled { retry_after_secs } = error_ {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs.into());
    }
    Ok(response)
}

/// A page's answer (a 303 to the next step, with the session cookie) as
/// JSON for the script: `{"redirect": "…"}` with the same cookies. Any
/// other answer means the sign-in cannot go on from here.
pub fn navigation(response: HttpResponse) -> HttpResponse {
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location.filter(|_| response.status().is_redirection()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "This sign-in has expired or was already completed. Go back to the application and start again.",
        );
    };
    let mut answer = ok(&json!({ "redirect": location }));
    for cookie in response.cookies() {
        // Only fails on a cookie that cannot be a header value, which the
        // response already carried as one.
        let _ = answer.add_cookie(&cookie);
    }
    answer
}
