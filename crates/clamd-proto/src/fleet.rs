//! Running one scan plan on many clamd hosts.

mod builder;
mod event;
mod pipeline;
mod report;
mod semaphore;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use builder::{DEFAULT_CONCURRENCY, DEFAULT_HOST_TIMEOUT, DEFAULT_PER_HOST, FleetBuilder};
pub use event::{FleetEvent, Progress};
pub use report::{HostReport, HostState, JobReport, JobStatus, SkipReason, Tally};
use semaphore::{Permit, Semaphore};

use crate::blocking::Client;
use crate::budget::Budget;
use crate::endpoint::Endpoint;
use crate::proto::command::ScanMode;
use crate::proto::reply::{ScanResult, Verdict};
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
///
/// # Example
///
/// A plan that walks a local tree and streams its files to clamd (INSTREAM), as for hosts that
/// cannot see the files; what the walk could not read is in the report, not lost:
///
/// ```
/// use clamd_proto::{EICAR, Endpoint, Fleet, ScanPlan, walk};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let clamd = testbed::clamd::Clamd::start()?;
/// let tree = clamd.dir().join("tree");
/// std::fs::create_dir_all(tree.join("sub"))?;
/// std::fs::write(tree.join("a.txt"), "clean")?;
/// std::fs::write(tree.join("sub/eicar.com"), EICAR)?;
/// std::os::unix::fs::symlink(tree.join("gone"), tree.join("dangling"))?;
///
/// let plan = ScanPlan::stream_walk(walk([&tree])).version(false);
/// let report = Fleet::new([Endpoint::unix(clamd.socket_path())]).run(&plan);
///
/// let host = &report.hosts[0];
/// let infected: Vec<_> = host.results.iter().filter(|r| r.is_infected()).collect();
/// assert_eq!(infected.len(), 1);
/// assert_eq!(infected[0].path(), tree.join("sub/eicar.com"));
/// // The dangling link is a walk error with its path, and counts as an error.
/// assert_eq!(report.walk_errors.len(), 1);
/// assert_eq!(report.walk_errors[0].path, tree.join("dangling"));
/// assert_eq!(report.summary().errors, 1);
/// // Two files given, two sent.
/// let tally = report.tally();
/// assert_eq!((tally.given, tally.done), (2, 2));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ScanPlan {
    reload: bool,
    version: bool,
    stats: bool,
    target: Target,
    walk_errors: Vec<WalkError>,
    pub(crate) skipped: Vec<Skipped>,
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
        self.job_paths().len()
    }

    /// The scan jobs each host runs: the paths of a path scan, or the local files sent.
    pub fn jobs_per_host(&self) -> usize {
        self.jobs()
    }

    /// The path or local file of each job, in order: what a caller that stops a run early
    /// lists as not scanned when no result came for it.
    #[must_use]
    pub fn job_paths(&self) -> &[PathBuf] {
        match &self.target {
            Target::Nothing => &[],
            Target::Paths { paths, .. } => paths,
            Target::Stream { files } | Target::Fildes { files } => files,
        }
    }
}

/// The overall conclusion of a fleet scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FleetStatus {
    /// Every host answered and nothing was found.
    AllClean,
    /// Something was found on at least one host.
    Infected,
    /// Nothing was found, but a host or a file failed or was not scanned, so it is not known
    /// to be clean.
    Incomplete,
}

/// Counts over all hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// The JSON has exactly these fields: the schema says so.
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct Summary {
    /// Hosts in the fleet.
    pub hosts: usize,
    /// Hosts that failed, or whose jobs did not all complete ([`HostState::Failed`]).
    pub hosts_failed: usize,
    /// Hosts never contacted ([`HostState::NotScanned`]), e.g. because the run's deadline
    /// passed first.
    pub hosts_not_scanned: usize,
    /// The jobs over all hosts: given, done, failed, skipped.
    pub jobs: Tally,
    /// Scan lines that are infected.
    pub infected: usize,
    /// Scan lines that are errors.
    pub file_errors: usize,
    /// Entries of the local walk that could not be scanned (counted once, whatever the
    /// number of hosts).
    pub walk_errors: usize,
    /// Every error, as clamdscan's `Total errors`: the sum of `walk_errors`, `file_errors`,
    /// `hosts_failed` and `hosts_not_scanned`.
    pub errors: usize,
    /// The conclusion.
    pub status: FleetStatus,
}

