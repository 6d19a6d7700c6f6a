//! Form and query parameters as RFC 6749 reads them: a parameter sent twice
//! is an error (§3.1), except those defined as repeatable (`resource`).

use std::collections::HashMap;

use super::error::OAuthError;

#[derive(Debug, Default, Clone)]
pub struct Params {
    single: HashMap<String, String>,
    resources: Vec<String>,
    /// Every name sent more than once, in the order first repeated.
    repeated: Vec<String>,
    /// Every pair sent, stored or not (see `limits`).
    pair_count: usize,
}

impl Params {
    pub fn parse(encoded: &[u8]) -> Self {
        let mut params = Params::default();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            params.pair_count += 1;
            // Past the bound the request fails `limits::check` anyway:
            // count the rest without keeping them.
            if params.pair_count > super::limits::MAX_PARAMETERS {
                continue;
            }
            if name == "resource" {
                params.resources.push(value.into_owned());
            } else if params
                .single
                .insert(name.to_string(), value.into_owned())
                .is_some()
                && !params.repeated.iter().any(|r| r == &name)
            {
                params.repeated.push(name.into_owned());
            }
        }
        params
    }

    /// Fails if a parameter was repeated.
    pub fn check_duplicates(&self) -> Result<(), OAuthError> {
        match self.repeated.first() {
            Some(name) => Err(OAuthError::invalid_request(format!(
                "parameter {name} was sent more than once"
            ))),
            None => Ok(()),
        }
    }

    /// Whether `name` was sent more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// The value, with an empty value treated as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    pub fn pair_count(&self) -> usize {
        self.pair_count
    }

    /// Every kept pair, repeatable ones included, in no particular order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.single
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain(self.resources.iter().map(|r| ("resource", r.as_str())))
    }

    /// Re-encodes a form body as a query string, every pair in order with
    /// repeats kept, so that the GET a POST /authorize becomes is checked
    /// exactly as the POST would have been.
    pub fn reencode(encoded: &[u8]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(url::form_urlencoded::parse(encoded))
            .finish()
    }
}

/// Property tests (issue 10): any bytes parse without panicking; distinct
/// parameters round-trip; a repeat is caught; `resource` keeps every value
/// in order; re-encoding keeps every pair.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn encode(pairs: &[(String, String)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    fn name() -> impl Strategy<Value = String> {
        any::<String>().prop_filter("resource repeats by design", |n| n != "resource")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_bytes_panic(body in prop::collection::vec(any::<u8>(), 0..400)) {
            let params = Params::parse(&body);
            let _ = params.check_duplicates();
            let _ = params.get("scope");
            let _ = Params::reencode(&body);
        }

        #[test]
        fn distinct_parameters_round_trip(
            pairs in prop::collection::btree_map(name(), any::<String>(), 0..8),
        ) {
            let pairs: Vec<(String, String)> = pairs.into_iter().collect();
            let params = Params::parse(encode(&pairs).as_bytes());
            prop_assert!(params.check_duplicates().is_ok());
            for (name, value) in &pairs {
                let expected = Some(value.as_str()).filter(|v| !v.is_empty());
                prop_assert_eq!(params.get(name), expected);
            }
        }

        #[test]
        fn a_repeated_parameter_is_an_error(
            name in name(),
            first in any::<String>(),
            second in any::<String>(),
            others in prop::collection::vec((name(), any::<String>()), 0..4),
        ) {
            let mut pairs = others;
            pairs.push((name.clone(), first));
            pairs.push((name, second));
            prop_assert!(Params::parse(encode(&pairs).as_bytes()).check_duplicates().is_err());
        }

        #[test]
        fn every_resource_is_kept_in_order(
            resources in prop::collection::vec(any::<String>(), 0..6),
        ) {
            let pairs: Vec<(String, String)> =
                resources.iter().map(|r| ("resource".to_owned(), r.clone())).collect();
            let params = Params::parse(encode(&pairs).as_bytes());
            prop_assert!(params.check_duplicates().is_ok());
            prop_assert_eq!(params.resources(), resources.as_slice());
        }

        #[test]
        fn reencoding_keeps_every_pair(body in prop::collection::vec(any::<u8>(), 0..400)) {
            let again = Params::reencode(&body);
            let before: Vec<_> = url::form_urlencoded::parse(&body).collect();
            let after: Vec<_> = url::form_urlencoded::parse(again.as_bytes()).collect();
            prop_assert_eq!(before, after);
        }
    }
}
