//! Topologies that several crates' tests use, built in one place so that they stay the same.

use super::destination::Destination;
use super::error::Result;
use super::setup::Topology;

/// A destination that answers at once beside one that never answers: `src — r1 — web` with
/// `hole` linked to `r1` too. `web` listens on port 80, so a trace to it ends at TTL 2 within
/// milliseconds; `hole` drops everything it is sent (no reply, no ICMP error), so each of its
/// TTLs past `r1` lasts a whole probe timeout, and a run's deadline cuts a trace to it short.
///
/// Node names: `src`, `r1`, `web`, `hole`.
///
/// # Errors
///
/// As [`TopologyBuilder::build`](super::TopologyBuilder::build).
pub fn web_and_hole() -> Result<Topology> {
    Topology::builder()
        .source("src")
        .router("r1")
        .destination("web", Destination::new().listen(80))
        .destination("hole", Destination::new().blackhole())
        .chain(["src", "r1", "web"])
        .link("r1", "hole")
        .build()
}
