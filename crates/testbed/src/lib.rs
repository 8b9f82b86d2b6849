//! Real components for opskit's tests, examples and benchmarks, started and stopped by code.
//!
//! Each fixture is a feature, so that a crate's tests build only what they use. The names below
//! are not links, because a module exists only with its feature (docs.rs builds them all):
//!
//! - `browser`: `browser::Browser`, headless Chromium driven through Debian's `chromedriver`
//!   (W3C `WebDriver` over a small HTTP/1.1 client on loopback);
//! - `clamd`: `clamd::Clamd`, a private clamd with a signature database written by the test;
//! - `netns`: `netns::Topology`, a test network of namespaces and veth pairs;
//! - `scapy`: `scapy::Traceroute`, scapy's `traceroute` run as an oracle in a `scapy::Network`,
//!   the test network the oracle test and the trace benchmark share;
//! - `postgres`: `postgres::Postgres`, a private PostgreSQL server made with `initdb`;
//! - `rrd`: `rrd::TrafficRrd`, an RRD like the recipe's `Flow.rrd`, and a private rrdcached;
//! - `rrdgraph`: `rrdgraph::option_samples`, `rrdgraph::element_samples`, `rrdgraph::catalog`
//!   and `rrdgraph::corpus`, samples of every rrdgraph option and element for table tests,
//!   snapshots and benchmarks;
//! - `tracelb`: `tracelb::tracelb`, scamper's multipath `tracelb` run as an oracle in a
//!   namespace test network;
//! - `tree`: `tree::BadTree`, a tree with every entry kind a local walk must report, and
//!   `tree::as_nobody` to walk it unprivileged;
//! - `stunnel`: `stunnel::Stunnel`, Debian's stunnel in front of a TCP service (the private
//!   clamd), with a test CA and certificates made by `openssl` (`stunnel::Pki`).
//!
//! Fixtures clean up on drop, also after a panic. [`run_measured`] (always built) runs a
//! child process and reads its peak resident set size, for tests that bound memory.

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "clamd")]
pub mod clamd;
#[cfg(feature = "netns")]
pub mod netns;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "rrd")]
pub mod rrd;
#[cfg(feature = "rrdgraph")]
pub mod rrdgraph;
#[cfg(feature = "scapy")]
pub mod scapy;
#[cfg(any(feature = "clamd", feature = "postgres", feature = "stunnel"))]
mod spawner;
#[cfg(feature = "stunnel")]
pub mod stunnel;
#[cfg(feature = "tracelb")]
pub mod tracelb;
#[cfg(feature = "tree")]
pub mod tree;

mod peak;
mod privileges;
pub use peak::{Measured, run_measured};
pub use privileges::{in_ci, require_root};
