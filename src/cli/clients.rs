//! `gatehouse client …`: applications that ask for tokens. Every change
//! goes through `administration::clients` as the operator, so it is audited.

use super::{
    CliError,
    args::{ClientAddArgs, ClientCommand},
    database::{as_operator, connect},
    read_stdin_secret,
};
use crate::administration::{clients, views::clients as views};
use crate::config::Settings;
use crate::db::Db;
use crate::oauth::client_registration::ClientSpec;

pub fn run(settings: &Settings, now: i64, command: ClientCommand) -> Result<(), CliError> {
    // Refused before the database is touched, as `user delete` is.
    if let ClientCommand::Delete {
        client_id,
        yes: false,
    } = &command
    {
        return Err(CliError(format!(
            "not deleting {client_id}: this removes the client with its tokens and consents \
             for good, and its tokens stop working; run again with --yes to confirm"
        )));
    }
    let db = connect(settings)?;
    match command {
        ClientCommand::Add(args) => add(&db, now, args)?,
        ClientCommand::List => list(&db)?,
        ClientCommand::Show { client_id } => show(&db, &client_id)?,
        ClientCommand::Update(args) => super::client_update::run(&db, now, *args)?,
        ClientCommand::Disable { client_id } => {
            as_operator(&db, |conn, actor| {
                clients::set_disabled(conn, actor, &client_id, true, now)
            })?;
            println!("disabled client {client_id}");
        }
        ClientCommand::Enable { client_id } => {
            as_operator(&db, |conn, actor| {
                clients::set_disabled(conn, actor, &client_id, false, now)
            })?;
            println!("enabled client {client_id}");
        }
        ClientCommand::Delete { client_id, .. } => {
            as_operator(&db, |conn, actor| {
                clients::delete(conn, actor, &client_id, now)
            })?;
            println!("deleted client {client_id}");
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret = as_operator(&db, |conn, actor| {
                clients::rotate_secret(conn, actor, &client_id, now)
            })?;
            println!("client_secret: {}", secret.expose());
            println!(
                "Store it now: it is kept only as a hash and cannot be shown again. The old secret no longer works."
            );
        }
        ClientCommand::GrantRole { client_id, role } => {
            as_operator(&db, |conn, actor| {
                clients::grant_role(conn, actor, &client_id, &role, now)
            })?;
            println!("granted {role} to client {client_id}");
        }
        ClientCommand::RevokeRole { client_id, role } => {
            as_operator(&db, |conn, actor| {
                clients::revoke_role(conn, actor, &client_id, &role, now)
            })?;
            println!("revoked {role} from client {client_id}");
        }
    }
    Ok(())
}

fn add(db: &Db, now: i64, args: ClientAddArgs) -> Result<(), CliError> {
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
    let registered = as_operator(db, |conn, actor| clients::register(conn, actor, spec, now))?;
    println!("registered client {}", registered.client_id);
    match registered.secret {
        Some(secret) if !supplied => {
            println!("client_secret: {}", secret.expose());
            println!("Store it now: it is kept only as a hash and cannot be shown again.");
        }
        Some(_) => println!("client secret set from standard input"),
        None => println!("public client: no secret; PKCE is required"),
    }
    Ok(())
}

fn list(db: &Db) -> Result<(), CliError> {
    let rows = db.run_blocking(views::all)?;
    println!(
        "{:<32} {:<13} {:<6} {:<50} NAME",
        "CLIENT_ID", "TYPE", "STATE", "GRANTS"
    );
    for row in rows.iter().map(|client| &client.row) {
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
    Ok(())
}

/// One `label: value` line per field; lists are space-separated (URIs,
/// scopes and names hold no spaces), `-` when empty. Never the secret or
/// its hash.
fn show(db: &Db, client_id: &str) -> Result<(), CliError> {
    let Some(client) = db.run_blocking(|conn| views::one(conn, client_id))? else {
        return Err(CliError(format!("client {client_id:?} not found")));
    };
    let row = &client.row;
    let words = |values: &[String]| {
        if values.is_empty() {
            "-".to_owned()
        } else {
            values.join(" ")
        }
    };
    let fields: [(&str, String); 16] = [
        ("client_id", row.client_id.clone()),
        ("name", row.name.clone()),
        (
            "type",
            if row.is_public {
                "public"
            } else {
                "confidential"
            }
            .into(),
        ),
        ("disabled", row.disabled.to_string()),
        ("grant_types", row.grant_types.clone()),
        ("scopes", row.scopes.clone()),
        ("redirect_uris", words(&client.redirect_uris)),
        (
            "post_logout_redirect_uris",
            words(&client.post_logout_redirect_uris),
        ),
        ("resources", words(&client.resources)),
        ("introspect", words(&client.introspect_apis)),
        ("roles", words(&client.roles)),
        ("skip_consent", row.skip_consent.to_string()),
        (
            "id_token_alg",
            row.id_token_alg.clone().unwrap_or_else(|| "default".into()),
        ),
        (
            "backchannel_logout_uri",
            row.backchannel_logout_uri
                .clone()
                .unwrap_or_else(|| "-".into()),
        ),
        ("created", crate::utc::rfc3339(row.created_at)),
        ("updated", crate::utc::rfc3339(row.updated_at)),
    ];
    for (label, value) in fields {
        println!("{label}: {value}");
    }
    Ok(())
}
