//! `grant_type=refresh_token` (RFC 6749 §6, OIDC Core §12).

use super::{ActiveUser, GrantError, choose_resource};
use crate::accounts::assurance::Level;
use crate::app::AppState;
use crate::db;
use crate::oauth::{
    OAuthClient, OAuthError,
    error::ErrorCode,
    issue::{self, Grantee},
    params::Params,
    refresh,
    scope::Scopes,
    token_endpoint::TokenResponse,
};
use crate::oidc::id_token::{self, SignIn};

pub async fn exchange(
    state: &AppState,
    client: &OAuthClient,
    params: &Params,
) -> Result<TokenResponse, GrantError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let requested = params
        .get("scope")
        .map(|requested| {
            Scopes::parse(requested).map_err(|bad| {
                OAuthError::new(ErrorCode::InvalidScope, format!("invalid scope {bad:?}"))
            })
        })
        .transpose()?;
    // A request the grant cannot satisfy is refused before the token is
    // rotated: a refusal must not spend it (RFC 6749 §6: the scope may only
    // narrow; the family keeps its original scope).
    let check = |grant: &db::refresh_tokens::RefreshTokenRow| {
        if let Some(requested) = &requested
            && !requested.is_subset_of(&Scopes::from_stored(&grant.scope))
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope exceeds what was originally granted",
            ));
        }
        choose_resource(&granted_resources(grant), params).map(|_| ())
    };
    let now = state.clock.now();
    // Fixed before the rotation, which records it with the successor.
    let token_id = issue::AccessTokenId::new(state, now);
    let grants = crate::accounts::grants::current(state).await?;
    let rotated = refresh::rotate(state, &client.client_id, presented, &token_id, check).await?;
    let grant = &rotated.grant;
    let scopes = requested.unwrap_or_else(|| Scopes::from_stored(&grant.scope));
    let resource = choose_resource(&granted_resources(grant), params)?;
    let active = ActiveUser::new(
        rotated.user.clone(),
        rotated.roles.clone(),
        &grants,
        resource.as_deref(),
        &scopes,
    );
    let (user, roles) = (active.user, active.roles);
    let grantee = Grantee {
        sub: user.id.clone(),
        roles: active.token_roles,
        permissions: active.permissions,
        resource,
        auth_time: Some(grant.auth_time),
        acr: Some(Level::of_stored(&grant.amr).acr()),
        sid: Some(grant.sid.clone()),
    };
    let scopes = issue::grantable_scopes(&scopes, &grantee);
    let access =
        issue::access_token_with_id(state, token_id, &client.client_id, &scopes, &grantee, now)?;
    // OIDC Core §12.2: same sub and auth_time, no nonce.
    let sign_in = SignIn {
        auth_time: grant.auth_time,
        sid: &grant.sid,
        amr: &grant.amr,
        nonce: None,
        access_token: &access.token,
    };
    let id_token = id_token::for_grant(state, client, &user, &roles, &scopes, sign_in, now)?;
    if !rotated.access_token_recorded {
        let token_hash = rotated.token_hash.clone();
        let jti = access.claims.jti.clone();
        let expires_at = access.claims.exp;
        let recorded = state
            .db
            .run(move |conn| {
                db::refresh_tokens::record_access_token(conn, &token_hash, &jti, expires_at)
            })
            .await?;
        if !recorded {
            // The family was revoked while these tokens were being made: a
            // revocation could not have reached them, so they are not
            // handed out.
            return Err(OAuthError::invalid_grant("the refresh token was revoked").into());
        }
    }
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.claims.exp - now,
        id_token,
        refresh_token: Some(rotated.token.into_inner()),
        scope: Some(scopes.to_string_list()),
    })
}

fn granted_resources(grant: &db::refresh_tokens::RefreshTokenRow) -> Vec<String> {
    grant
        .resources
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}
