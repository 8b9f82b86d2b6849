//! Tests of the `opskit` binary, run as a user would run it.

mod asn;
mod docs;
mod graph;
mod routemap;
mod rrd;
mod scan;
mod schema;
mod trace;
mod version;
mod walk;
