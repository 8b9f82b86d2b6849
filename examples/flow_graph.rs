//! The recipe's rrdtool traffic graph (python-ops-recipes, section 3.2), end to end.
//!
//! ```text
//! cargo run --example flow_graph -- RRD      # a new RRD at this path, e.g. /var/lib/rrd/Flow.rrd
//! cargo run --example flow_graph             # target/demo/Flow.rrd
//! ```
//!
//! 1. `create.py`: creates the RRD at the path given, with the recipe's layout (COUNTER data
//!    sources `eth0_in` and `eth0_out`, heartbeat 600 s, step 300 s, AVERAGE/MAX/MIN archives).
//!    An existing file is never overwritten: the example stops with an error naming it, and
//!    librrd's `--no-overwrite` also refuses a file that appears meanwhile.
//! 2. `update.py`: fills it with synthetic traffic (the testbed's daily curve, which crosses
//!    the 6144 B/s alarm line in the afternoon): one update every 300 s for the 26 hours up to
//!    now, the day that `--start -1d` draws and two hours more.
//! 3. `graph.py`: draws the recipe's graph, titled with today's date (UTC), to the path with
//!    the extension `.png` (`Flow.rrd` gives `Flow.png`), in-process through librrd.
//! 4. Prints the `info`, `first`, `last` and `fetch` summaries that the recipe names as the way
//!    to inspect an RRD.
//!
//! With no arguments it works on `Flow.rrd` in `target/demo/` (or `OPSKIT_DEMO_DIR`). That file
//! is the demo's own: when an earlier run left it there, it is not recreated either; the
//! traffic since its last update is added (as the recipe's `update.py` run by cron would), so
//! the demo can run again and again.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use opskit::rrdgraph::{
    Cf, CreateSpec, DataSource, FetchRequest, InfoValue, Rra, Rrd, Traffic, Update,
};
use testbed::rrd::rate_at;

#[path = "support/cli.rs"]
#[allow(dead_code, reason = "flow_graph takes one path and no options")]
mod cli;

const USAGE: &str = "usage: flow_graph [RRD]

Creates RRD (never overwriting a file), fills it with 26 hours of synthetic traffic, and
draws the recipe's graph beside it (RRD with the extension .png).
With no arguments: target/demo/Flow.rrd (or $OPSKIT_DEMO_DIR), extended if it exists.";

/// The data sources and archives of the recipe's `create.py`.
const CREATE_ARGS: [&str; 14] = [
    "DS:eth0_in:COUNTER:600:0:U",
    "DS:eth0_out:COUNTER:600:0:U",
    "RRA:AVERAGE:0.5:1:600",
    "RRA:AVERAGE:0.5:6:700",
    "RRA:AVERAGE:0.5:24:775",
    "RRA:AVERAGE:0.5:288:797",
    "RRA:MAX:0.5:1:600",
    "RRA:MAX:0.5:6:700",
    "RRA:MAX:0.5:24:775",
    "RRA:MAX:0.5:444:797",
    "RRA:MIN:0.5:1:600",
    "RRA:MIN:0.5:6:700",
    "RRA:MIN:0.5:24:775",
    "RRA:MIN:0.5:444:797",
];

/// The recipe's step, in seconds.
const STEP: u32 = 300;

/// Hours of traffic written: the day of `--start -1d` and two more hours on its left edge.
const HOURS: u64 = 26;

