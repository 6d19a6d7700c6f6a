//! `/admin/roles`: roles, who holds them, what they grant; APIs and their
//! permissions.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::{
    Notice,
    session::{Console, ConsoleError},
};
use crate::accounts::{AccountError, apis, roles};
use crate::db;
use crate::http::oauth::responses::see_other;

pub struct RoleRow {
    name: String,
    built_in: bool,
    permissions: Vec<(String, String)>,
    users: Vec<String>,
    clients: Vec<String>,
}

pub struct ApiRow {
    identifier: String,
    name: String,
    permissions: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage<'a> {
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
}

async fn render(
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let (roles, apis) = console
        .state
        .db
        .run(|conn| {
            let mut roles = Vec::new();
            for role in db::roles::list(conn)? {
                roles.push(RoleRow {
                    permissions: db::roles::permissions_of(conn, &role.id)?,
                    users: db::roles::holders(conn, &role.id, 20)?,
                    clients: db::roles::client_holders(conn, &role.id)?,
                    name: role.name,
                    built_in: role.built_in,
                });
            }
            let mut apis = Vec::new();
            for api in db::apis::list(conn)? {
                apis.push(ApiRow {
                    permissions: db::apis::permissions_of(conn, &api.id)?
                        .into_iter()
                        .map(|p| p.name)
                        .collect(),
                    identifier: api.identifier,
                    name: api.name,
                });
            }
            Ok((roles, apis))
        })
        .await?;
    console.page(
        status,
        RolesPage {
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

/// `POST /admin/roles`, `/admin/roles/allow`, `/admin/roles/{name}/delete`,
/// `/admin/apis`, `/admin/apis/permissions`.
pub async fn change(
    console: Console,
    path: web::Path<String>,
    form: web::Form<DirectoryForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("roles:write")?;
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let now = console.state.clock.now();
    let db = console.state.db.clone();
    let what = path.into_inner();
    let (kind, subject, outcome): (&'static str, String, Result<(), AccountError>) = match what
        .as_str()
    {
        "create-role" => {
            let name = form.name.trim().to_owned();
            let n = name.clone();
            (
                "admin.role.created",
                name,
                db.run(move |conn| Ok(roles::create(conn, &n, "", now).map(|_| ())))
                    .await?,
            )
        }
        "allow" => {
            let (r, a, p) = (
                form.role.trim().to_owned(),
                form.api.trim().to_owned(),
                form.permission.trim().to_owned(),
            );
            let role = r.clone();
            (
                "admin.role.allowed",
                role,
                db.run(move |conn| Ok(roles::allow(conn, &r, &a, &p)))
                    .await?,
            )
        }
        "create-api" => {
            let (identifier, name) = (
                form.identifier.trim().to_owned(),
                form.name.trim().to_owned(),
            );
            let i = identifier.clone();
            let name = Some(name).filter(|n| !n.is_empty());
            (
                "admin.api.created",
                identifier,
                db.run(move |conn| Ok(apis::create(conn, &i, name.as_deref(), now).map(|_| ())))
                    .await?,
            )
        }
        "add-permission" => {
            let (a, p) = (
                form.api.trim().to_owned(),
                form.permission.trim().to_owned(),
            );
            let api = a.clone();
            (
                "admin.api.permission_added",
                api,
                db.run(move |conn| Ok(apis::add_permission(conn, &a, &p).map(|_| ())))
                    .await?,
            )
        }
        role if role.starts_with("delete:") => {
            let name = role.trim_start_matches("delete:").to_owned();
            let n = name.clone();
            (
                "admin.role.deleted",
                name,
                db.run(move |conn| Ok(roles::remove(conn, &n))).await?,
            )
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    match outcome {
        Ok(()) => {
            console
                .audit(
                    kind,
                    &subject,
                    json!({ "permission": Some(form.permission).filter(|p| !p.is_empty()) }),
                )
                .await?;
            Ok(see_other("/admin/roles?notice=saved"))
        }
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(error) => {
            render(
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&error.to_string()),
            )
            .await
        }
    }
}
