//! A request id on every request and response, one log line per request
//! (route pattern, never the path or query string), and the metrics.
//!
//! Every label is drawn from a bounded set, so no request can add a metrics
//! series: the method is one of the standard ones or `OTHER`, the route is
//! the matched pattern (`/admin/users/{username}`) or `unmatched`, and the
//! status is a number. Methods longer than `MAX_METHOD_LEN` are refused
//! before routing: no handler has any use for them.

use std::time::Instant;

use actix_web::{
    Error, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use tracing::Instrument;

use crate::http::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest method accepted (the standard ones have at most 7 bytes;
/// WebDAV's longest, `VERSION-CONTROL`, has 15).
pub const MAX_METHOD_LEN: usize = 16;

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// The metrics and log label of a method: its name if standard, else `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = method_label(req.method());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    let started = Instant::now();
    let mut response = if req.method().as_str().len() > MAX_METHOD_LEN {
        req.into_response(HttpResponse::MethodNotAllowed().finish())
            .map_into_right_body()
    } else {
        // Handlers' errors are responses by now (actix turns them into
        // responses at the route); an `Err` here is the server's own fault.
        next.call(req)
            .instrument(span.clone())
            .await?
            .map_into_left_body()
    };
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(route = %route, status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request");
    });
    if let Some(metrics) = metrics {
        metrics.observe(&route, method, status, elapsed);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for invented in ["FOO", "get", "PROPFIND", "X-ABSURDLY-LONG-METHOD-NAME"] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "OTHER", "{invented}");
        }
    }
}
