//! Authenticator apps (RFC 6238 TOTP): enrolment, confirmation, and codes
//! that are accepted once.
//!
//! The secret is sealed under the master key. A code is accepted for the
//! current 30-second step or one step either side (clock drift), and only
//! if its step is later than the last accepted one — a conditional update
//! in the database, so a replayed code fails on every node.

use qrcode::{QrCode, render::svg};
use totp_rs::{Algorithm, TOTP};

use super::AccountError;
use crate::crypto::{MasterKey, random};
use crate::db::{self, DbConnection, second_factors::TotpRow};

const DIGITS: usize = 6;
const STEP_SECS: u64 = 30;
/// Steps accepted either side of the current one.
const SKEW: i64 = 1;
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// How long an unconfirmed enrolment shows the same secret on reload.
const ENROLMENT_TTL_SECS: i64 = 15 * 60;
const SEAL_CONTEXT: &str = "totp-secret";

/// What a person needs to add the app: shown once, until confirmed.
#[derive(Debug)]
pub struct Enrolment {
    pub secret_base32: String,
    pub uri: String,
    /// The URI as a QR code, an SVG document rendered here (no CDN).
    pub qr_svg: String,
}

/// Who the app is for, as its entry will read ("issuer: account").
pub struct Label<'a> {
    pub issuer: &'a str,
    pub account: &'a str,
}

fn totp(secret: Vec<u8>, label: &Label<'_>) -> TOTP {
    // `new_unchecked`: the checked constructor refuses account names with a
    // colon, which the URI encodes anyway.
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        secret,
        Some(label.issuer.to_owned()),
        label.account.to_owned(),
    )
}

fn enrolment(secret: Vec<u8>, label: &Label<'_>) -> Result<Enrolment, AccountError> {
    let totp = totp(secret, label);
    let uri = totp.get_url();
    let qr_svg = QrCode::new(uri.as_bytes())
        .map_err(|e| AccountError::Invalid(format!("the QR code could not be made: {e}")))?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrolment {
        secret_base32: totp.get_secret_base32(),
        uri,
        qr_svg,
    })
}

fn open(sealer: &MasterKey, row: &TotpRow) -> Result<Vec<u8>, AccountError> {
    sealer
        .open(SEAL_CONTEXT, &row.secret)
        .map_err(|e| AccountError::Invalid(format!("the authenticator secret cannot be read: {e}")))
}

pub fn is_enrolled(conn: &mut DbConnection, user_id: &str) -> Result<bool, AccountError> {
    Ok(db::second_factors::find_totp(conn, user_id)?.is_some_and(|row| row.confirmed_at.is_some()))
}

/// Starts (or, within its lifetime, shows again) an enrolment. Refused when
/// an app is already confirmed: it must be removed first.
pub fn begin(
    conn: &mut DbConnection,
    sealer: &MasterKey,
    user_id: &str,
    label: &Label<'_>,
    now: i64,
) -> Result<Enrolment, AccountError> {
    match db::second_factors::find_totp(conn, user_id)? {
        Some(row) if row.confirmed_at.is_some() => Err(AccountError::Invalid(
            "An authenticator app is already set up; remove it first to set up another.".into(),
        )),
        Some(row) if now - row.created_at < ENROLMENT_TTL_SECS => {
            enrolment(open(sealer, &row)?, label)
        }
        _ => {
            let secret = random::random_bytes::<SECRET_BYTES>().to_vec();
            db::second_factors::replace_totp(
                conn,
                &TotpRow {
                    user_id: user_id.to_owned(),
                    secret: sealer.seal(SEAL_CONTEXT, &secret),
                    created_at: now,
                    confirmed_at: None,
                    last_used_step: 0,
                },
            )?;
            enrolment(secret, label)
        }
    }
}

/// The step a code belongs to, if it is valid near `now` for this secret.
fn matching_step(secret: Vec<u8>, code: &str, now: i64) -> Option<i64> {
    let code = normalise(code)?;
    let totp = totp(
        secret,
        &Label {
            issuer: "",
            account: "",
        },
    );
    let current = now.div_euclid(STEP_SECS as i64);
    let mut found = None;
    // Every candidate is compared, in constant time, whichever matches.
    for step in (current - SKEW)..=(current + SKEW) {
        let Ok(at) = u64::try_from(step * STEP_SECS as i64) else {
            continue;
        };
        if random::constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

/// Six digits, spaces allowed ("123 456"); anything else is not a code.
pub fn normalise(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// Confirms an enrolment with a current code from the app.
pub fn confirm(
    conn: &mut DbConnection,
    sealer: &MasterKey,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<bool, AccountError> {
    let Some(row) = db::second_factors::find_totp(conn, user_id)? else {
        return Ok(false);
    };
    if row.confirmed_at.is_some() || now - row.created_at >= ENROLMENT_TTL_SECS {
        return Ok(false);
    }
    match matching_step(open(sealer, &row)?, code, now) {
        Some(step) => Ok(db::second_factors::confirm_totp(conn, user_id, step, now)?),
        None => Ok(false),
    }
}

/// Checks a code from a confirmed app; each step is accepted once.
pub fn verify(
    conn: &mut DbConnection,
    sealer: &MasterKey,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<bool, AccountError> {
    let Some(row) = db::second_factors::find_totp(conn, user_id)? else {
        return Ok(false);
    };
    if row.confirmed_at.is_none() {
        return Ok(false);
    }
    match matching_step(open(sealer, &row)?, code, now) {
        Some(step) => Ok(db::second_factors::use_totp_step(conn, user_id, step)?),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 Appendix B, SHA-1 secret "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_6238_vectors_match_in_their_step_only() {
        // T = 59 s → 94287082 (8 digits); with 6 digits the last six.
        assert_eq!(matching_step(RFC_SECRET.to_vec(), "287082", 59), Some(1));
        assert_eq!(matching_step(RFC_SECRET.to_vec(), "287 082", 59), Some(1));
        // T = 1111111109 → 07081804.
        assert_eq!(
            matching_step(RFC_SECRET.to_vec(), "081804", 1_111_111_109),
            Some(37_037_036)
        );
        // Ten minutes later the same code is no longer valid.
        assert_eq!(
            matching_step(RFC_SECRET.to_vec(), "081804", 1_111_111_709),
            None
        );
    }

    #[test]
    fn only_six_digits_are_a_code() {
        assert_eq!(normalise("12 34 56").as_deref(), Some("123456"));
        assert_eq!(normalise("12345"), None);
        assert_eq!(normalise("abcdef"), None);
        assert_eq!(normalise("ABCD-EFGH-IJKL-MNOP-QRST-UVWX"), None);
    }
}
