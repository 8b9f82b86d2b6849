//! `opskit`: the command line over the opskit libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod asn;
mod graph;
mod routemap;
mod rrd;
mod scan;
mod trace;

/// Operations toolkit: rrdtool graphs, TCP SYN route tracing with AS data, clamd fleet scanning.
#[derive(Parser)]
#[command(name = "opskit", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan paths or streams on one or more clamd hosts (exit 0 clean, 1 found, 2 error).
    Scan(scan::Args),
    /// A drop-in for `rrdtool graph`, with validation, canonical emit and Rust code generation.
    Graph(graph::Args),
    /// RRD operations: create, update, info, first, last, fetch, xport.
    Rrd(rrd::Args),
    /// TCP SYN traceroute to many targets and ports at once.
    Trace(trace::Args),
    /// Look up the autonomous system of addresses.
    Asn(asn::Args),
    /// Draw a route map from `opskit trace --json` output.
    Routemap(routemap::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Rrd(args) => rrd::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Asn(args) => asn::run(args),
        Command::Routemap(args) => routemap::run(args),
    }
}
