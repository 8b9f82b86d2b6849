//! `opskit rrd`: create, update, info, first, last, lastupdate, fetch and xport through librrd.
//!
//! File paths (and xport's DEF files) go to librrd as their bytes: they need not be UTF-8.
//!
//! Output follows `rrdtool`'s own formats (`key = value` for info, the fetch table, ...), with
//! `--json` where a table is printed. Exit status: 0 on success, 1 on any error (librrd's own
//! message is kept), as rrdtool.
//!
//! Before librrd opens a file, its header is checked in Rust (librrd crashes on a `ds_cnt` or
//! `pdp_step` of 0 or an absurd `rra_cnt`): `info`, `first`, `last`, `lastupdate`, `fetch` and
//! `xport`'s DEFs refuse a corrupt file with `error: FILE: bad RRD header: FIELD: ...`. The check
//! is skipped when an rrdcached daemon is used (`--daemon`, `RRDCACHED_ADDRESS`, a DEF's
//! `daemon=`): the file may not be local.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::error::{Exit, write_stdout};

use rrdgraph::{Cf, CreateSpec, DataSource, FetchRequest, Rra, Rrd, RrdError, Series, Update};

/// RRD operations through librrd.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Op,
}

#[derive(clap::Subcommand)]
enum Op {
    /// Create an RRD: `opskit rrd create FILE --step 300 DS:... RRA:...`.
    Create {
        /// The new file.
        file: PathBuf,
        /// Base interval in seconds.
        #[arg(long, short = 's', default_value_t = 300)]
        step: u64,
        /// Time of the first value (seconds or an at-style time such as `now-1d`).
        #[arg(long, short = 'b', allow_hyphen_values = true)]
        start: Option<String>,
        /// Refuse to overwrite an existing file.
        #[arg(long, short = 'O')]
        no_overwrite: bool,
        #[command(flatten)]
        daemon: Daemon,
        /// `DS:name:TYPE:heartbeat:min:max` and `RRA:CF:xff:steps:rows` definitions.
        #[arg(required = true, num_args = 1..)]
        definitions: Vec<String>,
    },
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
    /// Print the header and archive state, as `rrdtool info`.
    Info {
        /// The RRD.
        file: PathBuf,
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Print the time of the first value of an archive.
    First {
        /// The RRD.
        file: PathBuf,
        /// Which archive.
        #[arg(long, default_value_t = 0)]
        rraindex: usize,
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Print the time of the last update.
    Last {
        /// The RRD.
        file: PathBuf,
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Print the time and values of the last update.
    Lastupdate {
        /// The RRD.
        file: PathBuf,
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Print consolidated values over a time range, as `rrdtool fetch`.
    Fetch {
        /// The RRD.
        file: PathBuf,
        /// Consolidation function: AVERAGE, MIN, MAX or LAST.
        cf: String,
        /// Start (seconds or at-style time). Default: one day before the end.
        #[arg(long, short = 's', allow_hyphen_values = true)]
        start: Option<String>,
        /// End (seconds or at-style time). Default: now.
        #[arg(long, short = 'e', allow_hyphen_values = true)]
        end: Option<String>,
        /// Preferred resolution in seconds.
        #[arg(long, short = 'r')]
        resolution: Option<u64>,
        /// Align the start to the resolution.
        #[arg(long, short = 'a')]
        align_start: bool,
        /// Print JSON instead of rrdtool's table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        daemon: Daemon,
    },
    /// Export computed series: the arguments of `rrdtool xport` (options, DEF, CDEF, XPORT).
    Xport {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// `--start`, `--end`, `--step`, `--daemon`, ..., then `DEF:`, `CDEF:`, `XPORT:`. A DEF's
        /// file may be any bytes (it need not be UTF-8).
        #[arg(
            required = true,
            num_args = 1..,
            allow_hyphen_values = true,
            trailing_var_arg = true,
            value_parser = clap::value_parser!(std::ffi::OsString)
        )]
        args: Vec<std::ffi::OsString>,
    },
    Collect(crate::rrd_collect::Args),
}

#[derive(clap::Args)]
struct Daemon {
    /// rrdcached address (`unix:/path`, `host:port`). Without it, `RRDCACHED_ADDRESS` is used
    /// when set. Through a daemon the file's header is not checked (the file may be remote).
    #[arg(long, short = 'd')]
    daemon: Option<String>,
}

impl Daemon {
    fn rrd(&self, file: PathBuf) -> Rrd {
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
        Op::Create {
            file,
            step,
            start,
            no_overwrite,
            daemon,
            definitions,
        } => {
            let mut spec = CreateSpec::new().step(step);
            if let Some(s) = start {
                spec = spec.start_at(s);
            }
            if no_overwrite {
                spec = spec.no_overwrite();
            }
            for d in &definitions {
                spec = if d.starts_with("DS:") {
                    spec.data_source(DataSource::parse(d)?)
                } else {
                    spec.archive(Rra::parse(d)?)
                };
            }
            daemon.rrd(file).create(&spec)?;
            Ok(String::new())
        }
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
        Op::Info { file, daemon } => Ok(daemon.rrd(file).info()?.to_text()),
        Op::First {
            file,
            rraindex,
            daemon,
        } => Ok(format!("{}\n", daemon.rrd(file).first(rraindex)?)),
        Op::Last { file, daemon } => Ok(format!("{}\n", daemon.rrd(file).last()?)),
        Op::Lastupdate { file, daemon } => {
            let last = daemon.rrd(file).lastupdate()?;
            let mut out = String::new();
            for (name, _) in &last.values {
                out.push(' ');
                out.push_str(name);
            }
            out.push_str("\n\n");
            let _ = write!(out, "{:>10}:", last.time);
            for (_, v) in &last.values {
                out.push(' ');
                out.push_str(v);
            }
            out.push('\n');
            Ok(out)
        }
        Op::Fetch {
            file,
            cf,
            start,
            end,
            resolution,
            align_start,
            json,
            daemon,
        } => {
            let mut req = FetchRequest::new(cf.parse::<Cf>()?);
            if let Some(s) = start {
                req = req.start_at(s);
            }
            if let Some(e) = end {
                req = req.end_at(e);
            }
            if let Some(r) = resolution {
                req = req.resolution(r);
            }
            if align_start {
                req = req.align_start();
            }
            let s = daemon.rrd(file).fetch(&req)?;
            Ok(if json { series_json(&s) } else { s.to_text() })
        }
        Op::Collect(args) => crate::rrd_collect::run(args),
        Op::Xport { json, args } => {
            let s = rrdgraph::xport(&args)?;
            Ok(if json { series_json(&s) } else { s.to_text() })
        }
    }
}

/// `{"start":..,"end":..,"step":..,"columns":[..],"rows":[[time, v|null, ...], ...]}`.
fn series_json(s: &Series) -> String {
    let rows: Vec<serde_json::Value> = s
        .rows()
        .map(|(t, r)| {
            let mut row = vec![serde_json::Value::from(t)];
            row.extend(r.iter().map(|v| {
                if v.is_finite() {
                    serde_json::Value::from(*v)
                } else {
                    serde_json::Value::Null
                }
            }));
            serde_json::Value::Array(row)
        })
        .collect();
    let doc = serde_json::json!({
        "start": s.start(),
        "end": s.end(),
        "step": s.step(),
        "columns": s.names(),
        "rows": rows,
    });
    format!("{doc}\n")
}
