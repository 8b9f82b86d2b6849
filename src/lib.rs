#![doc = include_str!("../README.md")]
//!
//! # Crate features
//!
//! Each library is one feature, all on by default:
//!
//! - `rrdgraph`: [`rrdgraph`], rrdtool graph specs rendered through librrd;
//! - `tcptrace`: [`tcptrace`], the TCP SYN traceroute engine, the hop model and the AS model;
//! - `asn`: [`asn`], AS resolution (range tables, MMDB, whois) and trace annotation (turns on
//!   `tcptrace`);
//! - `clamd`: [`clamd`], the clamd protocol and fleet scanning;
//! - `routeviz`: [`routeviz`], route maps to SVG, PNG and DOT; with `tcptrace` also on, a
//!   `TraceReport` converts to a map's `TraceSet` (`TraceSet::from(&report)`).

/// rrdtool graph specs: build, validate, parse old argument lists, render through librrd.
#[cfg(feature = "rrdgraph")]
pub mod rrdgraph {
    pub use ::rrdgraph::*;
}

/// TCP SYN traceroute over raw sockets, with the hop model and the AS model.
#[cfg(feature = "tcptrace")]
pub mod tcptrace {
    pub use ::tcptrace::*;
}

/// AS resolution from range tables, MMDB and whois, and AS annotation of trace reports.
#[cfg(feature = "asn")]
pub mod asn {
    pub use ::asn_lookup::*;
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
