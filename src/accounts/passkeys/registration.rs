//! Registering a passkey from the account page: creation options that ask
//! for a discoverable credential (`residentKey: "required"`) and user
//! verification, then the attestation checked and the credential stored,
//! refused when its id is already registered to anyone.

use serde_json::{Value, json};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential, Uuid};

use super::ceremony::{self, Browser, Kind, Opening, Started};
use super::{PasskeyError, credential_key, manage::valid_name, parse_passkey, serialise};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::db::{self, passkeys::PasskeyRow};

/// Starts registering a passkey for the signed-in `user_id`, to be called
/// `name` (checked now, before the authenticator is asked anything).
pub async fn start_registration(
    state: &AppState,
    user_id: String,
    name: &str,
    browser: Browser,
) -> Result<Started, PasskeyError> {
    let rp = super::on(state)?;
    valid_name(name)?;
    let now = state.clock.now();
    let max_per_ip = state.settings.authorize.max_pending_per_ip;
    state
        .db
        .run(move |conn| {
            let user = db::users::find_by_id(conn, &user_id)?
                .filter(|user| !user.disabled)
                .ok_or(PasskeyError::Expired)?;
            // The user handle the authenticator keeps: our user ids are
            // UUIDs, which is what webauthn-rs hands back at sign-in.
            let handle = Uuid::parse_str(&user.id).map_err(|_| {
                PasskeyError::Internal(format!("user id {:?} is not a UUID", user.id))
            })?;
            // The person's own credentials, so that an authenticator that
            // already holds one for this account says so at once.
            let exclude = db::passkeys::for_user(conn, &user.id)?
                .iter()
                .map(|row| parse_passkey(row).map(|p| p.cred_id().clone()))
                .collect::<Result<Vec<_>, _>>()?;
            let display_name = user.name.clone().unwrap_or_else(|| user.username.clone());
            let (options, registration) = rp
                .webauthn
                .start_passkey_registration(handle, &user.username, &display_name, Some(exclude))
                .map_err(|e| PasskeyError::Internal(e.to_string()))?;
            let options = require_resident_key(
                serde_json::to_value(&options)
                    .map_err(|e| PasskeyError::Internal(e.to_string()))?,
            );
            let opening = Opening {
                kind: Kind::Register,
                user_id: Some(&user.id),
                browser: &browser,
                max_per_ip,
                now,
            };
            ceremony::begin(conn, opening, &options, &registration)
        })
        .await
}

/// webauthn-rs asks for a discoverable credential only as a preference;
/// passwordless sign-in needs one, so the options require it.
fn require_resident_key(mut options: Value) -> Value {
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    if !selection.is_object() {
        *selection = json!({});
    }
    selection["residentKey"] = json!("required");
    selection["requireResidentKey"] = json!(true);
    selection["userVerification"] = json!("required");
    options
}

/// What the account page shows once a passkey is added.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: String,
    pub name: String,
}

/// Finishes a registration started by this browser for `user_id`.
pub async fn finish_registration(
    state: &AppState,
    user_id: String,
    ceremony_id: String,
    browser: Browser,
    credential: Value,
    name: &str,
) -> Result<Added, PasskeyError> {
    let rp = super::on(state)?;
    let name = valid_name(name)?;
    let credential: RegisterPublicKeyCredential = ceremony::parse_credential(credential)?;
    let now = state.clock.now();
    // Taken in a statement of its own: a refusal below must not put the
    // ceremony back.
    let binding = browser.binding.clone();
    let taken = state
        .db
        .run(move |conn| {
            ceremony::take::<PasskeyRegistration>(conn, Kind::Register, &ceremony_id, &binding, now)
        })
        .await?;
    if taken.user_id.as_deref() != Some(user_id.as_str()) {
        return Err(PasskeyError::Expired);
    }
    let passkey = rp
        .webauthn
        .finish_passkey_registration(&credential, &taken.state)
        .map_err(|error| {
            tracing::info!(%error, user_id = %user_id, "passkey registration refused");
            PasskeyError::Rejected
        })?;
    let row = PasskeyRow {
        id: db::new_id(),
        user_id: user_id.clone(),
        credential_id: credential_key(passkey.cred_id()),
        passkey: serialise(&passkey)?,
        name,
        created_at: now,
        last_used_at: None,
    };
    let added = Added {
        id: row.id.clone(),
        name: row.name.clone(),
    };
    let ip = browser.ip_text();
    state
        .db
        .transaction(move |conn| {
            // Checked first (a unique violation would end a PostgreSQL
            // transaction); the unique index still decides a race.
            if db::passkeys::find_by_credential_id(conn, &row.credential_id)?.is_some() {
                return Err(PasskeyError::Duplicate);
            }
            db::passkeys::insert(conn, &row).map_err(|error| match error {
                db::DbError::Conflict => PasskeyError::Duplicate,
                other => PasskeyError::Db(other),
            })?;
            audit::record(
                conn,
                Event {
                    kind: "passkey.added",
                    actor: Some(&row.user_id),
                    subject: Some(&row.user_id),
                    client_ip: ip.as_deref(),
                    details: Some(json!({ "passkey_id": row.id, "name": row.name })),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_options_require_a_discoverable_credential_and_verification() {
        let options = require_resident_key(json!({
            "publicKey": { "authenticatorSelection": {
                "requireResidentKey": false, "userVerification": "preferred"
            } }
        }));
        let selection = &options["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["requireResidentKey"], true);
        assert_eq!(selection["userVerification"], "required");
        let added = require_resident_key(json!({ "publicKey": {} }));
        assert_eq!(
            added["publicKey"]["authenticatorSelection"]["residentKey"],
            "required"
        );
    }
}
