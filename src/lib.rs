#![doc = include_str!("../README.md")]
//!
//! # Crate features
//!
//! Each library is one feature, all on by default:
//!
//! - `rrdgraph`: [`rrdgraph`], rrdtool graph specs rendered through librrd;
//! - `tcptrace`: [`tcptrace`], the TCP SYN traceroute engine, the project's one trace model
//!   (`TraceReport`, `Trace`, `Hop`, `Reply`) and AS resolution;
//! - `clamd`: [`clamd`], the clamd protocol and fleet scanning;
//! - `routeviz`: [`routeviz`], route maps to SVG, PNG and DOT. A map draws tcptrace's model
//!   directly (`RouteMap::new(&report)`), so this feature turns on `tcptrace` too.

/// rrdtool graph specs: build, validate, parse old argument lists, render through librrd.
#[cfg(feature = "rrdgraph")]
pub mod rrdgraph {
    pub use ::rrdgraph::*;
}

/// TCP SYN traceroute over raw sockets, with the trace model and AS resolution.
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
