//! The pool's scheduling decisions, without I/O: which host gets the next file, what a dead
//! host's unfinished file becomes, and when the run has nothing left to do.
//!
//! The driver calls, in a loop: [`Scheduler::handle_file`] while [`Scheduler::wants_files`]
//! (files of the walk, in order), [`Scheduler::poll_assign`] until it gives `None` (each
//! assignment goes to that host's connection slot), then waits for a slot to finish and calls
//! [`Scheduler::handle_done`] or [`Scheduler::handle_failed`]. [`Scheduler::drain`] takes the
//! queued files back when nothing more may be sent (every host down, or the run's deadline).
//! The run is over when the walk is done and [`Scheduler::is_idle`] holds.

use std::collections::VecDeque;
use std::path::PathBuf;

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
    /// Queued again, first in line, for another host; the file's path.
    Requeued(PathBuf),
    /// Not sent again: it has been in flight on `max_attempts` hosts that died, or no host is
    /// left. The file is final, with the failure.
    GaveUp(Work),
}

/// One host's load and state.
#[derive(Debug, Clone)]
struct Load {
    up: bool,
    /// Connection slots with nothing in flight.
    free: Vec<usize>,
    in_flight: Vec<Work>,
    bytes: u64,
    /// When the host last got a file, to break ties in turn.
    last: u64,
}

/// The pool's sans-IO core. Balances by bytes in flight: INSTREAM and FILDES cost a host
/// time in proportion to the bytes it reads and scans, so the next file goes to the live host
/// with a free slot and the fewest bytes outstanding (then the fewest files, then the one
/// that waited longest).
#[derive(Debug)]
pub(crate) struct Scheduler {
    hosts: Vec<Load>,
    queue: VecDeque<Work>,
    max_pending: usize,
    max_attempts: usize,
    clock: u64,
    /// When no host may get more files (the run's deadline passed).
    closed: bool,
}

impl Scheduler {
    /// `slots` connections per host; at most `max_pending` files queued and in flight
    /// together; a file is given up after `max_attempts` hosts died with it in flight.
    pub(crate) fn new(hosts: usize, slots: usize, max_pending: usize, max_attempts: usize) -> Self {
        let load = Load {
            up: true,
            free: (0..slots).rev().collect(),
            in_flight: Vec::new(),
            bytes: 0,
            last: 0,
        };
        Self {
            hosts: vec![load; hosts],
            queue: VecDeque::new(),
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
    /// are below the limit.
    pub(crate) fn wants_files(&self) -> bool {
        self.accepting() && self.pending() < self.max_pending
    }

    /// Whether files may still be sent somewhere.
    pub(crate) fn accepting(&self) -> bool {
        !self.closed && self.hosts.iter().any(|h| h.up)
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
            .filter(|(_, h)| h.up && !h.free.is_empty())
            .min_by_key(|(_, h)| (h.bytes, h.in_flight.len(), h.last))
            .map(|(i, _)| i)?;
        let work = self.queue.pop_front()?;
        self.clock += 1;
        let h = &mut self.hosts[host];
        let slot = h.free.pop()?;
        h.bytes += work.bytes;
        h.last = self.clock;
        h.in_flight.push(work.clone());
        Some(Assignment { host, slot, work })
    }

    fn take(&mut self, host: usize, slot: usize, id: FileId) -> Option<Work> {
        let h = self.hosts.get_mut(host)?;
        let at = h.in_flight.iter().position(|w| w.id == id)?;
        let work = h.in_flight.swap_remove(at);
        h.bytes -= work.bytes;
        h.free.push(slot);
        Some(work)
    }

    /// The host answered the file (a verdict, or a failure of the file itself): it is final
    /// and never sent again. `None` if it was not in flight there.
    pub(crate) fn handle_done(&mut self, host: usize, slot: usize, id: FileId) -> Option<Work> {
        self.take(host, slot, id)
    }

    /// The host failed with the file in flight (refused, reset, deadline): the host is down
    /// for the rest of the run, and the file goes to another host unless it has used its
    /// attempts or no host is up. Returns whether the host was up until now, and what became
    /// of the file; `None` if it was not in flight there.
    pub(crate) fn handle_failed(
        &mut self,
        host: usize,
        slot: usize,
        id: FileId,
    ) -> Option<(bool, AfterFailure)> {
        let mut work = self.take(host, slot, id)?;
        let was_up = std::mem::replace(&mut self.hosts[host].up, false);
        work.attempts += 1;
        if work.attempts < self.max_attempts && self.accepting() {
            let path = work.path.clone();
            self.queue.push_front(work);
            Some((was_up, AfterFailure::Requeued(path)))
        } else {
            Some((was_up, AfterFailure::GaveUp(work)))
        }
    }

    /// No host gets more files from now on (the run's deadline passed).
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes back every queued file, in order, once nothing more may be sent; empty while a
    /// host is up and the run is open.
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

    /// Whether `host` is up.
    #[cfg(test)]
    pub(crate) fn is_up(&self, host: usize) -> bool {
        self.hosts.get(host).is_some_and(|h| h.up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut s = Scheduler::new(2, 2, 100, 3);
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
        let mut s = Scheduler::new(2, 1, 100, 3);
        feed(&mut s, &[1, 1, 1]);
        let a = all(&mut s);
        assert_eq!(a.len(), 2);
        let on0 = &a[0];
        assert_eq!(
            s.handle_failed(0, on0.slot, on0.work.id),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        assert!(!s.is_up(0));
        // Host 1 is busy; once free, it gets the requeued file before the queued one.
        assert!(s.poll_assign().is_none());
        s.handle_done(1, a[1].slot, a[1].work.id);
        let next = s.poll_assign().unwrap();
        assert_eq!((next.host, next.work.id, next.work.attempts), (1, 0, 1));
        assert_eq!(s.pending(), 2);
    }

    #[test]
    fn with_every_host_down_the_queue_is_given_back_and_nothing_is_lost() {
        let mut s = Scheduler::new(2, 1, 100, 3);
        feed(&mut s, &[1, 1, 1, 1]);
        let a = all(&mut s);
        assert!(s.drain().is_empty(), "hosts are up");
        assert_eq!(
            s.handle_failed(0, a[0].slot, a[0].work.id),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        // The last host dies: its file has nowhere to go.
        let Some((true, AfterFailure::GaveUp(w))) = s.handle_failed(1, a[1].slot, a[1].work.id)
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
        let mut s = Scheduler::new(3, 1, 100, 2);
        feed(&mut s, &[1]);
        let a = s.poll_assign().unwrap();
        assert_eq!(
            s.handle_failed(a.host, a.slot, a.work.id),
            Some((true, AfterFailure::Requeued("/f0".into())))
        );
        let b = s.poll_assign().unwrap();
        assert_ne!(a.host, b.host);
        assert!(matches!(
            s.handle_failed(b.host, b.slot, b.work.id),
            Some((true, AfterFailure::GaveUp(_)))
        ));
        assert!(s.accepting(), "the third host is still up");
    }

    #[test]
    fn pending_work_is_bounded_and_closing_stops_assignments() {
        let mut s = Scheduler::new(1, 1, 2, 3);
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
}
