//! Passkeys (WebAuthn) around `webauthn-rs`: the relying party built from
//! the settings, registration, passwordless sign-in and the passkey as a
//! second step after a password. Framework-free; the pages and JSON
//! endpoints live in `http::ui`.
//!
//! A ceremony's state lives in the database between its start and its
//! finish (`webauthn_ceremonies`), so a ceremony started on one node
//! finishes on any other; a finish takes the row exactly once, so a
//! replayed finish is refused everywhere.

mod ceremony;
mod manage;
mod registration;
mod sign_in;

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use url::Url;
use webauthn_rs::prelude::{Passkey, Webauthn, WebauthnBuilder};

use crate::accounts::assurance::{self, amr};
use crate::app::AppState;
use crate::config::Settings;
use crate::db::{self, DbConnection, DbError, passkeys::PasskeyRow};

pub use ceremony::{Browser, Started};
pub use manage::{remove, rename};
pub use registration::{finish_registration, start_registration};
pub use sign_in::{
    SignedIn, finish_passwordless, finish_second_factor, start_passwordless, start_second_factor,
};

/// Whether this server offers passkeys, and if not, why.
#[derive(Clone)]
pub enum Passkeys {
    On(Arc<RelyingParty>),
    /// The reason, for the one line logged at start.
    Off(String),
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Passkeys::On(rp) => write!(f, "On({})", rp.rp_id),
            Passkeys::Off(reason) => write!(f, "Off({reason})"),
        }
    }
}

impl Passkeys {
    /// The relying party from `[webauthn]` and the issuer: its id is
    /// `rp_id` or, when empty, the issuer's host; its origin the issuer's.
    /// An issuer whose host is an IP address cannot have passkeys (WebAuthn
    /// binds credentials to a domain), so they are off.
    pub fn from_settings(settings: &Settings) -> Passkeys {
        let issuer = settings.issuer();
        let Ok(url) = Url::parse(issuer) else {
            return Passkeys::Off(format!("the issuer {issuer} is not a URL"));
        };
        let Some(host) = url.domain().map(str::to_ascii_lowercase) else {
            return Passkeys::Off(format!(
                "the issuer {issuer} names an IP address, and WebAuthn needs a domain name \
                 (use a host name such as http://localhost:{} or a real domain)",
                url.port_or_known_default().unwrap_or(8080)
            ));
        };
        let rp_id = match settings.webauthn.rp_id.trim() {
            "" => host,
            configured => configured.to_ascii_lowercase(),
        };
        // The origin: scheme, host and port, without the issuer's path.
        let Ok(origin) = Url::parse(&url.origin().ascii_serialization()) else {
            return Passkeys::Off(format!("the issuer {issuer} has no origin"));
        };
        let built = WebauthnBuilder::new(&rp_id, &origin)
            .map(|builder| builder.rp_name(&settings.webauthn.rp_name))
            .and_then(WebauthnBuilder::build);
        match built {
            Ok(webauthn) => Passkeys::On(Arc::new(RelyingParty { webauthn, rp_id })),
            Err(error) => Passkeys::Off(format!(
                "webauthn.rp_id {rp_id:?} does not fit the issuer {issuer}: {error}"
            )),
        }
    }

    pub fn relying_party(&self) -> Option<&RelyingParty> {
        match self {
            Passkeys::On(rp) => Some(rp),
            Passkeys::Off(_) => None,
        }
    }

    pub fn enabled(&self) -> bool {
        matches!(self, Passkeys::On(_))
    }
}

/// The relying party: the `webauthn-rs` instance and its id.
pub struct RelyingParty {
    webauthn: Webauthn,
    pub rp_id: String,
}

/// What can go wrong with a passkey ceremony or change, worded for the
/// person (the pages and the JSON endpoints show these messages).
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("passkeys are not available on this server")]
    Off,
    /// Unknown, already finished, expired, or started in another browser.
    #[error("this passkey request has expired or was already used; start again")]
    Expired,
    /// The browser's answer did not parse.
    #[error("the passkey response is malformed: {0}")]
    Malformed(String),
    /// The authenticator's answer did not verify.
    #[error("the passkey could not be verified")]
    Rejected,
    #[error("this passkey is already registered")]
    Duplicate,
    #[error("{0}")]
    Invalid(String),
    #[error("there is no passkey for this account")]
    NoPasskeys,
    #[error("too many passkey requests are waiting from this address; try again later")]
    TooMany,
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: i64 },
    /// webauthn-rs refused to build a challenge (a fault, not input).
    #[error("passkey ceremony failed: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for PasskeyError {
    fn from(error: DbError) -> Self {
        PasskeyError::Db(error)
    }
}

