//! `oauth::params`: any body parses without panicking, and re-encoding it
//! (what `POST /authorize` and `POST /logout` do) keeps every pair.

#![no_main]

use gatehouse::oauth::params::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let params = Params::parse(body);
    let _ = params.check_duplicates();
    let _ = params.get("scope");
    let _ = params.resources();
    let again = Params::reencode(body);
    let before: Vec<_> = url::form_urlencoded::parse(body).collect();
    let after: Vec<_> = url::form_urlencoded::parse(again.as_bytes()).collect();
    assert_eq!(before, after);
});
