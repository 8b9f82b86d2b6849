//! Running one scan plan on many clamd hosts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::client::{Client, ClientBuilder};
use crate::command::ScanMode;
use crate::endpoint::Endpoint;
use crate::reply::{ScanResult, Stats, Verdict, Version};
use crate::walk::{Skipped, Walk, WalkError};
use crate::{Error, Result};

/// What a fleet scan sends to every host after PING.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Target {
    /// Nothing: PING (and the optional RELOAD, VERSION, STATS) only.
    #[default]
    Nothing,
    /// Scan paths on each host's own file system.
    Paths {
        /// The scan mode.
        mode: ScanMode,
        /// The paths, as seen on the hosts.
        paths: Vec<PathBuf>,
    },
    /// Stream local files to every host with INSTREAM.
    Stream {
        /// Local files.
        files: Vec<PathBuf>,
    },
    /// Pass local files by descriptor with FILDES (Unix-socket hosts only).
    Fildes {
        /// Local files.
        files: Vec<PathBuf>,
    },
}

/// The plan a [`Fleet`] runs on every host: PING, optionally RELOAD, VERSION and STATS, then
/// the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ScanPlan {
    reload: bool,
    version: bool,
    stats: bool,
    target: Target,
    walk_errors: Vec<WalkError>,
    skipped: Vec<Skipped>,
}

