//! Running commands as named steps, so a failure says which step broke.

use std::path::Path;
use std::process::Command;

/// A `cargo` command in the workspace root, with the same toolchain that runs xtask.
pub(crate) fn cargo(root: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(root);
    cmd
}

/// One named command of a task.
pub(crate) struct Step {
    name: String,
    cmd: Command,
}

impl Step {
    pub(crate) fn new(name: &str, cmd: Command) -> Self {
        Self {
            name: name.to_owned(),
            cmd,
        }
    }

    /// Sets an environment variable for the command.
    pub(crate) fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs the command with inherited output; a non-zero exit is an error naming the step.
    pub(crate) fn run(mut self) -> Result<(), String> {
        println!("\n>>> xtask step: {} ({:?})", self.name, self.cmd);
        let status = self
            .cmd
            .status()
            .map_err(|e| format!("step `{}`: could not start {:?}: {e}", self.name, self.cmd))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("step `{}` failed: {status}", self.name))
        }
    }
}

/// Runs a command quietly and tells whether it succeeded (for "is it installed?" probes).
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
