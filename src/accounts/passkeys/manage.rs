//! A person's own passkeys: names, renaming and removal (audited).

use serde_json::json;

use super::PasskeyError;
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::db;

/// Long enough for "Work laptop (Touch ID)", short enough for one line.
const MAX_NAME_CHARS: usize = 64;
/// The name of a passkey added without one.
const DEFAULT_NAME: &str = "Passkey";

/// A passkey's name: trimmed, at most 64 characters, no control
/// characters; empty becomes "Passkey".
pub(super) fn valid_name(input: &str) -> Result<String, PasskeyError> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(DEFAULT_NAME.to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(PasskeyError::Invalid(format!(
            "a passkey name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(PasskeyError::Invalid(
            "a passkey name cannot contain control characters".to_owned(),
        ));
    }
    Ok(name.to_owned())
}

/// Renames one of the person's passkeys.
pub async fn rename(
    state: &AppState,
    user_id: String,
    passkey_id: String,
    name: &str,
    client_ip: Option<String>,
) -> Result<String, PasskeyError> {
    let name = valid_name(name)?;
    let now = state.clock.now();
    let renamed = name.clone();
    state
        .db
        .transaction(move |conn| {
            if !db::passkeys::rename(conn, &user_id, &passkey_id, &name)? {
                return Err(PasskeyError::Invalid(
                    "that passkey is not one of yours".to_owned(),
                ));
            }
            audit::record(
                conn,
                Event {
                    kind: "passkey.renamed",
                    actor: Some(&user_id),
                    subject: Some(&user_id),
                    client_ip: client_ip.as_deref(),
                    details: Some(json!({ "passkey_id": passkey_id, "name": name })),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(renamed)
}

/// Removes one of the person's passkeys; returns its name.
pub async fn remove(
    state: &AppState,
    user_id: String,
    passkey_id: String,
    client_ip: Option<String>,
) -> Result<String, PasskeyError> {
    let now = state.clock.now();
    state
        .db
        .transaction(move |conn| {
            let Some(removed) = db::passkeys::remove(conn, &user_id, &passkey_id)? else {
                return Err(PasskeyError::Invalid(
                    "that passkey is not one of yours".to_owned(),
                ));
            };
            audit::record(
                conn,
                Event {
                    kind: "passkey.removed",
                    actor: Some(&user_id),
                    subject: Some(&user_id),
                    client_ip: client_ip.as_deref(),
                    details: Some(json!({ "passkey_id": removed.id, "name": removed.name })),
                },
                now,
            )?;
            Ok(removed.name)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(valid_name("  Work laptop ").unwrap(), "Work laptop");
        assert_eq!(valid_name("").unwrap(), "Passkey");
        assert_eq!(valid_name(&"é".repeat(64)).unwrap(), "é".repeat(64));
        assert!(valid_name(&"x".repeat(65)).is_err());
        assert!(valid_name("a\u{0}b").is_err());
        assert!(valid_name("line\nbreak").is_err());
    }
}
