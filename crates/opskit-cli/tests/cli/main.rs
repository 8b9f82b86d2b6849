//! Tests of the `opskit` binary, run as a user would run it.

mod asn;
mod docs;
mod graph;
mod history;
mod html;
mod pool;
mod routemap;
mod rrd;
mod rrd_collect;
mod scan;
mod scan_history;
mod scan_scale;
mod scan_signal;
mod scan_tls;
mod schema;
mod state;
mod trace;
mod version;
mod walk;

/// The layout of the small two-value RRD that the rrdtool comparisons create (after the file).
const SMALL_RRD_LAYOUT: [&str; 6] = [
    "--step",
    "300",
    "--start",
    "1767225000",
    "DS:v:GAUGE:600:U:U",
    "RRA:AVERAGE:0.5:1:600",
];
