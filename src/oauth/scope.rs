//! Scopes: parsed with oxide-auth's RFC 6749 §3.3 rules, kept in request
//! order.

use oxide_auth::primitives::scope::Scope as OxideScope;

/// OIDC scopes advertised in discovery.
pub const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "roles",
    "offline_access",
];

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
