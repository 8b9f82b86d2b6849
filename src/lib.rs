#![doc = include_str!("../README.md")]
//!
//! # Crate features
//!
//! Each library is one feature, all on by default:
//!
//! - `rrdgraph`: [`rrdgraph`], rrdtool graph specs rendered through librrd;
//! - `tcptrace`: [`tcptrace`], the TCP SYN traceroute engine and AS resolution;
//! - `clamd`: [`clamd`], the clamd protocol and fleet scanning;
//! - `routeviz`: [`routeviz`], route maps to SVG, PNG and DOT; with `tcptrace` also on, a
//!   `TraceReport` converts to a map's `TraceSet` (`TraceSet::from(&report)`).
//!
//! And one off by default:
//!
//! - `schema`: `schemars::JsonSchema` on the report types of the libraries that are on
//!   (`tcptrace`'s `TraceReport`), the types the JSON Schemas in `schemas/` come from.

/// rrdtool graph specs: build, validate, parse old argument lists, render through librrd.
#[cfg(feature = "rrdgraph")]
pub mod rrdgraph {
    pub use ::rrdgraph::*;
}

/// TCP SYN traceroute over raw sockets, with a hop model and AS resolution.
#[cfg(feature = "tcptrace")]
pub mod tcptrace {
    pub use ::tcptrace::*;
}

/// The clamd protocol over TCP and Unix sockets, and fleet scanning.
#[cfg(feature = "clamd")]
pub mod clamd {
    pub use ::clamd_proto::*;
}

/// TTL-layered route maps with AS clusters, drawn to SVG, PNG and DOT.
#[cfg(feature = "routeviz")]
pub mod routeviz {
    pub use ::routeviz::*;
}
