//! Tests of the `opskit` binary, run as a user would run it.

mod asn;
mod trace;
mod version;
mod routemap;
mod graph;
mod rrd;
mod scan;
