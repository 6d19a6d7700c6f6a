use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::crypto::SigningAlgorithm;
use crate::oauth::GrantType;

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "An OAuth 2.0 / OpenID Connect identity provider"
)]
pub struct Cli {
    /// A TOML file layered over the built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// postgres://… or sqlite://PATH (overrides the configuration).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider (the default when no command is given).
    Serve {
        /// Address to listen on, such as 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// The issuer URL, byte for byte (no trailing slash).
        #[arg(long, value_name = "URL")]
        issuer: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// People who sign in.
    #[command(subcommand)]
    User(UserCommand),
    /// Roles, and who holds them.
    #[command(subcommand)]
    Role(RoleCommand),
    /// APIs (token audiences).
    #[command(subcommand)]
    Api(ApiCommand),
    /// Permissions on an API.
    #[command(subcommand)]
    Permission(PermissionCommand),
    /// Applications that ask for tokens.
    #[command(subcommand)]
    Client(ClientCommand),
}

impl Default for Command {
    fn default() -> Self {
        Command::Serve {
            listen: None,
            issuer: None,
        }
    }
}

impl Command {
    pub fn listen_override(&self) -> Option<String> {
        match self {
            Command::Serve { listen, .. } => listen.clone(),
            _ => None,
        }
    }

    /// Everything but `serve` and `migrate`: commands that work on an
    /// existing database and may not create one.
    pub fn is_administrative(&self) -> bool {
        !matches!(self, Command::Serve { .. } | Command::Migrate)
    }

