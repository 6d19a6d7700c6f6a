//! Scopes: parsed with oxide-auth's RFC 6749 §3.3 rules, kept in request
//! order.

use oxide_auth::primitives::scope::Scope as OxideScope;

/// OIDC scopes advertised in discovery. Not `address` or `phone`: users
/// have no such attributes, and advertising a scope promises its claims.
/// Asked for, they are dropped from the grant like any unknown scope.
pub const SUPPORTED_SCOPES: &[&str] = &["openid", "profile", "email", "roles", "offline_access"];

/// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
pub fn is_valid_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// An ordered set of scope tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space-separated scope string; `Err` carries the bad token.
    /// Linear in the input: duplicates are found with a set, not by
    /// scanning what was kept (a long scope must not cost quadratic time).
    pub fn parse(input: &str) -> Result<Self, String> {
        // oxide-auth checks the character rules for the whole string.
        if !input.trim().is_empty() {
            input.parse::<OxideScope>().map_err(|_| input.to_owned())?;
        }
        let mut seen = std::collections::HashSet::new();
        let mut scopes: Vec<String> = Vec::new();
        for token in input.split(' ').filter(|t| !t.is_empty()) {
            if !is_valid_scope_token(token) {
                return Err(token.to_owned());
            }
            if seen.insert(token) {
                scopes.push(token.to_owned());
            }
        }
        Ok(Self(scopes))
    }

    /// Parses a string this server stored itself.
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.split_whitespace().map(str::to_owned).collect())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn retain(mut self, keep: impl Fn(&str) -> bool) -> Self {
        self.0.retain(|s| keep(s));
        self
    }

    /// True when every scope here is also in `other`.
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    pub fn union(&self, other: &Scopes) -> Scopes {
        let mut merged = self.0.clone();
        for scope in &other.0 {
            if !merged.contains(scope) {
                merged.push(scope.clone());
            }
        }
        Scopes(merged)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The space-separated form for responses and storage.
    pub fn to_string_list(&self) -> String {
        self.0.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_order_and_rejects_bad_characters() {
        let scopes = Scopes::parse("openid  email openid").unwrap();
        assert_eq!(scopes.to_string_list(), "openid email");
        assert!(Scopes::parse("open\"id").is_err());
        assert!(Scopes::parse("").unwrap().is_empty());
    }
}

/// Property tests (issue 10): no input panics the parser; well-formed
/// scopes round-trip in order without repeats; a forbidden character
/// anywhere is refused.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// One RFC 6749 §3.3 scope token: %x21 / %x23-5B / %x5D-7E.
    fn token() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[!#-\\[\\]-~]{1,16}").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_input_panics(input in any::<String>()) {
            let _ = Scopes::parse(&input);
            let _ = Scopes::from_stored(&input);
        }

        #[test]
        fn scope_shaped_input_never_panics(input in "[ !-~\\t\\r\\n\\u{80}-\\u{10FFFF}]{0,300}") {
            if let Ok(scopes) = Scopes::parse(&input) {
                prop_assert!(scopes.iter().all(is_valid_scope_token));
            }
        }

        #[test]
        fn well_formed_scopes_round_trip(
            tokens in prop::collection::vec(token(), 0..10),
            gap in 1usize..3,
        ) {
            let input = tokens.join(&" ".repeat(gap));
            let scopes = Scopes::parse(&input).unwrap();
            let mut expected: Vec<&str> = Vec::new();
            for token in &tokens {
                if !expected.contains(&token.as_str()) {
                    expected.push(token);
                }
            }
            prop_assert_eq!(scopes.to_string_list(), expected.join(" "));
            prop_assert_eq!(Scopes::parse(&scopes.to_string_list()).unwrap(), scopes.clone());
            prop_assert_eq!(Scopes::from_stored(&scopes.to_string_list()), scopes.clone());
            for token in &tokens {
                prop_assert!(scopes.contains(token));
            }
            prop_assert!(scopes.is_subset_of(&scopes.union(&Scopes::default())));
        }

        #[test]
        fn a_forbidden_character_is_refused(
            tokens in prop::collection::vec(token(), 1..6),
            which in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            bad in prop::sample::select(vec!['"', '\\', '\u{0}', '\u{7f}', '\t', 'é', '\u{202e}']),
        ) {
            let mut tokens = tokens;
            let i = which.index(tokens.len());
            let token = &mut tokens[i];
            let mut chars: Vec<char> = token.chars().collect();
            chars.insert(at.index(chars.len() + 1), bad);
            *token = chars.into_iter().collect();
            prop_assert!(Scopes::parse(&tokens.join(" ")).is_err());
        }
    }
}
