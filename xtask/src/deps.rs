//! Dependency boundaries that the crate docs promise, checked from `cargo tree`.

use std::path::Path;

use crate::run::cargo;

/// Crates that must never be in a crate's normal dependencies: `(crate, forbidden, why)`.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "tcptrace",
        "maxminddb",
        "a user who only traces compiles no MMDB reader",
    ),
    (
        "tcptrace",
        "asn-lookup",
        "the AS resolvers depend on tcptrace, never the other way",
    ),
    (
        "clamd-proto",
        "rustls",
        "TLS is the `tls` feature's: a user without it compiles no TLS",
    ),
    (
        "opskit-cli",
        "aws-lc-rs",
        "TLS is rustls on its ring provider: no aws-lc C/cmake build",
    ),
    (
        "clamd-proto",
        "rusqlite",
        "a user who only scans compiles no database (the history is feature `history`)",
    ),
    (
        "clamd-proto",
        "postgres",
        "a user who only scans links no PostgreSQL client (feature `history-postgres`)",
    ),
];

/// Fails when a crate's normal dependency tree holds a crate it must not.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    for &(krate, forbidden, why) in FORBIDDEN {
        println!("\n>>> xtask step: {krate} does not depend on {forbidden}");
        let out = cargo(
            root,
            &["tree", "-p", krate, "-e", "normal", "--prefix", "none"],
        )
        .output()
        .map_err(|e| format!("cargo tree -p {krate}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo tree -p {krate} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let tree = String::from_utf8_lossy(&out.stdout);
        if let Some(line) = offending(&tree, forbidden) {
            return Err(format!("{krate} depends on {line} ({why})"));
        }
    }
    Ok(())
}

/// The line of `tree` (`cargo tree --prefix none` output) that names crate `name`.
fn offending<'a>(tree: &'a str, name: &str) -> Option<&'a str> {
    tree.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::offending;

    #[test]
    fn finds_a_crate_by_its_name_only() {
        let tree =
            "tcptrace v0.1.0 (/w/crates/tcptrace)\nmaxminddb v0.32.0\nmaxminddb-extra v1.0.0\n";
        assert_eq!(offending(tree, "maxminddb"), Some("maxminddb v0.32.0"));
        assert_eq!(offending(tree, "asn-lookup"), None);
        assert_eq!(offending("maxminddb-extra v1.0.0\n", "maxminddb"), None);
    }
}
