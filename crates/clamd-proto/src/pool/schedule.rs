//! The pool's scheduling decisions, without I/O: which host gets the next file, what a dead
//! host's unfinished file becomes, when a dead host is probed and rejoins, and when the run
//! has nothing left to do.
//!
//! The driver calls, in a loop: [`Scheduler::handle_file`] while [`Scheduler::wants_files`]
//! (files of the walk, in order), [`Scheduler::poll_assign`] until it gives `None` (each
//! assignment goes to that host's connection slot), [`Scheduler::handle_timeout`] and then
//! [`Scheduler::poll_probe`] until `None` (each host to PING), then waits, until
//! [`Scheduler::poll_timeout`] at most, for a slot to finish ([`Scheduler::handle_done`] or
//! [`Scheduler::handle_failed`]) or a probe to answer ([`Scheduler::handle_probe`]).
//! [`Scheduler::drain`] takes the queued files back when nothing more may be sent (every host
//! given up, or the run's deadline). The run is over when the walk is done and
//! [`Scheduler::is_empty`] holds: hosts still down are not waited for.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use super::health::HostHealth;
pub(crate) use super::health::{Health, Probed, Retry};

/// A file of the run, numbered in the walk's order.
pub(crate) type FileId = usize;

/// One file the scheduler holds: queued or in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Work {
    pub(crate) id: FileId,
    pub(crate) path: PathBuf,
    /// Its size when the walk met it: the work it adds to the host it is sent to.
    pub(crate) bytes: u64,
    /// Hosts that died while this file was in flight on them.
    pub(crate) attempts: usize,
}

/// A file given to a host's connection slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub(crate) host: usize,
    pub(crate) slot: usize,
    pub(crate) work: Work,
}

/// What became of a file whose host failed while it was in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Queued again, first in line, for another host (or this one once it is back); the
    /// file's path.
    Requeued(PathBuf),
    /// Not sent again: it has been in flight on `max_attempts` hosts that died, or every
    /// host is given up. The file is final, with the failure.
    GaveUp(Work),
}

/// A file in flight, with the epoch of its host when it was sent.
#[derive(Debug, Clone)]
struct Flight {
    work: Work,
    epoch: u32,
}

/// One host's load and state.
#[derive(Debug, Clone)]
struct Load {
    health: HostHealth,
    /// Connection slots with nothing in flight.
    free: Vec<usize>,
    in_flight: Vec<Flight>,
    bytes: u64,
    /// When the host last got a file, to break ties in turn.
    last: u64,
}

/// The pool's sans-IO core. Balances by bytes in flight: INSTREAM and FILDES cost a host
/// time in proportion to the bytes it reads and scans, so the next file goes to the live host
/// with a free slot and the fewest bytes outstanding (then the fewest files, then the one
/// that waited longest).
///
/// A file is in flight on one slot of one host at a time, and leaves it only by that slot's
/// answer or failure: this is what keeps every file scanned once, also when a host goes down
/// and comes back while some of its slots are still busy with files sent before.
#[derive(Debug)]
pub(crate) struct Scheduler {
    hosts: Vec<Load>,
    queue: VecDeque<Work>,
    /// Hosts whose retry time came, to be probed by the driver.
    probes: VecDeque<usize>,
    retry: Retry,
    max_pending: usize,
    max_attempts: usize,
    clock: u64,
    /// When no host may get more files (the run's deadline passed).
    closed: bool,
}

impl Scheduler {
    /// `slots` connections per host; at most `max_pending` files queued and in flight
    /// together; a file is given up after `max_attempts` hosts died with it in flight; a
    /// host that fails is probed again as `retry` says.
    pub(crate) fn new(
        hosts: usize,
        slots: usize,
        max_pending: usize,
        max_attempts: usize,
        retry: Retry,
    ) -> Self {
        let load = Load {
            health: HostHealth::default(),
            free: (0..slots).rev().collect(),
            in_flight: Vec::new(),
            bytes: 0,
            last: 0,
        };
        Self {
            hosts: vec![load; hosts],
            queue: VecDeque::new(),
            probes: VecDeque::new(),
            retry,
            max_pending,
            max_attempts,
            clock: 0,
            closed: false,
        }
    }

