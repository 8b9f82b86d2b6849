//! `opskit rrd`: create, update, info, first, last, lastupdate, fetch, xport, dump, restore,
//! tune, resize and list through librrd.
//!
//! File paths (and xport's DEF files) go to librrd as their bytes: they need not be UTF-8.
//!
//! Output follows `rrdtool`'s own formats (`key = value` for info, the fetch table, ...), with
//! `--json` on every read command (info, first, last, lastupdate, fetch, xport): the JSON of
//! the library's types, whose schemas are `schemas/rrd-*.json` (UNKN is `null`, the
//! infinities `"inf"` and `"-inf"`). Exit status: 0 on success, 1 on any error (librrd's own
//! message is kept), as rrdtool.
//!
//! Before librrd opens a file, its header is checked in Rust (librrd crashes on a `ds_cnt` or
//! `pdp_step` of 0 or an absurd `rra_cnt`): `update`, `info`, `first`, `last`, `lastupdate`,
//! `fetch`, `xport`'s DEFs, `dump`, `tune`, `resize` and `create`'s `--template` and
//! `--source` refuse a corrupt file with `error: FILE: bad RRD header: FIELD: ...`. The check
//! is skipped when an rrdcached daemon is used (`--daemon`, `RRDCACHED_ADDRESS`, a DEF's
//! `daemon=`): the file may not be local.
//!
//! `fetch --pure` reads the file with `rrdgraph::RrdFile` instead, with no librrd call: the same
//! output, times in seconds since the epoch only, no daemon.

use std::path::PathBuf;

use crate::error::{Exit, write_stdout};

use rrdgraph::{Rrd, RrdError, Update};

mod create;
mod maintain;
mod read;

/// RRD operations through librrd.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Op,
}

/// One `opskit rrd` command. Each command's arguments are its own type, in the file that runs
/// it.
#[derive(clap::Subcommand)]
enum Op {
    /// Create an RRD, as `rrdtool create`: `opskit rrd create FILE --step 5m DS:... RRA:...`.
    Create(create::Create),
    /// Add values: `opskit rrd update FILE TIME:V1:V2 ...` (`N` for now, `U` for unknown).
    Update {
        /// The RRD.
        file: PathBuf,
        /// Data source names the values are for, `a:b`.
        #[arg(long, short = 't')]
        template: Option<String>,
        #[command(flatten)]
        daemon: Daemon,
        /// Updates, oldest first.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        values: Vec<String>,
    },
    /// Print the header and archive state, as `rrdtool info` (`--json`: typed, grouped by
    /// data source and archive).
    Info(read::Read),
    /// Print the time of the first value of an archive.
    First(read::First),
    /// Print the time of the last update.
    Last(read::Read),
    /// Print the time and values of the last update.
    Lastupdate(read::Read),
    /// Print consolidated values over a time range, as `rrdtool fetch`.
    Fetch(read::Fetch),
    /// Export computed series: the arguments of `rrdtool xport` (options, DEF, CDEF, XPORT).
    Xport(read::Xport),
    /// Write an RRD as XML, as `rrdtool dump`.
    Dump(maintain::Dump),
    /// Create an RRD from the XML of a dump, as `rrdtool restore`.
    Restore(maintain::Restore),
    /// Change an RRD's header, data sources or archives, as `rrdtool tune`.
    Tune(maintain::Tune),
    /// Grow or shrink an archive into resize.rrd, as `rrdtool resize`.
    Resize(maintain::ResizeArgs),
    /// List the RRDs and directories of a directory, as `rrdtool list`.
    List(maintain::List),
    Collect(crate::rrd_collect::Args),
}

#[derive(clap::Args)]
pub(crate) struct Daemon {
    /// rrdcached address (`unix:/path`, `host:port`). Without it, `RRDCACHED_ADDRESS` is used
    /// when set. Through a daemon the file's header is not checked (the file may be remote).
    #[arg(long, short = 'd')]
    daemon: Option<String>,
}

impl Daemon {
    /// The address given, if any.
    pub(crate) fn address(&self) -> Option<&str> {
        self.daemon.as_deref()
    }

    pub(crate) fn rrd(&self, file: PathBuf) -> Rrd {
        let rrd = Rrd::new(file);
        match &self.daemon {
            Some(d) => rrd.daemon(d.clone()),
            None => rrd,
        }
    }
}

pub(crate) fn run(args: Args) -> crate::error::Result<Exit> {
    let Args { command } = args;
    let text = execute(command)?;
    write_stdout(text.as_bytes())?;
    Ok(Exit::SUCCESS)
}

fn execute(op: Op) -> Result<String, RrdError> {
    match op {
        Op::Create(a) => create::create(a),
        Op::Update {
            file,
            template,
            daemon,
            values,
        } => {
            let updates = values
                .iter()
                .map(|v| Update::parse(v))
                .collect::<Result<Vec<_>, _>>()?;
            let names: Option<Vec<&str>> = template.as_deref().map(|t| t.split(':').collect());
            daemon
                .rrd(file)
                .update_with_template(names.as_deref(), &updates)?;
            Ok(String::new())
        }
        Op::Info(a) => read::info(a),
        Op::First(a) => read::first(a),
        Op::Last(a) => read::last(a),
        Op::Lastupdate(a) => read::lastupdate(a),
        Op::Fetch(a) => read::fetch(a),
        Op::Xport(a) => read::xport(a),
        Op::Dump(a) => maintain::dump(a),
        Op::Restore(a) => maintain::restore(a),
        Op::Tune(a) => maintain::tune(a),
        Op::Resize(a) => maintain::resize(a),
        Op::List(a) => maintain::list(&a),
        Op::Collect(args) => crate::rrd_collect::run(args),
    }
}
