//! Spreading local files over several clamd hosts, with failover.
//!
//! A [`Pool`] sends each file of a walk to one host (INSTREAM or FILDES), the next file to
//! the live host with the fewest bytes in flight. When a host dies with files in flight
//! (refused, reset, closed mid-reply, or no verdict within the file timeout), it is out of
//! the pool and those files go to the other hosts. After a wait that doubles with each
//! failed probe (capped), the host is probed with `PING`; when it answers, it takes new
//! files again; when its probes run out, it is out for the rest of the run. A file is final
//! once a host has sent its verdict: a host that dies afterwards never makes it scanned
//! again. Every file of the walk is in the report exactly once: scanned (with its host),
//! failed, or not scanned (every host down, or the run's deadline) — never lost.
//!
//! The decisions are made by a sans-IO core (`schedule::Scheduler`, with each host's state
//! machine in `health`); this module is the driver: one thread per connection slot of each
//! host runs the blocking [`Client`], one more per host sends its probes, and the calling
//! thread owns the core and the clock, reads the walk, hands out the files and probes, and
//! gathers the report.

mod builder;
mod event;
mod health;
mod mode;
mod report;
mod schedule;
#[cfg(feature = "schema")]
mod schema;
mod serialize;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use builder::{
    DEFAULT_FILE_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_QUEUED, DEFAULT_POOL_PER_HOST,
    DEFAULT_PROBE_TIMEOUT, DEFAULT_RETRY_FIRST, DEFAULT_RETRY_MAX, DEFAULT_RETRY_PROBES,
    PoolBuilder,
};
pub use event::PoolEvent;
pub use mode::PoolMode;
pub use report::{
    Failover, FileOutcome, Outage, PoolFile, PoolHost, PoolReport, PoolSkip, PoolSummary,
};
use schedule::{AfterFailure, Assignment, FileId, Probed, Retry, Scheduler, Work};

use crate::blocking::{Client, Session};
use crate::endpoint::Endpoint;
use crate::proto::reply::{ScanResult, Verdict};
use crate::walk::WalkEntry;
use crate::{Error, Result};

/// Several clamd hosts that share the files of one local walk between them, built by
/// [`Pool::builder`]. Memory is bounded by
/// [`max_queued`](PoolBuilder::max_queued) files queued or in flight, plus the report (one
/// entry per file).
///
/// # Example
///
/// Two private clamds share a tree; the second dies before the run, and the first scans
/// everything:
///
/// ```
/// use clamd_proto::{EICAR, Endpoint, FileOutcome, Pool, Walker};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (a, mut b) = (testbed::clamd::Clamd::start()?, testbed::clamd::Clamd::start()?);
/// let tree = a.dir().join("tree");
/// std::fs::create_dir_all(&tree)?;
/// for i in 0..20 {
///     std::fs::write(tree.join(format!("f{i:02}")), format!("clean {i}"))?;
/// }
/// std::fs::write(tree.join("eicar.com"), EICAR)?;
/// b.kill();
///
/// let pool = Pool::builder([Endpoint::unix(a.socket_path()), Endpoint::unix(b.socket_path())])
///     .build()?;
/// let report = pool.run(Walker::new([&tree]));
/// assert_eq!(report.files.len(), 21);
/// assert!(report.files.iter().all(|f| matches!(f.outcome, FileOutcome::Scanned(_))));
/// assert!(report.hosts[1].down.is_some());
/// let sum = report.summary();
/// assert_eq!((sum.infected, sum.errors, sum.exit_code()), (1, 0, 1));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    clients: Vec<Client>,
    mode: PoolMode,
    per_host: usize,
    file_timeout: Duration,
    deadline: Option<Duration>,
    max_queued: usize,
    max_attempts: usize,
    retry: Retry,
    probe_timeout: Duration,
}

/// A file for one connection slot.
struct Task {
    id: FileId,
    path: PathBuf,
}

/// What a connection slot made of its file, or a host's prober of its probe.
enum Done {
    Scan {
        host: usize,
        slot: usize,
        id: FileId,
        result: Result<ScanResult>,
    },
    Probe {
        host: usize,
        result: Result<()>,
    },
}

/// The channels to the threads: each host's connection slots, and its prober.
struct Workers {
    slots: Vec<Vec<mpsc::Sender<Task>>>,
    probers: Vec<mpsc::Sender<()>>,
}

