//! `/admin/api/v1/users`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    caller::Admin,
    deferred::Deferred,
    error::{ApiError, ErrorBody},
};
use crate::accounts::users as accounts;
use crate::administration::users::{self as administration, ProfileChange};
use crate::administration::views::users::{
    self as views, UserCursor, UserListing, UserRow, UserWithRoles,
};
use crate::secret::Secret;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The stable `sub`.
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled: bool,
    pub roles: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserView {
    fn new(row: UserRow, roles: Vec<String>) -> Self {
        Self {
            id: row.id,
            username: row.username,
            email: row.email,
            email_verified: row.email_verified,
            name: row.name,
            disabled: row.disabled,
            roles,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Username or email prefix.
    pub q: Option<String>,
    /// The previous page's `next`: an opaque cursor. Users whose username
    /// matches come first, by username; then those matched by email.
    pub after: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub name: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    /// An empty string removes the email.
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// An empty string removes the name.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub sid: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

fn no_such_user(username: &str) -> ApiError {
    ApiError::NotFound(format!("user {username:?} not found"))
}

async fn load_user(admin: &Admin, username: String) -> Result<(UserRow, Vec<String>), ApiError> {
    let wanted = username.clone();
    let UserWithRoles { user, roles } = admin
        .state
        .db
        .run(move |conn| views::with_roles(conn, &wanted))
        .await?
        .ok_or_else(|| no_such_user(&username))?;
    Ok((user, roles))
}

#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = UserPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    admin: Admin,
    query: Deferred<web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:read")?;
    let ListQuery { q, after, limit } = query.get()?.into_inner();
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let cursor = UserCursor::parse(after.as_deref().unwrap_or_default());
    let (users, next) = admin
        .state
        .db
        .run(move |conn| views::page(conn, q.as_deref(), &cursor, limit))
        .await
        .map(|UserListing { users, next }| {
            let users: Vec<UserView> = users
                .into_iter()
                .map(|found| UserView::new(found.user, found.roles))
                .collect();
            (users, next.map(|c| c.encode()))
        })?;
    Ok(HttpResponse::Ok().json(UserPage { users, next }))
}

#[utoipa::path(post, path = "/admin/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    admin: Admin,
    body: Deferred<web::Json<NewUserBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let body = body.get()?.into_inner();
    let new = accounts::NewUser {
        username: body.username,
        email: body.email.filter(|e| !e.is_empty()),
        email_verified: body.email_verified,
        name: body.name,
        roles: body.roles,
    };
    let password = body.password.map(Secret::new);
    let hasher = admin.state.passwords.clone();
    let policy = admin.state.settings.password_policy.clone();
    let now = admin.state.clock.now();
    // Hash before the transaction: argon2id must not hold a connection.
    let row = admin
        .state
        .hash_limiter
        .run(move || {
            accounts::prepare_user(&new, password.as_ref(), &hasher, &policy, now)
                .map(|row| (row, new.roles))
        })
        .await??;
    let (row, roles) = row;
    let username = row.username.clone();
    admin
        .change(move |conn, actor, now| administration::create(conn, actor, &row, &roles, now))
        .await?;
    let (user, roles) = load_user(&admin, username).await?;
    Ok(HttpResponse::Created().json(UserView::new(user, roles)))
}

#[utoipa::path(get, path = "/admin/api/v1/users/{username}", tag = "users",
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("users:read")?;
    let (user, roles) = load_user(&admin, username.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, roles)))
}

#[utoipa::path(patch, path = "/admin/api/v1/users/{username}", tag = "users", request_body = UpdateUserBody,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    admin: Admin,
    username: web::Path<String>,
    body: Deferred<web::Json<UpdateUserBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let UpdateUserBody {
        email,
        email_verified,
        name,
    } = body.get()?.into_inner();
    // An empty string clears the field; the administration layer trims and
    // validates.
    let change = ProfileChange {
        email: email.map(Some),
        email_verified,
        name: name.map(Some),
    };
    let username = username.into_inner();
    let (user, roles) = admin
        .change(move |conn, actor, now| {
            let user = administration::update_profile(conn, actor, &username, change, now)?;
            let roles = views::roles_of(conn, &user.id)?;
            Ok((user, roles))
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, roles)))
}

