//! The rules for registering a client, shared by the CLI, the admin pages
//! and the admin API.

use super::{GrantType, RedirectUri, scope::is_valid_scope_token};
use crate::accounts::AccountError;
use crate::crypto::{SigningAlgorithm, random};
use crate::db::{self, DbConnection, clients::ClientRow};
use crate::secret::Secret;

/// 43 base64url characters carry 256 bits.
pub const MIN_SECRET_CHARS: usize = 43;

#[derive(Debug, Default, Clone)]
pub struct ClientSpec {
    pub client_id: String,
    pub name: Option<String>,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    /// APIs whose tokens this client may introspect (it is their resource server).
    pub introspect: Vec<String>,
    pub skip_consent: bool,
    pub id_token_alg: Option<SigningAlgorithm>,
    pub backchannel_logout_uri: Option<String>,
    /// A secret supplied by the operator; otherwise one is generated.
    pub secret: Option<Secret<String>>,
}

/// What registration hands back: the secret in the clear, exactly once.
#[derive(Debug)]
pub struct Registered {
    pub client_id: String,
    pub secret: Option<Secret<String>>,
}

/// The stored form of a client secret.
pub fn secret_hash(secret: &str) -> String {
    random::token_hash(secret)
}

/// Checks a presented secret against the stored hash in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    random::constant_time_eq(secret_hash(presented).as_bytes(), stored_hash.as_bytes())
}

fn invalid(message: impl Into<String>) -> AccountError {
    AccountError::Invalid(message.into())
}

fn validate_client_id(client_id: &str) -> Result<(), AccountError> {
    let ok = !client_id.is_empty()
        && client_id.len() <= 128
        && client_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !ok {
        return Err(invalid(format!(
            "client id {client_id:?} must be 1 to 128 of letters, digits and - _ . :"
        )));
    }
    // A service account's `sub` is its client id and a user's `sub` is a
    // UUID: keep the two namespaces apart.
    if uuid::Uuid::parse_str(client_id).is_ok() {
        return Err(invalid("client ids in UUID form are not allowed"));
    }
    Ok(())
}

/// Client ids and API identifiers are one namespace: a token whose `aud`
/// names a client must never pass as one for an API of the same name
/// (`gatehouse-admin` above all).
fn not_an_api_identifier(conn: &mut DbConnection, client_id: &str) -> Result<(), AccountError> {
    if client_id == crate::accounts::apis::ADMIN_API
        || db::apis::find_by_identifier(conn, client_id)?.is_some()
    {
        return Err(invalid(format!(
            "client id {client_id:?} is an API identifier; clients and APIs need different names"
        )));
    }
    Ok(())
}

fn validate_secret(secret: &str) -> Result<(), AccountError> {
    let base64url = secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    // Any 43 characters of the base64url alphabet carry 256 bits; whether
    // they decode strictly (trailing bits) does not matter.
    if secret.len() < MIN_SECRET_CHARS || !base64url {
        return Err(invalid(format!(
            "a client secret must be at least {MIN_SECRET_CHARS} base64url characters (256 bits)"
        )));
    }
    Ok(())
}

/// A registration's lists once checked: what the tables store.
pub(super) struct Checked {
    pub grant_types: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// API ids in registration order; the first is the default audience.
    pub resource_ids: Vec<String>,
    pub introspect_ids: Vec<String>,
}

/// Every rule a registration must keep besides its id and secret; shared
/// by `register` and `client_update::apply`, so an edit can never make a
/// client that `client add` would have refused.
pub(super) fn check(conn: &mut DbConnection, spec: &ClientSpec) -> Result<Checked, AccountError> {
    let mut grants = spec.grant_types.clone();
    if grants.is_empty() {
        grants.push(GrantType::AuthorizationCode);
    }
    grants.sort();
    grants.dedup();
    if spec.public && grants.contains(&GrantType::ClientCredentials) {
        return Err(invalid("public clients cannot use client_credentials"));
    }
    let redirect_uris = parse_uris(&spec.redirect_uris)?;
    if grants.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(invalid(
            "authorization_code clients need at least one --redirect-uri",
        ));
    }
    let post_logout_redirect_uris = parse_uris(&spec.post_logout_redirect_uris)?;
    if let Some(uri) = &spec.backchannel_logout_uri {
        RedirectUri::parse(uri).map_err(invalid)?;
    }
    for scope in &spec.scopes {
        if !is_valid_scope_token(scope) {
            return Err(invalid(format!("{scope:?} is not a valid scope")));
        }
    }
    let resource_ids = api_ids(conn, &spec.resources)?;
    let introspect_ids = api_ids(conn, &spec.introspect)?;
    if spec.public && !introspect_ids.is_empty() {
        return Err(invalid("public clients cannot introspect tokens"));
    }
    Ok(Checked {
        grant_types: grants
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        redirect_uris,
        post_logout_redirect_uris,
        resource_ids,
        introspect_ids,
    })
}

