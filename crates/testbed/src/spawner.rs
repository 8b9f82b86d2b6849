//! Starting daemons (clamd, stunnel) so that they die with the test process.
//!
//! A daemon is started through `setpriv --pdeathsig KILL`, from a spawner thread that lives as
//! long as the process: the kernel's parent-death signal follows the thread that forked, so a
//! test thread, which may end before the fixture it made, must not be the one. The daemon is
//! then killed even when the process dies without unwinding, with no unsafe code of ours.

use std::io;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type SpawnRequest = (
    Box<dyn FnOnce() -> io::Result<Child> + Send>,
    mpsc::Sender<io::Result<Child>>,
);

/// Runs `start` (which spawns the daemon) on the spawner thread and returns its child.
pub(crate) fn spawn(
    start: impl FnOnce() -> io::Result<Child> + Send + 'static,
) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("testbed-spawner".into())
            .spawn(move || {
                for (start, reply) in rx {
                    let _ = reply.send(start());
                }
                // The channel is held by a static, so this thread never ends; park it in case.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawning the testbed's spawner thread");
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .send((Box::new(start), tx))
        .map_err(|_| io::Error::other("the testbed's spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("the testbed's spawner thread is gone"))?
}

/// A command that runs `program` with the parent-death signal KILL, when `setpriv` exists.
pub(crate) fn command(program: &Path) -> Command {
    if Path::new("/usr/bin/setpriv").exists() {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--pdeathsig", "KILL", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The error of a daemon that exited during start-up, with the tail of its log: of kind
/// `AddrInUse` when it lost the race for its port, so that the caller retries with another.
pub(crate) fn exited(daemon: &str, status: ExitStatus, log: &str) -> io::Error {
    let kind = if log.contains("Address already in use") {
        io::ErrorKind::AddrInUse
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(
        kind,
        format!(
            "{daemon} exited during start-up ({status}); log tail:\n{}",
            tail(log)
        ),
    )
}

/// The last 20 lines of a log, for errors.
pub(crate) fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
