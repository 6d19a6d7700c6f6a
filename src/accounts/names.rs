//! Name rules shared by the CLI, the pages and the admin API.

use super::AccountError;

/// Usernames: 1–64 of letters, digits and `. _ - @`.
pub fn username(input: &str) -> Result<String, AccountError> {
    checked("username", input, 64, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')
    })
}

/// Role names: 1–64 of lowercase letters, digits and `_ - . :`.
pub fn role(input: &str) -> Result<String, AccountError> {
    checked("role name", input, 64, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.' | ':')
    })
}

/// Permission names: 1–128 of letters, digits and `_ - . : /`.
pub fn permission(input: &str) -> Result<String, AccountError> {
    checked("permission", input, 128, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/')
    })
}

/// An email address, loosely: something@something, no spaces.
pub fn email(input: &str) -> Result<String, AccountError> {
    let trimmed = input.trim();
    let valid = trimmed.len() <= 254
        && !trimmed.contains(char::is_whitespace)
        && trimmed
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(AccountError::Invalid(format!(
            "{input:?} is not an email address"
        )))
    }
}

/// Display names: free text people read, so 1–200 characters and no
/// control characters (which would garble pages, logs and ID tokens).
pub fn display_name(input: &str) -> Result<String, AccountError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(AccountError::Invalid(
            "a name must be 1 to 200 characters".into(),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AccountError::Invalid(
            "a name cannot contain control characters".into(),
        ));
    }
    Ok(trimmed.to_owned())
}

fn checked(
    what: &str,
    input: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<String, AccountError> {
    if input.is_empty() || input.len() > max {
        return Err(AccountError::Invalid(format!(
            "{what} must be 1 to {max} characters"
        )));
    }
    if let Some(bad) = input.chars().find(|c| !allowed(*c)) {
        return Err(AccountError::Invalid(format!(
            "{what} {input:?} contains {bad:?}, which is not allowed"
        )));
    }
    Ok(input.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(username("suman").is_ok());
        assert!(username("a b").is_err());
        assert!(username("").is_err());
        assert!(role("school-admin").is_ok());
        assert!(role("Admin").is_err());
        assert!(permission("students:delete").is_ok());
        assert!(email("a@b.co").is_ok());
        assert!(email("nope").is_err());
        assert_eq!(display_name("  Alice Liddell ").unwrap(), "Alice Liddell");
        assert!(display_name("a\u{7}b").is_err());
        assert!(display_name(&"x".repeat(201)).is_err());
    }
}
