//! What a pool run gives back: every file once, with the host that scanned it, each host's
//! counts, and every failover.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use crate::endpoint::Endpoint;
use crate::fleet::FleetStatus;
use crate::proto::reply::ScanResult;
use crate::walk::{Skipped, WalkError};

/// Why a file of a pool run was never scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolSkip {
    /// Every host of the pool was down before the file could be sent.
    HostsDown,
    /// The run's deadline ([`PoolBuilder::deadline`](crate::PoolBuilder::deadline)) passed
    /// before the file could be sent.
    RunDeadline,
}

impl PoolSkip {
    /// A stable name for the reason, as the JSON report writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::HostsDown => "hosts_down",
            Self::RunDeadline => "run_deadline",
        }
    }
}

impl fmt::Display for PoolSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HostsDown => "every host of the pool is down",
            Self::RunDeadline => "the run's deadline passed",
        })
    }
}

/// What became of one file.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileOutcome {
    /// A host answered with its verdict (clean, found, or clamd's `ERROR` line for the file;
    /// a local file that could not be read at scan time is such an `ERROR` line too).
    Scanned(ScanResult),
    /// The file failed: the host refused it (e.g. clamd's `StreamMaxLength`), or it was in
    /// flight on [`max_attempts`](crate::PoolBuilder::max_attempts) hosts that died, or the
    /// last host died with it in flight, or the run's deadline cut its scan. The error is the
    /// last one.
    Failed(Error),
    /// It was never sent, for this reason.
    NotScanned(PoolSkip),
}

/// One file of the run, reported exactly once.
#[derive(Debug)]
#[non_exhaustive]
pub struct PoolFile {
    /// The local file, as the walk gave it.
    pub path: PathBuf,
    /// The index (in [`PoolReport::hosts`]) of the host that answered it or failed with it
    /// last; `None` for a file never sent.
    pub host: Option<usize>,
    /// What became of it.
    pub outcome: FileOutcome,
    /// Hosts that died with this file in flight before it was sent to this one.
    pub failovers: usize,
}

impl PoolFile {
    /// Whether a host found something in it.
    pub fn is_infected(&self) -> bool {
        matches!(&self.outcome, FileOutcome::Scanned(r) if r.is_infected())
    }

    /// Whether it is an `ERROR` line, failed or not scanned: not known to be clean.
    pub fn is_error(&self) -> bool {
        match &self.outcome {
            FileOutcome::Scanned(r) => r.is_error(),
            FileOutcome::Failed(_) | FileOutcome::NotScanned(_) => true,
        }
    }
}

/// A file taken off a host that died with it in flight and queued for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failover {
    /// The file's index in [`PoolReport::files`].
    pub file: usize,
    /// The file.
    pub path: PathBuf,
    /// The host that died with it (an index in [`PoolReport::hosts`]).
    pub from: usize,
    /// How the host failed, in words (the error of this file's connection).
    pub error: String,
}

/// One time a host was out of the pool: from the failure that took it down to the probe that
/// found it back, if one did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outage {
    /// When it went down, from the run's start.
    pub down_at: Duration,
    /// Why, in words: the failure (refused, reset, deadline) of a connection to it.
    pub error: String,
    /// When a probe found it back, from the run's start; `None` if none did before the run
    /// ended (or it was given up).
    pub up_at: Option<Duration>,
    /// Probes that failed during this outage.
    pub failed_probes: usize,
    /// Files it answered with a verdict after it came back, until its next outage or the
    /// end of the run.
    pub scanned_after: usize,
}

/// One host's share of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolHost {
    /// The host.
    pub endpoint: Endpoint,
    /// Why it was first taken out of the pool, in words: the first failure (refused, reset,
    /// deadline) of a connection to it. `None` for a host that stayed up.
    pub down: Option<String>,
    /// Each time it was out of the pool, in order; empty for a host that stayed up.
    pub outages: Vec<Outage>,
    /// Whether its probes ran out ([`PoolBuilder::retry_probes`](crate::PoolBuilder::retry_probes)):
    /// it was out for the rest of the run.
    pub given_up: bool,
    /// Files it answered with a verdict.
    pub scanned: usize,
    /// Of those, infected.
    pub infected: usize,
    /// Of those, clamd's `ERROR` lines.
    pub file_errors: usize,
    /// Files it answered with a failure of the file ([`FileOutcome::Failed`]).
    pub failed: usize,
    /// Bytes of the files it answered (their sizes when the walk met them).
    pub bytes: u64,
    /// Files that were in flight on it when it died, moved to other hosts or given up.
    pub failovers: usize,
}

impl PoolHost {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            down: None,
            outages: Vec::new(),
            given_up: false,
            scanned: 0,
            infected: 0,
            file_errors: 0,
            failed: 0,
            bytes: 0,
            failovers: 0,
        }
    }
}

