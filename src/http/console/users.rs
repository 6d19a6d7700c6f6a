//! `/admin/users`: search, create, and everything about one user.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice,
    navigation::{self, ConsolePage},
    refusal::Refusal,
    session::{Console, ConsoleError},
};
use crate::accounts::{AccountError, users as accounts};
use crate::administration::users::{self as administer, ProfileChange};
use crate::administration::views::users::{
    self as views, SessionRow, UserCursor, UserDetail, UserListing, UserRow,
};
use crate::http::oauth::responses::see_other;
use crate::secret::Secret;

const PAGE_SIZE: i64 = 50;

#[derive(Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    query: &'a str,
    users: Vec<UserRow>,
    next: Option<String>,
    form: &'a NewUserForm,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    user: UserRow,
    roles: Vec<String>,
    sessions: Vec<SessionRow>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct Form {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    email_verified: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    confirm: String,
}

async fn render_list(
    console: &Console,
    status: StatusCode,
    query: &str,
    after: Option<String>,
    notice: Option<&str>,
    error: Option<&str>,
    form: &NewUserForm,
) -> Result<HttpResponse, ConsoleError> {
    let prefix = query.trim().to_owned();
    let cursor = UserCursor::parse(after.as_deref().unwrap_or_default());
    let UserListing { users, next } = console
        .state
        .db
        .run(move |conn| views::page(conn, Some(&prefix), &cursor, PAGE_SIZE))
        .await?;
    let users: Vec<UserRow> = users.into_iter().map(|found| found.user).collect();
    // The link's query is URL-encoded: a `+` or `&` in a search (email
    // addresses have them) must come back as typed.
    let next = next.map(|cursor| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query)
            .append_pair("after", &cursor.encode())
            .finish();
        format!("/admin/users?{query}")
    });
    console.page(
        status,
        UsersPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            query,
            users,
            next,
            form,
        }
        .render(),
    )
}

pub async fn list(
    console: Console,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("users:read")?;
    let ListQuery { q, after, notice } = query.into_inner();
    let notice = notice.as_deref().and_then(Notice::message);
    render_list(
        &console,
        StatusCode::OK,
        &q,
        after,
        notice,
        None,
        &NewUserForm::default(),
    )
    .await
}

pub async fn create(
    console: Console,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("users:write")?;
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let new = accounts::NewUser {
        username: form.username.trim().to_owned(),
        email: Some(form.email.trim().to_owned()).filter(|e| !e.is_empty()),
        email_verified: false,
        name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
        roles: Some(form.role.trim().to_owned())
            .filter(|r| !r.is_empty())
            .into_iter()
            .collect(),
    };
    let password = Some(form.password.clone())
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let hasher = console.state.passwords.clone();
    let policy = console.state.settings.password_policy.clone();
    let now = console.state.clock.now();
    let prepare = new.clone();
    // Hash before the transaction: argon2id is slow and must not hold a
    // connection.
    let prepared = console
        .state
        .hash_limiter
        .run(move || accounts::prepare_user(&prepare, password.as_ref(), &hasher, &policy, now))
        .await?;
    let outcome = match prepared {
        Ok(row) => {
            let username = row.username.clone();
            console
                .change(move |conn, actor, now| {
                    administer::create(conn, actor, &row, &new.roles, now)
                })
                .await
                .map(|()| username)
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(username) => Ok(see_other(&format!(
            "/admin/users/{username}?notice=created"
        ))),
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render_list(
                &console,
                refusal.status,
                "",
                None,
                None,
                Some(&refusal.message),
                &form,
            )
            .await
        }
    }
}

async fn load(console: &Console, username: String) -> Result<UserDetail, ConsoleError> {
    let now = console.state.clock.now();
    let settings = console.state.settings.sessions.clone();
    let wanted = username.clone();
    console
        .state
        .db
        .run(move |conn| views::detail(conn, &wanted, &settings, now))
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("There is no user {username:?}.")))
}

async fn render_user(
    console: &Console,
    status: StatusCode,
    username: String,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let UserDetail {
        user,
        roles,
        sessions,
    } = load(console, username).await?;
    console.page(
        status,
        UserPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            user,
            roles,
            sessions,
        }
        .render(),
    )
}

