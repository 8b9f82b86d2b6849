//! A state directory of its own for each opskit run of the tests: every scan is recorded in
//! the default history (`$XDG_STATE_HOME/opskit/history.sqlite`), and the tests run in
//! parallel, so none may share one SQLite file or write the machine's own history.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A new, empty directory for `XDG_STATE_HOME`, writable by every user (some tests run
/// opskit as `nobody`), under the tests' target directory.
pub(crate) fn state_home() -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("opskit-cli-state")
        .join(format!("{}-{n}", std::process::id()));
    // A directory left by an earlier test process of the same pid would hold its runs.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a state directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
        .expect("open the state directory to nobody");
    dir
}

/// `opskit` with a state directory of its own.
pub(crate) fn opskit_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opskit"));
    c.env("XDG_STATE_HOME", state_home());
    c
}