/// How many passkeys the user has (for "which factors does this person
/// have"): one query.
pub fn count_for_user(conn: &mut DbConnection, user_id: &str) -> Result<i64, DbError> {
    db::passkeys::count_for_user(conn, user_id)
}

/// `amr` (RFC 8176) of a passwordless sign-in: proof of possession of a
/// key, with user verification (required for it), which makes two
/// factors.
pub fn passwordless_amr() -> Vec<String> {
    [amr::KEY, amr::USER_PRESENCE_VERIFIED, amr::MULTI_FACTOR]
        .map(str::to_owned)
        .to_vec()
}

/// `amr` after a passkey as the second step: what the sign-in had (`pwd`),
/// `pop`, `user` when the authenticator verified the person too, and `mfa`.
pub fn second_step_amr(earlier: &[String], user_verified: bool) -> Vec<String> {
    let mut added = vec![amr::KEY];
    if user_verified {
        added.push(amr::USER_PRESENCE_VERIFIED);
    }
    assurance::combined(earlier, &added)
}

/// The relying party, or `Off` when this server has no passkeys.
fn on(state: &AppState) -> Result<Arc<RelyingParty>, PasskeyError> {
    match &state.passkeys {
        Passkeys::On(rp) => Ok(rp.clone()),
        Passkeys::Off(_) => Err(PasskeyError::Off),
    }
}

/// How a credential id is stored and compared: base64url without padding.
fn credential_key(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn parse_passkey(row: &PasskeyRow) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(&row.passkey).map_err(|e| {
        PasskeyError::Db(DbError::Corrupt(format!(
            "passkey {} does not parse: {e}",
            row.id
        )))
    })
}

fn serialise<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value)
        .map_err(|e| PasskeyError::Db(DbError::Corrupt(format!("cannot serialise: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, Settings};

    fn settings(issuer: &str, rp_id: &str) -> Settings {
        let env = [
            ("GATEHOUSE_ISSUER".to_owned(), issuer.to_owned()),
            ("GATEHOUSE__WEBAUTHN__RP_ID".to_owned(), rp_id.to_owned()),
        ]
        .into_iter()
        .collect();
        Settings::load_from(None, &env, &Overrides::default()).unwrap()
    }

    #[test]
    fn the_relying_party_is_the_issuer_host_unless_configured() {
        let on = Passkeys::from_settings(&settings("https://id.school.example", ""));
        assert_eq!(on.relying_party().unwrap().rp_id, "id.school.example");
        let parent =
            Passkeys::from_settings(&settings("https://id.school.example", "school.example"));
        assert_eq!(parent.relying_party().unwrap().rp_id, "school.example");
        let local = Passkeys::from_settings(&settings("http://localhost:8080/base", ""));
        assert_eq!(local.relying_party().unwrap().rp_id, "localhost");
    }

    #[test]
    fn an_ip_literal_issuer_turns_passkeys_off_and_says_why() {
        for issuer in ["http://127.0.0.1:8080", "http://[::1]:9000"] {
            match Passkeys::from_settings(&settings(issuer, "")) {
                Passkeys::Off(reason) => assert!(reason.contains("IP address"), "{reason}"),
                Passkeys::On(_) => panic!("{issuer}: passkeys should be off"),
            }
        }
    }

    #[test]
    fn amr_values_follow_rfc_8176() {
        assert_eq!(passwordless_amr(), ["pop", "user", "mfa"]);
        let password = vec!["pwd".to_owned()];
        assert_eq!(
            second_step_amr(&password, true),
            ["pwd", "pop", "user", "mfa"]
        );
        assert_eq!(second_step_amr(&password, false), ["pwd", "pop", "mfa"]);
    }
}
