//! `/admin/roles`: roles, who holds them, what they grant; APIs and their
//! permissions.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice,
    confirm::ConfirmPage,
    navigation::{self, ConsolePage},
    refusal::Refusal,
    session::{Console, ConsoleError},
};
use crate::accounts::AccountError;
use crate::administration::views::directory::{self as views, Directory};
use crate::administration::{Actor, directory as administer};
use crate::db::DbConnection;
use crate::http::oauth::responses::see_other;

/// Users listed per role; the page says when a role has more.
const HOLDERS_SHOWN: u32 = 20;

pub struct RoleRow {
    name: String,
    built_in: bool,
    require_mfa: bool,
    permissions: Vec<(String, String)>,
    users: Vec<String>,
    clients: Vec<String>,
}

pub struct ApiRow {
    identifier: String,
    name: String,
    built_in: bool,
    permissions: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    roles: Vec<RoleRow>,
    apis: Vec<ApiRow>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct DirectoryForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    api: String,
    #[serde(default)]
    permission: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    confirm: String,
}

async fn render(
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let Directory { roles, apis } = console
        .state
        .db
        .run(|conn| views::directory(conn, HOLDERS_SHOWN))
        .await?;
    let roles = roles
        .into_iter()
        .map(|held| RoleRow {
            permissions: held.role.permissions,
            users: held.users,
            clients: held.clients,
            name: held.role.row.name,
            built_in: held.role.row.built_in,
            require_mfa: held.role.row.require_mfa,
        })
        .collect();
    let apis = apis
        .into_iter()
        .map(|api| ApiRow {
            permissions: api.permissions,
            identifier: api.row.identifier,
            name: api.row.name,
            built_in: api.row.built_in,
        })
        .collect();
    console.page(
        status,
        RolesPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            roles,
            apis,
        }
        .render(),
    )
}

pub async fn list(
    console: Console,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("roles:read")?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    render(&console, StatusCode::OK, notice, None).await
}

/// Checks the form, makes one change as this person, and leads back to the
/// roles page with `notice`; a refusal shows the page with the reason.
async fn apply<F>(
    console: Console,
    form: &DirectoryForm,
    notice: &str,
    operation: F,
) -> Result<HttpResponse, ConsoleError>
where
    F: FnOnce(&mut DbConnection, &Actor, i64) -> Result<(), AccountError> + Send + 'static,
{
    console.require("roles:write")?;
    console.check_csrf(&form.csrf_token)?;
    match console.change(operation).await {
        Ok(()) => Ok(see_other(&format!("/admin/roles?notice={notice}"))),
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render(&console, refusal.status, None, Some(&refusal.message)).await
        }
    }
}

/// The roles page again with `message`, for a form the console itself
/// refuses before any change is tried.
async fn refuse(
    console: Console,
    form: &DirectoryForm,
    message: &str,
) -> Result<HttpResponse, ConsoleError> {
    console.require("roles:write")?;
    console.check_csrf(&form.csrf_token)?;
    let refusal = Refusal::invalid(message);
    render(&console, refusal.status, None, Some(&refusal.message)).await
}

fn field(value: &str) -> String {
    value.trim().to_owned()
}

/// `POST /admin/roles`.
pub async fn create_role(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let name = field(&form.name);
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::create_role(conn, actor, &name, "", now).map(drop)
    })
    .await
}

/// `GET /admin/roles/{name}/delete`: what deleting the role means, and
/// the button that does it.
pub async fn confirm_delete_role(
    console: Console,
    name: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("roles:write")?;
    let name = name.into_inner();
    let roles = console.state.db.run(views::roles).await?;
    let Some(role) = roles.into_iter().find(|role| role.row.name == name) else {
        return Err(ConsoleError::NotFound(format!(
            "There is no role {name:?}."
        )));
    };
    if role.row.built_in {
        let refusal = Refusal::invalid(&format!("The role {name:?} is built in and stays."));
        return render(&console, refusal.status, None, Some(&refusal.message)).await;
    }
    let page = ConfirmPage {
        nav: navigation::readable(&console.who),
        notice: None,
        error: None,
        csrf_token: &console.csrf_token,
        title: format!("Delete role {name}?"),
        consequences: vec![
            "Every user and client holding it loses it, and with it the permissions it grants."
                .into(),
            "Their next tokens carry neither the role nor those permissions.".into(),
        ],
        action: format!("/admin/roles/{name}/delete"),
        button: "Delete role".into(),
        cancel: "/admin/roles".into(),
    };
    console.page(StatusCode::OK, page.render())
}

/// `POST /admin/roles/{name}/delete`, from the confirmation page.
pub async fn delete_role(
    console: Console,
    name: web::Path<String>,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    if form.confirm != "yes" {
        return refuse(
            console,
            &form,
            "Confirm the deletion on its confirmation page.",
        )
        .await;
    }
    let name = name.into_inner();
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::delete_role(conn, actor, &name, now)
    })
    .await
}

/// `POST /admin/roles/{name}/require-mfa` (`required=yes` or not): whether
/// the role's holders must use a second factor.
pub async fn require_mfa(
    console: Console,
    name: web::Path<String>,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let name = name.into_inner();
    let required = form.confirm == "yes";
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::require_mfa(conn, actor, &name, required, now)
    })
    .await
}

/// `POST /admin/roles/allow`: the role grants the permission.
pub async fn allow(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (role, api, permission) = (field(&form.role), field(&form.api), field(&form.permission));
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::allow(conn, actor, &role, &api, &permission, now)
    })
    .await
}

/// `POST /admin/roles/disallow`: the role stops granting the permission.
pub async fn disallow(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (role, api, permission) = (field(&form.role), field(&form.api), field(&form.permission));
    apply(console, &form, "disallowed", move |conn, actor, now| {
        administer::disallow(conn, actor, &role, &api, &permission, now)
    })
    .await
}

/// `POST /admin/apis`.
pub async fn create_api(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (identifier, name) = (field(&form.identifier), field(&form.name));
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::create_api(conn, actor, &identifier, Some(&name), now).map(drop)
    })
    .await
}

/// `POST /admin/apis/remove`: the API, its permissions and their grants.
/// API identifiers may be URIs, so they travel in the form, not the path.
pub async fn remove_api(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    if form.confirm != "yes" {
        return refuse(console, &form, "Tick the box to confirm the removal.").await;
    }
    let identifier = field(&form.identifier);
    apply(console, &form, "api_removed", move |conn, actor, now| {
        administer::remove_api(conn, actor, &identifier, now)
    })
    .await
}

/// `POST /admin/apis/permissions`.
pub async fn add_permission(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (api, permission) = (field(&form.api), field(&form.permission));
    apply(console, &form, "saved", move |conn, actor, now| {
        administer::add_permission(conn, actor, &api, &permission, now).map(drop)
    })
    .await
}

/// `POST /admin/apis/permissions/remove`: every role stops granting it.
pub async fn remove_permission(
    console: Console,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (api, permission) = (field(&form.api), field(&form.permission));
    apply(
        console,
        &form,
        "permission_removed",
        move |conn, actor, now| administer::remove_permission(conn, actor, &api, &permission, now),
    )
    .await
}