/// The ids of the APIs named, in order, each once; an unknown one is an error.
fn api_ids(conn: &mut DbConnection, identifiers: &[String]) -> Result<Vec<String>, AccountError> {
    let mut ids = Vec::new();
    for identifier in identifiers {
        let api = crate::accounts::apis::find(conn, identifier)?;
        if !ids.contains(&api.id) {
            ids.push(api.id);
        }
    }
    Ok(ids)
}

/// The name stored for a client: the one given, or else its id.
pub(super) fn display_name(name: Option<String>, client_id: &str) -> String {
    name.map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| client_id.to_owned())
}

/// Validates `spec` and stores the client. Call inside a transaction.
pub fn register(
    conn: &mut DbConnection,
    spec: ClientSpec,
    now: i64,
) -> Result<Registered, AccountError> {
    validate_client_id(&spec.client_id)?;
    not_an_api_identifier(conn, &spec.client_id)?;
    let checked = check(conn, &spec)?;
    let secret = match (spec.public, spec.secret) {
        (true, Some(_)) => return Err(invalid("public clients have no secret")),
        (true, None) => None,
        (false, Some(secret)) => {
            validate_secret(secret.expose())?;
            Some(secret)
        }
        (false, None) => Some(random::new_token()),
    };
    let row = ClientRow {
        client_id: spec.client_id.clone(),
        name: display_name(spec.name, &spec.client_id),
        secret_hash: secret.as_ref().map(|s| secret_hash(s.expose())),
        is_public: spec.public,
        grant_types: checked.grant_types,
        scopes: spec.scopes.join(" "),
        skip_consent: spec.skip_consent,
        id_token_alg: spec.id_token_alg.map(|a| a.as_str().to_owned()),
        backchannel_logout_uri: spec.backchannel_logout_uri,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    db::clients::insert(
        conn,
        &row,
        &checked.redirect_uris,
        &checked.post_logout_redirect_uris,
        &checked.resource_ids,
    )
    .map_err(|e| match e {
        db::DbError::Conflict => AccountError::Duplicate(format!("client {:?}", spec.client_id)),
        other => AccountError::Db(other),
    })?;
    for api_id in &checked.introspect_ids {
        db::clients::allow_introspection(conn, &row.client_id, api_id)?;
    }
    Ok(Registered {
        client_id: spec.client_id,
        secret: if spec.public { None } else { secret },
    })
}

fn must_exist(updated: usize, client_id: &str) -> Result<(), AccountError> {
    if updated == 0 {
        return Err(AccountError::NotFound(format!("client {client_id:?}")));
    }
    Ok(())
}

/// Disables or re-enables a client. A disabled client gets no tokens, no
/// refreshes and no introspection; its tokens stop introspecting active.
pub fn set_disabled(
    conn: &mut DbConnection,
    client_id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), AccountError> {
    must_exist(
        db::clients::set_disabled(conn, client_id, disabled, now)?,
        client_id,
    )
}

/// Deletes a client; its codes, refresh tokens and consents go with it.
pub fn delete(conn: &mut DbConnection, client_id: &str) -> Result<(), AccountError> {
    must_exist(db::clients::delete(conn, client_id)?, client_id)
}

/// A new secret for a confidential client; the old one stops working now.
pub fn rotate_secret(
    conn: &mut DbConnection,
    client_id: &str,
    now: i64,
) -> Result<Secret<String>, AccountError> {
    let client = db::clients::find(conn, client_id)?
        .ok_or_else(|| AccountError::NotFound(format!("client {client_id:?}")))?;
    if client.row.is_public {
        return Err(invalid("public clients have no secret"));
    }
    let secret = random::new_token();
    db::clients::set_secret_hash(conn, client_id, &secret_hash(secret.expose()), now)?;
    Ok(secret)
}

fn parse_uris(uris: &[String]) -> Result<Vec<String>, AccountError> {
    let mut parsed = Vec::new();
    for uri in uris {
        let uri = RedirectUri::parse(uri).map_err(invalid)?;
        if !parsed.contains(&uri.as_str().to_owned()) {
            parsed.push(uri.as_str().to_owned());
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_rules() {
        assert!(validate_client_id("my-app").is_ok());
        assert!(validate_client_id("6f1c1b9e-3f1a-4d6e-9a43-0c2b3e1d4f5a").is_err());
        assert!(validate_client_id("has space").is_err());
    }

    #[test]
    fn secret_rules_and_matching() {
        assert!(validate_secret("short").is_err());
        let secret = random::new_token();
        assert!(validate_secret(secret.expose()).is_ok());
        let hash = secret_hash(secret.expose());
        assert!(secret_matches(secret.expose(), &hash));
        assert!(!secret_matches("nope", &hash));
    }
}
