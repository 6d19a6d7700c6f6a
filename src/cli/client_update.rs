//! `gatehouse client update ID …`: edit a registered client through
//! `administration::clients::update`, as the operator (audited).

use clap::{ArgGroup, Args};

use super::{CliError, database::as_operator};
use crate::administration::clients::{self, ClientChange};
use crate::crypto::SigningAlgorithm;
use crate::db::Db;
use crate::oauth::{GrantType, client_update::RegistrationChange};

/// `--id-token-alg`: an algorithm, or `default` for the server's.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenAlg(Option<SigningAlgorithm>);

impl std::str::FromStr for IdTokenAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "default" {
            return Ok(Self(None));
        }
        s.parse::<SigningAlgorithm>()
            .map(|alg| Self(Some(alg)))
            .map_err(|e| format!("{e}, or default"))
    }
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args([
            "add_redirect_uris", "remove_redirect_uris",
            "add_post_logout_redirect_uris", "remove_post_logout_redirect_uris",
            "add_grants", "remove_grants", "add_scopes", "remove_scopes",
            "add_resources", "remove_resources", "add_introspect", "remove_introspect",
            "add_roles", "remove_roles", "name", "skip_consent", "id_token_alg",
            "backchannel_logout_uri", "no_backchannel_logout_uri", "drop_consents",
        ])
))]
pub struct ClientUpdateArgs {
    pub client_id: String,
    /// Allow another redirect URI (repeatable).
    #[arg(long = "add-redirect-uri", value_name = "URI")]
    pub add_redirect_uris: Vec<String>,
    /// Stop allowing a redirect URI (repeatable).
    #[arg(long = "remove-redirect-uri", value_name = "URI")]
    pub remove_redirect_uris: Vec<String>,
    /// Allow another post-logout redirect URI (repeatable).
    #[arg(long = "add-post-logout-redirect-uri", value_name = "URI")]
    pub add_post_logout_redirect_uris: Vec<String>,
    /// Stop allowing a post-logout redirect URI (repeatable).
    #[arg(long = "remove-post-logout-redirect-uri", value_name = "URI")]
    pub remove_post_logout_redirect_uris: Vec<String>,
    /// Allow another grant (repeatable).
    #[arg(long = "add-grant", value_name = "GRANT")]
    pub add_grants: Vec<GrantType>,
    /// Stop allowing a grant (repeatable).
    #[arg(long = "remove-grant", value_name = "GRANT")]
    pub remove_grants: Vec<GrantType>,
    /// Allow another scope (repeatable).
    #[arg(long = "add-scope", value_name = "S")]
    pub add_scopes: Vec<String>,
    /// Stop allowing a scope (repeatable).
    #[arg(long = "remove-scope", value_name = "S")]
    pub remove_scopes: Vec<String>,
    /// Let the client ask tokens for another API (repeatable); it comes
    /// after the APIs it has, so the default audience stays.
    #[arg(long = "add-resource", value_name = "API")]
    pub add_resources: Vec<String>,
    /// Stop the client asking tokens for an API (repeatable).
    #[arg(long = "remove-resource", value_name = "API")]
    pub remove_resources: Vec<String>,
    /// Let the client introspect another API's tokens (repeatable).
    #[arg(long = "add-introspect", value_name = "API")]
    pub add_introspect: Vec<String>,
    /// Stop the client introspecting an API's tokens (repeatable).
    #[arg(long = "remove-introspect", value_name = "API")]
    pub remove_introspect: Vec<String>,
    /// Give the client's service account a role (repeatable).
    #[arg(long = "add-role", value_name = "ROLE")]
    pub add_roles: Vec<String>,
    /// Take a role from the client's service account (repeatable).
    #[arg(long = "remove-role", value_name = "ROLE")]
    pub remove_roles: Vec<String>,
    /// The new display name (empty: the client id).
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    /// Whether the consent page is skipped (first-party clients).
    #[arg(long, value_name = "true|false")]
    pub skip_consent: Option<bool>,
    /// ID token algorithm: RS256, ES256, EdDSA, or default.
    #[arg(long, value_name = "ALG")]
    pub id_token_alg: Option<IdTokenAlg>,
    /// The new OIDC back-channel logout URI.
    #[arg(long, value_name = "URI", conflicts_with = "no_backchannel_logout_uri")]
    pub backchannel_logout_uri: Option<String>,
    /// Send no back-channel logout tokens any more.
    #[arg(long)]
    pub no_backchannel_logout_uri: bool,
    /// Forget the consents people gave the client: each is asked again.
    /// Nothing else drops them.
    #[arg(long)]
    pub drop_consents: bool,
}

impl From<ClientUpdateArgs> for ClientChange {
    fn from(args: ClientUpdateArgs) -> Self {
        let backchannel_logout_uri = if args.no_backchannel_logout_uri {
            Some(None)
        } else {
            args.backchannel_logout_uri.map(Some)
        };
        ClientChange {
            registration: RegistrationChange {
                name: args.name,
                add_redirect_uris: args.add_redirect_uris,
                remove_redirect_uris: args.remove_redirect_uris,
                add_post_logout_redirect_uris: args.add_post_logout_redirect_uris,
                remove_post_logout_redirect_uris: args.remove_post_logout_redirect_uris,
                add_grant_types: args.add_grants,
                remove_grant_types: args.remove_grants,
                add_scopes: args.add_scopes,
                remove_scopes: args.remove_scopes,
                add_resources: args.add_resources,
                remove_resources: args.remove_resources,
                add_introspect: args.add_introspect,
                remove_introspect: args.remove_introspect,
                skip_consent: args.skip_consent,
                id_token_alg: args.id_token_alg.map(|IdTokenAlg(alg)| alg),
                backchannel_logout_uri,
            },
            add_roles: args.add_roles,
            remove_roles: args.remove_roles,
            drop_consents: args.drop_consents,
        }
    }
}

pub fn run(db: &Db, now: i64, args: ClientUpdateArgs) -> Result<(), CliError> {
    let client_id = args.client_id.clone();
    let drop_consents = args.drop_consents;
    let change = ClientChange::from(args);
    let id = client_id.clone();
    as_operator(db, move |conn, actor| {
        clients::update(conn, actor, &id, change, now)
    })?;
    println!("updated client {client_id}");
    if drop_consents {
        println!("consents dropped: everyone is asked again");
    }
    println!("(the secret is unchanged; `gatehouse client show {client_id}` shows the client)");
    Ok(())
}
