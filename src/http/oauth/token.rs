//! `POST /token`, and the form body that it, `/revoke` and `/introspect`
//! share.

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::{cors::allow_any_origin, responses::json_error};
use crate::app::AppState;
use crate::oauth::{OAuthError, params::Params, token_endpoint};

pub async fn post(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let params = match form_params(&req, &body) {
        Ok(params) => params,
        Err(error) => return json_error(&error),
    };
    match token_endpoint::handle(&state, params, authorization(&req)).await {
        Ok(response) => allow_any_origin(&mut HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(failure) => json_error(&failure.error),
    }
}

/// The `Authorization` header, if it is text.
pub(super) fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// The body as `application/x-www-form-urlencoded` (RFC 6749 §3.2), or
/// `invalid_request`: another media type (JSON included — answering 415
/// would not be an RFC 6749 error a client can read), or a body that is not
/// UTF-8 once percent-decoded (RFC 6749 Appendix B), which a lossy decoder
/// would otherwise turn into look-alike values.
pub(super) fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, OAuthError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    if !is_utf8_form(body) {
        return Err(OAuthError::invalid_request(
            "the body must be UTF-8 once percent-decoded",
        ));
    }
    Ok(Params::parse(body))
}

/// True when every name and value decodes (`+` and `%XX`) to UTF-8.
fn is_utf8_form(body: &[u8]) -> bool {
    body.split(|&b| b == b'&')
        .flat_map(|pair| pair.splitn(2, |&b| b == b'='))
        .all(|part| std::str::from_utf8(&percent_decode(part)).is_ok())
}

/// `application/x-www-form-urlencoded` decoding of one name or value; a `%`
/// not followed by two hex digits stays as it is (as the WHATWG parser does).
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        let hex = |at: usize| input.get(at).and_then(|b| (*b as char).to_digit(16));
        match (byte, hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make at most 0xFF.
                out.push(u8::try_from(high * 16 + low).unwrap_or(u8::MAX));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_must_decode_to_utf8() {
        assert!(is_utf8_form(b"grant_type=client_credentials&scope=a+b%20c"));
        assert!(is_utf8_form("name=%C3%A9t%C3%A9&x=é".as_bytes()));
        assert!(is_utf8_form(b"odd=100%&%zz=1&="));
        assert!(!is_utf8_form(b"grant_type=\xff"));
        assert!(!is_utf8_form(b"code=%FF"));
        assert!(!is_utf8_form(b"%C3=1"));
        assert!(!is_utf8_form(b"a=1&b=%ED%A0%80"));
    }

    #[test]
    fn percent_decoding_follows_the_form_rules() {
        assert_eq!(percent_decode(b"a+b%2Bc%4"), b"a b+c%4");
        assert_eq!(percent_decode(b"%41%6a%"), b"Aj%");
    }
}
