//! Whether a test that needs root may run, and the loud skip when it may not.

/// True when the run is CI's (`CI` is set to anything but `false` or empty).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

pub(crate) fn is_root() -> bool {
    // /proc/self/status has the effective uid as the second field of `Uid:`; reading it needs no
    // unsafe libc call.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().nth(1).map(str::to_owned))
        })
        .is_some_and(|euid| euid == "0")
}

/// Returns true when the caller runs as root and so may build namespaces and open raw sockets.
///
/// Outside CI, a caller that is not root gets `false` and a loud message on stderr naming the
/// test that is skipped. In CI (which runs as root) a missing privilege is a failure, never a
/// skip.
///
/// # Panics
///
/// Panics in CI when not running as root.
pub fn require_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        !in_ci(),
        "{test}: needs root (namespaces, raw sockets) and CI must run as root"
    );
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED {test}: not root. It needs namespaces and raw sockets.");
    eprintln!("!!! Run `sudo cargo xtask test` to include it; CI always does.");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    false
}
