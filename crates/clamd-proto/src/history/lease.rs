//! The lease on a running run: how a management host tells that a run of *another* host, on
//! a history they share, was cut short. Its pid means nothing here, so the owner renews a
//! heartbeat on each of its running runs; a run whose heartbeat is older than its lease is
//! taken for dead by whoever opens the history next.
//!
//! Heartbeats are written, and leases judged, with the database's own clock (`Dialect::now`),
//! so that clocks that differ between management hosts do not matter.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Error, Result};

/// The lease of a run when none is given: renewed every 75 s, so that a run of a management
/// host that died is marked incomplete by the others at most five minutes after its last
/// heartbeat.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// The shortest lease: renewed four times within it, so once a second.
pub const MIN_LEASE: Duration = Duration::from_secs(4);

/// The longest lease: one day.
pub const MAX_LEASE: Duration = Duration::from_secs(86_400);

/// How often a lease is renewed: four times within it, so that three heartbeats can be late
/// (a stalled database, a busy host) before the run is taken for dead.
pub(super) fn renew_every(lease: Duration) -> Duration {
    lease / 4
}

/// Refuses a lease outside [`MIN_LEASE`] to [`MAX_LEASE`].
pub(super) fn check(lease: Duration) -> Result<Duration> {
    if (MIN_LEASE..=MAX_LEASE).contains(&lease) {
        Ok(lease)
    } else {
        Err(Error::Config(format!(
            "a history lease of {lease:?} is outside {MIN_LEASE:?} to {MAX_LEASE:?}"
        )))
    }
}

/// A thread that calls `renew` every interval until it is dropped.
#[derive(Debug)]
pub(super) struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts the thread; `renew` returns `false` when there is nothing left to renew for
    /// (its history is gone), which ends it.
    pub(super) fn start(every: Duration, mut renew: impl FnMut() -> bool + Send + 'static) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("opskit-history-lease".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if !renew() {
                        break;
                    }
                }
            })
            .ok();
        if thread.is_none() {
            // Without the thread the runs still end normally; only another host's judgement
            // of a dead run depends on it.
            tracing::warn!("no thread for the history's lease heartbeats");
        }
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once.
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::{DEFAULT_LEASE, Heartbeat, MAX_LEASE, MIN_LEASE, check, renew_every};

    #[test]
    fn leases_are_bounded_and_renewed_four_times_within() {
        assert!(check(DEFAULT_LEASE).is_ok());
        assert!(check(MIN_LEASE).is_ok() && check(MAX_LEASE).is_ok());
        assert!(check(Duration::from_millis(3999)).is_err());
        assert!(check(MAX_LEASE + Duration::from_secs(1)).is_err());
        assert_eq!(
            renew_every(Duration::from_secs(300)),
            Duration::from_secs(75)
        );
    }

    fn wait_for(n: &AtomicUsize, at_least: usize) {
        let until = Instant::now() + Duration::from_secs(10);
        while n.load(Ordering::SeqCst) < at_least {
            assert!(Instant::now() < until, "fewer than {at_least} heartbeats");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A heartbeat every `every` that counts its renewals and answers `go_on`.
    fn counting(every: Duration, go_on: bool) -> (Heartbeat, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&n);
        let beat = Heartbeat::start(every, move || {
            seen.fetch_add(1, Ordering::SeqCst);
            go_on
        });
        (beat, n)
    }

    #[test]
    fn the_heartbeat_renews_until_dropped_and_stops_when_told() {
        let (beat, n) = counting(Duration::from_millis(5), true);
        wait_for(&n, 3);
        drop(beat);
        let after = n.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(n.load(Ordering::SeqCst), after, "renewed after the drop");

        // A renewal that says its history is gone ends the thread, and the drop still joins.
        let (beat, once) = counting(Duration::from_millis(1), false);
        wait_for(&once, 1);
        std::thread::sleep(Duration::from_millis(30));
        drop(beat);
        assert_eq!(once.load(Ordering::SeqCst), 1);
    }
}
