//! How strongly a person signed in: the RFC 8176 `amr` values a sign-in
//! collects, and the authentication context class (`acr`) they earn.
//!
//! Three levels, in order. A client may ask for one with `acr_values`
//! (OIDC Core 3.1.2.1); unknown values are ignored, and when several known
//! ones are sent the weakest of them is enough, since the client said any
//! of them would do.

/// A password alone.
pub const ACR_PASSWORD: &str = "urn:gatehouse:acr:pwd";
/// A password and a second factor (the OpenID PAPE multi-factor policy).
pub const ACR_MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
/// A passkey (OpenID EAP ACR Values: phishing-resistant). `phrh` is not
/// offered: Gatehouse does not collect attestation.
pub const ACR_PHISHING_RESISTANT: &str = "phr";

/// `acr_values_supported` in discovery, weakest first.
pub const ACR_VALUES_SUPPORTED: [&str; 3] =
    [ACR_PASSWORD, ACR_MULTI_FACTOR, ACR_PHISHING_RESISTANT];

/// RFC 8176 values Gatehouse records.
pub mod amr {
    pub const PASSWORD: &str = "pwd";
    pub const ONE_TIME_CODE: &str = "otp";
    /// Proof of possession of a key: a passkey.
    pub const KEY: &str = "pop";
    /// The authenticator verified the person (PIN or biometric).
    pub const USER_PRESENCE_VERIFIED: &str = "user";
    pub const MULTI_FACTOR: &str = "mfa";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Password,
    MultiFactor,
    PhishingResistant,
}

impl Level {
    /// The level a sign-in with these `amr` values reached.
    pub fn of<S: AsRef<str>>(amr: &[S]) -> Level {
        let has = |value: &str| amr.iter().any(|a| a.as_ref() == value);
        if has(amr::KEY) {
            Level::PhishingResistant
        } else if has(amr::MULTI_FACTOR) {
            Level::MultiFactor
        } else {
            Level::Password
        }
    }

    /// The same, from the space-separated form codes and tokens store.
    pub fn of_stored(amr: &str) -> Level {
        Level::of(&amr.split_whitespace().collect::<Vec<_>>())
    }

    pub fn acr(self) -> &'static str {
        match self {
            Level::Password => ACR_PASSWORD,
            Level::MultiFactor => ACR_MULTI_FACTOR,
            Level::PhishingResistant => ACR_PHISHING_RESISTANT,
        }
    }

    fn from_acr(value: &str) -> Option<Level> {
        match value {
            ACR_PASSWORD => Some(Level::Password),
            ACR_MULTI_FACTOR => Some(Level::MultiFactor),
            ACR_PHISHING_RESISTANT => Some(Level::PhishingResistant),
            _ => None,
        }
    }

    /// The level an `acr_values` parameter asks for, if it names any known
    /// value: the weakest one named.
    pub fn requested(acr_values: &str) -> Option<Level> {
        acr_values
            .split_whitespace()
            .filter_map(Level::from_acr)
            .min()
    }
}

/// The `amr` of a sign-in that added `factor` to an earlier one: the
/// values of both, plus `mfa` since two factors were used.
pub fn combined(earlier: &[String], factor: &[&str]) -> Vec<String> {
    let mut values: Vec<String> = earlier.to_vec();
    for value in factor.iter().chain(&[amr::MULTI_FACTOR]) {
        if !values.iter().any(|v| v == value) {
            values.push((*value).to_owned());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_factors_used() {
        assert_eq!(Level::of(&["pwd"]), Level::Password);
        assert_eq!(Level::of(&["pwd", "otp", "mfa"]), Level::MultiFactor);
        assert_eq!(Level::of(&["pop", "user", "mfa"]), Level::PhishingResistant);
        assert_eq!(Level::of_stored("pwd pop mfa"), Level::PhishingResistant);
    }

    #[test]
    fn the_weakest_known_requested_value_is_enough_and_unknown_ones_are_ignored() {
        assert_eq!(
            Level::requested("urn:unknown phr"),
            Some(Level::PhishingResistant)
        );
        assert_eq!(
            Level::requested(&format!("phr {ACR_MULTI_FACTOR}")),
            Some(Level::MultiFactor)
        );
        assert_eq!(Level::requested("urn:unknown 0"), None);
        assert_eq!(Level::requested(""), None);
    }

    #[test]
    fn a_second_factor_adds_its_values_and_mfa_once() {
        let earlier = vec!["pwd".to_owned()];
        assert_eq!(combined(&earlier, &["otp"]), ["pwd", "otp", "mfa"]);
        let again = combined(&combined(&earlier, &["otp"]), &["otp"]);
        assert_eq!(again, ["pwd", "otp", "mfa"]);
    }
}
