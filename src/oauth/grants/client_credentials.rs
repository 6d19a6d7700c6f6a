//! `grant_type=client_credentials` (RFC 6749 §4.4): a service account acts
//! as itself. Its `sub` is its client id (never UUID-shaped, so it cannot
//! collide with a user's), its roles are the client's roles.

use super::{GrantError, choose_resource};
use crate::app::AppState;
use crate::audit::Event;
use crate::oauth::{
    OAuthClient, OAuthError,
    error::ErrorCode,
    issue::{self, Grantee},
    params::Params,
    scope::Scopes,
    token_endpoint::TokenResponse,
};

pub async fn exchange(
    state: &AppState,
    client: &OAuthClient,
    params: &Params,
) -> Result<TokenResponse, GrantError> {
    if client.is_public {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        )
        .into());
    }
    let requested = Scopes::parse(params.get("scope").unwrap_or_default()).map_err(|bad| {
        OAuthError::new(ErrorCode::InvalidScope, format!("invalid scope {bad:?}"))
    })?;
    let requested_any = !requested.is_empty();
    // A service account's token is for an API; with none requested and no
    // default there is no audience to give it (RFC 8707 §2).
    let Some(resource) = choose_resource(&client.resources, params)? else {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "no resource was requested and the client has no default API",
        )
        .into());
    };
    let grants = crate::accounts::grants::current(state).await?;
    let grantee = Grantee {
        sub: client.client_id.clone(),
        roles: crate::accounts::roles::in_access_token(
            &client.roles,
            &grants.role_apis(&client.roles),
            Some(&resource),
            false,
        ),
        permissions: grants.permissions_on(&client.roles, &resource),
        resource: Some(resource),
        auth_time: None,
        acr: None,
        sid: None,
    };
    // No user is present: only permission scopes make sense here, and only
    // those the client's roles hold.
    let scopes = requested.retain(|scope| grantee.permissions.iter().any(|p| p == scope));
    let now = state.clock.now();
    let access = issue::access_token(state, &client.client_id, &scopes, &grantee, now)?;
    state
        .audit
        .record(
            Event {
                kind: "token.issued",
                actor: Some(&client.client_id),
                subject: Some(&client.client_id),
                details: Some(serde_json::json!({
                    "grant": "client_credentials",
                    "scope": scopes.to_string_list(),
                })),
                ..Event::default()
            },
            now,
        )
        .await?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.claims.exp - now,
        id_token: None,
        refresh_token: None,
        scope: Some(scopes.to_string_list()).filter(|granted| !granted.is_empty() || requested_any),
    })
}