fn main() -> ExitCode {
    let result = match cli::args(USAGE).as_deref() {
        None => demo(),
        Some([path]) if !path.starts_with('-') => {
            let path = PathBuf::from(path);
            create(&path).and_then(|()| graph(&path))
        }
        Some(_) => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flow_graph: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The embedded default: the demo's own `Flow.rrd`, created or extended up to now.
fn demo() -> Result<(), Box<dyn Error>> {
    let path = cli::demo_dir()?.join("Flow.rrd");
    if path.exists() {
        extend(&path)?;
    } else {
        create(&path)?;
    }
    graph(&path)
}

/// `create.py` and a day of `update.py`: a new RRD at `path`, never over an existing file.
fn create(path: &Path) -> Result<(), Box<dyn Error>> {
    if path.extension().is_some_and(|e| e == "png") {
        return Err(format!(
            "{}: the graph goes to RRD.png; give the RRD another name",
            path.display()
        )
        .into());
    }
    if path.symlink_metadata().is_ok() {
        return Err(format!(
            "{} exists; flow_graph never overwrites an RRD: give a new path",
            path.display()
        )
        .into());
    }
    let end = step_now();
    let first = end - HOURS * 3600;
    let mut spec = CreateSpec::new()
        .step(STEP.into())
        .start(i64::try_from(first - u64::from(STEP))?)
        .no_overwrite();
    for arg in CREATE_ARGS {
        spec = if arg.starts_with("DS:") {
            spec.data_source(DataSource::parse(arg)?)
        } else {
            spec.archive(Rra::parse(arg)?)
        };
    }
    let rrd = Rrd::new(path);
    rrd.create(&spec)?;
    // The counters start in the middle of their range, like a host that has been up a while.
    let start = [3e9, 1e9];
    rrd.update(&[Update::at(i64::try_from(first)?, start)])?;
    let n = fill(&rrd, first, start, end)?;
    println!(
        "wrote {} ({n} steps of eth0_in/eth0_out traffic, every {STEP} s)",
        path.display()
    );
    Ok(())
}

/// `update.py` since the last update of the demo's existing RRD.
fn extend(path: &Path) -> Result<(), Box<dyn Error>> {
    let rrd = Rrd::new(path);
    let last = rrd.lastupdate()?;
    let counters: Vec<f64> = last
        .values
        .iter()
        .map(|(ds, v)| {
            v.parse()
                .map_err(|_| format!("{ds}: last value {v:?} is not a counter"))
        })
        .collect::<Result<_, _>>()?;
    let counters: [f64; 2] = counters
        .try_into()
        .map_err(|_| format!("{}: not the recipe's two data sources", path.display()))?;
    let n = fill(&rrd, u64::try_from(last.time)?, counters, step_now())?;
    println!(
        "{} exists: added {n} updates since its last one",
        path.display()
    );
    Ok(())
}

/// Updates the counters every step after `from` up to `to` (at most [`HOURS`] of them), at
/// the testbed's synthetic rates: whole bytes per second, so the counters (well below 2^53)
/// stay exact integers.
fn fill(rrd: &Rrd, from: u64, mut counters: [f64; 2], to: u64) -> Result<usize, Box<dyn Error>> {
    let first = (from + u64::from(STEP)).max(to.saturating_sub(HOURS * 3600));
    let mut updates = Vec::new();
    for time in (first..=to).step_by(usize::try_from(STEP)?) {
        let rate = rate_at(time, 0);
        counters[0] += rate.eth0_in * f64::from(STEP);
        counters[1] += rate.eth0_out * f64::from(STEP);
        updates.push(Update::at(i64::try_from(time)?, counters));
    }
    if !updates.is_empty() {
        rrd.update(&updates)?;
    }
    Ok(updates.len())
}

/// `graph.py`, then `rrdtool info | first | last | fetch`.
fn graph(path: &Path) -> Result<(), Box<dyn Error>> {
    let png = path.with_extension("png");
    let text = |p: &Path| {
        p.to_str()
            .map(str::to_owned)
            .ok_or(format!("{} is not UTF-8", p.display()))
    };
    let spec = Traffic::new(text(&png)?, text(path)?)
        .title(format!("Server network traffic flow ({})", today()))
        .build()?;
    let rendered = spec.render()?;
    let meta = rendered.meta().ok_or("the graph drew nothing")?;
    println!(
        "wrote {} ({}x{} PNG, graph area {}x{})",
        png.display(),
        meta.image_width,
        meta.image_height,
        meta.graph_width,
        meta.graph_height
    );
    for legend in rendered.legends().iter().filter(|l| l.contains("bps")) {
        println!("  {legend}");
    }

    let name = path.display();
    let rrd = Rrd::new(path);
    let info = rrd.info()?;
    println!(
        "\n$ rrdtool info {name}   (selected lines of {})",
        info.len()
    );
    for (key, value) in info.iter() {
        let wanted = matches!(key, "filename" | "rrd_version" | "step" | "last_update")
            || key.starts_with("ds[")
            || (key.starts_with("rra[")
                && matches!(key.rsplit_once('.'), Some((_, "cf" | "rows"))));
        if wanted && !matches!(value, InfoValue::Blob(_)) {
            println!("{key} = {value}");
        }
    }
    println!("\n$ rrdtool first {name}\n{}", rrd.first(0)?);
    let last = rrd.last()?;
    println!("\n$ rrdtool last {name}\n{last}");
    let fetched = rrd.fetch(&FetchRequest::new(Cf::Average).start(last - 3600).end(last))?;
    println!(
        "\n$ rrdtool fetch {name} AVERAGE --start {} --end {last}",
        last - 3600
    );
    print!("{}", fetched.to_text());
    Ok(())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Now, rounded down to a step.
fn step_now() -> u64 {
    now() - now() % u64::from(STEP)
}

/// Today's date in UTC as `YYYY-MM-DD` (the recipe uses the local date; the demo is UTC).
fn today() -> String {
    let mut stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    stamp.truncate("YYYY-MM-DD".len());
    stamp
}
