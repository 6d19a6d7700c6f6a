//! `gatehouse user …`: people who sign in. Every change goes through
//! `administration::users` as the operator, so it is audited.

use super::{
    CliError,
    args::{UserAddArgs, UserCommand, UserUpdateArgs},
    database::{as_operator, connect},
    read_stdin_secret,
};
use crate::accounts::AccountError;
use crate::accounts::users as accounts;
use crate::administration::users::{self, ProfileChange};
use crate::administration::views::users::{self as views, UserCursor, UserDetail, UserWithRoles};
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::db::Db;

pub fn run(settings: &Settings, now: i64, command: UserCommand) -> Result<(), CliError> {
    // Refused before the database is touched: nothing to roll back.
    if let UserCommand::Delete {
        username,
        yes: false,
    } = &command
    {
        return Err(CliError(format!(
            "not deleting {username}: this removes the user with their sessions, tokens, \
             roles and consents for good; run again with --yes to confirm"
        )));
    }
    let db = connect(settings)?;
    match command {
        UserCommand::Add(args) => add(settings, &db, now, args)?,
        UserCommand::Show { username } => show(&db, &username)?,
        UserCommand::Update(args) => update(&db, now, args)?,
        UserCommand::SetPassword { username, .. } => {
            let password = read_stdin_secret("password")?;
            // Hashed before the transaction, checked against the policy
            // for this user inside it.
            let hasher = PasswordHasher::new(&settings.passwords)?;
            let password = accounts::NewPassword::hash(password, &hasher)?;
            let policy = &settings.password_policy;
            as_operator(&db, |conn, actor| {
                users::set_password(conn, actor, &username, &password, policy, None, now)
            })?;
            println!("password set for {username}");
        }
        UserCommand::Disable { username } => {
            as_operator(&db, |conn, actor| {
                users::set_disabled(conn, actor, &username, true, now)
            })?;
            println!("disabled {username}: sessions ended, refresh tokens revoked");
        }
        UserCommand::Enable { username } => {
            as_operator(&db, |conn, actor| {
                users::set_disabled(conn, actor, &username, false, now)
            })?;
            println!("enabled {username}");
        }
        UserCommand::Unlock { username } => {
            as_operator(&db, |conn, actor| {
                users::unlock(conn, actor, &username, now)
            })?;
            println!("unlocked {username}: failed sign-ins no longer delay them");
        }
        UserCommand::Sessions { username } => sessions(settings, &db, now, &username)?,
        UserCommand::EndSessions { username } => {
            let ended = as_operator(&db, |conn, actor| {
                users::end_sessions(conn, actor, &username, None, now)
            })?;
            println!("ended {ended} session(s) of {username}");
        }
        UserCommand::ResetFactors { username } => {
            as_operator(&db, |conn, actor| {
                users::reset_factors(conn, actor, &username, now)
            })?;
            println!("removed the second factors of {username} and ended their sessions");
        }
        UserCommand::Delete { username, .. } => {
            as_operator(&db, |conn, actor| {
                users::delete(conn, actor, &username, now)
            })?;
            println!("deleted user {username} with their sessions, tokens, roles and consents");
        }
        UserCommand::List => list(&db)?,
    }
    Ok(())
}

fn add(settings: &Settings, db: &Db, now: i64, args: UserAddArgs) -> Result<(), CliError> {
    let password = if args.password_stdin {
        Some(read_stdin_secret("password")?)
    } else {
        None
    };
    let new = accounts::NewUser {
        username: args.username,
        email: args.email,
        email_verified: args.email_verified,
        name: args.name,
        roles: args.roles,
    };
    // Hashing is slow: done before the transaction holds a connection.
    let hasher = PasswordHasher::new(&settings.passwords)?;
    let row = accounts::prepare_user(
        &new,
        password.as_ref(),
        &hasher,
        &settings.password_policy,
        now,
    )?;
    as_operator(db, |conn, actor| {
        users::create(conn, actor, &row, &new.roles, now)
    })?;
    println!("created user {} (sub {})", row.username, row.id);
    if password.is_none() {
        println!(
            "no password set: use `gatehouse user set-password {} --password-stdin`",
            row.username
        );
    }
    Ok(())
}

