//! Builds every cargo-fuzz target and runs each for a few seconds on its seed corpus.

use std::path::Path;
use std::process::Command;

use crate::run::Step;

/// How long each target runs in `cargo xtask test`.
pub(crate) const SECONDS: u32 = 10;

pub(crate) fn run(root: &Path, seconds: u32) -> Result<(), String> {
    let dir = root.join("fuzz");
    let mut targets: Vec<String> = std::fs::read_dir(dir.join("fuzz_targets"))
        .map_err(|e| format!("listing fuzz targets: {e}"))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    targets.sort();
    let fuzz = |args: &[&str]| {
        let mut cmd = Command::new("cargo");
        // cargo-fuzz passes nightly-only sanitizer flags; the stable toolchain accepts them
        // this way, and it is the only toolchain this project's machines have.
        cmd.arg("fuzz")
            .args(args)
            .current_dir(&dir)
            .env("RUSTC_BOOTSTRAP", "1");
        cmd
    };
    Step::new("fuzz build", fuzz(&["build"])).run()?;
    let time = format!("-max_total_time={seconds}");
    for t in &targets {
        Step::new(&format!("fuzz {t}"), fuzz(&["run", t, "--", &time])).run()?;
    }
    Ok(())
}