/// How a failed scan counts.
enum Failure {
    /// The host is dead or unusable: refused, reset, closed mid-reply, no answer in time, a
    /// reply that makes no sense. The file moves on.
    Host,
    /// The file itself failed (the host answered): it is final.
    File,
}

/// Whether `e` is the host's fault or the file's. Errors not listed are the host's: a new
/// kind of connection failure must move files on, not lose them.
fn failure(e: &Error) -> Failure {
    match e {
        Error::SizeLimitExceeded { .. }
        | Error::StreamTooLong { .. }
        | Error::PathContainsNul(_)
        | Error::PathContainsNewline(_)
        | Error::ResolvePath { .. }
        | Error::Server(_)
        | Error::Read { .. }
        | Error::TooManyResults { .. }
        | Error::ResultBytesExceeded { .. } => Failure::File,
        _ => Failure::Host,
    }
}

impl Pool {
    /// The hosts, in the pool's order.
    pub fn hosts(&self) -> Vec<&Endpoint> {
        self.clients.iter().map(Client::endpoint).collect()
    }

    /// Scans the files of `walk` (a [`Walker`](crate::Walker), or any entries, e.g.
    /// `files.into_iter().map(WalkEntry::File)`). Every file is in the report exactly once.
    pub fn run(&self, walk: impl IntoIterator<Item = WalkEntry>) -> PoolReport {
        self.run_with_events(walk, |_| {})
    }

    /// [`run`](Self::run), calling `on_event` on this thread as things happen: each file
    /// when it is final, each host that goes down, fails a probe or comes back, each
    /// failover.
    pub fn run_with_events(
        &self,
        walk: impl IntoIterator<Item = WalkEntry>,
        mut on_event: impl FnMut(PoolEvent<'_>),
    ) -> PoolReport {
        let start = Instant::now();
        let deadline = self.deadline.map(|d| start + d);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        std::thread::scope(|scope| {
            let mut slots: Vec<Vec<mpsc::Sender<Task>>> = Vec::new();
            let mut probers = Vec::new();
            for (host, client) in self.clients.iter().enumerate() {
                let (tx, rx) = mpsc::channel::<()>();
                let done = done_tx.clone();
                let timeout = self.probe_timeout;
                scope.spawn(move || {
                    for () in rx {
                        let result = probe(client, timeout, deadline);
                        if done.send(Done::Probe { host, result }).is_err() {
                            break;
                        }
                    }
                });
                probers.push(tx);
                let mut senders = Vec::new();
                for slot in 0..self.per_host {
                    let (tx, rx) = mpsc::channel::<Task>();
                    let done = done_tx.clone();
                    let (mode, timeout) = (self.mode, self.file_timeout);
                    scope.spawn(move || {
                        let mut kept = None;
                        for task in rx {
                            let result =
                                scan(client, &mut kept, mode, &task.path, timeout, deadline);
                            let d = Done::Scan {
                                host,
                                slot,
                                id: task.id,
                                result,
                            };
                            if done.send(d).is_err() {
                                break;
                            }
                        }
                    });
                    senders.push(tx);
                }
                slots.push(senders);
            }
            drop(done_tx);
            let workers = Workers { slots, probers };
            let mut run = Run::new(self, start, deadline, &mut on_event);
            run.drive(walk.into_iter(), &workers, &done_rx);
            // Dropping the senders ends every thread, once its scan or probe is over.
            drop(workers);
            run.finish()
        })
    }
}

/// What is left of `timeout` within the run's deadline.
fn cut(timeout: Duration, deadline: Option<Instant>) -> Duration {
    deadline.map_or(timeout, |d| {
        d.saturating_duration_since(Instant::now()).min(timeout)
    })
}

/// One probe (`PING`) of a host that is down, within the probe's deadline and the run's.
fn probe(client: &Client, timeout: Duration, deadline: Option<Instant>) -> Result<()> {
    let left = cut(timeout, deadline);
    if left.is_zero() {
        return Err(Error::Timeout {
            op: "PING",
            endpoint: client.endpoint().to_string(),
            after: Duration::ZERO,
        });
    }
    let pinged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.with_timeout(left).ping()
    }));
    pinged.unwrap_or_else(|_| Err(Error::Server("the PING of this host panicked".into())))
}

