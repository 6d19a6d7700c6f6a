//! `/admin/api/v1/keys` and `/admin/api/v1/audit`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    caller::Admin,
    deferred::Deferred,
    error::{ApiError, ErrorBody},
};
use crate::administration;
use crate::administration::views;
use crate::crypto::{KeyStoreError, SigningAlgorithm};
use crate::startup::key_policy;

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// active, pending, retired, expired or revoked
    pub state: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetiredKey {
    /// The key that stopped signing; it verifies its tokens until they expire.
    pub kid: String,
    /// The key made to sign in its place, when it was its algorithm's only signer.
    pub replacement: Option<String>,
    /// Every key, after the change.
    pub keys: Vec<KeyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedKey {
    /// The key revoked: unpublished, and no token it signed verifies.
    pub kid: String,
    /// The key made to sign in its place, when it was its algorithm's only signer.
    pub replacement: Option<String>,
    /// It was revoked before; nothing changed.
    pub already_revoked: bool,
    /// Every key, after the change.
    pub keys: Vec<KeyView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// RS256, ES256 or EdDSA; all when absent.
    pub alg: Option<String>,
    /// Sign with the new key at once (the old one still verifies its tokens;
    /// revoke a leaked key instead).
    #[serde(default)]
    pub now: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// The event's place in the log: larger is later, even within a second.
    pub seq: i64,
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Event kind prefix, such as `login.` or `admin.`.
    pub kind: Option<String>,
    /// Events about this user id, client id, role or API identifier.
    pub subject: Option<String>,
    /// Events caused by this user id or client id (`cli` for the command line).
    pub actor: Option<String>,
    /// Events before this `seq`: the last `seq` of the previous page.
    pub before: Option<i64>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

async fn keys(admin: &Admin) -> Result<Vec<KeyView>, ApiError> {
    let policy = key_policy(&admin.state.settings);
    let now = admin.state.clock.now();
    let described = admin
        .state
        .db
        .run(move |conn| views::keys::list(conn, policy, now))
        .await?;
    Ok(described
        .into_iter()
        .map(|k| KeyView {
            kid: k.kid,
            alg: k.alg.to_string(),
            state: k.state.to_owned(),
            created_at: k.created_at,
            activates_at: k.activates_at,
            retired_at: k.retired_at,
            revoked_at: k.revoked_at,
        })
        .collect())
}

/// An unknown kid is the caller's mistake; anything else is ours.
fn key_error(error: KeyStoreError) -> ApiError {
    match error {
        KeyStoreError::NoSuchKey(_) => ApiError::NotFound(error.to_string()),
        KeyStoreError::Db(db) => db.into(),
        error => {
            tracing::error!(%error, "key change failed");
            ApiError::Internal
        }
    }
}

#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, body = [KeyView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_keys(admin: Admin) -> Result<HttpResponse, ApiError> {
    admin.require("keys:read")?;
    Ok(HttpResponse::Ok().json(keys(&admin).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "keys", request_body = RotateBody,
    responses((status = 200, body = [KeyView]), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rotate(
    admin: Admin,
    body: Deferred<web::Json<RotateBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("keys:write")?;
    let RotateBody {
        alg,
        now: immediately,
    } = body.get()?.into_inner();
    let algs: Vec<SigningAlgorithm> = match alg {
        Some(alg) => vec![alg.parse().map_err(ApiError::Invalid)?],
        None => SigningAlgorithm::ALL.to_vec(),
    };
    for alg in algs {
        administration::keys::apply(
            &admin.state,
            admin.actor(),
            move |conn, actor, keys, now| {
                administration::keys::rotate(conn, actor, keys, alg, immediately, now)
            },
        )
        .await
        .map_err(key_error)?;
    }
    Ok(HttpResponse::Ok().json(keys(&admin).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/keys/{kid}/retire", tag = "keys",
    responses((status = 200, body = RetiredKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn retire(admin: Admin, kid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("keys:write")?;
    let kid = kid.into_inner();
    let target = kid.clone();
    let replacement = administration::keys::apply(
        &admin.state,
        admin.actor(),
        move |conn, actor, keys, now| administration::keys::retire(conn, actor, keys, &target, now),
    )
    .await
    .map_err(key_error)?;
    let keys = keys(&admin).await?;
    Ok(HttpResponse::Ok().json(RetiredKey {
        kid,
        replacement,
        keys,
    }))
}

/// Same permission as retiring: both take a key out of signing.
#[utoipa::path(post, path = "/admin/api/v1/keys/{kid}/revoke", tag = "keys",
    responses((status = 200, body = RevokedKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(admin: Admin, kid: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("keys:write")?;
    let kid = kid.into_inner();
    let target = kid.clone();
    let revocation = administration::keys::apply(
        &admin.state,
        admin.actor(),
        move |conn, actor, keys, now| administration::keys::revoke(conn, actor, keys, &target, now),
    )
    .await
    .map_err(key_error)?;
    let keys = keys(&admin).await?;
    Ok(HttpResponse::Ok().json(RevokedKey {
        kid,
        replacement: revocation.replacement,
        already_revoked: revocation.already_revoked,
        keys,
    }))
}

#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit(
    admin: Admin,
    query: Deferred<web::Query<AuditQuery>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("audit:read")?;
    let AuditQuery {
        kind,
        subject,
        actor,
        before,
        limit,
    } = query.get()?.into_inner();
    let limit = limit.unwrap_or(100).clamp(1, 500);
    let filter = views::audit::AuditFilter {
        kind_prefix: kind,
        subject,
        actor,
        before,
    };
    let rows = admin
        .state
        .db
        .run(move |conn| views::audit::search(conn, &filter, limit))
        .await?;
    let events: Vec<AuditView> = rows
        .into_iter()
        .map(|row| AuditView {
            seq: row.seq,
            details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
            id: row.id,
            occurred_at: row.occurred_at,
            kind: row.kind,
            actor: row.actor,
            subject: row.subject,
            client_ip: row.client_ip,
        })
        .collect();
    Ok(HttpResponse::Ok().json(events))
}
