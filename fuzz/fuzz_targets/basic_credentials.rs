//! `oauth::client_auth`: no `Authorization` header or body panics the
//! credential parser, whatever the header says or the base64 decodes to.

#![no_main]

use base64::{Engine, engine::general_purpose::STANDARD};
use gatehouse::oauth::{client_auth::presented, params::Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &[u8], &[u8])| {
    let (header, decoded, body) = input;
    let params = Params::parse(body);
    let _ = presented(Some(header), &params);
    let _ = presented(None, &params);
    let basic = format!("Basic {}", STANDARD.encode(decoded));
    let result = presented(Some(&basic), &Params::default());
    if !decoded.contains(&b':') {
        assert!(result.is_err());
    }
});
