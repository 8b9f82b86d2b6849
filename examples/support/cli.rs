//! What the recipe examples share: their command line and the embedded defaults' output
//! directory. Each example includes this file with `#[path]`; cargo builds no example from it.

use std::path::PathBuf;

/// `(flag, value)` pairs and the positional arguments of a command line.
pub(crate) type Split<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// The command line after the program name: `None` when it is empty (run the embedded
/// default). `-h` or `--help` anywhere prints `usage` and exits 0; an argument that is not
/// UTF-8 is an error (exit 2), not a panic.
pub(crate) fn args(usage: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) if a == "-h" || a == "--help" => {
                println!("{usage}");
                std::process::exit(0);
            }
            Ok(a) => args.push(a),
            Err(a) => {
                eprintln!("argument {} is not UTF-8\n{usage}", a.display());
                std::process::exit(2);
            }
        }
    }
    (!args.is_empty()).then_some(args)
}

/// Splits `args` into `(flag, value)` pairs for the flags in `with_value`, each followed by
/// its value, and the positional arguments. Any other `-…` is an error, as is a flag without
/// its value; both name the flag and end with `usage`.
pub(crate) fn split<'a>(
    args: &'a [String],
    with_value: &[&str],
    usage: &str,
) -> Result<Split<'a>, String> {
    let (mut flags, mut positional) = (Vec::new(), Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if with_value.contains(&arg.as_str()) {
            let value = args.next().ok_or(format!("{arg} needs a value\n{usage}"))?;
            flags.push((arg.as_str(), value.as_str()));
        } else if arg.starts_with('-') {
            return Err(format!("unknown option {arg}\n{usage}"));
        } else {
            positional.push(arg.as_str());
        }
    }
    Ok((flags, positional))
}

/// Where the embedded defaults write: `$OPSKIT_DEMO_DIR`, or the workspace's `target/demo`
/// (created if missing).
pub(crate) fn demo_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::var_os("OPSKIT_DEMO_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/demo"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