/// One scan on one connection, within the file's deadline and the run's. The connection is an
/// IDSESSION kept in `kept` between the files of one worker, so that a file costs no connect;
/// any failure closes it, and the next file opens a new one.
fn scan(
    client: &Client,
    kept: &mut Option<Session>,
    mode: PoolMode,
    path: &std::path::Path,
    timeout: Duration,
    deadline: Option<Instant>,
) -> Result<ScanResult> {
    let left = cut(timeout, deadline);
    let op = match mode {
        PoolMode::Stream => "INSTREAM",
        PoolMode::Fildes => "FILDES",
    };
    if left.is_zero() {
        return Err(Error::Timeout {
            op,
            endpoint: client.endpoint().to_string(),
            after: Duration::ZERO,
        });
    }
    // A panic in a scan must still give the file back, or the run would wait for it forever.
    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        session_scan(client, kept, mode, path, left)
    }));
    let result =
        scanned.unwrap_or_else(|_| Err(Error::Server(format!("the {op} of this file panicked"))));
    if result.is_err() {
        *kept = None;
    }
    result
}

/// The scan of one local file in the worker's session; a session kept from an earlier file
/// that turns out closed (clamd's idle timeout ends sessions) is replaced once.
fn session_scan(
    client: &Client,
    kept: &mut Option<Session>,
    mode: PoolMode,
    path: &std::path::Path,
    left: Duration,
) -> Result<ScanResult> {
    let (file, len) = crate::local::open_regular(path)?;
    if let Some(limit) = client.config().stream_max_length.filter(|&l| len > l) {
        return Err(Error::StreamTooLong { len, limit });
    }
    let until = Instant::now() + left;
    let reused = kept.is_some();
    let once = |kept: &mut Option<Session>| -> Result<ScanResult> {
        let session = match kept {
            Some(s) => s,
            None => kept.insert(client.with_timeout(left).session()?),
        };
        session.set_until(until);
        let r = match mode {
            PoolMode::Stream => session.scan_stream(&file),
            PoolMode::Fildes => session.scan_fd(&file),
        };
        r.map(|r| r.with_path(path)).map_err(|e| match e {
            Error::Read { source, .. } => Error::Read {
                path: path.to_path_buf(),
                source,
            },
            e => e,
        })
    };
    match once(kept) {
        Err(Error::Io { .. } | Error::Truncated(_) | Error::SessionClosed { .. }) if reused => {
            *kept = None;
            // The stale session read the file: start it again for the fresh one.
            std::io::Seek::rewind(&mut &file).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
            once(kept)
        }
        r => r,
    }
}

/// The state of one run on the calling thread: the core, and the report as it grows.
struct Run<'p, 'e, F: FnMut(PoolEvent<'_>)> {
    pool: &'p Pool,
    core: Scheduler,
    hosts: Vec<PoolHost>,
    files: Vec<(FileId, PoolFile)>,
    failovers: Vec<Failover>,
    /// Failovers so far of each file still pending, by id.
    moved: std::collections::HashMap<FileId, usize>,
    walk_errors: Vec<crate::walk::WalkError>,
    skipped: Vec<crate::walk::Skipped>,
    next_id: FileId,
    walk_done: bool,
    start: Instant,
    deadline: Option<Instant>,
    on_event: &'e mut F,
}

