//! SIGTERM and SIGINT in `opskit scan`: the daemon's stop and a one-shot scan's interruption
//! share the listener, the signals' names and the line that closes a cut run.

use std::io::Write as _;

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::error::{Error, Result};

/// The exit status of a one-shot scan stopped by SIGTERM or SIGINT: apart from clamdscan's
/// 0, 1 and 2, so that a script can tell a cut run from a finished one.
pub(super) const INTERRUPTED: u8 = 3;

/// Calls `on` with each of `signals` as it comes, on a thread of its own, until it returns
/// false or the handle is closed.
pub(super) fn listen(
    signals: &[i32],
    mut on: impl FnMut(i32) -> bool + Send + 'static,
) -> Result<signal_hook::iterator::Handle> {
    let mut signals = signal_hook::iterator::Signals::new(signals)
        .map_err(|e| Error::io("installing the signal handlers", e))?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for s in signals.forever() {
            if !on(s) {
                break;
            }
        }
    });
    Ok(handle)
}

/// The name of a stopping signal.
pub(super) fn name(sig: i32) -> &'static str {
    if sig == SIGINT { "SIGINT" } else { "SIGTERM" }
}

/// The line that follows the results of a run cut short by `sig`.
pub(super) fn cut_line(sig: i32) -> String {
    format!(
        "run interrupted by {}: the results above are what it received; the rest of it was \
         not scanned",
        name(sig)
    )
}

/// Runs `work`, a one-shot scan, on a thread of its own. When SIGTERM or SIGINT comes
/// before it ends, `stop` is called with the signal on this thread while `work` still runs
/// (it must keep `work` from printing or recording anything more), and the process then
/// exits with [`INTERRUPTED`]; a second signal exits at once, even while `stop` runs.
pub(super) fn run_or_stop<T: Send>(
    work: impl FnOnce() -> T + Send,
    stop: impl FnOnce(i32),
) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::channel::<Option<i32>>();
    let signal_tx = tx.clone();
    let mut seen = false;
    let handle = listen(&[SIGTERM, SIGINT], move |s| {
        if std::mem::replace(&mut seen, true) {
            // Not eprintln!: a closed standard error must not keep the process alive.
            let _ = writeln!(
                std::io::stderr(),
                "opskit: {}: a second signal: exiting at once",
                name(s)
            );
            std::process::exit(INTERRUPTED.into());
        }
        signal_tx.send(Some(s)).is_ok()
    })?;
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let r = work();
            let _ = tx.send(None);
            r
        });
        if let Ok(Some(sig)) = rx.recv() {
            // Exits even if `stop` panics: the scope would otherwise wait for `work`.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stop(sig)));
            let _ = writeln!(std::io::stderr(), "opskit: {}: stopped", name(sig));
            std::process::exit(INTERRUPTED.into());
        }
        handle.close();
        match worker.join() {
            Ok(r) => Ok(r),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
