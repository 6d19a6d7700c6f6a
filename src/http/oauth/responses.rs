//! Protocol outcomes → HTTP: JSON error bodies, redirects, error pages.

use actix_web::{
    HttpResponse,
    http::{StatusCode, header},
};
use serde_json::json;

use super::cors::allow_any_origin;
use crate::http::error::error_page;
use crate::oauth::{ErrorCode, OAuthError, code_flow::Step};
use crate::routes;

/// A JSON error body (RFC 6749 §5.2) with `no-store`.
pub fn json_error(error: &OAuthError) -> HttpResponse {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    // A refusal is logged with its reason (the client alone sees the body);
    // a server error was logged where it happened.
    if error.code != ErrorCode::ServerError {
        tracing::warn!(
            error = error.code.as_str(),
            reason = %error.description,
            "protocol request refused"
        );
    }
    let mut builder = HttpResponse::build(status);
    allow_any_origin(&mut builder)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6749 §5.2: challenge with Basic, the method every client
        // must support, whichever method the failed attempt used.
        builder.insert_header((
            header::WWW_AUTHENTICATE,
            "Basic realm=\"gatehouse\"".to_owned(),
        ));
    }
    builder.json(json!({ "error": error.code.as_str(), "error_description": error.description }))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Where the browser goes after a step of the code flow.
pub fn step_response(step: Step) -> HttpResponse {
    match step {
        Step::Redirect(url) => see_other(&url),
        Step::Login { request_id } => {
            see_other(&format!("{}?request={}", routes::LOGIN, request_id))
        }
        Step::Consent { request_id } => {
            see_other(&format!("{}?request={}", routes::CONSENT, request_id))
        }
        Step::SecondFactor { request_id } => {
            see_other(&format!("{}?request={}", routes::SECOND_FACTOR, request_id))
        }
        Step::Page(message) => error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in request rejected",
            &message,
        ),
        Step::TooManyPending => {
            let mut page = error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins in progress",
                "Too many sign-in requests are waiting from your network. Try again in a few minutes.",
            );
            page.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
            page
        }
    }
}
