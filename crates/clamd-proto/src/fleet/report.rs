//! What a fleet run gives back for each host and each of its jobs, and the tally that accounts
//! for every job.

use std::fmt;
use std::ops::AddAssign;
use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use crate::endpoint::Endpoint;
use crate::proto::reply::{ScanResult, Stats, Version};

/// Why a job, or a whole host, was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The host failed before its jobs (PING, RELOAD, VERSION or STATS); the failure is the
    /// host's [`error`](HostReport::error).
    HostFailed,
    /// The host's deadline ([`FleetBuilder::host_timeout`](crate::FleetBuilder::host_timeout))
    /// passed before the job started.
    HostDeadline,
    /// The run's deadline ([`FleetBuilder::deadline`](crate::FleetBuilder::deadline)) passed
    /// before the job, or the host, started.
    RunDeadline,
    /// An earlier job of the host reached the host's result cap
    /// ([`ClientBuilder::max_results`](crate::ClientBuilder::max_results) or
    /// [`max_result_bytes`](crate::ClientBuilder::max_result_bytes)), which ends its scan.
    ResultLimit,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HostFailed => "the host failed before its scans",
            Self::HostDeadline => "the host's deadline passed",
            Self::RunDeadline => "the run's deadline passed",
            Self::ResultLimit => "the host's result cap was reached",
        })
    }
}

/// What became of one job.
#[derive(Debug)]
#[non_exhaustive]
pub enum JobStatus {
    /// clamd answered it completely (its lines may still hold per-file `ERROR` verdicts).
    Done,
    /// It ended with this error. Result lines that arrived before the error are kept in the
    /// host's [`results`](HostReport::results).
    Failed(Error),
    /// It was never started, for this reason; nothing was sent for it.
    Skipped(SkipReason),
}

/// One job of one host: a path scanned on the host, or a local file sent to it.
#[derive(Debug)]
#[non_exhaustive]
pub struct JobReport {
    /// The path or local file, as in the plan.
    pub path: PathBuf,
    /// What became of it.
    pub status: JobStatus,
}

/// Where a host ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HostState {
    /// Everything asked was answered.
    Done,
    /// The host or one of its jobs failed, or jobs were skipped after it started.
    Failed,
    /// The host was never contacted ([`HostReport::not_scanned`] says why).
    NotScanned,
}

/// Jobs given, and what became of them: `given == done + failed + skipped` always holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// The JSON has exactly these fields: the schema says so.
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct Tally {
    /// Jobs the plan gave (paths or files, times hosts).
    pub given: usize,
    /// Jobs answered completely.
    pub done: usize,
    /// Jobs that ended with an error.
    pub failed: usize,
    /// Jobs never started.
    pub skipped: usize,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        self.given += other.given;
        self.done += other.done;
        self.failed += other.failed;
        self.skipped += other.skipped;
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
    /// carry the local file's path. Lines that arrived before a job failed (e.g. FOUND lines
    /// before a stall) are kept.
    pub results: Vec<ScanResult>,
    /// The failure of the host itself, before its jobs: PING, RELOAD, VERSION or STATS (its
    /// jobs are then skipped with [`SkipReason::HostFailed`]). A job's own failure is in its
    /// [`JobReport`]; [`first_error`](Self::first_error) gives either.
    pub error: Option<Error>,
    /// Why the host was never contacted, when it was not.
    pub not_scanned: Option<SkipReason>,
    /// One entry per job of the plan, in its order.
    pub jobs: Vec<JobReport>,
    /// The PING round trip, when PING succeeded.
    pub latency: Option<Duration>,
    /// Time spent on the host, from its first connection permit.
    pub elapsed: Duration,
}

impl HostReport {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            version: None,
            stats: None,
            results: Vec::new(),
            error: None,
            not_scanned: None,
            jobs: Vec::new(),
            latency: None,
            elapsed: Duration::ZERO,
        }
    }

    /// Whether the host answered everything asked (scan lines may still hold per-file errors).
    pub fn ok(&self) -> bool {
        self.state() == HostState::Done
    }

    /// Where the host ended up.
    pub fn state(&self) -> HostState {
        if self.not_scanned.is_some() {
            HostState::NotScanned
        } else if self.error.is_none()
            && self
                .jobs
                .iter()
                .all(|j| matches!(j.status, JobStatus::Done))
        {
            HostState::Done
        } else {
            HostState::Failed
        }
    }

    /// The host's own error, or else the error of its first failed job.
    pub fn first_error(&self) -> Option<&Error> {
        self.error.as_ref().or_else(|| {
            self.jobs.iter().find_map(|j| match &j.status {
                JobStatus::Failed(e) => Some(e),
                _ => None,
            })
        })
    }

    /// Whether any result is infected.
    pub fn infected(&self) -> bool {
        self.results.iter().any(ScanResult::is_infected)
    }

    /// This host's jobs: given, done, failed and skipped.
    pub fn tally(&self) -> Tally {
        let mut t = Tally {
            given: self.jobs.len(),
            ..Tally::default()
        };
        for j in &self.jobs {
            match j.status {
                JobStatus::Done => t.done += 1,
                JobStatus::Failed(_) => t.failed += 1,
                JobStatus::Skipped(_) => t.skipped += 1,
            }
        }
        t
    }
}