    /// Files queued and in flight.
    pub(crate) fn pending(&self) -> usize {
        self.queue.len() + self.hosts.iter().map(|h| h.in_flight.len()).sum::<usize>()
    }

    /// Whether another file of the walk may be taken now: a host is up and the pending files
    /// are below the limit. While every host is down the walk waits: a host that comes back
    /// finds the files already queued.
    pub(crate) fn wants_files(&self) -> bool {
        !self.closed && self.any_up() && self.pending() < self.max_pending
    }

    /// Whether files may still be sent somewhere, now or once a host is back.
    pub(crate) fn accepting(&self) -> bool {
        !self.closed && self.hosts.iter().any(|h| !h.health.is_gone())
    }

    /// Whether some host takes files now.
    pub(crate) fn any_up(&self) -> bool {
        self.hosts.iter().any(|h| h.health.is_up())
    }

    /// File `id` of the walk, `bytes` long, to be sent after those queued before it.
    pub(crate) fn handle_file(&mut self, id: FileId, path: PathBuf, bytes: u64) {
        self.queue.push_back(Work {
            id,
            path,
            bytes,
            attempts: 0,
        });
    }

    /// The next file for a free slot, or `None` when nothing is queued or no live host has a
    /// free slot.
    #[must_use]
    pub(crate) fn poll_assign(&mut self) -> Option<Assignment> {
        if self.closed || self.queue.is_empty() {
            return None;
        }
        let host = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.health.is_up() && !h.free.is_empty())
            .min_by_key(|(_, h)| (h.bytes, h.in_flight.len(), h.last))
            .map(|(i, _)| i)?;
        let work = self.queue.pop_front()?;
        self.clock += 1;
        let h = &mut self.hosts[host];
        let slot = h.free.pop()?;
        h.bytes += work.bytes;
        h.last = self.clock;
        h.in_flight.push(Flight {
            work: work.clone(),
            epoch: h.health.epoch(),
        });
        Some(Assignment { host, slot, work })
    }

    fn take(&mut self, host: usize, slot: usize, id: FileId) -> Option<Flight> {
        let h = self.hosts.get_mut(host)?;
        let at = h.in_flight.iter().position(|f| f.work.id == id)?;
        let flight = h.in_flight.swap_remove(at);
        h.bytes -= flight.work.bytes;
        h.free.push(slot);
        Some(flight)
    }

    /// The host answered the file (a verdict, or a failure of the file itself): it is final
    /// and never sent again. `None` if it was not in flight there.
    pub(crate) fn handle_done(&mut self, host: usize, slot: usize, id: FileId) -> Option<Work> {
        let flight = self.take(host, slot, id)?;
        self.hosts[host].health.answered(flight.epoch);
        Some(flight.work)
    }

    /// The host failed at `now` with the file in flight (refused, reset, deadline): the host
    /// is down until a probe finds it back, and the file goes to another host unless it has
    /// used its attempts or every host is given up. Returns whether this failure took the
    /// host down (it was up, and the file was sent since its last rejoin), and what became
    /// of the file; `None` if it was not in flight there.
    pub(crate) fn handle_failed(
        &mut self,
        host: usize,
        slot: usize,
        id: FileId,
        now: Instant,
    ) -> Option<(bool, AfterFailure)> {
        let Flight { mut work, epoch } = self.take(host, slot, id)?;
        let went_down = self.hosts[host].health.fail(epoch, now, &self.retry);
        work.attempts += 1;
        if work.attempts < self.max_attempts && self.accepting() {
            let path = work.path.clone();
            self.queue.push_front(work);
            Some((went_down, AfterFailure::Requeued(path)))
        } else {
            Some((went_down, AfterFailure::GaveUp(work)))
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due: the earliest retry of a
    /// host that is down; `None` when none is waiting (or the run is closed).
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        self.hosts.iter().filter_map(|h| h.health.retry_at()).min()
    }

    /// The time is `now`: every host whose retry time came is to be probed
    /// ([`poll_probe`](Self::poll_probe)).
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for (i, h) in self.hosts.iter_mut().enumerate() {
            if h.health.due(now) {
                self.probes.push_back(i);
            }
        }
    }

    /// The next host to probe (PING); its answer goes to
    /// [`handle_probe`](Self::handle_probe).
    #[must_use]
    pub(crate) fn poll_probe(&mut self) -> Option<usize> {
        self.probes.pop_front()
    }

    /// Host `host`'s probe answered (`ok`) or failed at `now`. A host back up takes files
    /// at once; `None` if no probe was asked of it.
    pub(crate) fn handle_probe(&mut self, host: usize, ok: bool, now: Instant) -> Option<Probed> {
        let retry = self.retry;
        self.hosts.get_mut(host)?.health.probed(ok, now, &retry)
    }

    /// No host gets more files, and none is probed, from now on (the run's deadline passed).
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.probes.clear();
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes back every queued file, in order, once nothing more may be sent; empty while a
    /// host may still take files and the run is open.
    pub(crate) fn drain(&mut self) -> Vec<Work> {
        if self.accepting() {
            return Vec::new();
        }
        self.queue.drain(..).collect()
    }

    /// Whether nothing is in flight.
    pub(crate) fn is_idle(&self) -> bool {
        self.hosts.iter().all(|h| h.in_flight.is_empty())
    }

    /// Whether nothing is queued or in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.is_idle()
    }

    /// Where `host` stands.
    pub(crate) fn health(&self, host: usize) -> Option<Health> {
        self.hosts.get(host).map(|h| h.health.health())
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    /// A scheduler whose failed hosts are never probed, as before retries existed.
    fn no_retry(hosts: usize, slots: usize, pending: usize, attempts: usize) -> Scheduler {
        let retry = Retry {
            first: SEC,
            max: SEC,
            probes: 0,
        };
        Scheduler::new(hosts, slots, pending, attempts, retry)
    }

    /// Probes after 1 s, 2 s, 4 s (capped at 4 s), up to `probes` failed in a row.
    fn retrying(hosts: usize, slots: usize, probes: usize) -> Scheduler {
        let retry = Retry {
            first: SEC,
            max: 4 * SEC,
            probes,
        };
        Scheduler::new(hosts, slots, 100, 3, retry)
    }

    fn feed(s: &mut Scheduler, sizes: &[u64]) {
        for (i, &b) in sizes.iter().enumerate() {
            s.handle_file(i, PathBuf::from(format!("/f{i}")), b);
        }
    }

    fn all(s: &mut Scheduler) -> Vec<Assignment> {
        std::iter::from_fn(|| s.poll_assign()).collect()
    }

    #[test]
    fn the_next_file_goes_to_the_host_with_the_fewest_bytes_in_flight() {
        let mut s = no_retry(2, 2, 100, 3);
        feed(&mut s, &[1000, 10, 10, 10]);
        let a = all(&mut s);
        // The big file to host 0, then host 1 takes small files until its bytes pass host
        // 0's or its slots run out.
        let hosts: Vec<usize> = a.iter().map(|a| a.host).collect();
        assert_eq!(hosts, [0, 1, 1, 0]);
        assert!(s.poll_assign().is_none(), "every slot is busy");
        // Host 1 finishes one file: the next goes to it, the least loaded.
        s.handle_file(4, "/f4".into(), 10);
        assert!(s.handle_done(1, a[1].slot, a[1].work.id).is_some());
        assert_eq!(s.poll_assign().map(|a| a.host), Some(1));
        // Files are answered once: a second answer for the same file is refused.
        assert!(s.handle_done(1, a[1].slot, a[1].work.id).is_none());
    }

    #[test]
    fn a_dead_hosts_file_is_requeued_first_and_the_host_gets_nothing_more() {
        let now = Instant::now();
        let mut s = no_retry(2, 1, 100, 3);
        feed(&mut s, &[1, 1, 1]);
        let a = all(&mut s);
        assert_eq!(a.len(), 2);
        let on0 = &a[0];
        assert_eq!(
            s.handle_failed(0, on0.slot, on0.work.id, now),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        assert_eq!(s.health(0), Some(Health::Gone));
        // Host 1 is busy; once free, it gets the requeued file before the queued one.
        assert!(s.poll_assign().is_none());
        s.handle_done(1, a[1].slot, a[1].work.id);
        let next = s.poll_assign().unwrap();
        assert_eq!((next.host, next.work.id, next.work.attempts), (1, 0, 1));
        assert_eq!(s.pending(), 2);
    }

    #[test]
    fn with_every_host_down_the_queue_is_given_back_and_nothing_is_lost() {
        let now = Instant::now();
        let mut s = no_retry(2, 1, 100, 3);
        feed(&mut s, &[1, 1, 1, 1]);
        let a = all(&mut s);
        assert!(s.drain().is_empty(), "hosts are up");
        assert_eq!(
            s.handle_failed(0, a[0].slot, a[0].work.id, now),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        // The last host dies: its file has nowhere to go.
        let Some((true, AfterFailure::GaveUp(w))) =
            s.handle_failed(1, a[1].slot, a[1].work.id, now)
        else {
            panic!("the file should be given up");
        };
        assert_eq!(w.id, a[1].work.id);
        assert!(!s.wants_files());
        let back: Vec<FileId> = s.drain().into_iter().map(|w| w.id).collect();
        assert_eq!(back, [0, 2, 3]);
        assert!(s.is_empty());
    }

    #[test]
    fn a_file_that_kills_its_hosts_is_given_up_after_its_attempts() {
        let now = Instant::now();
        let mut s = no_retry(3, 1, 100, 2);
        feed(&mut s, &[1]);
        let a = s.poll_assign().unwrap();
        assert_eq!(
            s.handle_failed(a.host, a.slot, a.work.id, now),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        let b = s.poll_assign().unwrap();
        assert_ne!(a.host, b.host);
        assert!(matches!(
            s.handle_failed(b.host, b.slot, b.work.id, now),
            Some((true, AfterFailure::GaveUp(_)))
        ));
        assert!(s.accepting(), "the third host is still up");
    }

    #[test]
    fn pending_work_is_bounded_and_closing_stops_assignments() {
        let mut s = no_retry(1, 1, 2, 3);
        assert!(s.wants_files());
        feed(&mut s, &[1, 1]);
        assert!(!s.wants_files());
        let a = s.poll_assign().unwrap();
        s.close();
        assert!(s.poll_assign().is_none());
        assert_eq!(s.drain().len(), 1);
        assert!(!s.is_idle());
        s.handle_done(0, a.slot, a.work.id);
        assert!(s.is_empty());
    }

    #[test]
    fn a_dead_host_is_probed_after_its_backoff_rejoins_and_takes_only_new_files() {
        let t0 = Instant::now();
        let mut s = retrying(2, 1, 3);
        feed(&mut s, &[1, 1, 1, 1]);
        let a = all(&mut s);
        assert_eq!(a.len(), 2);
        let Some((true, AfterFailure::Requeued(_))) =
            s.handle_failed(a[0].host, a[0].slot, a[0].work.id, t0)
        else {
            panic!("host {} should go down, its file requeued", a[0].host);
        };
        let dead = a[0].host;
        assert!(matches!(s.health(dead), Some(Health::Down { .. })));
        assert_eq!(s.poll_timeout(), Some(t0 + SEC));
        // Before its time nothing is probed, and it gets no file.
        s.handle_timeout(t0 + SEC / 2);
        assert_eq!(s.poll_probe(), None);
        assert!(
            s.poll_assign().is_none(),
            "the live host is busy, the dead one waits"
        );
        // The live host takes the moved file first.
        s.handle_done(a[1].host, a[1].slot, a[1].work.id);
        let moved = s.poll_assign().unwrap();
        assert_eq!((moved.host, moved.work.id), (a[1].host, a[0].work.id));
        s.handle_timeout(t0 + SEC);
        assert_eq!(s.poll_probe(), Some(dead));
        assert_eq!(s.poll_probe(), None);
        assert_eq!(s.poll_timeout(), None, "a probe is on its way");
        assert_eq!(s.handle_probe(dead, true, t0 + SEC), Some(Probed::Rejoined));
        assert_eq!(
            s.handle_probe(dead, true, t0 + SEC),
            None,
            "one answer per probe"
        );
        // Back up, it takes the next new file; the moved one is still on the other host.
        let next = s.poll_assign().unwrap();
        assert_eq!(next.host, dead);
        assert_ne!(next.work.id, a[0].work.id);
        assert!(s.handle_done(dead, moved.slot, moved.work.id).is_none());
        assert!(
            s.handle_done(moved.host, moved.slot, moved.work.id)
                .is_some()
        );
    }

    #[test]
    fn a_slot_busy_since_before_the_failure_is_not_reused_and_its_late_failure_is_old_news() {
        let t0 = Instant::now();
        let mut s = retrying(1, 2, 3);
        feed(&mut s, &[1, 1, 1, 1]);
        let a = all(&mut s);
        assert_eq!(a.len(), 2);
        s.handle_failed(0, a[0].slot, a[0].work.id, t0);
        s.handle_timeout(t0 + SEC);
        assert_eq!(s.poll_probe(), Some(0));
        s.handle_probe(0, true, t0 + SEC);
        // One slot is free again; the other still holds the file sent before the failure.
        let b = all(&mut s);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].slot, a[0].slot);
        assert_eq!(b[0].work.id, a[0].work.id, "the moved file, first in line");
        // That old file now fails too: it moves on, but the host stays up.
        assert_eq!(
            s.handle_failed(0, a[1].slot, a[1].work.id, t0 + SEC),
            Some((false, AfterFailure::Requeued(a[1].work.path.clone())))
        );
        assert_eq!(s.health(0), Some(Health::Up));
        let c = s.poll_assign().unwrap();
        assert_eq!(
            (c.slot, c.work.id, c.work.attempts),
            (a[1].slot, a[1].work.id, 1)
        );
        assert_eq!(s.pending(), 4, "nothing lost, nothing doubled");
    }

    #[test]
    fn with_every_host_down_the_queue_waits_for_a_retry_then_is_given_back() {
        let t0 = Instant::now();
        let mut s = retrying(2, 1, 2);
        feed(&mut s, &[1, 1, 1]);
        let a = all(&mut s);
        for x in &a {
            s.handle_failed(x.host, x.slot, x.work.id, t0);
        }
        // Both down, not given up: the files wait, the walk waits.
        assert!(s.accepting() && !s.any_up() && !s.wants_files());
        assert!(s.drain().is_empty());
        assert_eq!(s.pending(), 3);
        let mut now = t0;
        while let Some(at) = s.poll_timeout() {
            assert!(at > now, "time moves on");
            now = at;
            s.handle_timeout(now);
            while let Some(h) = s.poll_probe() {
                assert!(s.handle_probe(h, false, now).is_some());
            }
        }
        // Two failed probes each (after 1 s, then 2 s): both given up, 3 s after the deaths.
        assert_eq!(now, t0 + 3 * SEC);
        assert_eq!(s.health(0), Some(Health::Gone));
        assert!(!s.accepting());
        let back: Vec<FileId> = s.drain().into_iter().map(|w| w.id).collect();
        assert_eq!(back, [1, 0, 2]);
        assert!(s.is_empty());
    }

    #[test]
    fn closing_stops_the_probes() {
        let t0 = Instant::now();
        let mut s = retrying(2, 1, 3);
        feed(&mut s, &[1, 1]);
        let a = all(&mut s);
        s.handle_failed(a[0].host, a[0].slot, a[0].work.id, t0);
        s.handle_failed(a[1].host, a[1].slot, a[1].work.id, t0);
        s.handle_timeout(t0 + SEC);
        s.close();
        assert_eq!((s.poll_probe(), s.poll_timeout()), (None, None));
        s.handle_timeout(t0 + 10 * SEC);
        assert_eq!(s.poll_probe(), None);
        assert_eq!(s.drain().len(), 2);
    }
}
