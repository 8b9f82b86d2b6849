//! What a fleet run tells its observer while it runs ([`Fleet::run_with_events`]).
//!
//! [`Fleet::run_with_events`]: crate::Fleet::run_with_events

use crate::endpoint::Endpoint;
use crate::proto::reply::{ScanResult, Version};

use super::report::HostReport;

/// Progress of a fleet run, given to the callback of
/// [`Fleet::run_with_progress`](crate::Fleet::run_with_progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Scan jobs (paths or files times hosts) finished so far.
    pub done: usize,
    /// All scan jobs.
    pub total: usize,
}

/// One thing that happened during a fleet run, as it happened. Events of different hosts
/// interleave (hosts run in parallel); the events of one job come in clamd's order. Every
/// result given as an event is also in the final [`FleetReport`](crate::FleetReport).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FleetEvent<'a> {
    /// The host answered PING (and RELOAD, VERSION and STATS, when asked): its scans start.
    HostReady {
        /// The host's index in the fleet.
        host: usize,
        /// The host.
        endpoint: &'a Endpoint,
        /// Its VERSION, when asked.
        version: Option<&'a Version>,
    },
    /// A scan line, as soon as clamd sent it (CONTSCAN and MULTISCAN send one line per
    /// infected or failed file during the scan), or the verdict of one streamed file.
    Result {
        /// The host's index in the fleet.
        host: usize,
        /// The host.
        endpoint: &'a Endpoint,
        /// The line.
        result: &'a ScanResult,
    },
    /// A scan job of a host finished (done, failed or skipped).
    JobDone {
        /// The host's index in the fleet.
        host: usize,
        /// Jobs finished over the whole fleet.
        progress: Progress,
    },
    /// The host is finished: its report is final.
    HostDone {
        /// The host's index in the fleet.
        host: usize,
        /// Its report.
        report: &'a HostReport,
    },
}
