//! `grant_type=authorization_code` (RFC 6749 §4.1.3, OIDC Core §3.1.3).

use super::{ActiveUser, GrantError, choose_resource};
use crate::accounts::assurance::Level;
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::crypto::random;
use crate::db::{self, DbConnection, DbError, authorization_codes::AuthorizationCodeRow};
use crate::oauth::{
    GrantType, OAuthClient, OAuthError,
    issue::{self, Grantee},
    params::Params,
    pkce,
    refresh::{self, FamilySeed},
    scope::Scopes,
    token_endpoint::TokenResponse,
};
use crate::oidc::id_token::{self, SignIn};

pub async fn exchange(
    state: &AppState,
    client: &OAuthClient,
    params: &Params,
) -> Result<TokenResponse, GrantError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let code_hash = random::token_hash(code);
    let client_id = client.client_id.clone();
    let now = state.clock.now();
    // The access token's id is fixed now and recorded with the redemption,
    // so that a replay at any later moment finds what to revoke.
    let token_id = issue::AccessTokenId::new(state, now);
    let reserved = token_id.clone();
    let presented = params.clone();
    let grants = crate::accounts::grants::current(state).await?;
    // No transaction: a replay's revocations, and a refused exchange's
    // record, must commit although the request is refused (`Db::run` keeps
    // writes made before an `Err`).
    let (row, resource, holder) = state
        .db
        .run(move |conn| {
            let Some(row) = db::authorization_codes::find(conn, &code_hash)? else {
                return Err(GrantError::from(OAuthError::invalid_grant(
                    "unknown authorization code",
                )));
            };
            if row.client_id != client_id {
                return Err(
                    OAuthError::invalid_grant("the code was issued to another client").into(),
                );
            }
            // One conditional update: of concurrent redemptions, one wins.
            if !db::authorization_codes::redeem(
                conn,
                &code_hash,
                now,
                &reserved.jti,
                reserved.expires_at,
            )? {
                return Err(refuse_second_presentation(conn, row, &client_id, now)?.into());
            }
            // Checked after redeeming: a code is single use whatever the
            // outcome, so a wrong verifier cannot be retried until it fits.
            match check_presentation(&row, &presented, now) {
                Ok(resource) => {
                    // Read in the same round trip: the user the code speaks for.
                    let user = db::users::find_by_id(conn, &row.user_id)?;
                    let roles = db::users::role_names(conn, &row.user_id)?;
                    Ok((row, resource, (user, roles)))
                }
                Err(error) => {
                    db::authorization_codes::record_failed_exchange(conn, &code_hash)?;
                    audit::record(
                        conn,
                        Event {
                            kind: "code.exchange_failed",
                            subject: Some(&row.user_id),
                            actor: Some(&client_id),
                            details: Some(serde_json::json!({ "reason": error.description })),
                            ..Event::default()
                        },
                        now,
                    )?;
                    Err(error.into())
                }
            }
        })
        .await?;
    let stored_scopes = Scopes::from_stored(&row.scope);
    let (user, roles) = holder;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(OAuthError::invalid_grant("the user is no longer active").into());
    };
    let active = ActiveUser::new(user, roles, &grants, resource.as_deref(), &stored_scopes);
    let (user, roles) = (active.user, active.roles);
    let grantee = Grantee {
        sub: user.id.clone(),
        roles: active.token_roles,
        permissions: active.permissions,
        resource,
        auth_time: Some(row.auth_time),
        acr: Some(Level::of_stored(&row.amr).acr()),
        sid: Some(row.sid.clone()),
    };
    let scopes = issue::grantable_scopes(&stored_scopes, &grantee);
    let access =
        issue::access_token_with_id(state, token_id, &client.client_id, &scopes, &grantee, now)?;
    let sign_in = SignIn {
        auth_time: row.auth_time,
        sid: &row.sid,
        amr: &row.amr,
        nonce: row.nonce.as_deref(),
        access_token: &access.token,
    };
    let id_token = id_token::for_grant(state, client, &user, &roles, &scopes, sign_in, now)?;
    let offline = client.allows_grant(GrantType::RefreshToken) && scopes.contains("offline_access");
    let code_hash = row.code_hash.clone();
    let jti = access.claims.jti.clone();
    let expires_at = access.claims.exp;
    let client_id = client.client_id.clone();
    let subject = user.id.clone();
    let scope_list = scopes.to_string_list();
    let family_scopes = scopes.clone();
    let tokens = state.settings.clone();
    let refresh_token = state
        .db
        .transaction(move |conn| {
            // An UPDATE of the code's row first: on PostgreSQL its row lock
            // orders this step against a replay's redemption attempt.
            db::authorization_codes::record_access_token(conn, &code_hash, &jti, expires_at)?;
            let refresh_token = if offline {
                Some(refresh::start_family(
                    conn,
                    &tokens.tokens,
                    FamilySeed {
                        client_id: &client_id,
                        user_id: &subject,
                        scope: &family_scopes,
                        resources: &row.resources,
                        auth_time: row.auth_time,
                        sid: &row.sid,
                        amr: &row.amr,
                        access_token_jti: &jti,
                        access_token_expires_at: expires_at,
                    },
                    now,
                )?)
            } else {
                None
            };
            // Replayed while its tokens were being made: the replay revoked
            // the access token; refuse, and start no refresh token family.
            if db::revoked_tokens::is_revoked(conn, &jti)? {
                return Err(GrantError::from(OAuthError::invalid_grant(
                    "the authorization code was already used",
                )));
            }
            audit::record(
                conn,
                Event {
                    kind: "token.issued",
                    actor: Some(&client_id),
                    subject: Some(&subject),
                    details: Some(
                        serde_json::json!({ "grant": "authorization_code", "scope": scope_list }),
                    ),
                    ..Event::default()
                },
                now,
            )?;
            Ok(refresh_token)
        })
        .await?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.claims.exp - now,
        id_token,
        refresh_token: refresh_token.map(|t| t.into_inner()),
        scope: Some(scopes.to_string_list()),
    })
}

