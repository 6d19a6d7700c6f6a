//! `PATCH /admin/api/v1/clients/{client_id}`: edit a client through
//! `administration::clients::update`, the function `gatehouse client
//! update` and the console's client page call.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    caller::Admin,
    clients::{ClientView, view},
    deferred::Deferred,
    error::{ApiError, ErrorBody},
};
use crate::administration::clients::{self as administration, ClientChange};
use crate::crypto::SigningAlgorithm;
use crate::oauth::{GrantType, client_update::RegistrationChange};

/// What to change; every field is optional. Adding what the client has
/// already changes nothing; removing what it does not have is an error.
/// The secret never changes here, and the consents people gave the client
/// stay unless `drop_consents` is true.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateClientBody {
    /// Empty: the client id is shown as the name.
    pub name: Option<String>,
    pub add_redirect_uris: Vec<String>,
    pub remove_redirect_uris: Vec<String>,
    pub add_post_logout_redirect_uris: Vec<String>,
    pub remove_post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials
    pub add_grant_types: Vec<String>,
    pub remove_grant_types: Vec<String>,
    pub add_scopes: Vec<String>,
    pub remove_scopes: Vec<String>,
    /// API identifiers; added ones come after the client's others, so the
    /// default audience (the first) stays.
    pub add_resources: Vec<String>,
    pub remove_resources: Vec<String>,
    pub add_introspect: Vec<String>,
    pub remove_introspect: Vec<String>,
    pub add_roles: Vec<String>,
    pub remove_roles: Vec<String>,
    pub skip_consent: Option<bool>,
    /// RS256, ES256 or EdDSA; empty: the server's default.
    pub id_token_alg: Option<String>,
    /// Empty: no back-channel logout.
    pub backchannel_logout_uri: Option<String>,
    pub drop_consents: bool,
}

fn grants(names: &[String]) -> Result<Vec<GrantType>, ApiError> {
    names
        .iter()
        .map(|g| g.parse::<GrantType>())
        .collect::<Result<_, _>>()
        .map_err(ApiError::Invalid)
}

impl TryFrom<UpdateClientBody> for ClientChange {
    type Error = ApiError;

    fn try_from(body: UpdateClientBody) -> Result<Self, ApiError> {
        let id_token_alg = body
            .id_token_alg
            .map(|alg| match alg.trim() {
                "" => Ok(None),
                alg => alg.parse::<SigningAlgorithm>().map(Some),
            })
            .transpose()
            .map_err(ApiError::Invalid)?;
        Ok(ClientChange {
            registration: RegistrationChange {
                name: body.name,
                add_redirect_uris: body.add_redirect_uris,
                remove_redirect_uris: body.remove_redirect_uris,
                add_post_logout_redirect_uris: body.add_post_logout_redirect_uris,
                remove_post_logout_redirect_uris: body.remove_post_logout_redirect_uris,
                add_grant_types: grants(&body.add_grant_types)?,
                remove_grant_types: grants(&body.remove_grant_types)?,
                add_scopes: body.add_scopes,
                remove_scopes: body.remove_scopes,
                add_resources: body.add_resources,
                remove_resources: body.remove_resources,
                add_introspect: body.add_introspect,
                remove_introspect: body.remove_introspect,
                skip_consent: body.skip_consent,
                id_token_alg,
                backchannel_logout_uri: body.backchannel_logout_uri.map(Some),
            },
            add_roles: body.add_roles,
            remove_roles: body.remove_roles,
            drop_consents: body.drop_consents,
        })
    }
}

#[utoipa::path(patch, path = "/admin/api/v1/clients/{client_id}", tag = "clients", request_body = UpdateClientBody,
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    admin: Admin,
    client_id: web::Path<String>,
    body: Deferred<web::Json<UpdateClientBody>>,
) -> Result<HttpResponse, ApiError> {
    admin.require("clients:write")?;
    let change = ClientChange::try_from(body.get()?.into_inner())?;
    let client_id = client_id.into_inner();
    let id = client_id.clone();
    admin
        .change(move |conn, actor, now| administration::update(conn, actor, &id, change, now))
        .await?;
    Ok(HttpResponse::Ok().json(view(&admin, client_id).await?))
}
