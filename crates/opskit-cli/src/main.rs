//! `opskit`: the command line over the opskit libraries.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

mod asn;
mod completions;
mod duration;
mod error;
mod graph;
mod man;
mod routemap;
mod rrd;
mod rrd_collect;
mod scan;
mod size;
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
    /// Scan paths or streams on one or more clamd hosts (exit 1 found, else 2 error, else 0).
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the opskit(1) manual page, or write every page with `--out DIR`.
    Man(man::Args),
}

/// Clap names a subcommand's version `opskit-graph`; `-V` in any subcommand is opskit's own
/// version, so every level is shown under opskit's own name. Only parsing uses this: the man
/// pages keep clap's per-subcommand names for their titles.
fn parsing_command(command: clap::Command) -> clap::Command {
    command
        .display_name("opskit")
        .mut_subcommands(parsing_command)
}

fn parse() -> Result<Cli, clap::Error> {
    let matches = parsing_command(Cli::command()).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        // `opskit graph` is a drop-in for `rrdtool graph`, which exits 1 on every error, usage
        // errors included.
        Err(e) if e.use_stderr() && std::env::args_os().nth(1).is_some_and(|a| a == "graph") => {
            let _ = e.print();
            return ExitCode::from(1);
        }
        Err(e) => e.exit(),
    };
    // `graph` and `rrd` are rrdtool drop-ins, and rrdtool exits 1 on every error; the other
    // commands exit 2 on an error, as clamdscan does and as clap does for usage errors.
    let graph = matches!(cli.command, Command::Graph(_));
    let (result, error_status) = match cli.command {
        Command::Scan(args) => (scan::run(args), 2),
        Command::Graph(args) => (graph::run(args), 1),
        Command::Rrd(args) => (rrd::run(args), 1),
        Command::Trace(args) => (trace::run(args), 2),
        Command::Asn(args) => (asn::run(args), 2),
        Command::Routemap(args) => (routemap::run(args), 2),
        Command::Completions(args) => (completions::run(&args, Cli::command()), 2),
        Command::Man(args) => (man::run(&args, Cli::command()), 2),
    };
    match result {
        Ok(exit) => exit.exit_code(),
        Err(e) => {
            error::report(&e);
            ExitCode::from(if e.is_usage() && !graph {
                2
            } else {
                error_status
            })
        }
    }
}
