//! The thread that starts the fixtures' daemons, so that the kernel kills them when the test
//! process dies.

use std::io;
use std::process::Child;
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};

/// Starts a child process.
pub(crate) type Start = Box<dyn FnOnce() -> io::Result<Child> + Send>;

type Request = (Start, mpsc::Sender<io::Result<Child>>);

/// Runs `start` on a thread that lives as long as the process. Daemons are started through
/// `setpriv --pdeathsig KILL`, and the kernel's parent-death signal follows the thread that
/// forked, so a test thread (which ends before its fixture must) cannot be the one. This
/// kills the daemon even when the process is killed without unwinding, with no unsafe code
/// of ours.
pub(crate) fn spawn_kept(start: Start) -> io::Result<Child> {
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let sender = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("testbed-keeper".into())
            .spawn(move || {
                for (start, reply) in rx {
                    let _ = reply.send(start());
                }
                // The channel is held by a static, so this thread never ends; park it in case.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawning the testbed keeper thread");
        Mutex::new(tx)
    });
    let gone = || io::Error::other("the testbed keeper thread is gone");
    let (tx, rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send((start, tx))
        .map_err(|_| gone())?;
    rx.recv().map_err(|_| gone())?
}