/// The code was presented before. If that exchange bought tokens, this is
/// a replay and the code may be stolen: revoke what it bought and say so
/// in the audit log. If that exchange was refused (its reason is in the
/// audit log already), nothing was bought and nothing is under attack.
fn refuse_second_presentation(
    conn: &mut DbConnection,
    row: AuthorizationCodeRow,
    client_id: &str,
    now: i64,
) -> Result<OAuthError, DbError> {
    // Read the row again: the winner may have redeemed it since.
    let row = db::authorization_codes::find(conn, &row.code_hash)?.unwrap_or(row);
    let (Some(jti), Some(expires_at)) = (&row.access_token_jti, row.access_token_expires_at) else {
        return Ok(OAuthError::invalid_grant(
            "the authorization code was spent by an earlier token request that failed; start a new authorization request",
        ));
    };
    db::revoked_tokens::revoke(conn, jti, expires_at, now)?;
    // …including the refresh token family started with it.
    for family in db::refresh_tokens::families_started_by(conn, jti)? {
        refresh::revoke_family(conn, &family, now)?;
    }
    audit::record(
        conn,
        Event {
            kind: "code.replayed",
            subject: Some(&row.user_id),
            actor: Some(client_id),
            ..Event::default()
        },
        now,
    )?;
    Ok(OAuthError::invalid_grant(
        "the authorization code was already used",
    ))
}

/// What the token request must match of the authorization request; the
/// resource (RFC 8707) the token is for.
fn check_presentation(
    row: &AuthorizationCodeRow,
    params: &Params,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    // redirect_uri is required, and must be identical, iff /authorize had it.
    match params.get("redirect_uri") {
        Some(sent) if sent != row.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        None if row.redirect_uri_sent => {
            return Err(OAuthError::invalid_grant("redirect_uri is required"));
        }
        _ => {}
    }
    pkce::verify(row.code_challenge.as_deref(), params.get("code_verifier"))?;
    let granted_resources: Vec<String> = row
        .resources
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    choose_resource(&granted_resources, params)
}