fn update(db: &Db, now: i64, args: UserUpdateArgs) -> Result<(), CliError> {
    let change = ProfileChange {
        email: if args.no_email {
            Some(None)
        } else {
            args.email.map(Some)
        },
        email_verified: args.email_verified,
        name: if args.no_name {
            Some(None)
        } else {
            args.name.map(Some)
        },
    };
    let user = as_operator(db, |conn, actor| {
        users::update_profile(conn, actor, &args.username, change, now)
    })?;
    println!(
        "updated {}: email {}, email_verified {}, name {}",
        user.username,
        user.email.as_deref().unwrap_or("-"),
        user.email_verified,
        user.name.as_deref().unwrap_or("-")
    );
    Ok(())
}

/// The error an unknown username gets, as every other command gives it.
fn no_such_user(username: &str) -> CliError {
    AccountError::NotFound(format!("user {username:?}")).into()
}

fn show(db: &Db, username: &str) -> Result<(), CliError> {
    let UserWithRoles { user, roles } = db
        .run_blocking(|conn| views::with_roles(conn, username))?
        .ok_or_else(|| no_such_user(username))?;
    let fields: [(&str, String); 10] = [
        ("username", user.username.clone()),
        ("id", user.id.clone()),
        ("email", user.email.clone().unwrap_or_else(|| "-".into())),
        ("email_verified", user.email_verified.to_string()),
        ("name", user.name.clone().unwrap_or_else(|| "-".into())),
        ("disabled", user.disabled.to_string()),
        ("roles", or_dash(&roles.join(" "))),
        (
            "password",
            if user.password_hash.is_some() {
                "set"
            } else {
                "none"
            }
            .into(),
        ),
        ("created", crate::utc::rfc3339(user.created_at)),
        ("updated", crate::utc::rfc3339(user.updated_at)),
    ];
    for (label, value) in fields {
        println!("{label}: {value}");
    }
    Ok(())
}

fn or_dash(value: &str) -> String {
    if value.is_empty() {
        "-".into()
    } else {
        value.to_owned()
    }
}

/// Sessions that would still sign the user in, by the one liveness rule
/// the console and the admin API list them by.
fn sessions(settings: &Settings, db: &Db, now: i64, username: &str) -> Result<(), CliError> {
    let UserDetail { sessions: live, .. } = db
        .run_blocking(|conn| views::detail(conn, username, &settings.sessions, now))?
        .ok_or_else(|| no_such_user(username))?;
    if live.is_empty() {
        println!("{username} has no live sessions");
        return Ok(());
    }
    println!(
        "{:<44} {:<20} {:<20} EXPIRES",
        "SID", "AUTH_TIME", "LAST_SEEN"
    );
    for session in live {
        println!(
            "{:<44} {:<20} {:<20} {}",
            session.sid,
            crate::utc::rfc3339(session.auth_time),
            crate::utc::rfc3339(session.last_seen_at),
            crate::utc::rfc3339(session.expires_at)
        );
    }
    Ok(())
}

fn list(db: &Db) -> Result<(), CliError> {
    let mut cursor = UserCursor::Start;
    println!("{:<32} {:<36} {:<32} ROLES", "USERNAME", "SUB", "EMAIL");
    loop {
        let page = db.run_blocking(|conn| views::page(conn, None, &cursor, 500))?;
        for UserWithRoles { user: row, roles } in &page.users {
            let status = if row.disabled { " (disabled)" } else { "" };
            println!(
                "{:<32} {:<36} {:<32} {}{status}",
                row.username,
                row.id,
                row.email.as_deref().unwrap_or("-"),
                roles.join(",")
            );
        }
        match page.next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    Ok(())
}
