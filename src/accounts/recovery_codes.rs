//! Recovery codes: ten one-time codes of 120 random bits each, shown once
//! and stored as SHA-256, for when the authenticator app is lost.

use super::AccountError;
use crate::crypto::random;
use crate::db::{self, DbConnection, DbError};
use crate::secret::Secret;

pub const COUNT: usize = 10;
/// 120 bits (the issue asks for at least 112): 24 base32 characters.
const CODE_BYTES: usize = 15;
const GROUP: usize = 4;

/// Base32 without padding, in groups of four: "ABCD-EFGH-…".
fn new_code() -> String {
    let bytes = random::random_bytes::<CODE_BYTES>().to_vec();
    let encoded = totp_rs::Secret::Raw(bytes)
        .to_encoded()
        .to_string()
        .trim_end_matches('=')
        .to_owned();
    encoded
        .as_bytes()
        .chunks(GROUP)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed, without separators or case; `None` if it cannot be
/// a recovery code.
pub fn normalise(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    (code.len() == CODE_BYTES * 8 / 5 && code.chars().all(base32)).then_some(code)
}

fn hash(normalised: &str) -> String {
    random::token_hash(normalised)
}

/// New codes for the user, replacing any earlier ones. The plain codes are
/// returned to be shown once; only their hashes are kept.
pub fn replace(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
) -> Result<Vec<Secret<String>>, AccountError> {
    let codes: Vec<String> = (0..COUNT).map(|_| new_code()).collect();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|code| normalise(code))
        .map(|code| hash(&code))
        .collect();
    db::second_factors::replace_recovery_codes(conn, user_id, &hashes, now)?;
    Ok(codes.into_iter().map(Secret::new).collect())
}

/// Spends a code: true once, false ever after or for a wrong code.
pub fn redeem(
    conn: &mut DbConnection,
    user_id: &str,
    input: &str,
    now: i64,
) -> Result<bool, AccountError> {
    let Some(code) = normalise(input) else {
        return Ok(false);
    };
    Ok(db::second_factors::use_recovery_code(
        conn,
        user_id,
        &hash(&code),
        now,
    )?)
}

pub fn remaining(conn: &mut DbConnection, user_id: &str) -> Result<i64, DbError> {
    db::second_factors::unused_recovery_codes(conn, user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_codes_are_grouped_base32_that_normalises_back() {
        let code = new_code();
        assert_eq!(code.len(), 24 + 5, "{code}");
        assert_eq!(code.matches('-').count(), 5);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise(&typed), Some(code.replace('-', "")));
        assert_ne!(new_code(), code);
    }

    #[test]
    fn six_digit_codes_and_junk_are_not_recovery_codes() {
        assert_eq!(normalise("123456"), None);
        assert_eq!(normalise("ABCD-EFGH-IJKL-MNOP-QRST-UVW1"), None);
        assert_eq!(normalise(""), None);
    }
}