    pub fn issuer_override(&self) -> Option<String> {
        match self {
            Command::Serve { issuer, .. } => issuer.clone(),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys with their algorithm and state.
    List,
    /// Create a new signing key. It is published at once and starts signing
    /// after the JWKS cache lifetime, when the previous key retires.
    Rotate {
        /// Only this algorithm (RS256, ES256 or EdDSA); default: all.
        #[arg(long, value_name = "ALG")]
        alg: Option<SigningAlgorithm>,
        /// Sign with the new key at once (the old one still verifies its
        /// tokens; for a leaked key, `keys revoke` it).
        #[arg(long)]
        now: bool,
    },
    /// Stop a key signing now; it stays published, and its tokens valid,
    /// until they expire.
    Retire {
        /// Kids are base64url and may start with `-`.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Revoke a leaked key: it leaves the JWKS and every token it signed is
    /// refused at once (on every server within 2 s). Makes a replacement
    /// that signs at once if it was its algorithm's only signer.
    Revoke {
        /// Kids are base64url and may start with `-`.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add(UserAddArgs),
    /// Show a user: id (the `sub`), email, name, state and roles.
    Show { username: String },
    /// Change a user's email address, whether it is verified, or their name.
    Update(UserUpdateArgs),
    /// Set a user's password, read from standard input.
    SetPassword {
        username: String,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Stop a user signing in: ends their sessions, revokes their refresh tokens.
    Disable { username: String },
    /// Let a disabled user sign in again.
    Enable { username: String },
    /// Lift the sign-in throttle on a user's account after failed attempts.
    Unlock { username: String },
    /// List a user's live sessions (times in UTC).
    Sessions { username: String },
    /// End every live session of a user (with back-channel logout).
    EndSessions { username: String },
    /// Remove a user's second factors (authenticator app, recovery codes)
    /// and end their sessions, for someone who lost them.
    ResetFactors { username: String },
    /// Delete a user with their sessions, tokens, roles and consents.
    Delete {
        username: String,
        /// Confirm the deletion; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
    /// List users.
    List,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["email", "no_email", "email_verified", "name", "no_name"])
))]
pub struct UserUpdateArgs {
    pub username: String,
    /// The new email address.
    #[arg(long, value_name = "E", conflicts_with = "no_email")]
    pub email: Option<String>,
    /// Remove the email address.
    #[arg(long)]
    pub no_email: bool,
    /// Whether the email address is verified.
    #[arg(long, value_name = "true|false")]
    pub email_verified: Option<bool>,
    /// The new display name.
    #[arg(long, value_name = "N", conflicts_with = "no_name")]
    pub name: Option<String>,
    /// Remove the display name.
    #[arg(long)]
    pub no_name: bool,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    pub username: String,
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Mark the email address as verified.
    #[arg(long)]
    pub email_verified: bool,
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    /// Grant a role (repeatable), such as `admin`.
    #[arg(long = "role", value_name = "R")]
    pub roles: Vec<String>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role.
    Add {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Give a role to a user.
    Grant { role: String, username: String },
    /// Let a role use a permission on an API.
    Allow {
        role: String,
        api: String,
        permission: String,
    },
    /// Stop a role granting a permission on an API.
    Disallow {
        role: String,
        api: String,
        permission: String,
    },
    /// Take a role away from a user.
    Revoke { role: String, username: String },
    /// Delete a role and every grant of it.
    Remove { name: String },
    /// Require people holding the role to sign in with a second factor
    /// (they enrol one at their next sign-in); `--off` stops requiring it.
    RequireMfa {
        role: String,
        #[arg(long)]
        off: bool,
    },
    /// List roles with their permissions.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Register an API; its identifier becomes the token `aud`.
    Add {
        identifier: String,
        #[arg(long, value_name = "N")]
        name: Option<String>,
    },
    /// Delete an API with its permissions and their grants.
    Remove { identifier: String },
    /// List APIs with their permissions.
    List,
}

#[derive(Debug, Subcommand)]
pub enum PermissionCommand {
    /// Add a permission to an API.
    Add { api: String, permission: String },
    /// Delete a permission from an API; every role stops granting it.
    Remove { api: String, permission: String },
    /// List an API's permissions.
    List { api: String },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client. Confidential clients get a secret, printed once.
    Add(ClientAddArgs),
    /// List clients.
    List,
    /// Show everything registered for a client except its secret.
    Show { client_id: String },
    /// Change a client: add or remove redirect URIs, APIs, grants, scopes,
    /// roles…; the secret and the consents given stay unless asked.
    Update(Box<super::client_update::ClientUpdateArgs>),
    /// Give a role to a client (its service account).
    GrantRole { client_id: String, role: String },
    /// Take a role away from a client.
    RevokeRole { client_id: String, role: String },
    /// Stop a client: no new tokens, no refreshes, no introspection.
    Disable { client_id: String },
    /// Let a disabled client work again.
    Enable { client_id: String },
    /// Delete a client with its tokens and consents.
    Delete {
        client_id: String,
        /// Confirm the deletion; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
    /// Replace a confidential client's secret (printed once).
    RotateSecret { client_id: String },
}

#[derive(Debug, Args)]
pub struct ClientAddArgs {
    pub client_id: String,
    /// Allowed redirect URI, matched exactly (repeatable).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    /// A public client (browser or native app): no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// Allowed grant (repeatable); default authorization_code.
    #[arg(long = "grant", value_name = "GRANT")]
    pub grants: Vec<GrantType>,
    /// Allowed scope (repeatable); default: all the standard OIDC scopes.
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// API the client may ask tokens for (repeatable); the first is the default audience.
    #[arg(long = "resource", value_name = "API")]
    pub resources: Vec<String>,
    /// API whose access tokens this client may introspect, as its resource
    /// server (repeatable).
    #[arg(long = "introspect", value_name = "API")]
    pub introspect: Vec<String>,
    /// Allowed post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// First-party client: no consent page.
    #[arg(long)]
    pub skip_consent: bool,
    /// ID token algorithm for this client (RS256, ES256 or EdDSA).
    #[arg(long, value_name = "ALG")]
    pub id_token_alg: Option<SigningAlgorithm>,
    /// OIDC back-channel logout URI.
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// Read the secret from standard input instead of generating one.
    #[arg(long)]
    pub secret_stdin: bool,
}
