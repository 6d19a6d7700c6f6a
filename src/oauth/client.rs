//! The protocol's view of a registered client.

use std::sync::Arc;

use super::{GrantType, RedirectUri};
use crate::app::AppState;
use crate::crypto::SigningAlgorithm;
use crate::db::{self, DbConnection, DbError, clients::ClientRecord};

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub is_public: bool,
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may ask for; empty means "the standard ones".
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<String>,
    /// API identifiers; the first is the default audience.
    pub resources: Vec<String>,
    pub roles: Vec<String>,
    pub introspect_apis: Vec<String>,
    pub skip_consent: bool,
    pub id_token_alg: Option<SigningAlgorithm>,
    pub backchannel_logout_uri: Option<String>,
    pub disabled: bool,
}

impl From<ClientRecord> for OAuthClient {
    fn from(record: ClientRecord) -> Self {
        let row = record.row;
        Self {
            client_id: row.client_id,
            name: row.name,
            secret_hash: row.secret_hash,
            is_public: row.is_public,
            grant_types: GrantType::parse_list(&row.grant_types),
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            // Stored URIs passed validation at registration.
            redirect_uris: record
                .redirect_uris
                .iter()
                .filter_map(|uri| RedirectUri::parse(uri).ok())
                .collect(),
            post_logout_redirect_uris: record.post_logout_redirect_uris,
            resources: record.resources,
            roles: record.roles,
            introspect_apis: record.introspect_apis,
            skip_consent: row.skip_consent,
            id_token_alg: row.id_token_alg.and_then(|alg| alg.parse().ok()),
            backchannel_logout_uri: row.backchannel_logout_uri,
            disabled: row.disabled,
        }
    }
}

impl OAuthClient {
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The redirect URI to use: the requested one if registered, or the only
    /// registered one when none was sent. `None`: no acceptable URI.
    pub fn resolve_redirect_uri(&self, requested: Option<&str>) -> Option<String> {
        match requested {
            Some(requested) => self
                .redirect_uris
                .iter()
                .any(|uri| uri.matches(requested, self.is_public))
                .then(|| requested.to_owned()),
            None => match self.redirect_uris.as_slice() {
                [only] => Some(only.as_str().to_owned()),
                _ => None,
            },
        }
    }

    pub fn may_request_scope(&self, scope: &str) -> bool {
        if self.scopes.is_empty() {
            super::scope::SUPPORTED_SCOPES.contains(&scope)
        } else {
            self.scopes.iter().any(|s| s == scope)
        }
    }
}

/// The client registered as `client_id`, if any (disabled ones included:
/// each caller decides what a disabled client may still do).
pub fn load(conn: &mut DbConnection, client_id: &str) -> Result<Option<OAuthClient>, DbError> {
    Ok(db::clients::find(conn, client_id)?.map(OAuthClient::from))
}

/// The same from memory when it is there (`crate::cache`): the token path
/// reads a client on every request, an administrator changes one rarely.
pub async fn cached(
    state: &AppState,
    client_id: &str,
) -> Result<Option<Arc<OAuthClient>>, DbError> {
    state
        .caches
        .clients
        .get_or_load(client_id.to_owned(), || async {
            let id = client_id.to_owned();
            Ok(state
                .db
                .run(move |conn| load(conn, &id))
                .await?
                .map(Arc::new))
        })
        .await
}
