//! Real components for opskit's tests, examples and benchmarks, started and stopped by code.
//!
//! Each fixture is a feature, so that a crate's tests build only what they use:
//!
//! - `clamd`: [`clamd::Clamd`], a private clamd with a signature database written by the test;
//! - `netns`: [`netns::Topology`], a test network of namespaces and veth pairs;
//! - `rrd`: [`rrd::TrafficRrd`], an RRD like the recipe's `Flow.rrd`, and a private rrdcached.
//!
//! Fixtures clean up on drop, also after a panic. [`run_measured`] (always built) runs a
//! child process and reads its peak resident set size, for tests that bound memory.

#[cfg(feature = "clamd")]
pub mod clamd;
#[cfg(feature = "netns")]
pub mod netns;
#[cfg(feature = "rrd")]
pub mod rrd;

mod peak;
mod privileges;
pub use peak::{Measured, run_measured};
pub use privileges::{in_ci, require_root};
