//! A console form whose fields may repeat (checkboxes, multiple selects),
//! which `web::Form` cannot read into a struct.

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Debug, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(field, _)| field == name)
    }

    /// Every word of every value of `name`: a checkbox per value, or a
    /// text box or text area with several words or lines, read alike.
    pub fn words(&self, name: &str) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for (_, value) in self.0.iter().filter(|(field, _)| field == name) {
            for word in value.split_whitespace() {
                if !words.iter().any(|w| w == word) {
                    words.push(word.to_owned());
                }
            }
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_words_are_read_alike() {
        let form = FormFields::parse(
            b"grant_types=authorization_code&grant_types=refresh_token+client_credentials&name=+A+&uris=a%0D%0Ab",
        );
        assert_eq!(
            form.words("grant_types"),
            ["authorization_code", "refresh_token", "client_credentials"]
        );
        assert_eq!(form.one("name"), "A");
        assert_eq!(form.words("uris"), ["a", "b"]);
        assert!(!form.has("missing"));
        assert_eq!(form.one("missing"), "");
    }
}