impl Default for ScanPlan {
    fn default() -> Self {
        Self {
            reload: false,
            version: true,
            stats: false,
            target: Target::Nothing,
            walk_errors: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl ScanPlan {
    /// PING and VERSION only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scan `paths` on every host in `mode`.
    pub fn paths(mode: ScanMode, paths: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        Self::new().target(Target::Paths {
            mode,
            paths: paths.into_iter().map(Into::into).collect(),
        })
    }

    /// Stream local `files` to every host.
    pub fn stream(files: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        Self::new().target(Target::Stream {
            files: files.into_iter().map(Into::into).collect(),
        })
    }

    /// Stream the files of a local walk to every host. The walk's errors and skipped entries
    /// go into the report as they are ([`FleetReport::walk_errors`], [`FleetReport::skipped`]),
    /// and its errors are counted in the [`Summary`].
    pub fn stream_walk(walk: Walk) -> Self {
        Self::new().walked(walk, |files| Target::Stream { files })
    }

    /// Pass the files of a local walk by descriptor (Unix-socket hosts only); otherwise as
    /// [`stream_walk`](Self::stream_walk).
    pub fn fildes_walk(walk: Walk) -> Self {
        Self::new().walked(walk, |files| Target::Fildes { files })
    }

    fn walked(mut self, walk: Walk, target: impl FnOnce(Vec<PathBuf>) -> Target) -> Self {
        self.target = target(walk.files);
        self.walk_errors = walk.errors;
        self.skipped = walk.skipped;
        self
    }

    /// Sets the target.
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// RELOAD the database after PING (default no).
    pub fn reload(mut self, reload: bool) -> Self {
        self.reload = reload;
        self
    }

    /// Ask VERSION (default yes).
    pub fn version(mut self, version: bool) -> Self {
        self.version = version;
        self
    }

    /// Ask STATS (default no).
    pub fn stats(mut self, stats: bool) -> Self {
        self.stats = stats;
        self
    }

    fn jobs(&self) -> usize {
        match &self.target {
            Target::Nothing => 0,
            Target::Paths { paths, .. } => paths.len(),
            Target::Stream { files } | Target::Fildes { files } => files.len(),
        }
    }
}

/// The outcome on one host. Results gathered before a failure are kept.
#[derive(Debug)]
#[non_exhaustive]
pub struct HostReport {
    /// The host.
    pub endpoint: Endpoint,
    /// Its VERSION, when asked and answered.
    pub version: Option<Version>,
    /// Its STATS, when asked and answered.
    pub stats: Option<Stats>,
    /// Every scan line, in the order of the plan's paths or files. Stream and FILDES results
    /// carry the local file's path.
    pub results: Vec<ScanResult>,
    /// The first error on this host; the host is incomplete when set. Results that arrived
    /// before it (e.g. FOUND lines before a stall) are still in `results`.
    pub error: Option<Error>,
    /// The PING round trip, when PING succeeded.
    pub latency: Option<Duration>,
    /// Time spent on the host.
    pub elapsed: Duration,
}

impl HostReport {
    /// Whether the host answered everything asked (scan lines may still hold per-file errors).
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Whether any result is infected.
    pub fn infected(&self) -> bool {
        self.results.iter().any(ScanResult::is_infected)
    }
}

/// The overall conclusion of a fleet scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetStatus {
    /// Every host answered and nothing was found.
    AllClean,
    /// Something was found on at least one host.
    Infected,
    /// Nothing was found, but a host or a file failed, so it is not known to be clean.
    Incomplete,
}

/// Counts over all hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Hosts in the fleet.
    pub hosts: usize,
    /// Hosts with an error.
    pub hosts_failed: usize,
    /// Scan lines that are infected.
    pub infected: usize,
    /// Scan lines that are errors.
    pub file_errors: usize,
    /// Entries of the local walk that could not be scanned (counted once, whatever the
    /// number of hosts).
    pub walk_errors: usize,
    /// Every error, as clamdscan's `Total errors`: `walk_errors + file_errors +
    /// hosts_failed`.
    pub errors: usize,
    /// The conclusion.
    pub status: FleetStatus,
}

impl Summary {
    /// clamdscan's exit status: 1 if anything was found, otherwise 2 if there was any error
    /// (a host, a scan line or an entry of the local walk), otherwise 0.
    ///
    /// An infection outranks errors, as in clamdscan 1.x (`return infected ? 1 : (errors ? 2 :
    /// 0)`): a run that found a virus and also failed on another file or host exits 1, and the
    /// errors are counted in the summary.
    pub fn exit_code(&self) -> u8 {
        if self.infected > 0 {
            1
        } else if self.errors > 0 {
            2
        } else {
            0
        }
    }
}

/// The reports of all hosts, in the fleet's order.
#[derive(Debug)]
pub struct FleetReport {
    /// One report per host.
    pub hosts: Vec<HostReport>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Entries of the plan's local walk that could not be scanned, each with its path and
    /// reason ([`ScanPlan::stream_walk`]).
    pub walk_errors: Vec<WalkError>,
    /// Entries of the plan's local walk skipped on purpose.
    pub skipped: Vec<Skipped>,
}

impl FleetReport {
    /// Counts and conclusion.
    pub fn summary(&self) -> Summary {
        let hosts_failed = self.hosts.iter().filter(|h| !h.ok()).count();
        let infected = self
            .hosts
            .iter()
            .flat_map(|h| &h.results)
            .filter(|r| r.is_infected())
            .count();
        let file_errors = self
            .hosts
            .iter()
            .flat_map(|h| &h.results)
            .filter(|r| r.is_error())
            .count();
        let walk_errors = self.walk_errors.len();
        let errors = walk_errors + file_errors + hosts_failed;
        let status = if infected > 0 {
            FleetStatus::Infected
        } else if errors > 0 {
            FleetStatus::Incomplete
        } else {
            FleetStatus::AllClean
        };
        Summary {
            hosts: self.hosts.len(),
            hosts_failed,
            infected,
            file_errors,
            walk_errors,
            errors,
            status,
        }
    }
}

/// Progress of a fleet run, given to the callback of [`Fleet::run_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Scan jobs (paths or files times hosts) finished so far.
    pub done: usize,
    /// All scan jobs.
    pub total: usize,
}

/// Many clamd hosts, scanned with one plan. Concurrency is bounded globally and per host, and
/// every host has its own deadline.
#[derive(Debug, Clone)]
#[must_use]
pub struct Fleet {
    hosts: Vec<Endpoint>,
    client: ClientBuilder,
    concurrency: usize,
    per_host: usize,
    host_timeout: Duration,
}

impl Fleet {
    /// A fleet of these hosts, with default client settings, 16 connections at once, 4 per
    /// host and a 10-minute deadline per host.
    pub fn new(hosts: impl IntoIterator<Item = Endpoint>) -> Self {
        Self {
            hosts: hosts.into_iter().collect(),
            client: Client::builder(Endpoint::unix("/")),
            concurrency: 16,
            per_host: 4,
            host_timeout: Duration::from_secs(600),
        }
    }

    /// Client settings for every host (the builder's endpoint is ignored).
    pub fn client(mut self, builder: ClientBuilder) -> Self {
        self.client = builder;
        self
    }

