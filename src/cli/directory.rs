//! `gatehouse role|api|permission …`: roles, APIs (token audiences) and
//! their permissions. Every change goes through `administration` as the
//! operator, so it is audited.

use super::{
    CliError,
    args::{ApiCommand, PermissionCommand, RoleCommand},
    database::{as_operator, connect},
};
use crate::administration::views::directory as views;
use crate::administration::{directory, users};
use crate::config::Settings;

pub fn role(settings: &Settings, now: i64, command: RoleCommand) -> Result<(), CliError> {
    let db = connect(settings)?;
    match command {
        RoleCommand::Add { name, description } => {
            let row = as_operator(&db, |conn, actor| {
                directory::create_role(conn, actor, &name, &description, now)
            })?;
            println!("created role {}", row.name);
        }
        RoleCommand::Grant { role, username } => {
            as_operator(&db, |conn, actor| {
                users::grant_role(conn, actor, &username, &role, now)
            })?;
            println!("granted {role} to {username}");
        }
        RoleCommand::Allow {
            role,
            api,
            permission,
        } => {
            as_operator(&db, |conn, actor| {
                directory::allow(conn, actor, &role, &api, &permission, now)
            })?;
            println!("role {role} may now use {permission} on {api}");
        }
        RoleCommand::Disallow {
            role,
            api,
            permission,
        } => {
            as_operator(&db, |conn, actor| {
                directory::disallow(conn, actor, &role, &api, &permission, now)
            })?;
            println!("role {role} no longer grants {permission} on {api}");
        }
        RoleCommand::Revoke { role, username } => {
            as_operator(&db, |conn, actor| {
                users::revoke_role(conn, actor, &username, &role, now)
            })?;
            println!("revoked {role} from {username}");
        }
        RoleCommand::Remove { name } => {
            as_operator(&db, |conn, actor| {
                directory::delete_role(conn, actor, &name, now)
            })?;
            println!("removed role {name} and its grants");
        }
        RoleCommand::RequireMfa { role, off } => {
            as_operator(&db, |conn, actor| {
                directory::require_mfa(conn, actor, &role, !off, now)
            })?;
            if off {
                println!("role {role} no longer requires a second factor");
            } else {
                println!(
                    "role {role} requires a second factor: its holders enrol one at their next sign-in"
                );
            }
        }
        RoleCommand::List => {
            for role in db.run_blocking(views::roles)? {
                let grants: Vec<String> = role
                    .permissions
                    .iter()
                    .map(|(api, p)| format!("{api}:{p}"))
                    .collect();
                let mfa = if role.row.require_mfa {
                    " [requires MFA]"
                } else {
                    ""
                };
                println!("{:<24} {}{mfa}", role.row.name, grants.join(" "));
            }
        }
    }
    Ok(())
}

pub fn api(settings: &Settings, now: i64, command: ApiCommand) -> Result<(), CliError> {
    let db = connect(settings)?;
    match command {
        ApiCommand::Add { identifier, name } => {
            let row = as_operator(&db, |conn, actor| {
                directory::create_api(conn, actor, &identifier, name.as_deref(), now)
            })?;
            println!("created API {} ({})", row.identifier, row.name);
        }
        ApiCommand::Remove { identifier } => {
            as_operator(&db, |conn, actor| {
                directory::remove_api(conn, actor, &identifier, now)
            })?;
            println!("removed API {identifier} with its permissions");
        }
        ApiCommand::List => {
            for api in db.run_blocking(views::apis)? {
                println!(
                    "{:<40} {:<28} {}",
                    api.row.identifier,
                    api.row.name,
                    api.permissions.join(" ")
                );
            }
        }
    }
    Ok(())
}

pub fn permission(
    settings: &Settings,
    now: i64,
    command: PermissionCommand,
) -> Result<(), CliError> {
    let db = connect(settings)?;
    match command {
        PermissionCommand::Add { api, permission } => {
            let row = as_operator(&db, |conn, actor| {
                directory::add_permission(conn, actor, &api, &permission, now)
            })?;
            println!("added permission {} to {api}", row.name);
        }
        PermissionCommand::Remove { api, permission } => {
            as_operator(&db, |conn, actor| {
                directory::remove_permission(conn, actor, &api, &permission, now)
            })?;
            println!("removed permission {permission} from {api}; no role grants it now");
        }
        PermissionCommand::List { api } => {
            for permission in db.run_blocking(|conn| views::permissions_of_api(conn, &api))? {
                println!("{permission}");
            }
        }
    }
    Ok(())
}
