//! The read commands: info, first, last, lastupdate, fetch and xport, each as rrdtool prints it
//! or, with `--json`, as the JSON of the library's type (`schemas/rrd-*.json`).

use std::fmt::Write as _;
use std::path::PathBuf;

use rrdgraph::{Cf, FetchRequest, FirstTime, LastTime, RrdError, RrdInfo};

use super::Daemon;

/// Prints rrdtool's text, or the value's JSON with `--json`.
#[derive(clap::Args)]
pub(crate) struct Json {
    /// Print JSON (the schema is in the repository's schemas/ directory) instead of rrdtool's
    /// text. UNKN is null, the infinities are "inf" and "-inf".
    #[arg(long)]
    json: bool,
}

/// One JSON document and a newline.
pub(crate) fn json_line(value: &impl serde::Serialize) -> Result<String, RrdError> {
    let mut text = serde_json::to_string(value).map_err(|e| RrdError::Output {
        op: "json",
        detail: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}

impl Json {
    fn print<T: serde::Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> Result<String, RrdError> {
        if self.json {
            json_line(value)
        } else {
            Ok(text(value))
        }
    }
}

/// `opskit rrd first`.
#[derive(clap::Args)]
pub(crate) struct First {
    /// The RRD.
    file: PathBuf,
    /// Which archive.
    #[arg(long, default_value_t = 0)]
    rraindex: usize,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    daemon: Daemon,
}

/// `opskit rrd info`, `last` and `lastupdate`: one file.
#[derive(clap::Args)]
pub(crate) struct Read {
    /// The RRD.
    file: PathBuf,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    daemon: Daemon,
}

/// `opskit rrd fetch`.
#[derive(clap::Args)]
pub(crate) struct Fetch {
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
    /// Read the file in pure Rust (no librrd call; the same archive, window and values as
    /// librrd's fetch). --start and --end are then seconds since the epoch (at-style times need
    /// librrd), and the file must be local (no --daemon).
    #[arg(long)]
    pure: bool,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    daemon: Daemon,
}

/// `opskit rrd xport`.
#[derive(clap::Args)]
pub(crate) struct Xport {
    #[command(flatten)]
    json: Json,
    /// `--start`, `--end`, `--step`, `--daemon`, ..., then `DEF:`, `CDEF:`, `XPORT:`. A DEF's
    /// file may be any bytes (it need not be UTF-8). `--json` may be among them, as rrdtool's.
    #[arg(
        required = true,
        num_args = 1..,
        allow_hyphen_values = true,
        trailing_var_arg = true,
        value_parser = clap::value_parser!(std::ffi::OsString)
    )]
    args: Vec<std::ffi::OsString>,
}

pub(crate) fn info(a: Read) -> Result<String, RrdError> {
    let info = a.daemon.rrd(a.file).info()?;
    if a.json.json {
        json_line(&RrdInfo::from_info(&info)?)
    } else {
        Ok(info.to_text())
    }
}

pub(crate) fn first(a: First) -> Result<String, RrdError> {
    let time = a.daemon.rrd(a.file).first(a.rraindex)?;
    a.json.print(&FirstTime::new(a.rraindex, time), |f| {
        format!("{}\n", f.time)
    })
}

pub(crate) fn last(a: Read) -> Result<String, RrdError> {
    let time = a.daemon.rrd(a.file).last()?;
    a.json
        .print(&LastTime::new(time), |l| format!("{}\n", l.time))
}

pub(crate) fn lastupdate(a: Read) -> Result<String, RrdError> {
    let last = a.daemon.rrd(a.file).lastupdate()?;
    a.json.print(&last, |last| {
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
        out
    })
}

pub(crate) fn fetch(a: Fetch) -> Result<String, RrdError> {
    if a.pure {
        return pure_fetch(&a);
    }
    let mut req = FetchRequest::new(a.cf.parse::<Cf>()?);
    if let Some(s) = a.start {
        req = req.start_at(s);
    }
    if let Some(e) = a.end {
        req = req.end_at(e);
    }
    if let Some(r) = a.resolution {
        req = req.resolution(r);
    }
    if a.align_start {
        req = req.align_start();
    }
    let series = a.daemon.rrd(a.file).fetch(&req)?;
    a.json.print(&series, rrdgraph::Series::to_text)
}

/// `fetch --pure`: the same answer from [`rrdgraph::RrdFile`], without librrd.
fn pure_fetch(a: &Fetch) -> Result<String, RrdError> {
    if a.daemon.address().is_some() {
        return Err(RrdError::Invalid {
            what: "--pure",
            reason: "reads the local file; --daemon needs librrd (drop --pure)".to_owned(),
        });
    }
    let seconds = |opt: &'static str, v: &str| {
        v.parse::<i64>().map_err(|_| RrdError::Invalid {
            what: opt,
            reason: format!(
                "{v:?}: with --pure, a time is seconds since the epoch (at-style times need \
                 librrd: drop --pure)"
            ),
        })
    };
    let end = match &a.end {
        Some(e) => seconds("--end", e)?,
        None => now(),
    };
    let start = match &a.start {
        Some(s) => seconds("--start", s)?,
        None => end.saturating_sub(86_400),
    };
    let cf = a.cf.parse::<Cf>()?;
    let file = rrdgraph::RrdFile::open(&a.file)?;
    let resolution = a.resolution.unwrap_or(1);
    let series = if a.align_start {
        file.fetch_aligned(cf, start, end, resolution)?
    } else {
        file.fetch(cf, start, end, resolution)?
    };
    a.json.print(&series, rrdgraph::Series::to_text)
}

/// The current time, as librrd's `now`.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) fn xport(mut a: Xport) -> Result<String, RrdError> {
    // `rrdtool xport --json` takes the flag among its arguments: so do we, wherever it is.
    let before = a.args.len();
    a.args.retain(|arg| arg != "--json");
    a.json.json |= a.args.len() != before;
    let series = rrdgraph::xport(&a.args)?;
    a.json.print(&series, rrdgraph::Series::to_text)
}