    /// The most connections open at once over the whole fleet (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The most connections open at once to one host (at least 1).
    pub fn per_host(mut self, n: usize) -> Self {
        self.per_host = n.max(1);
        self
    }

    /// Each host's deadline, from its first connection.
    pub fn host_timeout(mut self, timeout: Duration) -> Self {
        self.host_timeout = timeout;
        self
    }

    /// The hosts.
    pub fn hosts(&self) -> &[Endpoint] {
        &self.hosts
    }

    /// Runs the plan on every host.
    ///
    /// # Errors
    ///
    /// Only an invalid client configuration ([`Error::Config`]); host failures are in the
    /// report.
    pub fn run(&self, plan: &ScanPlan) -> Result<FleetReport> {
        self.run_with_progress(plan, |_| {})
    }

    /// Runs the plan, calling `progress` after each scan job.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn run_with_progress(
        &self,
        plan: &ScanPlan,
        progress: impl Fn(Progress) + Sync,
    ) -> Result<FleetReport> {
        let start = Instant::now();
        let clients = self
            .hosts
            .iter()
            .map(|h| self.client.clone().endpoint(h.clone()).build())
            .collect::<Result<Vec<_>>>()?;
        let permits = Semaphore::new(self.concurrency);
        let done = AtomicUsize::new(0);
        let total = plan.jobs() * self.hosts.len();
        let progress = &progress;
        let hosts = std::thread::scope(|scope| {
            let handles: Vec<_> = clients
                .iter()
                .map(|client| {
                    let permits = &permits;
                    let done = &done;
                    scope.spawn(move || {
                        self.run_host(client, plan, permits, &|| {
                            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                            progress(Progress { done: d, total });
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(&clients)
                .map(|(h, c)| {
                    h.join().unwrap_or_else(|_| HostReport {
                        endpoint: c.endpoint().clone(),
                        version: None,
                        stats: None,
                        results: Vec::new(),
                        error: Some(Error::Server("the host's worker thread panicked".into())),
                        latency: None,
                        elapsed: Duration::ZERO,
                    })
                })
                .collect()
        });
        Ok(FleetReport {
            hosts,
            elapsed: start.elapsed(),
            walk_errors: plan.walk_errors.clone(),
            skipped: plan.skipped.clone(),
        })
    }

    fn run_host(
        &self,
        client: &Client,
        plan: &ScanPlan,
        permits: &Semaphore,
        tick: &(dyn Fn() + Sync),
    ) -> HostReport {
        let start = Instant::now();
        let deadline = start + self.host_timeout;
        let mut report = HostReport {
            endpoint: client.endpoint().clone(),
            version: None,
            stats: None,
            results: Vec::new(),
            error: None,
            latency: None,
            elapsed: Duration::ZERO,
        };
        let timed = |c: &Client| c.with_timeout(deadline.saturating_duration_since(Instant::now()));
        let setup = (|| -> Result<()> {
            let _permit = permits.acquire();
            let t = Instant::now();
            timed(client).ping()?;
            report.latency = Some(t.elapsed());
            if plan.reload {
                timed(client).reload()?;
            }
            if plan.version {
                report.version = Some(timed(client).version()?);
            }
            if plan.stats {
                report.stats = Some(timed(client).stats()?);
            }
            Ok(())
        })();
        if let Err(e) = setup {
            report.error = Some(e);
            for _ in 0..plan.jobs() {
                tick();
            }
            report.elapsed = start.elapsed();
            return report;
        }
        let jobs = plan.jobs();
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<JobOutcome>>> = (0..jobs).map(|_| Mutex::new(None)).collect();
        let workers = self.per_host.min(jobs);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs {
                            break;
                        }
                        let r = if Instant::now() >= deadline {
                            let e = Error::Timeout {
                                op: "the fleet scan",
                                endpoint: client.endpoint().to_string(),
                                after: self.host_timeout,
                            };
                            (Vec::new(), Some(e))
                        } else {
                            let _permit = permits.acquire();
                            run_job(&timed(client), &plan.target, i)
                        };
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(r);
                        }
                        tick();
                    }
                });
            }
        });
        for slot in slots {
            if let Some((lines, error)) = slot.into_inner().ok().flatten() {
                // Results that arrived before a failure are kept, with the error.
                report.results.extend(lines);
                if let Some(e) = error
                    && report.error.is_none()
                {
                    report.error = Some(e);
                }
            }
        }
        report.elapsed = start.elapsed();
        report
    }
}