impl Summary {
    /// clamdscan's exit status: 1 if anything was found, otherwise 2 if there was any error
    /// (a host, a scan line or an entry of the local walk) or a host was not scanned,
    /// otherwise 0.
    ///
    /// An infection outranks errors, as in clamdscan 1.x (`return infected ? 1 : (errors ? 2 :
    /// 0)`): a run that found a virus and also failed on another file or host exits 1, and the
    /// errors are counted in the summary.
    pub fn exit_code(&self) -> u8 {
        self.status.exit_code()
    }
}

impl FleetStatus {
    /// The conclusion of a run with these counts: infected outranks errors.
    pub(crate) fn of(infected: usize, errors: usize) -> Self {
        if infected > 0 {
            Self::Infected
        } else if errors > 0 {
            Self::Incomplete
        } else {
            Self::AllClean
        }
    }

    /// clamdscan's exit status for this conclusion: 1 infected, 2 incomplete, 0 all clean.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Infected => 1,
            Self::Incomplete => 2,
            Self::AllClean => 0,
        }
    }
}

/// The reports of all hosts, in the fleet's order.
#[derive(Debug)]
#[non_exhaustive]
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
    /// Every job of every host, accounted for: `given == done + failed + skipped`.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for h in &self.hosts {
            t += h.tally();
        }
        t
    }

    /// Counts and conclusion.
    pub fn summary(&self) -> Summary {
        let count = |state| self.hosts.iter().filter(|h| h.state() == state).count();
        let hosts_failed = count(HostState::Failed);
        let hosts_not_scanned = count(HostState::NotScanned);
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
        let errors = walk_errors + file_errors + hosts_failed + hosts_not_scanned;
        let status = FleetStatus::of(infected, errors);
        Summary {
            hosts: self.hosts.len(),
            hosts_failed,
            hosts_not_scanned,
            jobs: self.tally(),
            infected,
            file_errors,
            walk_errors,
            errors,
            status,
        }
    }
}

/// Many clamd hosts, scanned with one plan. Concurrency is bounded globally and per host;
/// every host has its own deadline, which starts when the host obtains its first connection
/// permit, and the run may have a deadline of its own. Built by [`Fleet::builder`], where the
/// defaults are listed.
///
/// # Example
///
/// One private clamd from the testbed, reached over TCP and over its Unix socket, as a fleet
/// of two hosts; each scans a directory on its own host with MULTISCAN:
///
/// ```
/// use std::time::Duration;
///
/// use clamd_proto::{EICAR, Endpoint, Fleet, FleetStatus, ScanMode, ScanPlan};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let clamd = testbed::clamd::Clamd::start()?;
/// let www = clamd.dir().join("www");
/// std::fs::create_dir(&www)?;
/// std::fs::write(www.join("index.html"), "<p>hello</p>")?;
/// std::fs::write(www.join("upload.bin"), EICAR)?;
///
/// let hosts = [
///     Endpoint::from(clamd.tcp_addr()),
///     Endpoint::unix(clamd.socket_path()),
/// ];
/// let fleet = Fleet::builder(hosts)
///     .concurrency(4)
///     .host_timeout(Duration::from_secs(60))
///     .build()?;
/// let report = fleet.run(&ScanPlan::paths(ScanMode::MultiScan, [&www]).reload(true));
///
/// for host in &report.hosts {
///     assert!(host.ok(), "{}: {:?}", host.endpoint, host.first_error());
///     assert_eq!(host.results.iter().filter(|r| r.is_infected()).count(), 1);
/// }
/// let summary = report.summary();
/// assert_eq!(summary.status, FleetStatus::Infected);
/// assert_eq!(summary.exit_code(), 1);
/// let tally = report.tally();
/// assert_eq!((tally.given, tally.done), (2, 2));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Fleet {
    hosts: Vec<Endpoint>,
    clients: Vec<Client>,
    concurrency: usize,
    per_host: usize,
    host_timeout: Duration,
    deadline: Option<Duration>,
}

