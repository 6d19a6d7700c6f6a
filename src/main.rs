use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    gatehouse::cli::run(gatehouse::cli::Cli::parse())
}
