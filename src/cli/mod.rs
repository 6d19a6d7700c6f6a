//! The `gatehouse` command line: `serve` and the administration commands.

mod args;
mod client_update;
mod clients;
mod database;
mod directory;
mod keys;
mod serve;
mod users;

use std::{io::Read, process::ExitCode, sync::Arc};

pub use args::Cli;
use args::Command;

use crate::clock::{Clock, SystemClock};
use crate::config::{Overrides, Settings};
use crate::secret::Secret;

/// A command failure: one readable line for the operator.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError(error.to_string())
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or_default();
    let overrides = Overrides {
        database_url: cli.database_url,
        listen: command.listen_override(),
        issuer: command.issuer_override(),
    };
    let settings = match Settings::load(cli.config.as_deref(), &overrides) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    if command.is_administrative() {
        // Which database a change lands in is the first thing to check
        // when the server does not see it.
        if let Ok(url) = settings.database_url() {
            eprintln!("gatehouse: using database {}", url.describe());
        }
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let outcome = match command {
        Command::Serve { .. } => serve::run(settings, clock),
        Command::Migrate => database::migrate(&settings),
        Command::Keys(command) => keys::run(settings, clock, command),
        Command::User(command) => users::run(&settings, clock.now(), command),
        Command::Role(command) => directory::role(&settings, clock.now(), command),
        Command::Api(command) => directory::api(&settings, clock.now(), command),
        Command::Permission(command) => directory::permission(&settings, clock.now(), command),
        Command::Client(command) => clients::run(&settings, clock.now(), command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a secret from standard input: the first line, without its newline.
pub(crate) fn read_stdin_secret(what: &str) -> Result<Secret<String>, CliError> {
    let mut input = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .map_err(|e| CliError(format!("cannot read the {what} from standard input: {e}")))?;
    let line = input.lines().next().unwrap_or_default().to_owned();
    if line.is_empty() {
        return Err(CliError(format!("no {what} on standard input")));
    }
    Ok(Secret::new(line))
}