#[utoipa::path(put, path = "/admin/api/v1/users/{username}/password", tag = "users", request_body = PasswordBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_password(
    admin: Admin,
    username: web::Path<String>,
    body: Deferred<web::Json<PasswordBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let password = Secret::new(body.get()?.into_inner().password);
    let hasher = admin.state.passwords.clone();
    // Hash before the transaction: argon2id must not hold a connection.
    // The policy is checked in the transaction, for this user.
    let password = admin
        .state
        .hash_limiter
        .run(move || accounts::NewPassword::hash(password, &hasher))
        .await??;
    let username = username.into_inner();
    let policy = admin.state.settings.password_policy.clone();
    admin
        .change(move |conn, actor, now| {
            administration::set_password(conn, actor, &username, &password, &policy, None, now)
        })
        .await?;
    // The new password ended the user's sessions: tell their clients now.
    admin.state.backchannel_wake.notify_one();
    Ok(HttpResponse::NoContent().finish())
}

async fn set_disabled(
    admin: Admin,
    username: String,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let name = username.clone();
    admin
        .change(move |conn, actor, now| {
            administration::set_disabled(conn, actor, &name, disabled, now)
        })
        .await?;
    if disabled {
        // Disabling queued back-channel logout tokens: send them now.
        admin.state.backchannel_wake.notify_one();
    }
    let (user, roles) = load_user(&admin, username).await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, roles)))
}

#[utoipa::path(post, path = "/admin/api/v1/users/{username}/disable", tag = "users",
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disable(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_disabled(admin, username.into_inner(), true).await
}

#[utoipa::path(post, path = "/admin/api/v1/users/{username}/enable", tag = "users",
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    set_disabled(admin, username.into_inner(), false).await
}

#[utoipa::path(post, path = "/admin/api/v1/users/{username}/unlock", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn unlock(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let username = username.into_inner();
    admin
        .change(move |conn, actor, now| administration::unlock(conn, actor, &username, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/admin/api/v1/users/{username}", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let username = username.into_inner();
    admin
        .change(move |conn, actor, now| administration::delete(conn, actor, &username, now))
        .await?;
    // Deleting queued back-channel logout tokens: send them now.
    admin.state.backchannel_wake.notify_one();
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/admin/api/v1/users/{username}/roles/{role}", tag = "users",
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn grant_role(
    admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let (username, role) = path.into_inner();
    let name = username.clone();
    admin
        .change(move |conn, actor, now| administration::grant_role(conn, actor, &name, &role, now))
        .await?;
    let (user, roles) = load_user(&admin, username).await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, roles)))
}

#[utoipa::path(delete, path = "/admin/api/v1/users/{username}/roles/{role}", tag = "users",
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_role(
    admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let (username, role) = path.into_inner();
    let name = username.clone();
    admin
        .change(move |conn, actor, now| administration::revoke_role(conn, actor, &name, &role, now))
        .await?;
    let (user, roles) = load_user(&admin, username).await?;
    Ok(HttpResponse::Ok().json(UserView::new(user, roles)))
}

#[utoipa::path(get, path = "/admin/api/v1/users/{username}/sessions", tag = "users",
    responses((status = 200, body = [SessionView]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn sessions(admin: Admin, username: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin.require("users:read")?;
    let username = username.into_inner();
    let wanted = username.clone();
    let now = admin.state.clock.now();
    let settings = admin.state.settings.sessions.clone();
    let detail = admin
        .state
        .db
        .run(move |conn| views::detail(conn, &wanted, &settings, now))
        .await?
        .ok_or_else(|| no_such_user(&username))?;
    let views: Vec<SessionView> = detail
        .sessions
        .into_iter()
        .map(|s| SessionView {
            sid: s.sid,
            auth_time: s.auth_time,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(delete, path = "/admin/api/v1/users/{username}/sessions", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn end_sessions(
    admin: Admin,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin.require("sessions:write")?;
    let username = username.into_inner();
    admin
        .change(move |conn, actor, now| {
            administration::end_sessions(conn, actor, &username, None, now)
        })
        .await?;
    // Ending sessions queued back-channel logout tokens: send them now.
    admin.state.backchannel_wake.notify_one();
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/admin/api/v1/users/{username}/factors", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
/// Removes the user's second factors and ends their sessions.
pub async fn reset_factors(
    admin: Admin,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin.require("users:write")?;
    let username = username.into_inner();
    admin
        .change(move |conn, actor, now| administration::reset_factors(conn, actor, &username, now))
        .await?;
    admin.state.backchannel_wake.notify_one();
    Ok(HttpResponse::NoContent().finish())
}
