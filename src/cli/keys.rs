use std::sync::Arc;

use super::{CliError, args::KeysCommand};
use crate::administration::views;
use crate::administration::{self, Actor};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::SigningAlgorithm;
use crate::startup::{build_state_on, connect_existing_database, key_policy, require_master_key};

pub fn run(
    settings: Settings,
    clock: Arc<dyn Clock>,
    command: KeysCommand,
) -> Result<(), CliError> {
    let policy = key_policy(&settings);
    let db = connect_existing_database(&settings)?;
    require_master_key(&settings)?;
    let state = build_state_on(db, settings, clock.clone())?;
    let now = clock.now();
    match command {
        KeysCommand::List => {
            let keys = state
                .db
                .run_blocking(|conn| views::keys::list(conn, policy, now))?;
            // The last column is not padded: no trailing blanks. SIGNS_UNTIL
            // is when the key stops signing (a scheduled retirement is in
            // the future while the key is still active), or "-".
            println!(
                "{:<45} {:<6} {:<8} {:<20} {:<20} SIGNS_UNTIL",
                "KID", "ALG", "STATE", "CREATED", "SIGNS_FROM"
            );
            for key in keys {
                let signs_until = match (key.retired_at, key.revoked_at) {
                    (Some(retired), Some(revoked)) => Some(retired.min(revoked)),
                    (retired, revoked) => retired.or(revoked),
                };
                println!(
                    "{:<45} {:<6} {:<8} {:<20} {:<20} {}",
                    key.kid,
                    key.alg,
                    key.state,
                    crate::utc::rfc3339(key.created_at),
                    crate::utc::rfc3339(key.activates_at),
                    signs_until
                        .map(crate::utc::rfc3339)
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        KeysCommand::Rotate {
            alg,
            now: immediately,
        } => {
            let algs: Vec<SigningAlgorithm> = match alg {
                Some(alg) => vec![alg],
                None => SigningAlgorithm::ALL.to_vec(),
            };
            for alg in algs {
                let keys = state.keys.clone();
                let kid = state.db.transaction_blocking(|conn| {
                    administration::keys::rotate(
                        conn,
                        &Actor::Operator,
                        &keys,
                        alg,
                        immediately,
                        now,
                    )
                })?;
                let when = if immediately {
                    "now".to_owned()
                } else {
                    format!(
                        "at {}",
                        crate::utc::rfc3339(now + policy.publish_ahead_secs)
                    )
                };
                println!("{alg}: new key {kid} (published now, signs {when})");
            }
        }
        KeysCommand::Retire { kid } => {
            let keys = state.keys.clone();
            let replacement = state.db.transaction_blocking(|conn| {
                administration::keys::retire(conn, &Actor::Operator, &keys, &kid, now)
            })?;
            println!(
                "retired {kid}: it no longer signs and stays published until its tokens expire"
            );
            if let Some(new) = replacement {
                println!("new key {new} signs in its place from now");
            }
        }
        KeysCommand::Revoke { kid } => {
            let keys = state.keys.clone();
            let revocation = state.db.transaction_blocking(|conn| {
                administration::keys::revoke(conn, &Actor::Operator, &keys, &kid, now)
            })?;
            if revocation.already_revoked {
                println!("{kid} was already revoked: nothing changed");
            } else {
                println!(
                    "revoked {kid} ({}): it is no longer published and every token it signed is refused",
                    revocation.alg
                );
                if let Some(new) = revocation.replacement {
                    println!("new key {new} signs {} tokens from now", revocation.alg);
                }
            }
        }
    }
    Ok(())
}