impl<'p, 'e, F: FnMut(PoolEvent<'_>)> Run<'p, 'e, F> {
    fn new(pool: &'p Pool, start: Instant, deadline: Option<Instant>, on_event: &'e mut F) -> Self {
        Self {
            pool,
            core: Scheduler::new(
                pool.clients.len(),
                pool.per_host,
                pool.max_queued,
                pool.max_attempts,
                pool.retry,
            ),
            hosts: pool
                .clients
                .iter()
                .map(|c| PoolHost::new(c.endpoint().clone()))
                .collect(),
            files: Vec::new(),
            failovers: Vec::new(),
            moved: std::collections::HashMap::new(),
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            next_id: 0,
            walk_done: false,
            start,
            deadline,
            on_event,
        }
    }

    fn drive(
        &mut self,
        mut walk: impl Iterator<Item = WalkEntry>,
        workers: &Workers,
        done: &mpsc::Receiver<Done>,
    ) {
        let deadline = self.deadline;
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                self.core.close();
            }
            while !self.walk_done && self.core.wants_files() {
                self.take(walk.next(), None);
            }
            while let Some(a) = self.core.poll_assign() {
                self.send(&a, &workers.slots);
            }
            self.core.handle_timeout(now);
            while let Some(host) = self.core.poll_probe() {
                let sent = workers
                    .probers
                    .get(host)
                    .is_some_and(|tx| tx.send(()).is_ok());
                if !sent {
                    let e = Error::Server("the host's prober thread is gone".into());
                    self.probed(host, Err(e));
                }
            }
            if !self.core.accepting() {
                // At the deadline with no host up, the hosts being down is the reason the
                // files were not sent, not the time.
                let reason = if self.core.is_closed() && self.core.any_up() {
                    PoolSkip::RunDeadline
                } else {
                    PoolSkip::HostsDown
                };
                for w in self.core.drain() {
                    self.not_scanned(w.id, w.path, reason);
                }
                while !self.walk_done {
                    self.take(walk.next(), Some(reason));
                }
            }
            if self.walk_done && self.core.is_empty() {
                return;
            }
            let open_deadline = deadline.filter(|_| !self.core.is_closed());
            let wake = match (open_deadline, self.core.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let got = match wake {
                Some(t) => done.recv_timeout(t.saturating_duration_since(Instant::now())),
                None => done
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match got {
                Ok(Done::Scan {
                    host,
                    slot,
                    id,
                    result,
                }) => self.handle(host, slot, id, result),
                Ok(Done::Probe { host, result }) => self.probed(host, result),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every thread is gone (cannot happen while `workers` lives): nothing more
                // will come, so what is in flight cannot be answered.
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// One entry of the walk (`None` at its end); files go to the core, or straight to the
    /// report as not scanned when `unsent` says why.
    fn take(&mut self, entry: Option<WalkEntry>, unsent: Option<PoolSkip>) {
        match entry {
            None => self.walk_done = true,
            Some(WalkEntry::File(path)) => {
                let id = self.next_id;
                self.next_id += 1;
                if let Some(reason) = unsent {
                    self.not_scanned(id, path, reason);
                } else {
                    // The size when met: a file that changes later is read as it is then.
                    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
                    self.core.handle_file(id, path, bytes);
                }
            }
            Some(WalkEntry::Error(e)) => self.walk_errors.push(e),
            Some(WalkEntry::Skipped(s)) => self.skipped.push(s),
            Some(_) => {}
        }
    }

    fn send(&mut self, a: &Assignment, slots: &[Vec<mpsc::Sender<Task>>]) {
        let task = Task {
            id: a.work.id,
            path: a.work.path.clone(),
        };
        let sent = slots
            .get(a.host)
            .and_then(|s| s.get(a.slot))
            .is_some_and(|tx| tx.send(task).is_ok());
        if !sent {
            // The slot's thread is gone: the host cannot take files.
            let e = Error::Server("the connection's worker thread is gone".into());
            self.failed(a.host, a.slot, a.work.id, e);
        }
    }

    fn handle(&mut self, host: usize, slot: usize, id: FileId, result: Result<ScanResult>) {
        match result {
            Ok(result) => self.answered(host, slot, id, Ok(result)),
            // A local file that cannot be read at scan time is an ERROR line for it, as in a
            // fleet, not the host's failure.
            Err(Error::Read { path, source }) => {
                let line = ScanResult::new(&path, Verdict::Error(source.to_string()));
                self.answered(host, slot, id, Ok(line));
            }
            // The run's deadline cut the scan: the host is not to blame.
            Err(e @ Error::Timeout { .. })
                if self.deadline.is_some_and(|t| Instant::now() >= t) =>
            {
                self.answered(host, slot, id, Err(e));
            }
            Err(e) => match failure(&e) {
                Failure::File => self.answered(host, slot, id, Err(e)),
                Failure::Host => self.failed(host, slot, id, e),
            },
        }
    }

    /// The host answered the file: it is final.
    fn answered(&mut self, host: usize, slot: usize, id: FileId, r: Result<ScanResult>) {
        let Some(work) = self.core.handle_done(host, slot, id) else {
            return;
        };
        let h = &mut self.hosts[host];
        let outcome = match r {
            Ok(result) => {
                h.scanned += 1;
                if let Some(o) = h.outages.last_mut().filter(|o| o.up_at.is_some()) {
                    o.scanned_after += 1;
                }
                h.bytes += work.bytes;
                h.infected += usize::from(result.is_infected());
                h.file_errors += usize::from(result.is_error());
                FileOutcome::Scanned(result)
            }
            Err(e) => {
                h.failed += 1;
                FileOutcome::Failed(e)
            }
        };
        self.finished(work, Some(host), outcome);
    }

    /// The host failed with the file in flight.
    fn failed(&mut self, host: usize, slot: usize, id: FileId, e: Error) {
        let now = Instant::now();
        let Some((went_down, after)) = self.core.handle_failed(host, slot, id, now) else {
            return;
        };
        let endpoint = self.pool.clients[host].endpoint();
        if went_down {
            let h = &mut self.hosts[host];
            h.down.get_or_insert_with(|| e.to_string());
            h.outages.push(Outage {
                down_at: now.saturating_duration_since(self.start),
                error: e.to_string(),
                up_at: None,
                failed_probes: 0,
                scanned_after: 0,
            });
            h.given_up = self.core.health(host) == Some(schedule::Health::Gone);
            (self.on_event)(PoolEvent::HostDown {
                host,
                endpoint,
                error: &e,
            });
        }
        self.hosts[host].failovers += 1;
        match after {
            AfterFailure::Requeued(path) => {
                *self.moved.entry(id).or_default() += 1;
                let failover = Failover {
                    file: id,
                    path,
                    from: host,
                    error: e.to_string(),
                };
                (self.on_event)(PoolEvent::Failover {
                    failover: &failover,
                    endpoint,
                });
                self.failovers.push(failover);
            }
            AfterFailure::GaveUp(work) => self.finished(work, Some(host), FileOutcome::Failed(e)),
        }
    }

    /// Host `host`'s probe answered, or failed.
    fn probed(&mut self, host: usize, result: Result<()>) {
        let now = Instant::now();
        let Some(probed) = self.core.handle_probe(host, result.is_ok(), now) else {
            return;
        };
        let endpoint = self.pool.clients[host].endpoint();
        let at = now.saturating_duration_since(self.start);
        let h = &mut self.hosts[host];
        let Some(outage) = h.outages.last_mut() else {
            return;
        };
        match result {
            Ok(()) => {
                outage.up_at = Some(at);
                let down_for = at.saturating_sub(outage.down_at);
                (self.on_event)(PoolEvent::HostUp {
                    host,
                    endpoint,
                    down_for,
                });
            }
            Err(error) => {
                outage.failed_probes += 1;
                let retry_in = match probed {
                    Probed::StillDown(at) => Some(at.saturating_duration_since(now)),
                    Probed::GaveUp | Probed::Rejoined => None,
                };
                h.given_up = probed == Probed::GaveUp;
                (self.on_event)(PoolEvent::ProbeFailed {
                    host,
                    endpoint,
                    error: &error,
                    retry_in,
                });
            }
        }
    }

    fn not_scanned(&mut self, id: FileId, path: PathBuf, reason: PoolSkip) {
        let work = Work {
            id,
            path,
            bytes: 0,
            attempts: 0,
        };
        self.finished(work, None, FileOutcome::NotScanned(reason));
    }

    fn finished(&mut self, work: Work, host: Option<usize>, outcome: FileOutcome) {
        let file = PoolFile {
            path: work.path,
            host,
            outcome,
            failovers: self.moved.remove(&work.id).unwrap_or(0),
        };
        let endpoint = host.map(|h| self.pool.clients[h].endpoint());
        (self.on_event)(PoolEvent::File {
            file: &file,
            endpoint,
        });
        self.files.push((work.id, file));
    }

    fn finish(mut self) -> PoolReport {
        self.files.sort_by_key(|(id, _)| *id);
        PoolReport {
            hosts: self.hosts,
            files: self.files.into_iter().map(|(_, f)| f).collect(),
            failovers: self.failovers,
            walk_errors: self.walk_errors,
            skipped: self.skipped,
            elapsed: self.start.elapsed(),
        }
    }
}
