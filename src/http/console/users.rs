//! `/admin/users`: search, create, and everything about one user.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::{
    Notice,
    session::{Console, ConsoleError},
};
use crate::accounts::{AccountError, roles, throttle, users as accounts};
use crate::db::{self, sessions::SessionRow, users::UserRow};
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
    // One row more than a page tells whether a next page exists, so the
    // last link never leads to an empty page.
    let mut users = console
        .state
        .db
        .run(move |conn| db::users::search(conn, Some(&prefix), after.as_deref(), PAGE_SIZE + 1))
        .await?;
    let more = users.len() as i64 > PAGE_SIZE;
    users.truncate(PAGE_SIZE as usize);
    // The link's query is URL-encoded: a `+` or `&` in a search (email
    // addresses have them) must come back as typed.
    let next = more.then(|| users.last()).flatten().map(|last| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query)
            .append_pair("after", &last.username)
            .finish();
        format!("/admin/users?{query}")
    });
    console.page(
        status,
        UsersPage {
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
    let now = console.state.clock.now();
    let prepare = new.clone();
    let prepared =
        web::block(move || accounts::prepare_user(&prepare, password.as_ref(), &hasher, now))
            .await
            .map_err(|_| ConsoleError::Internal)?;
    let outcome = match prepared {
        Ok(row) => {
            let insert = row.clone();
            let roles = new.roles.clone();
            console
                .state
                .db
                .transaction_with_refusal(move |conn| accounts::insert_user(conn, &insert, &roles))
                .await?
                .map(|()| row)
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(row) => {
            console
                .audit(
                    "admin.user.created",
                    &row.id,
                    json!({ "username": row.username, "roles": new.roles }),
                )
                .await?;
            Ok(see_other(&format!(
                "/admin/users/{}?notice=created",
                row.username
            )))
        }
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(error) => {
            render_list(
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                None,
                None,
                Some(&error.to_string()),
                &form,
            )
            .await
        }
    }
}

async fn load(
    console: &Console,
    username: String,
) -> Result<(UserRow, Vec<String>, Vec<SessionRow>), ConsoleError> {
    let now = console.state.clock.now();
    let wanted = username.clone();
    console
        .state
        .db
        .run(move |conn| {
            let Some(user) = db::users::find_by_username(conn, &wanted)? else {
                return Ok(None);
            };
            let roles = db::users::role_names(conn, &user.id)?;
            let sessions = db::sessions::live_for_user(conn, &user.id, now)?;
            Ok(Some((user, roles, sessions)))
        })
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
    let (user, roles, sessions) = load(console, username).await?;
    console.page(
        status,
        UserPage {
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
    let permission = if action == "end-sessions" {
        "sessions:write"
    } else {
        "users:write"
    };
    console.require(permission)?;
    let (user, _, _) = load(&console, username.clone()).await?;
    let now = console.state.clock.now();
    let db = console.state.db.clone();
    let (id, name) = (user.id.clone(), user.username.clone());
    let outcome: Result<&'static str, AccountError> = match action.as_str() {
        "profile" => {
            let email = match form.email.trim() {
                "" => Ok(None),
                e => crate::accounts::names::email(e).map(Some),
            };
            match email {
                Ok(email) => {
                    let display = Some(form.name.trim().to_owned()).filter(|n| !n.is_empty());
                    let verified = form.email_verified.is_some();
                    db.run(move |conn| {
                        db::users::update_profile(
                            conn,
                            &id,
                            Some(email),
                            Some(verified),
                            Some(display),
                            now,
                        )
                    })
                    .await?;
                    Ok("updated")
                }
                Err(error) => Err(error),
            }
        }
        "password" => {
            let hasher = console.state.passwords.clone();
            let password = Secret::new(form.password.clone());
            match web::block(move || hasher.hash(&password))
                .await
                .map_err(|_| ConsoleError::Internal)?
            {
                Ok(hash) => {
                    db.run(move |conn| db::users::set_password_hash(conn, &id, &hash, now))
                        .await?;
                    Ok("password")
                }
                Err(error) => Err(AccountError::Invalid(error.to_string())),
            }
        }
        "disable" | "enable" => {
            let disabled = action == "disable";
            db.transaction_with_refusal(move |conn| {
                accounts::set_disabled(conn, &name, disabled, now)
            })
            .await?
            .map(|()| if disabled { "disabled" } else { "enabled" })
        }
        "unlock" => {
            let key = throttle::account_key(&name);
            db.run(move |conn| throttle::clear(conn, &key)).await?;
            Ok("unlocked")
        }
        "grant-role" => {
            let role = form.role.trim().to_owned();
            db.run(move |conn| Ok(roles::grant_to_user(conn, &role, &name)))
                .await?
                .map(|()| "role_granted")
        }
        "revoke-role" => {
            let role = form.role.trim().to_owned();
            db.run(move |conn| Ok(roles::revoke_from_user(conn, &role, &name)))
                .await?
                .map(|()| "role_revoked")
        }
        "end-sessions" => {
            db.run(move |conn| db::sessions::end_all_for_user(conn, &id, now))
                .await?;
            Ok("sessions_ended")
        }
        "delete" => {
            if form.confirm != "yes" {
                Err(AccountError::Invalid(
                    "Tick the box to confirm the deletion.".into(),
                ))
            } else {
                db.run(move |conn| db::users::delete(conn, &id)).await?;
                Ok("deleted")
            }
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    match outcome {
        Ok(done) => {
            console
                .audit(
                    Notice::audit_kind(done),
                    &user.id,
                    json!({ "username": user.username, "role": Some(form.role).filter(|r| !r.is_empty()) }),
                )
                .await?;
            if done == "deleted" {
                Ok(see_other("/admin/users?notice=deleted"))
            } else {
                Ok(see_other(&format!(
                    "/admin/users/{}?notice={done}",
                    user.username
                )))
            }
        }
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(error) => {
            render_user(
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                username,
                None,
                Some(&error.to_string()),
            )
            .await
        }
    }
}
