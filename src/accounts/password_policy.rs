//! Which new passwords are accepted, after NIST SP 800-63B-4 §3.1.1.2: a
//! minimum length (15 characters, or a lower configured one for people who
//! also have a second factor), a bounded maximum, no composition rules, no
//! password on the deny-list of common and breached ones, and none that
//! contains the person's username or the local part of their email.
//!
//! Framework-free and cheap: call it before hashing. Applied on first-run
//! setup, on administrative create and set-password
//! (`administration::users`, so the console, the admin API and the CLI all
//! refuse alike) and on the account page's password change.

pub mod deny_list;

pub use crate::config::PasswordPolicy;

/// Names a password must not contain, case-insensitively.
#[derive(Debug, Clone, Copy)]
pub struct PolicyNames<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
}

/// Names shorter than this are not looked for: "al" in a passphrase is no
/// hint of who it belongs to (SP 800-63B-4 leaves the rule to the verifier).
const SHORTEST_NAME_CHARS: usize = 4;

/// Why a password was refused, worded for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    #[error("The password is too short: use at least {min} characters.")]
    TooShort { min: usize },
    #[error("The password is too long: use at most {max} characters.")]
    TooLong { max: usize },
    #[error("This password is too common or has appeared in a data breach; choose another.")]
    Common,
    #[error("The password must not contain the username.")]
    ContainsUsername,
    #[error("The password must not contain the part of the email address before the @.")]
    ContainsEmail,
}

/// The shortest password accepted for someone with, or without, a second
/// factor (for forms: `minlength`, and the hint beside the field).
pub fn min_length(policy: &PasswordPolicy, has_second_factor: bool) -> usize {
    if has_second_factor {
        policy.min_length_with_second_factor
    } else {
        policy.min_length
    }
}

/// Accepts `candidate` as a new password for the person `names` describes,
/// or says why not. Length is counted in Unicode characters, as a person
/// counts; every Unicode character is allowed.
pub fn check(
    policy: &PasswordPolicy,
    candidate: &str,
    names: &PolicyNames<'_>,
    has_second_factor: bool,
) -> Result<(), PolicyViolation> {
    let length = candidate.chars().count();
    let min = min_length(policy, has_second_factor);
    if length < min {
        return Err(PolicyViolation::TooShort { min });
    }
    if length > policy.max_length {
        return Err(PolicyViolation::TooLong {
            max: policy.max_length,
        });
    }
    let lowered = candidate.to_lowercase();
    if contains_name(&lowered, names.username) {
        return Err(PolicyViolation::ContainsUsername);
    }
    let local_part = names
        .email
        .and_then(|email| email.rsplit_once('@'))
        .map(|(local, _)| local);
    if local_part.is_some_and(|local| contains_name(&lowered, local)) {
        return Err(PolicyViolation::ContainsEmail);
    }
    if deny_list::contains(&lowered) {
        return Err(PolicyViolation::Common);
    }
    Ok(())
}

fn contains_name(lowered_candidate: &str, name: &str) -> bool {
    let name = name.trim();
    name.chars().count() >= SHORTEST_NAME_CHARS && lowered_candidate.contains(&name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 15,
            min_length_with_second_factor: 8,
            max_length: 128,
        }
    }

    const NAMES: PolicyNames<'static> = PolicyNames {
        username: "rahul.sharma",
        email: Some("Priya.Nair@school.example"),
    };

    #[test]
    fn the_policy_table() {
        use PolicyViolation::*;
        let long = "x".repeat(129);
        let longest_allowed = "ü".repeat(128);
        let cases: &[(&str, &str, bool, Result<(), PolicyViolation>)] = &[
            (
                "too short",
                "short-pass-12",
                false,
                Err(TooShort { min: 15 }),
            ),
            ("empty", "", false, Err(TooShort { min: 15 })),
            (
                "14 characters",
                "abcdefghijklmn",
                false,
                Err(TooShort { min: 15 }),
            ),
            ("15 characters", "violet-anchor-9", false, Ok(())),
            (
                "deny-listed, in another case",
                "PasswordPassword",
                false,
                Err(Common),
            ),
            (
                "deny-listed, short enough only with a second factor",
                "Qwertyuiop",
                true,
                Err(Common),
            ),
            (
                "contains the username in another case",
                "my-RAHUL.Sharma-passphrase",
                false,
                Err(ContainsUsername),
            ),
            (
                "contains the email's local part",
                "river-priya.nair-stone",
                false,
                Err(ContainsEmail),
            ),
            ("too long", &long, false, Err(TooLong { max: 128 })),
            (
                "the maximum counts characters, not bytes",
                &longest_allowed,
                false,
                Ok(()),
            ),
            (
                "a long passphrase",
                "correct horse battery staple on a violet anchor",
                false,
                Ok(()),
            ),
            (
                "the lower minimum with a second factor",
                "tq8#vLm2",
                true,
                Ok(()),
            ),
            (
                "the lower minimum needs a second factor",
                "tq8#vLm2",
                false,
                Err(TooShort { min: 15 }),
            ),
            (
                "below even the lower minimum",
                "tq8#vLm",
                true,
                Err(TooShort { min: 8 }),
            ),
            (
                "no composition rules",
                "lowercase only words here",
                false,
                Ok(()),
            ),
        ];
        for (what, candidate, second_factor, expected) in cases {
            assert_eq!(
                &check(&policy(), candidate, &NAMES, *second_factor),
                expected,
                "{what}: {candidate:?}"
            );
        }
    }

    #[test]
    fn short_names_are_not_looked_for_and_no_email_is_fine() {
        let names = PolicyNames {
            username: "al",
            email: Some("bo@example.com"),
        };
        assert_eq!(
            check(&policy(), "al-bo-violet-anchor-2931", &names, false),
            Ok(())
        );
        let names = PolicyNames {
            username: "meadow",
            email: None,
        };
        assert_eq!(
            check(&policy(), "violet-anchor-meadow-2931", &names, false),
            Err(PolicyViolation::ContainsUsername)
        );
    }

    #[test]
    fn messages_read_as_sentences_that_name_the_password() {
        assert_eq!(
            PolicyViolation::TooShort { min: 15 }.to_string(),
            "The password is too short: use at least 15 characters."
        );
        assert_eq!(
            PolicyViolation::Common.to_string(),
            "This password is too common or has appeared in a data breach; choose another."
        );
        assert_eq!(
            PolicyViolation::ContainsUsername.to_string(),
            "The password must not contain the username."
        );
        // Read on their own (a CLI line, a console banner), each says what
        // it is about.
        for violation in [
            PolicyViolation::TooShort { min: 15 },
            PolicyViolation::TooLong { max: 128 },
            PolicyViolation::Common,
            PolicyViolation::ContainsUsername,
            PolicyViolation::ContainsEmail,
        ] {
            assert!(violation.to_string().contains("password"), "{violation}");
        }
    }
}
