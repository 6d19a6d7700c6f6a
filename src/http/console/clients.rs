//! `/admin/clients`: register (secret shown once), rotate, disable, delete,
//! and the roles a client's service account holds.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice,
    navigation::{self, ConsolePage},
    refusal::Refusal,
    session::{Console, ConsoleError},
};
use crate::accounts::AccountError;
use crate::administration::clients as administer;
use crate::administration::views::clients::{self as views, ClientRecord};
use crate::http::oauth::responses::see_other;
use crate::oauth::{GrantType, client_registration::ClientSpec};

#[derive(Default, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    name: String,
    public: Option<String>,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    grant_types: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    resources: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    skip_consent: Option<String>,
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ClientsPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    clients: Vec<ClientRecord>,
    form: &'a ClientForm,
    secret: Option<&'a str>,
    secret_for: &'a str,
}

async fn render(
    console: &Console,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    form: &ClientForm,
    secret: Option<(&str, &str)>,
) -> Result<HttpResponse, ConsoleError> {
    let clients = console.state.db.run(views::all).await?;
    // Pages that show a secret must never be cached anywhere.
    console.page(
        status,
        ClientsPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            clients,
            form,
            secret: secret.map(|(_, s)| s),
            secret_for: secret.map(|(id, _)| id).unwrap_or_default(),
        }
        .render(),
    )
}

pub async fn list(
    console: Console,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:read")?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    render(
        &console,
        StatusCode::OK,
        notice,
        None,
        &ClientForm::default(),
        None,
    )
    .await
}

fn words(input: &str) -> Vec<String> {
    input.split_whitespace().map(str::to_owned).collect()
}

pub async fn create(
    console: Console,
    form: web::Form<ClientForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:write")?;
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let grants: Result<Vec<GrantType>, String> = form
        .grant_types
        .split_whitespace()
        .map(str::parse)
        .collect();
    let outcome = match grants {
        Err(message) => Err(AccountError::Invalid(message)),
        Ok(grant_types) => {
            let scopes = if form.scopes.trim().is_empty() {
                crate::oauth::scope::SUPPORTED_SCOPES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            } else {
                words(&form.scopes)
            };
            let spec = ClientSpec {
                client_id: form.client_id.trim().to_owned(),
                name: Some(form.name.trim().to_owned()),
                public: form.public.is_some(),
                redirect_uris: words(&form.redirect_uris),
                post_logout_redirect_uris: words(&form.post_logout_redirect_uris),
                grant_types,
                scopes,
                resources: words(&form.resources),
                introspect: Vec::new(),
                skip_consent: form.skip_consent.is_some(),
                id_token_alg: None,
                backchannel_logout_uri: Some(form.backchannel_logout_uri.trim().to_owned())
                    .filter(|u| !u.is_empty()),
                secret: None,
            };
            console
                .change(move |conn, actor, now| administer::register(conn, actor, spec, now))
                .await
        }
    };
    match outcome {
        Ok(registered) => {
            let secret = registered.secret.map(|s| s.into_inner());
            let shown = secret
                .as_deref()
                .map(|s| (registered.client_id.as_str(), s));
            render(
                &console,
                StatusCode::CREATED,
                Some("Client registered."),
                None,
                &ClientForm::default(),
                shown,
            )
            .await
        }
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render(
                &console,
                refusal.status,
                None,
                Some(&refusal.message),
                &form,
                None,
            )
            .await
        }
    }
}

/// `POST /admin/clients/{client_id}/{action}`.
pub async fn act(
    console: Console,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:write")?;
    let (client_id, action) = path.into_inner();
    let form = form.into_inner();
    console.check_csrf(&form.csrf_token)?;
    let id = client_id.clone();
    let outcome: Result<&'static str, AccountError> = match action.as_str() {
        "rotate-secret" => {
            match console
                .change(move |conn, actor, now| administer::rotate_secret(conn, actor, &id, now))
                .await
            {
                Ok(secret) => {
                    return render(
                        &console,
                        StatusCode::OK,
                        Some("Secret rotated: the old one no longer works."),
                        None,
                        &ClientForm::default(),
                        Some((&client_id, secret.expose())),
                    )
                    .await;
                }
                Err(error) => Err(error),
            }
        }
        "disable" | "enable" => {
            let disabled = action == "disable";
            console
                .change(move |conn, actor, now| {
                    administer::set_disabled(conn, actor, &id, disabled, now)
                })
                .await
                .map(|()| {
                    if disabled {
                        "client_disabled"
                    } else {
                        "client_enabled"
                    }
                })
        }
        "delete" if form.confirm == "yes" => console
            .change(move |conn, actor, now| administer::delete(conn, actor, &id, now))
            .await
            .map(|()| "client_deleted"),
        "delete" => Err(AccountError::Invalid(
            "Tick the box to confirm the deletion.".into(),
        )),
        "grant-role" => {
            let role = form.role.trim().to_owned();
            console
                .change(move |conn, actor, now| {
                    administer::grant_role(conn, actor, &id, &role, now)
                })
                .await
                .map(|()| "client_role_granted")
        }
        "revoke-role" => {
            let role = form.role.trim().to_owned();
            console
                .change(move |conn, actor, now| {
                    administer::revoke_role(conn, actor, &id, &role, now)
                })
                .await
                .map(|()| "client_role_revoked")
        }
        _ => return Err(ConsoleError::NotFound("There is no such action.".into())),
    };
    match outcome {
        Ok(done) => Ok(see_other(&format!("/admin/clients?notice={done}"))),
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render(
                &console,
                refusal.status,
                None,
                Some(&refusal.message),
                &ClientForm::default(),
                None,
            )
            .await
        }
    }
}
