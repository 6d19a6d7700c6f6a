//! `/admin/clients/{client_id}`: one client — everything registered for
//! it, an edit form (boxes and lists to choose from, not free text), its
//! secret rotation and state, and its deletion behind a confirmation page.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use super::{
    Notice,
    clients::{GRANTS, ID_TOKEN_ALGS, NoticeQuery, algorithm, words},
    confirm::ConfirmPage,
    form_fields::FormFields,
    navigation::{self, ConsolePage},
    refusal::Refusal,
    session::{Console, ConsoleError},
};
use crate::accounts::AccountError;
use crate::administration::clients::{self as administer, ClientChange};
use crate::administration::views::clients::{self as views, Choices, ClientRecord};
use crate::http::oauth::responses::see_other;
use crate::oauth::{GrantType, client_update::RegistrationChange, scope::SUPPORTED_SCOPES};

/// The page of `client_id`. Client ids are letters, digits and `-_.:`,
/// which need no escaping in a path.
pub fn path(client_id: &str) -> String {
    format!("/admin/clients/{client_id}")
}

/// The edit form's values: the client's, or what was typed.
#[derive(Debug, Default, Clone)]
pub struct EditForm {
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    /// Ticked standard scopes.
    scopes: Vec<String>,
    /// Any other allowed scopes (API permissions), space-separated.
    other_scopes: String,
    resources: Vec<String>,
    introspect: Vec<String>,
    roles: Vec<String>,
    skip_consent: bool,
    id_token_alg: String,
    backchannel_logout_uri: String,
    drop_consents: bool,
}

fn standard(scope: &str) -> bool {
    SUPPORTED_SCOPES.contains(&scope)
}

