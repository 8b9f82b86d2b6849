//! Under construction.

use std::process::ExitCode;

/// Arguments.
#[derive(clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> ExitCode {
    eprintln!("opskit: this subcommand is not built yet");
    ExitCode::from(2)
}
