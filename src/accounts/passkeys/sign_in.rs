//! Signing in with a passkey: passwordless (a discoverable credential,
//! no username typed, user verification required) or as the second step
//! after a password. Failed assertions count against the same throttle as
//! failed passwords, once the account is known.

use serde_json::{Value, json};
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PublicKeyCredential, Uuid, WebauthnError,
};

use super::ceremony::{self, Browser, Kind, Opening, Started};
use super::{PasskeyError, credential_key, parse_passkey, serialise};
use crate::accounts::throttle::{self, Admission, AttemptKeys};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::db::{self, DbConnection, passkeys::PasskeyRow, users::UserRow};

/// Who signed in, and whether the authenticator verified them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: String,
    pub user_verified: bool,
}

/// Starts a passwordless sign-in: a challenge for any discoverable
/// credential of this relying party (conditional UI where the browser
/// offers it).
pub async fn start_passwordless(
    state: &AppState,
    browser: Browser,
) -> Result<Started, PasskeyError> {
    let rp = super::on(state)?;
    let (options, authentication) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| PasskeyError::Internal(e.to_string()))?;
    let now = state.clock.now();
    let max_per_ip = state.settings.authorize.max_pending_per_ip;
    state
        .db
        .run(move |conn| {
            let opening = Opening {
                kind: Kind::Passwordless,
                user_id: None,
                browser: &browser,
                max_per_ip,
                now,
            };
            ceremony::begin(conn, opening, &options, &authentication)
        })
        .await
}

/// Finishes a passwordless sign-in started by this browser.
pub async fn finish_passwordless(
    state: &AppState,
    ceremony_id: String,
    browser: Browser,
    credential: Value,
) -> Result<SignedIn, PasskeyError> {
    let rp = super::on(state)?;
    let credential: PublicKeyCredential = ceremony::parse_credential(credential)?;
    let now = state.clock.now();
    let binding = browser.binding.clone();
    let taken = state
        .db
        .run(move |conn| {
            ceremony::take::<DiscoverableAuthentication>(
                conn,
                Kind::Passwordless,
                &ceremony_id,
                &binding,
                now,
            )
        })
        .await?;
    // The authenticator names the credential and the user handle it was
    // registered with; both must match what we stored.
    let (handle, credential_id) = rp
        .webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(|_| PasskeyError::Rejected)?;
    let credential_id = credential_key(credential_id);
    let (user, row) = admit(state, browser.clone(), move |conn| {
        let Some(row) = db::passkeys::find_by_credential_id(conn, &credential_id)? else {
            return Ok(None);
        };
        let owner_matches = Uuid::parse_str(&row.user_id).is_ok_and(|owner| owner == handle);
        Ok(owner_matches.then_some(row))
    })
    .await?;
    let passkey = parse_passkey(&row)?;
    let verified = rp.webauthn.finish_discoverable_authentication(
        &credential,
        taken.state,
        &[DiscoverableKey::from(&passkey)],
    );
    let step = Step::Passwordless;
    settle(state, &browser, &user, (row.id, passkey), verified, step).await
}

/// Starts the passkey step for `user_id`, who has just given their
/// password: a challenge for their own passkeys.
pub async fn start_second_factor(
    state: &AppState,
    user_id: String,
    browser: Browser,
) -> Result<Started, PasskeyError> {
    let rp = super::on(state)?;
    let now = state.clock.now();
    let max_per_ip = state.settings.authorize.max_pending_per_ip;
    state
        .db
        .run(move |conn| {
            let passkeys = db::passkeys::for_user(conn, &user_id)?
                .iter()
                .map(parse_passkey)
                .collect::<Result<Vec<Passkey>, _>>()?;
            if passkeys.is_empty() {
                return Err(PasskeyError::NoPasskeys);
            }
            let (options, authentication) = rp
                .webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(|e| PasskeyError::Internal(e.to_string()))?;
            let opening = Opening {
                kind: Kind::SecondFactor,
                user_id: Some(&user_id),
                browser: &browser,
                max_per_ip,
                now,
            };
            ceremony::begin(conn, opening, &options, &authentication)
        })
        .await
}

