//! No request may carry a NUL character: not in its path or query string
//! (`%00`), not in a form or JSON body (`%00`, `\u0000`), not in Basic
//! credentials. No Gatehouse value can contain one, and PostgreSQL text
//! cannot hold one, so an unguarded look-up would fail there as an internal
//! error. Refused here, once for every route, in the shape the endpoint
//! answers its errors in.

use actix_web::{
    Error, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::Next,
    web,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use crate::http::{error::error_page, oauth::responses::json_error};
use crate::oauth::OAuthError;
use crate::routes;

const MESSAGE: &str = "the request contains a NUL character";

pub async fn reject_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let mut found = contains_encoded_nul(req.uri().path().as_bytes())
        || contains_encoded_nul(req.query_string().as_bytes())
        || basic_credentials_hold_nul(&req);
    if !found && let Some(kind) = body_kind(&req) {
        // Within the body limit (`web::PayloadConfig`), read once and put
        // back for the handler; over it, refused as the handler would.
        match req.extract::<web::Bytes>().await {
            Ok(body) => {
                found = match kind {
                    BodyKind::Form => contains_encoded_nul(&body),
                    BodyKind::Json => json_holds_nul(&body),
                };
                req.set_payload(body.into());
            }
            Err(error) => {
                let status = error.as_response_error().status_code();
                let response = refusal(req.path(), status, "the body is too large or unreadable");
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    if found {
        let response = refusal(req.path(), StatusCode::BAD_REQUEST, MESSAGE);
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
}

/// The bodies handlers parse; anything else they refuse or ignore.
fn body_kind(req: &ServiceRequest) -> Option<BodyKind> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => Some(BodyKind::Form),
        "application/json" => Some(BodyKind::Json),
        _ if content_type.ends_with("+json") => Some(BodyKind::Json),
        _ => None,
    }
}

/// A raw NUL, or `%00` (which every percent-decoder turns into one).
fn contains_encoded_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00")
}

/// A raw NUL, or the escape `\u0000` (a backslash only ever starts an
/// escape in JSON, so skipping each escaped character lexes correctly).
fn json_holds_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return true,
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// `Authorization: Basic` whose credentials decode to a NUL, raw or
/// form-encoded (RFC 6749 §2.3.1 form-encodes both halves).
fn basic_credentials_hold_nul(req: &ServiceRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && STANDARD
            .decode(credentials.trim())
            .is_ok_and(|decoded| contains_encoded_nul(&decoded))
}

/// The endpoint's own error shape: RFC 6749 JSON at the token family, an
/// RFC 6750 challenge at userinfo, the admin API's JSON (`invalid_input`,
/// as `admin_api::error` writes it), an HTML page everywhere else.
fn refusal(path: &str, status: StatusCode, message: &str) -> HttpResponse {
    match path {
        routes::TOKEN | routes::REVOKE | routes::INTROSPECT
            if status == StatusCode::BAD_REQUEST =>
        {
            json_error(&OAuthError::invalid_request(message))
        }
        routes::TOKEN | routes::REVOKE | routes::INTROSPECT => HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({"error": "invalid_request", "error_description": message})),
        routes::USERINFO => HttpResponse::build(status)
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer error=\"invalid_request\", error_description=\"{message}\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        _ if path.starts_with(crate::http::admin_api::PREFIX) => {
            let status = if status == StatusCode::BAD_REQUEST {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            HttpResponse::build(status)
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(json!({"error": "invalid_input", "message": message}))
        }
        _ => error_page(
            status,
            "Bad request",
            &format!("The request could not be read: {message}."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_urls_and_forms_is_found_however_it_is_written() {
        assert!(contains_encoded_nul(b"/admin/users/%00"));
        assert!(contains_encoded_nul(b"a=100%00&b=1"));
        assert!(contains_encoded_nul(b"a=%%00"));
        assert!(contains_encoded_nul(b"a=\x00"));
        assert!(!contains_encoded_nul(b"a=%2500&b=%0A&c=500"));
        assert!(!contains_encoded_nul(b""));
    }

    #[test]
    fn nul_in_json_is_found_only_as_an_escape_or_raw() {
        assert!(json_holds_nul(br#"{"username":"a\u0000b"}"#));
        assert!(json_holds_nul(b"{\"a\":\"\x00\"}"));
        assert!(json_holds_nul(br#"["\\\u0000"]"#));
        assert!(!json_holds_nul(br#"{"username":"a\\u0000b"}"#));
        assert!(json_holds_nul(br#"{"u":"\u00001"}"#));
        assert!(!json_holds_nul(br#"{"n":"\u0001","m":"%00"}"#));
        assert!(!json_holds_nul(b"\\"));
    }
}
