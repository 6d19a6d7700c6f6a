//! `/admin/clients`: the clients table, registering one (its secret shown
//! once), and the actions on one client (rotate, disable, delete, roles)
//! posted from the table or from the client's own page (`client_page`).

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Notice, client_page,
    form_fields::FormFields,
    navigation::{self, ConsolePage},
    refusal::Refusal,
    session::{Console, ConsoleError},
};
use crate::accounts::AccountError;
use crate::administration::clients as administer;
use crate::administration::views::clients::{self as views, Choices, ClientRecord};
use crate::crypto::SigningAlgorithm;
use crate::http::oauth::responses::see_other;
use crate::oauth::{GrantType, client_registration::ClientSpec};

/// The grants a client form offers, as checkboxes.
pub const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// The ID token algorithms a client form offers; empty: the default.
pub const ID_TOKEN_ALGS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// The registration form as typed, shown again when it is refused.
#[derive(Default)]
pub struct ClientForm {
    client_id: String,
    name: String,
    public: bool,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: Vec<String>,
    scopes: String,
    resources: Vec<String>,
    introspect: Vec<String>,
    id_token_alg: String,
    backchannel_logout_uri: String,
    skip_consent: bool,
}

impl ClientForm {
    fn read(form: &FormFields) -> Self {
        Self {
            client_id: form.one("client_id"),
            name: form.one("name"),
            public: form.has("public"),
            redirect_uris: form.one("redirect_uris"),
            post_logout_redirect_uris: form.one("post_logout_redirect_uris"),
            grant_types: form.words("grant_types"),
            scopes: form.one("scopes"),
            resources: form.words("resources"),
            introspect: form.words("introspect"),
            id_token_alg: form.one("id_token_alg"),
            backchannel_logout_uri: form.one("backchannel_logout_uri"),
            skip_consent: form.has("skip_consent"),
        }
    }

    fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    fn has_resource(&self, api: &str) -> bool {
        self.resources.iter().any(|r| r == api)
    }

    fn has_introspect(&self, api: &str) -> bool {
        self.introspect.iter().any(|r| r == api)
    }

    fn spec(&self) -> Result<ClientSpec, AccountError> {
        let grant_types = self
            .grant_types
            .iter()
            .map(|g| g.parse::<GrantType>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(AccountError::Invalid)?;
        let id_token_alg = algorithm(&self.id_token_alg)?;
        let scopes = if self.scopes.trim().is_empty() {
            crate::oauth::scope::SUPPORTED_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            words(&self.scopes)
        };
        Ok(ClientSpec {
            client_id: self.client_id.clone(),
            name: Some(self.name.clone()),
            public: self.public,
            redirect_uris: words(&self.redirect_uris),
            post_logout_redirect_uris: words(&self.post_logout_redirect_uris),
            grant_types,
            scopes,
            resources: self.resources.clone(),
            introspect: self.introspect.clone(),
            skip_consent: self.skip_consent,
            id_token_alg,
            backchannel_logout_uri: Some(self.backchannel_logout_uri.clone())
                .filter(|u| !u.is_empty()),
            secret: None,
        })
    }
}

/// An ID token algorithm from a form's select; empty: the default.
pub fn algorithm(chosen: &str) -> Result<Option<SigningAlgorithm>, AccountError> {
    match chosen.trim() {
        "" | "default" => Ok(None),
        alg => alg.parse().map(Some).map_err(AccountError::Invalid),
    }
}

pub fn words(input: &str) -> Vec<String> {
    input.split_whitespace().map(str::to_owned).collect()
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    role: String,
    /// `client`: posted from the client's own page, which it returns to.
    #[serde(default)]
    back: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ClientsPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    clients: Vec<ClientRecord>,
    choices: Choices,
    grants: [&'static str; 3],
    algorithms: [&'static str; 3],
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
    let (clients, choices) = console
        .state
        .db
        .run(|conn| Ok::<_, crate::db::DbError>((views::all(conn)?, views::choices(conn)?)))
        .await?;
    // Pages that show a secret must never be cached anywhere (every
    // console page is sent `no-store`).
    console.page(
        status,
        ClientsPage {
            nav: navigation::readable(&console.who),
            notice,
            error,
            csrf_token: &console.csrf_token,
            clients,
            choices,
            grants: GRANTS,
            algorithms: ID_TOKEN_ALGS,
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

/// `POST /admin/clients`: grants, APIs and introspection come as one
/// field per ticked box.
pub async fn create(console: Console, body: web::Bytes) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:write")?;
    let fields = FormFields::parse(&body);
    console.check_csrf(&fields.one("csrf_token"))?;
    let form = ClientForm::read(&fields);
    let outcome = match form.spec() {
        Err(error) => Err(error),
        Ok(spec) => {
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
    let from_its_page = form.back == "client";
    let id = client_id.clone();
    let outcome: Result<&'static str, AccountError> = match action.as_str() {
        "rotate-secret" => {
            match console
                .change(move |conn, actor, now| administer::rotate_secret(conn, actor, &id, now))
                .await
            {
                Ok(secret) => {
                    let rotated = "Secret rotated: the old one no longer works.";
                    if from_its_page {
                        return client_page::render(
                            &console,
                            StatusCode::OK,
                            &client_id,
                            client_page::Shown {
                                notice: Some(rotated),
                                secret: Some(secret.expose()),
                                ..Default::default()
                            },
                        )
                        .await;
                    }
                    return render(
                        &console,
                        StatusCode::OK,
                        Some(rotated),
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
        // A deleted client has no page to go back to.
        Ok(done) if from_its_page && done != "client_deleted" => Ok(see_other(&format!(
            "{}?notice={done}",
            client_page::path(&client_id)
        ))),
        Ok(done) => Ok(see_other(&format!("/admin/clients?notice={done}"))),
        Err(error) => {
            let refusal = Refusal::of(error)?;
            if from_its_page {
                return client_page::render(
                    &console,
                    refusal.status,
                    &client_id,
                    client_page::Shown {
                        error: Some(&refusal.message),
                        ..Default::default()
                    },
                )
                .await;
            }
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