/// Counts over a pool run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
// The JSON has exactly these fields: the schema says so.
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[non_exhaustive]
pub struct PoolSummary {
    /// Hosts in the pool.
    pub hosts: usize,
    /// Hosts taken out of the pool during the run, at least once.
    pub hosts_down: usize,
    /// Outages that ended with the host back in the pool.
    pub rejoins: usize,
    /// Files the walk gave: `files == scanned + failed + not_scanned`.
    pub files: usize,
    /// Files a host answered with a verdict.
    pub scanned: usize,
    /// Files that failed ([`FileOutcome::Failed`]).
    pub failed: usize,
    /// Files never sent ([`FileOutcome::NotScanned`]).
    pub not_scanned: usize,
    /// Files found infected.
    pub infected: usize,
    /// Verdicts that are clamd's `ERROR` lines.
    pub file_errors: usize,
    /// Entries of the walk that could not be scanned.
    pub walk_errors: usize,
    /// Files moved off a host that died.
    pub failovers: usize,
    /// Every error, as clamdscan's `Total errors`: `walk_errors + file_errors + failed +
    /// not_scanned`. A host that went down is not an error by itself: its files were
    /// scanned elsewhere, or are counted here.
    pub errors: usize,
    /// The conclusion: infected, all clean, or incomplete (an error above).
    pub status: FleetStatus,
}

impl PoolSummary {
    /// clamdscan's exit status: 1 if anything was found, otherwise 2 if any file was not
    /// scanned, failed, or is an `ERROR` line, or a walk entry failed, otherwise 0.
    pub fn exit_code(&self) -> u8 {
        self.status.exit_code()
    }
}

/// The result of [`Pool::run`](crate::Pool::run): every file of the walk once, in the
/// walk's order.
#[derive(Debug)]
#[non_exhaustive]
pub struct PoolReport {
    /// Each host's share, in the pool's order.
    pub hosts: Vec<PoolHost>,
    /// Every file the walk gave, once, in the walk's order.
    pub files: Vec<PoolFile>,
    /// Every file moved off a host that died, in the order it happened.
    pub failovers: Vec<Failover>,
    /// Entries of the walk that could not be scanned.
    pub walk_errors: Vec<WalkError>,
    /// Entries of the walk skipped on purpose.
    pub skipped: Vec<Skipped>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl PoolReport {
    /// Counts and conclusion.
    pub fn summary(&self) -> PoolSummary {
        let count =
            |f: fn(&FileOutcome) -> bool| self.files.iter().filter(|x| f(&x.outcome)).count();
        let scanned = count(|o| matches!(o, FileOutcome::Scanned(_)));
        let failed = count(|o| matches!(o, FileOutcome::Failed(_)));
        let not_scanned = count(|o| matches!(o, FileOutcome::NotScanned(_)));
        let infected = self.files.iter().filter(|f| f.is_infected()).count();
        let file_errors = count(|o| matches!(o, FileOutcome::Scanned(r) if r.is_error()));
        let walk_errors = self.walk_errors.len();
        let errors = walk_errors + file_errors + failed + not_scanned;
        let status = FleetStatus::of(infected, errors);
        PoolSummary {
            hosts: self.hosts.len(),
            hosts_down: self.hosts.iter().filter(|h| h.down.is_some()).count(),
            rejoins: self
                .hosts
                .iter()
                .flat_map(|h| &h.outages)
                .filter(|o| o.up_at.is_some())
                .count(),
            files: self.files.len(),
            scanned,
            failed,
            not_scanned,
            infected,
            file_errors,
            walk_errors,
            failovers: self.failovers.len(),
            errors,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::Verdict;

    fn file(outcome: FileOutcome) -> PoolFile {
        PoolFile {
            path: "/f".into(),
            host: Some(0),
            outcome,
            failovers: 0,
        }
    }

    fn report(files: Vec<PoolFile>) -> PoolReport {
        PoolReport {
            hosts: vec![PoolHost::new(Endpoint::unix("/s"))],
            files,
            failovers: Vec::new(),
            walk_errors: Vec::new(),
            skipped: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn a_file_not_scanned_makes_the_run_partial_and_an_infection_outranks_it() {
        let clean = || file(FileOutcome::Scanned(ScanResult::new("/a", Verdict::Clean)));
        let s = report(vec![clean(), clean()]).summary();
        assert_eq!((s.status, s.exit_code()), (FleetStatus::AllClean, 0));
        let s = report(vec![
            clean(),
            file(FileOutcome::NotScanned(PoolSkip::HostsDown)),
        ])
        .summary();
        assert_eq!((s.status, s.exit_code()), (FleetStatus::Incomplete, 2));
        assert_eq!((s.files, s.scanned, s.not_scanned, s.errors), (2, 1, 1, 1));
        let found = file(FileOutcome::Scanned(ScanResult::new(
            "/b",
            Verdict::Found("X".into()),
        )));
        let s = report(vec![
            found,
            file(FileOutcome::Failed(Error::UnknownCommand)),
        ])
        .summary();
        assert_eq!((s.status, s.exit_code()), (FleetStatus::Infected, 1));
        assert_eq!(s.failed, 1);
    }
}
