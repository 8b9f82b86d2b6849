//! What a pool run tells its observer while it runs ([`Pool::run_with_events`]).
//!
//! [`Pool::run_with_events`]: crate::Pool::run_with_events

use std::time::Duration;

use crate::Error;
use crate::endpoint::Endpoint;

use super::report::{Failover, PoolFile};

/// One thing that happened during a pool run, as it happened. Events come from one thread,
/// in the order the run saw them; each file's [`File`](Self::File) event comes exactly once.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum PoolEvent<'a> {
    /// A file is final: scanned, failed or not scanned. It is also in the report.
    File {
        /// The file.
        file: &'a PoolFile,
        /// The host that answered it or failed with it last, if it was sent.
        endpoint: Option<&'a Endpoint>,
    },
    /// A host failed with a file in flight and is out of the pool until a probe finds it
    /// back; comes once per outage, before that file's [`Failover`](Self::Failover).
    HostDown {
        /// The host's index in the pool.
        host: usize,
        /// The host.
        endpoint: &'a Endpoint,
        /// The failure.
        error: &'a Error,
    },
    /// A probe of a host that is down failed.
    ProbeFailed {
        /// The host's index in the pool.
        host: usize,
        /// The host.
        endpoint: &'a Endpoint,
        /// The failure.
        error: &'a Error,
        /// When it is probed again, from now; `None`: its probes ran out and it is out for
        /// the rest of the run.
        retry_in: Option<Duration>,
    },
    /// A host that was down answered its probe and takes files again.
    HostUp {
        /// The host's index in the pool.
        host: usize,
        /// The host.
        endpoint: &'a Endpoint,
        /// How long it was out of the pool.
        down_for: Duration,
    },
    /// A file was moved off a host that died with it in flight.
    Failover {
        /// The move.
        failover: &'a Failover,
        /// The host it left.
        endpoint: &'a Endpoint,
    },
}
