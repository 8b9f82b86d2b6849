//! `opskit completions <shell>`: a shell completion script generated from the CLI's own
//! definition, so it can never drift from the flags.

use clap_complete::Shell;

use crate::error::{Exit, Result};

/// Print a completion script for a shell.
///
/// Install it where the shell looks, for example
/// `opskit completions bash > /etc/bash_completion.d/opskit`,
/// `opskit completions zsh > "${fpath[1]}/_opskit"` or
/// `opskit completions fish > ~/.config/fish/completions/opskit.fish`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The shell to generate the script for.
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn run(args: &Args, mut command: clap::Command) -> Result<Exit> {
    let mut script = Vec::new();
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    crate::error::write_stdout(&script)?;
    Ok(Exit::SUCCESS)
}
