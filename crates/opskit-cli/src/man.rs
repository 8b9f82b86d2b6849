//! `opskit man`: roff manual pages generated from the CLI's own definition.

use std::path::PathBuf;

use crate::error::{Error, Exit, Result};

/// Print the opskit(1) manual page, or write every page to a directory.
///
/// With `--out DIR`, writes `opskit.1` and one `opskit-<subcommand>.1` per subcommand, ready for
/// `/usr/local/share/man/man1`. Without it, prints `opskit.1` to standard output
/// (try `opskit man | man -l -`).
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Write opskit.1 and one page per subcommand into this directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, command: clap::Command) -> Result<Exit> {
    let mut command = command;
    command.build();
    match &args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Error::io("rendering the manual page", e))?;
            crate::error::write_stdout(&page)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            write_pages(&command, dir)?;
        }
    }
    Ok(Exit::SUCCESS)
}

/// Writes one page per command, recursively. Unlike `clap_mangen::generate_to`, skips clap's
/// generated `help` subcommands, whose pages would only repeat the real ones.
fn write_pages(command: &clap::Command, dir: &std::path::Path) -> Result<()> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name());
    let path = dir.join(format!("{name}.1"));
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(|e| Error::io("rendering a manual page", e))?;
    std::fs::write(&path, page).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, dir)?;
    }
    Ok(())
}
