//! Directory commands: users, roles, APIs, permissions, clients.

use std::time::Duration;

use super::{
    CliError,
    args::{ApiCommand, ClientCommand, PermissionCommand, RoleCommand, UserCommand},
    read_stdin_secret,
};
use crate::accounts::{apis, roles, users};
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::db::{self, Db};
use crate::oauth::client_registration::{self, ClientSpec};
use crate::startup::connect_database;

fn database(settings: &Settings) -> Result<Db, CliError> {
    Ok(connect_database(settings)?)
}

pub fn migrate(settings: &Settings) -> Result<(), CliError> {
    let url = settings.database_url()?;
    let db = Db::connect(
        &url,
        1,
        Duration::from_secs(settings.database.connect_timeout_secs),
    )?;
    let applied = db.run_blocking(db::run_migrations)?;
    println!("{applied} migration(s) applied");
    Ok(())
}

pub fn user(settings: Settings, now: i64, command: UserCommand) -> Result<(), CliError> {
    let db = database(&settings)?;
    match command {
        UserCommand::Add(args) => {
            let password = if args.password_stdin {
                Some(read_stdin_secret("password")?)
            } else {
                None
            };
            let hasher = PasswordHasher::new(&settings.passwords)?;
            let new = users::NewUser {
                username: args.username,
                email: args.email,
                email_verified: args.email_verified,
                name: args.name,
                roles: args.roles,
            };
            let row = users::prepare_user(&new, password.as_ref(), &hasher, now)?;
            db.transaction_blocking(|conn| Ok(users::insert_user(conn, &row, &new.roles)))??;
            println!("created user {} (sub {})", row.username, row.id);
            if password.is_none() {
                println!(
                    "no password set: use `gatehouse user set-password {} --password-stdin`",
                    row.username
                );
            }
        }
        UserCommand::SetPassword { username, .. } => {
            let password = read_stdin_secret("password")?;
            let hasher = PasswordHasher::new(&settings.passwords)?;
            let hash = hasher.hash(&password)?;
            db.run_blocking(|conn| {
                Ok(users::find(conn, &username)
                    .and_then(|user| Ok(db::users::set_password_hash(conn, &user.id, &hash, now)?)))
            })??;
            println!("password set for {username}");
        }
        UserCommand::Disable { username } => {
            db.transaction_blocking(|conn| Ok(users::set_disabled(conn, &username, true, now)))??;
            println!("disabled {username}: sessions ended, refresh tokens revoked");
        }
        UserCommand::Enable { username } => {
            db.transaction_blocking(|conn| Ok(users::set_disabled(conn, &username, false, now)))??;
            println!("enabled {username}");
        }
        UserCommand::List => {
            let mut after: Option<String> = None;
            println!("{:<32} {:<36} {:<32} ROLES", "USERNAME", "SUB", "EMAIL");
            loop {
                let cursor = after.clone();
                let page = db.run_blocking(|conn| {
                    let rows = db::users::list(conn, cursor.as_deref(), 500)?;
                    rows.into_iter()
                        .map(|row| Ok((db::users::role_names(conn, &row.id)?, row)))
                        .collect::<Result<Vec<_>, db::DbError>>()
                })?;
                let Some((_, last)) = page.last() else { break };
                after = Some(last.username.clone());
                for (roles, row) in &page {
                    let status = if row.disabled { " (disabled)" } else { "" };
                    println!(
                        "{:<32} {:<36} {:<32} {}{status}",
                        row.username,
                        row.id,
                        row.email.as_deref().unwrap_or("-"),
                        roles.join(",")
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn role(settings: &Settings, now: i64, command: RoleCommand) -> Result<(), CliError> {
    let db = database(settings)?;
    match command {
        RoleCommand::Add { name, description } => {
            let row =
                db.run_blocking(|conn| Ok(roles::create(conn, &name, &description, now)))??;
            println!("created role {}", row.name);
        }
        RoleCommand::Grant { role, username } => {
            db.run_blocking(|conn| Ok(roles::grant_to_user(conn, &role, &username)))??;
            println!("granted {role} to {username}");
        }
        RoleCommand::Allow {
            role,
            api,
            permission,
        } => {
            db.run_blocking(|conn| Ok(roles::allow(conn, &role, &api, &permission)))??;
            println!("role {role} may now use {permission} on {api}");
        }
        RoleCommand::Revoke { role, username } => {
            db.run_blocking(|conn| Ok(roles::revoke_from_user(conn, &role, &username)))??;
            println!("revoked {role} from {username}");
        }
        RoleCommand::Remove { name } => {
            db.run_blocking(|conn| Ok(roles::remove(conn, &name)))??;
            println!("removed role {name} and its grants");
        }
        RoleCommand::List => {
            let listing = db.run_blocking(|conn| {
                db::roles::list(conn)?
                    .into_iter()
                    .map(|role| Ok((db::roles::permissions_of(conn, &role.id)?, role)))
                    .collect::<Result<Vec<_>, db::DbError>>()
            })?;
            for (permissions, role) in listing {
                let grants: Vec<String> = permissions
                    .iter()
                    .map(|(api, p)| format!("{api}:{p}"))
                    .collect();
                println!("{:<24} {}", role.name, grants.join(" "));
            }
        }
    }
    Ok(())
}

pub fn api(settings: &Settings, now: i64, command: ApiCommand) -> Result<(), CliError> {
    let db = database(settings)?;
    match command {
        ApiCommand::Add { identifier, name } => {
            let row =
                db.run_blocking(|conn| Ok(apis::create(conn, &identifier, name.as_deref(), now)))??;
            println!("created API {} ({})", row.identifier, row.name);
        }
        ApiCommand::Remove { identifier } => {
            db.run_blocking(|conn| Ok(apis::remove(conn, &identifier)))??;
            println!("removed API {identifier} with its permissions");
        }
        ApiCommand::List => {
            let listing = db.run_blocking(|conn| {
                db::apis::list(conn)?
                    .into_iter()
                    .map(|api| Ok((db::apis::permissions_of(conn, &api.id)?, api)))
                    .collect::<Result<Vec<_>, db::DbError>>()
            })?;
            for (permissions, api) in listing {
                let names: Vec<&str> = permissions.iter().map(|p| p.name.as_str()).collect();
                println!(
                    "{:<40} {:<28} {}",
                    api.identifier,
                    api.name,
                    names.join(" ")
                );
            }
        }
    }
    Ok(())
}

pub fn permission(settings: &Settings, command: PermissionCommand) -> Result<(), CliError> {
    let db = database(settings)?;
    match command {
        PermissionCommand::Add { api, permission } => {
            db.run_blocking(|conn| Ok(apis::add_permission(conn, &api, &permission)))??;
            println!("added permission {permission} to {api}");
        }
    }
    Ok(())
}

pub fn client(settings: &Settings, now: i64, command: ClientCommand) -> Result<(), CliError> {
    let db = database(settings)?;
    match command {
        ClientCommand::Add(args) => {
            let secret = if args.secret_stdin {
                Some(read_stdin_secret("client secret")?)
            } else {
                None
            };
            let scopes = if args.scopes.is_empty() {
                crate::oauth::scope::SUPPORTED_SCOPES
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            } else {
                args.scopes
            };
            let spec = ClientSpec {
                client_id: args.client_id,
                name: args.name,
                public: args.public,
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                grant_types: args.grants,
                scopes,
                resources: args.resources,
                introspect: args.introspect,
                skip_consent: args.skip_consent,
                id_token_alg: args.id_token_alg,
                backchannel_logout_uri: args.backchannel_logout_uri,
                secret,
            };
            let supplied = spec.secret.is_some();
            let registered = db.transaction_blocking(|conn| {
                Ok(client_registration::register(conn, spec, now))
            })??;
            println!("registered client {}", registered.client_id);
            match registered.secret {
                Some(secret) if !supplied => {
                    println!("client_secret: {}", secret.expose());
                    println!("Store it now: it is kept only as a hash and cannot be shown again.");
                }
                Some(_) => println!("client secret set from standard input"),
                None => println!("public client: no secret; PKCE is required"),
            }
        }
        ClientCommand::List => {
            let rows = db.run_blocking(db::clients::list)?;
            println!(
                "{:<32} {:<13} {:<6} {:<50} NAME",
                "CLIENT_ID", "TYPE", "STATE", "GRANTS"
            );
            for row in rows {
                let kind = if row.is_public {
                    "public"
                } else {
                    "confidential"
                };
                let state = if row.disabled { "off" } else { "on" };
                println!(
                    "{:<32} {:<13} {:<6} {:<50} {}",
                    row.client_id, kind, state, row.grant_types, row.name
                );
            }
        }
        ClientCommand::Disable { client_id } => {
            db.run_blocking(|conn| {
                Ok(client_registration::set_disabled(
                    conn, &client_id, true, now,
                ))
            })??;
            println!("disabled client {client_id}");
        }
        ClientCommand::Enable { client_id } => {
            db.run_blocking(|conn| {
                Ok(client_registration::set_disabled(
                    conn, &client_id, false, now,
                ))
            })??;
            println!("enabled client {client_id}");
        }
        ClientCommand::Delete { client_id } => {
            db.run_blocking(|conn| Ok(client_registration::delete(conn, &client_id)))??;
            println!("deleted client {client_id}");
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret = db.run_blocking(|conn| {
                Ok(client_registration::rotate_secret(conn, &client_id, now))
            })??;
            println!("client_secret: {}", secret.expose());
            println!(
                "Store it now: it is kept only as a hash and cannot be shown again. The old secret no longer works."
            );
        }
        ClientCommand::GrantRole { client_id, role } => {
            db.run_blocking(|conn| Ok(roles::grant_to_client(conn, &role, &client_id)))??;
            println!("granted {role} to client {client_id}");
        }
    }
    Ok(())
}