/// Finishes the passkey step for `user_id`, started by this browser.
pub async fn finish_second_factor(
    state: &AppState,
    user_id: String,
    ceremony_id: String,
    browser: Browser,
    credential: Value,
) -> Result<SignedIn, PasskeyError> {
    let rp = super::on(state)?;
    let credential: PublicKeyCredential = ceremony::parse_credential(credential)?;
    let now = state.clock.now();
    let binding = browser.binding.clone();
    let taken = state
        .db
        .run(move |conn| {
            ceremony::take::<PasskeyAuthentication>(
                conn,
                Kind::SecondFactor,
                &ceremony_id,
                &binding,
                now,
            )
        })
        .await?;
    if taken.user_id.as_deref() != Some(user_id.as_str()) {
        return Err(PasskeyError::Expired);
    }
    let used = credential_key(credential.get_credential_id());
    let owner = user_id.clone();
    let (user, row) = admit(state, browser.clone(), move |conn| {
        Ok(db::passkeys::find_by_credential_id(conn, &used)?.filter(|row| row.user_id == owner))
    })
    .await?;
    let passkey = parse_passkey(&row)?;
    let verified = rp
        .webauthn
        .finish_passkey_authentication(&credential, &taken.state);
    let step = Step::SecondFactor;
    settle(state, &browser, &user, (row.id, passkey), verified, step).await
}

/// Finds the passkey that answered (by `find`), its enabled owner, and
/// counts the attempt against the throttle before anything is verified.
async fn admit(
    state: &AppState,
    browser: Browser,
    find: impl FnOnce(&mut DbConnection) -> Result<Option<PasskeyRow>, PasskeyError> + Send + 'static,
) -> Result<(UserRow, PasskeyRow), PasskeyError> {
    let settings = state.settings.login.clone();
    let now = state.clock.now();
    let found = state
        .db
        .run(move |conn| {
            let Some(row) = find(conn)? else {
                return Ok(None);
            };
            let Some(user) = db::users::find_by_id(conn, &row.user_id)?.filter(|u| !u.disabled)
            else {
                return Ok(None);
            };
            let keys = AttemptKeys::new(&user.username, browser.client_ip);
            match throttle::count(conn, &keys, &settings, now)? {
                Admission::Counted => Ok(Some((user, row))),
                Admission::Delayed { retry_after_secs } => {
                    Err(PasskeyError::Throttled { retry_after_secs })
                }
            }
        })
        .await?;
    match found {
        Some(found) => Ok(found),
        None => {
            // No account to count against: nothing was verified, and an
            // unknown credential cannot be guessed into a sign-in.
            tracing::info!("passkey sign-in with an unknown or foreign credential refused");
            Err(PasskeyError::Rejected)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Passwordless,
    SecondFactor,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Passwordless => "passwordless",
            Step::SecondFactor => "second_factor",
        }
    }
}

/// After verification: on success the counter and last use are stored and
/// the throttle forgets this attempt; on failure it stays counted. Both
/// are audited.
async fn settle(
    state: &AppState,
    browser: &Browser,
    user: &UserRow,
    (passkey_id, mut passkey): (String, Passkey),
    verified: Result<AuthenticationResult, WebauthnError>,
    step: Step,
) -> Result<SignedIn, PasskeyError> {
    let now = state.clock.now();
    let ip = browser.ip_text();
    let step_name = step.as_str();
    let result = match verified {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%error, user_id = %user.id, step = step_name, "passkey assertion refused");
            state
                .audit
                .record(
                    Event {
                        kind: "login.failure",
                        actor: None,
                        subject: Some(&user.username),
                        client_ip: ip.as_deref(),
                        details: Some(json!({ "method": "passkey", "step": step_name })),
                    },
                    now,
                )
                .await?;
            return Err(PasskeyError::Rejected);
        }
    };
    // The counter (and backup flags) as the authenticator now reports.
    passkey.update_credential(&result);
    let stored = serialise(&passkey)?;
    let keys = AttemptKeys::new(&user.username, browser.client_ip);
    let settings = state.settings.login.clone();
    let user_id = user.id.clone();
    let kind = match step {
        Step::Passwordless => "login.success",
        Step::SecondFactor => "login.second_factor",
    };
    state
        .db
        .transaction(move |conn| {
            throttle::succeeded(conn, &keys, &settings)?;
            db::passkeys::record_use(conn, &passkey_id, &stored, now)?;
            audit::record(
                conn,
                Event {
                    kind,
                    actor: Some(&user_id),
                    subject: Some(&user_id),
                    client_ip: ip.as_deref(),
                    details: Some(json!({ "method": "passkey" })),
                },
                now,
            )?;
            Ok::<_, PasskeyError>(())
        })
        .await?;
    Ok(SignedIn {
        user_id: user.id.clone(),
        user_verified: result.user_verified(),
    })
}