pub async fn show(
    console: Console,
    username: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("users:read")?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    render_user(
        &console,
        StatusCode::OK,
        username.into_inner(),
        notice,
        None,
    )
    .await
}

/// `POST /admin/users/{username}/{action}`.
pub async fn act(
    console: Console,
    path: web::Path<(String, String)>,
    form: web::Form<Form>,
) -> Result<HttpResponse, ConsoleError> {
    let (username, action) = path.into_inner();
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let permission = if action == "end-sessions" || action == "reset-factors" {
        "sessions:write"
    } else {
        "users:write"
    };
    console.require(permission)?;
    // An unknown user is a 404, as their page would be.
    let UserDetail { user, .. } = load(&console, username.clone()).await?;
    let name = user.username.clone();
    let outcome: Result<&'static str, AccountError> = match action.as_str() {
        "profile" => {
            let change = ProfileChange {
                email: Some(Some(form.email)),
                email_verified: Some(form.email_verified.is_some()),
                name: Some(Some(form.name)),
            };
            console
                .change(move |conn, actor, now| {
                    administer::update_profile(conn, actor, &name, change, now)
                })
                .await
                .map(|_| "updated")
        }
        "password" => {
            let hasher = console.state.passwords.clone();
            let session = console.session_id_hash.clone();
            let policy = console.state.settings.password_policy.clone();
            let password = Secret::new(form.password);
            // Hashed before the transaction, checked against the policy
            // for this user inside it.
            match console
                .state
                .hash_limiter
                .run(move || accounts::NewPassword::hash(password, &hasher))
                .await?
            {
                Ok(password) => console
                    .change(move |conn, actor, now| {
                        administer::set_password(
                            conn,
                            actor,
                            &name,
                            &password,
                            &policy,
                            Some(&session),
                            now,
                        )
                    })
                    .await
                    .map(|()| "password"),
                Err(error) => Err(error),
            }
        }
        "disable" | "enable" => {
            let disabled = action == "disable";
            console
                .change(move |conn, actor, now| {
                    administer::set_disabled(conn, actor, &name, disabled, now)
                })
                .await
                .map(|()| if disabled { "disabled" } else { "enabled" })
        }
        "unlock" => console
            .change(move |conn, actor, now| administer::unlock(conn, actor, &name, now))
            .await
            .map(|()| "unlocked"),
        "grant-role" => {
            let role = form.role.trim().to_owned();
            console
                .change(move |conn, actor, now| {
                    administer::grant_role(conn, actor, &name, &role, now)
                })
                .await
                .map(|()| "role_granted")
        }
        "revoke-role" => {
            let role = form.role.trim().to_owned();
            console
                .change(move |conn, actor, now| {
                    administer::revoke_role(conn, actor, &name, &role, now)
                })
                .await
                .map(|()| "role_revoked")
        }
        "end-sessions" => {
            let session = console.session_id_hash.clone();
            console
                .change(move |conn, actor, now| {
                    administer::end_sessions(conn, actor, &name, Some(&session), now)
                })
                .await
                .map(|_| "sessions_ended")
        }
        "reset-factors" => console
            .change(move |conn, actor, now| administer::reset_factors(conn, actor, &name, now))
            .await
            .map(|()| "factors_reset"),
        "delete" if form.confirm == "yes" => console
            .change(move |conn, actor, now| administer::delete(conn, actor, &name, now))
            .await
            .map(|()| "deleted"),
        "delete" => Err(AccountError::Invalid(
            "Tick the box to confirm the deletion.".into(),
        )),
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    match outcome {
        Ok(done) => {
            // These changes queued back-channel logout tokens for the
            // sessions they ended: deliver them now, not at the next tick.
            if matches!(
                done,
                "disabled" | "sessions_ended" | "deleted" | "password" | "factors_reset"
            ) {
                console.state.backchannel_wake.notify_one();
            }
            if done == "deleted" {
                Ok(see_other("/admin/users?notice=deleted"))
            } else {
                Ok(see_other(&format!(
                    "/admin/users/{}?notice={done}",
                    user.username
                )))
            }
        }
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render_user(
                &console,
                refusal.status,
                username,
                None,
                Some(&refusal.message),
            )
            .await
        }
    }
}
