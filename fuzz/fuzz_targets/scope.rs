//! `oauth::scope`: any string parses or is refused without panicking, and
//! what parses holds only valid tokens and survives a second parse.

#![no_main]

use gatehouse::oauth::scope::{Scopes, is_valid_scope_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(scopes) = Scopes::parse(input) {
        assert!(scopes.iter().all(is_valid_scope_token));
        let listed = scopes.to_string_list();
        assert_eq!(Scopes::parse(&listed).ok(), Some(scopes.clone()));
        assert_eq!(Scopes::from_stored(&listed), scopes);
    }
    let _ = Scopes::from_stored(input);
});
