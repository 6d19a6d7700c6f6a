//! A ceremony between its start and its finish: a random id for the
//! browser, the webauthn-rs state in the database, bound to the browser
//! that started it, for five minutes, finished at most once.

use std::net::IpAddr;

use serde::{Serialize, de::DeserializeOwned};

use super::{PasskeyError, serialise};
use crate::crypto::random;
use crate::db::{self, DbConnection, passkeys::CeremonyRow};

/// As long as the authenticator is given (webauthn-rs's default timeout).
const CEREMONY_TTL_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Register,
    Passwordless,
    SecondFactor,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Register => "register",
            Kind::Passwordless => "passwordless",
            Kind::SecondFactor => "second_factor",
        }
    }
}

/// The browser at the other end: its CSRF cookie value (the binding) and
/// its address (which bounds how many ceremonies may wait at once).
#[derive(Debug, Clone)]
pub struct Browser {
    pub binding: String,
    pub client_ip: Option<IpAddr>,
}

impl Browser {
    /// The address as stored and audited.
    pub(super) fn ip_text(&self) -> Option<String> {
        self.client_ip.map(|ip| ip.to_string())
    }
}

/// A started ceremony: the id the browser sends back with its answer, and
/// the options for `navigator.credentials.create` / `.get` (JSON, binary
/// values as base64url).
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub ceremony: String,
    pub options: serde_json::Value,
}

/// Who starts a ceremony of which kind, and the rules it starts under.
pub(super) struct Opening<'a> {
    pub kind: Kind,
    pub user_id: Option<&'a str>,
    pub browser: &'a Browser,
    /// How many ceremonies one address may keep waiting.
    pub max_per_ip: i64,
    pub now: i64,
}

/// Stores a new ceremony and returns what the browser needs.
pub(super) fn begin(
    conn: &mut DbConnection,
    opening: Opening<'_>,
    options: &impl Serialize,
    state: &impl Serialize,
) -> Result<Started, PasskeyError> {
    let Opening {
        kind,
        user_id,
        browser,
        max_per_ip,
        now,
    } = opening;
    // Starting a sign-in needs no account, so each address may only keep
    // so many waiting (as pending authorization requests).
    let client_ip = browser.ip_text();
    if let Some(ip) = &client_ip
        && db::passkeys::live_ceremonies_from_ip(conn, ip, now)? >= max_per_ip
    {
        return Err(PasskeyError::TooMany);
    }
    let id = random::new_token();
    db::passkeys::insert_ceremony(
        conn,
        &CeremonyRow {
            id_hash: random::token_hash(id.expose()),
            kind: kind.as_str().to_owned(),
            user_id: user_id.map(str::to_owned),
            browser_binding: random::token_hash(&browser.binding),
            client_ip,
            state: serialise(state)?,
            created_at: now,
            expires_at: now + CEREMONY_TTL_SECS,
        },
    )?;
    let options =
        serde_json::to_value(options).map_err(|e| PasskeyError::Invalid(e.to_string()))?;
    Ok(Started {
        ceremony: id.into_inner(),
        options,
    })
}

/// A taken ceremony: whose it was and its webauthn-rs state.
pub(super) struct Taken<S> {
    pub user_id: Option<String>,
    pub state: S,
}

/// Takes the ceremony `id` of `kind`, started by this browser. Deleted
/// whatever comes next: a finish that then fails cannot be tried again
/// with the same challenge. Run it outside any transaction that a refusal
/// would roll back.
pub(super) fn take<S: DeserializeOwned>(
    conn: &mut DbConnection,
    kind: Kind,
    id: &str,
    binding: &str,
    now: i64,
) -> Result<Taken<S>, PasskeyError> {
    if id.is_empty() || binding.is_empty() {
        return Err(PasskeyError::Expired);
    }
    let row = db::passkeys::take_ceremony(conn, &random::token_hash(id), kind.as_str(), now)?
        .ok_or(PasskeyError::Expired)?;
    let same_browser = random::constant_time_eq(
        row.browser_binding.as_bytes(),
        random::token_hash(binding).as_bytes(),
    );
    if !same_browser {
        return Err(PasskeyError::Expired);
    }
    let state = serde_json::from_str(&row.state).map_err(|e| {
        PasskeyError::Db(db::DbError::Corrupt(format!(
            "stored WebAuthn state does not parse: {e}"
        )))
    })?;
    Ok(Taken {
        user_id: row.user_id,
        state,
    })
}

/// Parses the browser's credential JSON into a webauthn-rs type, saying
/// where it went wrong.
pub(super) fn parse_credential<T: DeserializeOwned>(
    credential: serde_json::Value,
) -> Result<T, PasskeyError> {
    serde_path_to_error::deserialize(credential).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        PasskeyError::Malformed(if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        })
    })
}