impl EditForm {
    fn of(client: &ClientRecord) -> Self {
        let row = &client.row;
        let scopes: Vec<String> = words(&row.scopes);
        Self {
            name: row.name.clone(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            grant_types: words(&row.grant_types),
            other_scopes: scopes
                .iter()
                .filter(|s| !standard(s))
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            scopes: scopes.into_iter().filter(|s| standard(s)).collect(),
            resources: client.resources.clone(),
            introspect: client.introspect_apis.clone(),
            roles: client.roles.clone(),
            skip_consent: row.skip_consent,
            id_token_alg: row.id_token_alg.clone().unwrap_or_default(),
            backchannel_logout_uri: row.backchannel_logout_uri.clone().unwrap_or_default(),
            drop_consents: false,
        }
    }

    fn read(form: &FormFields) -> Self {
        Self {
            name: form.one("name"),
            redirect_uris: form.words("redirect_uris"),
            post_logout_redirect_uris: form.words("post_logout_redirect_uris"),
            grant_types: form.words("grant_types"),
            scopes: form.words("scopes"),
            other_scopes: form.one("other_scopes"),
            resources: form.words("resources"),
            introspect: form.words("introspect"),
            roles: form.words("roles"),
            skip_consent: form.has("skip_consent"),
            id_token_alg: form.one("id_token_alg"),
            backchannel_logout_uri: form.one("backchannel_logout_uri"),
            drop_consents: form.has("drop_consents"),
        }
    }

    fn all_scopes(&self) -> Vec<String> {
        let mut all = self.scopes.clone();
        all.extend(words(&self.other_scopes));
        all
    }

    /// The change that turns `was` into this form: what was ticked and not
    /// before is added, what was and is not is removed, and a setting is
    /// sent only when it differs — so saving an untouched form of a client
    /// that skips consent needs no more privilege than its other fields.
    fn change_from(&self, was: &EditForm) -> Result<ClientChange, AccountError> {
        fn diff(now: &[String], was: &[String]) -> (Vec<String>, Vec<String>) {
            let added = now.iter().filter(|v| !was.contains(v)).cloned().collect();
            let removed = was.iter().filter(|v| !now.contains(v)).cloned().collect();
            (added, removed)
        }
        fn grants(names: Vec<String>) -> Result<Vec<GrantType>, AccountError> {
            names
                .iter()
                .map(|g| g.parse::<GrantType>())
                .collect::<Result<_, _>>()
                .map_err(AccountError::Invalid)
        }
        let (add_redirect_uris, remove_redirect_uris) =
            diff(&self.redirect_uris, &was.redirect_uris);
        let (add_post_logout_redirect_uris, remove_post_logout_redirect_uris) = diff(
            &self.post_logout_redirect_uris,
            &was.post_logout_redirect_uris,
        );
        let (add_grants, remove_grants) = diff(&self.grant_types, &was.grant_types);
        let (add_scopes, remove_scopes) = diff(&self.all_scopes(), &was.all_scopes());
        let (add_resources, remove_resources) = diff(&self.resources, &was.resources);
        let (add_introspect, remove_introspect) = diff(&self.introspect, &was.introspect);
        let (add_roles, remove_roles) = diff(&self.roles, &was.roles);
        let id_token_alg = if self.id_token_alg == was.id_token_alg {
            None
        } else {
            Some(algorithm(&self.id_token_alg)?)
        };
        Ok(ClientChange {
            registration: RegistrationChange {
                name: (self.name != was.name).then(|| self.name.clone()),
                add_redirect_uris,
                remove_redirect_uris,
                add_post_logout_redirect_uris,
                remove_post_logout_redirect_uris,
                add_grant_types: grants(add_grants)?,
                remove_grant_types: grants(remove_grants)?,
                add_scopes,
                remove_scopes,
                add_resources,
                remove_resources,
                add_introspect,
                remove_introspect,
                skip_consent: (self.skip_consent != was.skip_consent).then_some(self.skip_consent),
                id_token_alg,
                backchannel_logout_uri: (self.backchannel_logout_uri != was.backchannel_logout_uri)
                    .then(|| Some(self.backchannel_logout_uri.clone())),
            },
            add_roles,
            remove_roles,
            drop_consents: self.drop_consents,
        })
    }

    fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    fn has_resource(&self, api: &str) -> bool {
        self.resources.iter().any(|r| r == api)
    }

    fn has_introspect(&self, api: &str) -> bool {
        self.introspect.iter().any(|r| r == api)
    }

    fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ClientPage<'a> {
    nav: Vec<&'static ConsolePage>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    csrf_token: &'a str,
    client: ClientRecord,
    choices: Choices,
    grants: [&'static str; 3],
    scopes: &'static [&'static str],
    algorithms: [&'static str; 3],
    form: EditForm,
    secret: Option<&'a str>,
}

/// What a rendering of the page shows besides the client.
#[derive(Default)]
pub struct Shown<'a> {
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub secret: Option<&'a str>,
    /// What was typed into the edit form, when it was refused.
    pub typed: Option<EditForm>,
}

async fn load(console: &Console, client_id: &str) -> Result<(ClientRecord, Choices), ConsoleError> {
    let wanted = client_id.to_owned();
    let found = console
        .state
        .db
        .run(move |conn| {
            Ok::<_, crate::db::DbError>((views::one(conn, &wanted)?, views::choices(conn)?))
        })
        .await?;
    match found {
        (Some(client), choices) => Ok((client, choices)),
        (None, _) => Err(ConsoleError::NotFound(format!(
            "There is no client {client_id:?}."
        ))),
    }
}

pub async fn render(
    console: &Console,
    status: StatusCode,
    client_id: &str,
    shown: Shown<'_>,
) -> Result<HttpResponse, ConsoleError> {
    let (client, choices) = load(console, client_id).await?;
    let form = shown.typed.unwrap_or_else(|| EditForm::of(&client));
    console.page(
        status,
        ClientPage {
            nav: navigation::readable(&console.who),
            notice: shown.notice,
            error: shown.error,
            csrf_token: &console.csrf_token,
            client,
            choices,
            grants: GRANTS,
            scopes: SUPPORTED_SCOPES,
            algorithms: ID_TOKEN_ALGS,
            form,
            secret: shown.secret,
        }
        .render(),
    )
}

/// `GET /admin/clients/{client_id}`.
pub async fn show(
    console: Console,
    client_id: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:read")?;
    let notice = query.notice.as_deref().and_then(Notice::message);
    render(
        &console,
        StatusCode::OK,
        &client_id,
        Shown {
            notice,
            ..Default::default()
        },
    )
    .await
}

/// `POST /admin/clients/{client_id}/edit`: the form holds the whole
/// client; what differs from the stored client is the change made.
pub async fn edit(
    console: Console,
    client_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:write")?;
    let fields = FormFields::parse(&body);
    console.check_csrf(&fields.one("csrf_token"))?;
    let client_id = client_id.into_inner();
    let (client, _) = load(&console, &client_id).await?;
    let typed = EditForm::read(&fields);
    let outcome = match typed.change_from(&EditForm::of(&client)) {
        Err(error) => Err(error),
        Ok(change) => {
            let id = client_id.clone();
            console
                .change(move |conn, actor, now| administer::update(conn, actor, &id, change, now))
                .await
        }
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "{}?notice=client_saved",
            path(&client_id)
        ))),
        Err(error) => {
            let refusal = Refusal::of(error)?;
            render(
                &console,
                refusal.status,
                &client_id,
                Shown {
                    error: Some(&refusal.message),
                    typed: Some(typed),
                    ..Default::default()
                },
            )
            .await
        }
    }
}

/// `GET /admin/clients/{client_id}/delete`: what deleting means, and the
/// button that does it.
pub async fn confirm_delete(
    console: Console,
    client_id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    console.require("clients:write")?;
    let (client, _) = load(&console, &client_id).await?;
    let id = client.row.client_id;
    let page = ConfirmPage {
        nav: navigation::readable(&console.who),
        notice: None,
        error: None,
        csrf_token: &console.csrf_token,
        title: format!("Delete client {id}?"),
        consequences: vec![
            "Its refresh tokens and authorization codes are deleted, and the consents people gave it are forgotten.".into(),
            "Its access tokens stop working at Gatehouse at once.".into(),
            "This cannot be undone: registering it again gives it a new secret.".into(),
        ],
        action: format!("{}/delete", path(&id)),
        button: "Delete client".into(),
        cancel: path(&id),
    };
    console.page(StatusCode::OK, page.render())
}
