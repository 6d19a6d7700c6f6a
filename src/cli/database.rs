//! The database as the command line uses it: connecting, migrating, and
//! making one administrative change as the operator.

use std::time::Duration;

use super::CliError;
use crate::accounts::AccountError;
use crate::administration::Actor;
use crate::config::Settings;
use crate::db::{self, Db, DbConnection};
use crate::startup::connect_existing_database;

/// Connects to a database `serve` or `migrate` has set up; never creates
/// one or migrates it (see `startup::connect_existing_database`).
pub fn connect(settings: &Settings) -> Result<Db, CliError> {
    Ok(connect_existing_database(settings)?)
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

/// Runs one administration operation as the operator in its own
/// transaction, so the change and its audit event (actor "cli") are stored
/// together, and a rule that says no — such as "an enabled administrator
/// remains" — rolls the change back.
pub fn as_operator<T>(
    db: &Db,
    change: impl FnOnce(&mut DbConnection, &Actor) -> Result<T, AccountError>,
) -> Result<T, CliError> {
    Ok(db.transaction_blocking(|conn| change(conn, &Actor::Operator))?)
}
