//! Form and query parameters as RFC 6749 reads them: a parameter sent twice
//! is an error (§3.1), except those defined as repeatable (`resource`).

use std::collections::HashMap;

use super::error::OAuthError;

#[derive(Debug, Default, Clone)]
pub struct Params {
    single: HashMap<String, String>,
    resources: Vec<String>,
    duplicate: Option<String>,
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
            {
                params.duplicate.get_or_insert_with(|| name.into_owned());
            }
        }
        params
    }

    /// Fails if a parameter was repeated.
    pub fn check_duplicates(&self) -> Result<(), OAuthError> {
        match &self.duplicate {
            Some(name) => Err(OAuthError::invalid_request(format!(
                "parameter {name} was sent more than once"
            ))),
            None => Ok(()),
        }
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
