#![doc = include_str!("../README.md")]
//!
//! # Crate features
//!
//! Each library is one feature, all on by default:
//!
//! - `rrdgraph`: [`rrdgraph`], rrdtool graph specs rendered through librrd;
//! - `tcptrace`: [`tcptrace`], the TCP SYN traceroute engine, the project's one trace model
//!   (`TraceReport`, `Trace`, `Hop`, `Reply`), the AS model and the geography model (`Geo`);
//! - `asn`: [`asn`], AS resolution (range tables, MMDB, whois), geography (ip-location-db
//!   tables, MMDB: `GeoDatabase`) and trace annotation (turns on `tcptrace`);
//! - `clamd`: [`clamd`], the clamd protocol and fleet scanning;
//! - `clamd-history` (not default): `clamd::history`, the scan run history in SQLite, and
//!   `clamd-history-postgres` the same on PostgreSQL;
//! - `clamd-tls` (off by default): TLS to a clamd behind stunnel, `tls://IP:PORT#NAME`
//!   endpoints and the `tls_*` settings (rustls on `ring`; turns on `clamd`);
//! - `routeviz`: [`routeviz`], route maps to SVG, PNG and DOT. A map draws tcptrace's model
//!   directly (`RouteMap::new(&report)`), so this feature turns on `tcptrace` too.
//!
//! With the default features, a trace report (here read back from `opskit trace --json`
//! output) draws as a map with no conversion:
//!
//! ```
//! # #[cfg(all(feature = "tcptrace", feature = "routeviz"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use opskit::routeviz::{RenderOptions, RouteMap};
//! use opskit::tcptrace::TraceReport;
//!
//! let report = TraceReport::from_json(r#"{"params":{"min_ttl":1,"max_ttl":30,"timeout_s":2.0,
//!     "retry":0,"max_in_flight":256,"all_ttls":false},"started_at":"2026-01-02T03:04:05.678Z",
//!     "traces":[{"target":"198.18.9.1","addr":"198.18.9.1","port":80,"reached":true,
//!     "stop_reason":"reached","hops":[{"ttl":1,"replies":[{"from":"198.18.9.1","rtt_ms":0.3,
//!     "kind":"syn_ack"}]}]}]}"#)?;
//! let svg = RouteMap::new(&report)?.to_svg(&RenderOptions::default());
//! assert!(svg.contains(">80 SA<"));
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "tcptrace", feature = "routeviz")))]
//! # fn main() {}
//! ```
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

/// TCP SYN traceroute over raw sockets, with the trace model and the AS model.
#[cfg(feature = "tcptrace")]
pub mod tcptrace {
    pub use ::tcptrace::*;
}

/// AS resolution from range tables, MMDB and whois, and AS annotation of trace reports.
#[cfg(feature = "asn")]
pub mod asn {
    pub use ::asn_lookup::*;
}

/// The clamd protocol over TCP and Unix sockets (and TLS with `clamd-tls`), and fleet
/// scanning.
#[cfg(feature = "clamd")]
pub mod clamd {
    pub use ::clamd_proto::*;
}

/// TTL-layered route maps with AS clusters, drawn to SVG, PNG and DOT.
#[cfg(feature = "routeviz")]
pub mod routeviz {
    pub use ::routeviz::*;
}