/// The result lines of one job, and the error that ended it early, if any.
type JobOutcome = (Vec<ScanResult>, Option<Error>);

fn run_job(client: &Client, target: &Target, i: usize) -> JobOutcome {
    match target {
        Target::Nothing => (Vec::new(), None),
        Target::Paths { mode, paths } => client.scan_path_partial(*mode, &paths[i]),
        Target::Stream { files } => local(&files[i], client.scan_file(&files[i])),
        Target::Fildes { files } => local(&files[i], client.scan_file_fd(&files[i])),
    }
}

/// A local file that cannot be opened or read (it vanished or changed after the walk) is an
/// `ERROR` line for that file, not a failure of the host: the host's other files are scanned
/// and every such file is named.
fn local(path: &std::path::Path, r: Result<ScanResult>) -> JobOutcome {
    match r {
        Ok(r) => (vec![r], None),
        Err(Error::Read { source, .. }) => {
            let line = ScanResult::new(path, Verdict::Error(source.to_string()));
            (vec![line], None)
        }
        Err(e) => (Vec::new(), Some(e)),
    }
}

impl ClientBuilder {
    /// Replaces the endpoint (used by [`Fleet`] to reuse one set of settings).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.set_endpoint(endpoint);
        self
    }
}

/// A counting semaphore on std primitives.
struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *free == 0 {
            free = self
                .cv
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self
            .0
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *free += 1;
        self.0.cv.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_exit_codes() {
        let host = |results: Vec<ScanResult>, error: Option<Error>| HostReport {
            endpoint: Endpoint::unix("/s"),
            version: None,
            stats: None,
            results,
            error,
            latency: None,
            elapsed: Duration::ZERO,
        };
        let clean = || ScanResult::new("/a", Verdict::Clean);
        let found = || ScanResult::new("/b", Verdict::Found("X".into()));
        let r = FleetReport {
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            hosts: vec![host(vec![clean()], None)],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().status, FleetStatus::AllClean);
        assert_eq!(r.summary().exit_code(), 0);
        let r = FleetReport {
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            hosts: vec![host(vec![clean()], None), host(vec![found()], None)],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().status, FleetStatus::Infected);
        assert_eq!(r.summary().exit_code(), 1);
        let r = FleetReport {
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            hosts: vec![
                host(vec![found()], None),
                host(vec![], Some(Error::UnknownCommand)),
            ],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().status, FleetStatus::Infected);
        assert_eq!(r.summary().exit_code(), 1, "an infection outranks errors");
        assert_eq!(r.summary().hosts_failed, 1);
        let r = FleetReport {
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            hosts: vec![host(vec![clean()], Some(Error::UnknownCommand))],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().exit_code(), 2);
        let error_line = ScanResult::new("/c", Verdict::Error("lstat() failed".into()));
        let r = FleetReport {
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            hosts: vec![host(vec![clean(), error_line], None)],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().exit_code(), 2);
        // Walk errors are counted once with the others, as clamdscan's `Total errors`.
        let denied = || WalkError::new("/d", crate::WalkReason::PermissionDenied);
        let r = FleetReport {
            walk_errors: vec![denied(), denied()],
            skipped: Vec::new(),
            hosts: vec![host(vec![clean()], Some(Error::UnknownCommand))],
            elapsed: Duration::ZERO,
        };
        let sum = r.summary();
        assert_eq!((sum.walk_errors, sum.errors), (2, 3));
        assert_eq!(sum.status, FleetStatus::Incomplete);
        assert_eq!(sum.exit_code(), 2);
        let r = FleetReport {
            walk_errors: vec![denied()],
            skipped: Vec::new(),
            hosts: vec![host(vec![clean()], None)],
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.summary().exit_code(), 2, "a walk error alone is an error");
        let r = FleetReport {
            walk_errors: vec![denied()],
            skipped: Vec::new(),
            hosts: vec![host(vec![found()], None)],
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            r.summary().exit_code(),
            1,
            "an infection outranks walk errors"
        );
    }
}
