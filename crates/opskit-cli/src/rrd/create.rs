//! `opskit rrd create`, as `rrdtool create` 1.7 takes it: durations (`--step 5m`,
//! `RRA:AVERAGE:0.5:1h:1y`), every archive kind (Holt-Winters included), `--template`,
//! `--source` and `--no-overwrite`.

use std::path::PathBuf;

use rrdgraph::{CreateSpec, DataSource, Rra, RrdError, Span};

use super::Daemon;

/// `opskit rrd create`.
#[derive(clap::Args)]
pub(crate) struct Create {
    /// The new file.
    file: PathBuf,
    /// Base interval: seconds or a duration (`5m`). Default: the template's, else 300 s.
    #[arg(long, short = 's', value_parser = step)]
    step: Option<u64>,
    /// Time of the first value (seconds or an at-style time such as `now-1d`).
    #[arg(long, short = 'b', allow_hyphen_values = true)]
    start: Option<String>,
    /// Take the step, data sources and archives of this RRD; the definitions given are added.
    #[arg(long, short = 't')]
    template: Option<PathBuf>,
    /// Fill the new file with this RRD's data (repeatable): data sources of the same name, or
    /// as `DS:new=old[N]:...` maps them (N counts the --source files from 1).
    #[arg(long, short = 'r')]
    source: Vec<PathBuf>,
    /// Refuse to overwrite an existing file.
    #[arg(long, short = 'O')]
    no_overwrite: bool,
    #[command(flatten)]
    daemon: Daemon,
    /// `DS:name:TYPE:heartbeat:min:max`, `DS:name:COMPUTE:rpn`, `RRA:CF:xff:steps:rows`,
    /// `RRA:HWPREDICT|MHWPREDICT:rows:alpha:beta:period[:rra-num]`,
    /// `RRA:SEASONAL|DEVSEASONAL:period:gamma:rra-num[:smoothing-window=F]`,
    /// `RRA:DEVPREDICT:rows:rra-num`, `RRA:FAILURES:rows:threshold:window:rra-num`. Steps, rows,
    /// periods and heartbeats may be durations (`1h`, `1y`: s, m, h, d, w, M = 31 d, y = 366 d).
    #[arg(required_unless_present = "template", num_args = 0..)]
    definitions: Vec<String>,
}

/// `--step`: a count of seconds or a duration, as librrd reads it.
fn step(text: &str) -> Result<u64, String> {
    Span::parse(text)
        .and_then(|s| s.resolve(1))
        .map_err(|reason| format!("step size: {reason}"))
}

pub(crate) fn create(a: Create) -> Result<String, RrdError> {
    let mut spec = CreateSpec::new();
    if let Some(s) = a.step {
        spec = spec.step(s);
    }
    if let Some(s) = a.start {
        spec = spec.start_at(s);
    }
    if let Some(t) = a.template {
        spec = spec.template(t);
    }
    for s in a.source {
        spec = spec.source(s);
    }
    if a.no_overwrite {
        spec = spec.no_overwrite();
    }
    for d in &a.definitions {
        spec = if d.starts_with("DS:") {
            spec.data_source(DataSource::parse(d)?)
        } else {
            spec.archive(Rra::parse(d)?)
        };
    }
    a.daemon.rrd(a.file).create(&spec)?;
    Ok(String::new())
}
