//! Entering a network namespace: a dedicated thread calls setns(2) on the namespace's file
//! under `/run/netns`, runs the closure there and ends. The calling thread never moves.

use std::fs::File;
use std::panic;
use std::path::PathBuf;

use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};

use super::error::{Error, Result};

/// The bind-mounted file of a named namespace (as `ip netns add` makes it).
pub(crate) fn netns_path(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}

/// Runs `f` on a new thread that has entered the network namespace named `name` (a name under
/// `/run/netns`, as `ip netns list` shows it).
///
/// Sockets that `f` creates belong to that namespace for their whole life, so `f` may return
/// them to the caller. Processes that `f` spawns start in that namespace too. A panic in `f` is
/// resumed on the calling thread.
///
/// # Errors
///
/// [`Error::Io`] when the namespace cannot be opened or entered (not root, no such namespace).
pub fn run_in_namespace<T, F>(name: &str, f: F) -> Result<T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    let path = netns_path(name);
    let file = File::open(&path)
        .map_err(|e| Error::io(format!("open network namespace {}", path.display()), &e))?;
    let joined = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name(format!("netns {name}"))
            .spawn_scoped(s, move || {
                move_into_link_name_space(
                    std::os::fd::AsFd::as_fd(&file),
                    Some(LinkNameSpaceType::Network),
                )
                .map_err(|e| {
                    Error::io(
                        format!("enter network namespace {name} (setns)"),
                        &std::io::Error::from(e),
                    )
                })?;
                drop(file);
                Ok(f())
            })
            .map_err(|e| Error::io(format!("spawn a thread for namespace {name}"), &e))
            .map(std::thread::ScopedJoinHandle::join)
    })?;
    match joined {
        Ok(result) => result,
        Err(payload) => panic::resume_unwind(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_namespace_is_an_io_error() {
        let err = run_in_namespace("tb-0-0-no-such-namespace", || 1).unwrap_err();
        assert!(
            matches!(&err, Error::Io { context, .. } if context.contains("/run/netns/tb-0-0-no-such-namespace")),
            "{err}"
        );
    }
}