impl Fleet {
    /// The hosts.
    pub fn hosts(&self) -> &[Endpoint] {
        &self.hosts
    }

    /// Runs the plan on every host. Every host and every job is in the report: done, failed
    /// (with its error) or skipped (with the reason), see [`FleetReport::tally`].
    pub fn run(&self, plan: &ScanPlan) -> FleetReport {
        self.run_with_progress(plan, |_| {})
    }

    /// Runs the plan, calling `progress` after each scan job (also for jobs skipped).
    pub fn run_with_progress(
        &self,
        plan: &ScanPlan,
        progress: impl Fn(Progress) + Sync,
    ) -> FleetReport {
        self.run_with_events(plan, |e| {
            if let FleetEvent::JobDone { progress: p, .. } = e {
                progress(p);
            }
        })
    }

    /// Runs the plan, calling `on_event` as things happen: each host ready, each scan line as
    /// clamd sends it, each job finished and each host finished ([`FleetEvent`]). The callback
    /// runs on the hosts' worker threads, so it should be quick; the report is the same as
    /// [`run`](Self::run)'s.
    pub fn run_with_events(
        &self,
        plan: &ScanPlan,
        on_event: impl Fn(FleetEvent<'_>) + Sync,
    ) -> FleetReport {
        let start = Instant::now();
        let run_deadline = self.deadline.map(|d| start + d);
        let permits = Semaphore::new(self.concurrency);
        let done = AtomicUsize::new(0);
        let total = plan.jobs() * self.hosts.len();
        let tick = |host: usize| {
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            on_event(FleetEvent::JobDone {
                host,
                progress: Progress { done: d, total },
            });
        };
        let hosts = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .clients
                .iter()
                .enumerate()
                .map(|(i, client)| {
                    let (permits, tick, on_event) = (&permits, &tick, &on_event);
                    scope.spawn(move || {
                        let host = Host {
                            index: i,
                            client,
                            tick: &|| tick(i),
                            on_event,
                        };
                        let report = self.run_host(&host, plan, permits, run_deadline);
                        on_event(FleetEvent::HostDone {
                            host: i,
                            report: &report,
                        });
                        report
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(&self.clients)
                .map(|(h, c)| {
                    h.join().unwrap_or_else(|_| {
                        let mut r = HostReport::new(c.endpoint().clone());
                        r.error = Some(Error::Server("the host's worker thread panicked".into()));
                        r.jobs = skipped(plan, SkipReason::HostFailed);
                        r
                    })
                })
                .collect()
        });
        FleetReport {
            hosts,
            elapsed: start.elapsed(),
            walk_errors: plan.walk_errors.clone(),
            skipped: plan.skipped.clone(),
        }
    }

    fn run_host(
        &self,
        host: &Host<'_>,
        plan: &ScanPlan,
        permits: &Semaphore,
        run_deadline: Option<Instant>,
    ) -> HostReport {
        let (client, tick) = (host.client, host.tick);
        let mut report = HostReport::new(client.endpoint().clone());
        let skip_all = |report: &mut HostReport, reason| {
            report.jobs = skipped(plan, reason);
            plan.job_paths().iter().for_each(|_| tick());
        };
        // The host's clock starts with its first permit: time spent waiting behind other
        // hosts is theirs, not this host's.
        let first = permits.acquire_until(run_deadline);
        let start = Instant::now();
        let Some(first) = first.filter(|_| run_deadline.is_none_or(|d| start < d)) else {
            report.not_scanned = Some(SkipReason::RunDeadline);
            skip_all(&mut report, SkipReason::RunDeadline);
            return report;
        };
        let host_deadline = start + self.host_timeout;
        let (deadline, late) = match run_deadline {
            Some(d) if d < host_deadline => (d, SkipReason::RunDeadline),
            _ => (host_deadline, SkipReason::HostDeadline),
        };
        // Each operation gets what is left of the host's deadline; once it has passed, nothing
        // more connects.
        let timed = |op: &'static str| match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(client.with_timeout(left)),
            _ => Err(Error::Timeout {
                op,
                endpoint: client.endpoint().to_string(),
                after: deadline.saturating_duration_since(start),
            }),
        };
        let setup = setup(&mut report, plan, &timed);
        if let Err(e) = setup {
            report.error = Some(e);
            skip_all(&mut report, SkipReason::HostFailed);
            report.elapsed = start.elapsed();
            return report;
        }
        (host.on_event)(FleetEvent::HostReady {
            host: host.index,
            endpoint: client.endpoint(),
            version: report.version.as_ref(),
        });
        let slots = self.run_jobs(host, plan, permits, (deadline, late), &timed);
        drop(first);
        for (slot, path) in slots.into_iter().zip(plan.job_paths()) {
            let (lines, status) = slot
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or_else(|| {
                    let e = Error::Server("the job's worker thread panicked".into());
                    (Vec::new(), JobStatus::Failed(e))
                });
            // Results that arrived before a failure are kept, with the job's error.
            report.results.extend(lines);
            report.jobs.push(JobReport {
                path: path.clone(),
                status,
            });
        }
        report.elapsed = start.elapsed();
        report
    }

    /// Runs the host's jobs on up to `per_host` connections, each job's outcome in its slot;
    /// `timed` gives a client with what is left of the host's deadline, and jobs that find it
    /// passed are skipped for `late`.
    fn run_jobs(
        &self,
        host: &Host<'_>,
        plan: &ScanPlan,
        permits: &Semaphore,
        (deadline, late): (Instant, SkipReason),
        timed: &(dyn Fn(&'static str) -> Result<Client> + Sync),
    ) -> Vec<Mutex<Option<JobOutcome>>> {
        let (client, tick) = (host.client, host.tick);
        let on_result = |result: &ScanResult| {
            (host.on_event)(FleetEvent::Result {
                host: host.index,
                endpoint: client.endpoint(),
                result,
            });
        };
        let jobs = plan.jobs();
        let budget = Arc::new(client.config().budget());
        let capped = Mutex::new(false);
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<JobOutcome>>> = (0..jobs).map(|_| Mutex::new(None)).collect();
        let is_capped = || *capped.lock().unwrap_or_else(PoisonError::into_inner);
        let record = |i: usize, lines, error: Option<Error>| {
            if let Some(Error::TooManyResults { .. } | Error::ResultBytesExceeded { .. }) = &error {
                *capped.lock().unwrap_or_else(PoisonError::into_inner) = true;
            }
            let status = error.map_or(JobStatus::Done, JobStatus::Failed);
            *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some((lines, status));
            tick();
        };
        let alone = |i: usize| {
            if is_capped() {
                *slots[i].lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((Vec::new(), JobStatus::Skipped(SkipReason::ResultLimit)));
                tick();
            } else if let Ok(client) = timed("a scan") {
                let (lines, error) = run_job(&client, &plan.target, i, &budget, &on_result);
                record(i, lines, error);
            } else {
                // A job whose host has run out of time never connects.
                *slots[i].lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((Vec::new(), JobStatus::Skipped(late)));
                tick();
            }
        };
        let claim = || Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < jobs);
        let finish = |i: usize, r: Result<ScanResult>| {
            let path = &plan.job_paths()[i];
            let (lines, error) = local_outcome(path, r, &budget, &on_result);
            record(i, lines, error);
        };
        // Local files share one IDSESSION per connection; other targets (and a host whose
        // time is up) run a connection per job.
        let piped = match &plan.target {
            Target::Stream { files } => Some((files, false)),
            Target::Fildes { files } => Some((files, true)),
            _ => None,
        };
        let run_conn = |claim: &(dyn Fn() -> Option<usize> + Sync)| match (piped, timed("a scan")) {
            (Some((files, fildes)), Ok(client)) if next.load(Ordering::Relaxed) < jobs => {
                pipeline::Pipeline {
                    files,
                    fildes,
                    deadline,
                    claim,
                    stop: &is_capped,
                    finish: &finish,
                    alone: &alone,
                }
                .run(&client);
            }
            _ => {
                while let Some(i) = claim() {
                    alone(i);
                }
            }
        };
        let connections = AtomicUsize::new(1);
        std::thread::scope(|scope| {
            let (run_conn, claim) = (&run_conn, &claim);
            let claim_and_grow = || {
                let i = claim()?;
                // More jobs are waiting: open another connection to this host if a permit is
                // free now. Never wait for one, so that a started host is not held up by
                // others.
                if connections.load(Ordering::Relaxed) < self.per_host
                    && next.load(Ordering::Relaxed) < jobs
                    && let Some(permit) = permits.try_acquire()
                {
                    connections.fetch_add(1, Ordering::Relaxed);
                    scope.spawn(move || helper(permit, claim, run_conn));
                }
                Some(i)
            };
            run_conn(&claim_and_grow);
        });
        slots
    }
}

/// PING, then RELOAD, VERSION and STATS as the plan asks, each with what is left of the
/// host's deadline (`timed`), recorded in the host's report.
fn setup(
    report: &mut HostReport,
    plan: &ScanPlan,
    timed: &dyn Fn(&'static str) -> Result<Client>,
) -> Result<()> {
    let t = Instant::now();
    timed("PING")?.ping()?;
    report.latency = Some(t.elapsed());
    if plan.reload {
        timed("RELOAD")?.reload()?;
    }
    if plan.version {
        report.version = Some(timed("VERSION")?.version()?);
    }
    if plan.stats {
        report.stats = Some(timed("STATS")?.stats()?);
    }
    Ok(())
}

/// One host of a running fleet, and where its events go.
struct Host<'a> {
    index: usize,
    client: &'a Client,
    tick: &'a (dyn Fn() + Sync),
    on_event: &'a (dyn Fn(FleetEvent<'_>) + Sync),
}

/// The jobs one connection runs while `claim` gives them.
type ConnRunner<'a> = dyn Fn(&(dyn Fn() -> Option<usize> + Sync)) + Sync + 'a;

/// A further connection to one host: runs jobs while any are left, then gives its permit back.
fn helper(
    permit: Permit<'_>,
    claim: &(dyn Fn() -> Option<usize> + Sync),
    run_conn: &ConnRunner<'_>,
) {
    run_conn(claim);
    drop(permit);
}

/// Every job of the plan, skipped for `reason`.
fn skipped(plan: &ScanPlan, reason: SkipReason) -> Vec<JobReport> {
    plan.job_paths()
        .iter()
        .map(|p| JobReport {
            path: p.clone(),
            status: JobStatus::Skipped(reason),
        })
        .collect()
}

/// The result lines of one job, and what became of it.
type JobOutcome = (Vec<ScanResult>, JobStatus);

/// Runs job `i`, counting its results against the host's `budget` and giving each line to
/// `on_result` as it arrives; returns the lines received (also before a failure) and the error
/// that ended it, if any.
fn run_job(
    client: &Client,
    target: &Target,
    i: usize,
    budget: &Arc<Budget>,
    on_result: &(dyn Fn(&ScanResult) + Sync),
) -> (Vec<ScanResult>, Option<Error>) {
    let local = |path: &std::path::Path, r| local_outcome(path, r, budget, on_result);
    match target {
        Target::Nothing => (Vec::new(), None),
        Target::Paths { mode, paths } => {
            client.scan_path_budget_each(*mode, &paths[i], Arc::clone(budget), &mut |r| {
                on_result(r);
            })
        }
        Target::Stream { files } => local(&files[i], client.stream_file(&files[i])),
        Target::Fildes { files } => local(&files[i], client.fildes_file(&files[i])),
    }
}

/// The outcome of one local file's scan, counted against `budget` and given to `on_result`.
fn local_outcome(
    path: &std::path::Path,
    r: Result<ScanResult>,
    budget: &Budget,
    on_result: &(dyn Fn(&ScanResult) + Sync),
) -> (Vec<ScanResult>, Option<Error>) {
    // A local file that cannot be opened or read (it vanished or changed after the walk) is
    // an `ERROR` line for that file, not a failure of the host: the host's other files are
    // scanned and every such file is named.
    let r = match r {
        Err(Error::Read { source, .. }) => {
            Ok(ScanResult::new(path, Verdict::Error(source.to_string())))
        }
        r => r,
    };
    match r.and_then(|r| budget.charge(&r).map(|()| r)) {
        Ok(r) => {
            on_result(&r);
            (vec![r], None)
        }
        Err(e) => (Vec::new(), Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(results: Vec<ScanResult>, error: Option<Error>) -> HostReport {
        let mut h = HostReport::new(Endpoint::unix("/run/clamav/clamd.ctl"));
        h.results = results;
        h.error = error;
        h
    }

    fn report(hosts: Vec<HostReport>) -> FleetReport {
        FleetReport {
            hosts,
            elapsed: Duration::ZERO,
            walk_errors: Vec::new(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn summary_and_exit_codes() {
        let clean = || ScanResult::new("/a", Verdict::Clean);
        let found = || ScanResult::new("/b", Verdict::Found("X".into()));
        let r = report(vec![host(vec![clean()], None)]);
        assert_eq!(r.summary().status, FleetStatus::AllClean);
        assert_eq!(r.summary().exit_code(), 0);
        let r = report(vec![host(vec![clean()], None), host(vec![found()], None)]);
        assert_eq!(r.summary().status, FleetStatus::Infected);
        assert_eq!(r.summary().exit_code(), 1);
        let r = report(vec![
            host(vec![found()], None),
            host(vec![], Some(Error::UnknownCommand)),
        ]);
        assert_eq!(r.summary().status, FleetStatus::Infected);
        assert_eq!(r.summary().exit_code(), 1, "an infection outranks errors");
        assert_eq!(r.summary().hosts_failed, 1);
        let r = report(vec![host(vec![clean()], Some(Error::UnknownCommand))]);
        assert_eq!(r.summary().exit_code(), 2);
        let error_line = ScanResult::new("/c", Verdict::Error("lstat() failed".into()));
        let r = report(vec![host(vec![clean(), error_line], None)]);
        assert_eq!(r.summary().exit_code(), 2);
        // Walk errors are counted once with the others, as clamdscan's `Total errors`.
        let denied = || WalkError::new("/d", crate::WalkReason::PermissionDenied);
        let walked = |walk_errors: Vec<WalkError>, hosts| FleetReport {
            walk_errors,
            ..report(hosts)
        };
        let sum = walked(
            vec![denied(), denied()],
            vec![host(vec![clean()], Some(Error::UnknownCommand))],
        )
        .summary();
        assert_eq!((sum.walk_errors, sum.errors), (2, 3));
        assert_eq!(sum.status, FleetStatus::Incomplete);
        assert_eq!(sum.exit_code(), 2);
        let r = walked(vec![denied()], vec![host(vec![clean()], None)]);
        assert_eq!(r.summary().exit_code(), 2, "a walk error alone is an error");
        let r = walked(vec![denied()], vec![host(vec![found()], None)]);
        assert_eq!(
            r.summary().exit_code(),
            1,
            "an infection outranks walk errors"
        );
    }

    #[test]
    fn a_host_not_scanned_is_incomplete_and_counted() {
        let mut h = host(vec![], None);
        h.not_scanned = Some(SkipReason::RunDeadline);
        h.jobs = skipped(
            &ScanPlan::paths(ScanMode::Scan, ["/a", "/b"]),
            SkipReason::RunDeadline,
        );
        assert_eq!(h.state(), HostState::NotScanned);
        let r = report(vec![host(vec![], None), h]);
        let s = r.summary();
        assert_eq!((s.hosts_failed, s.hosts_not_scanned), (0, 1));
        assert_eq!((s.status, s.exit_code()), (FleetStatus::Incomplete, 2));
        assert_eq!(
            r.tally(),
            Tally {
                given: 2,
                done: 0,
                failed: 0,
                skipped: 2
            }
        );
    }
}
