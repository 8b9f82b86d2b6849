//! `opskit rrd collect`: the recipe's `create.py` and `update.py` as one long-running command.
//!
//! Everything it decides is [`rrdgraph::Collector`]'s (and, below it, the sans-IO
//! [`rrdgraph::CollectCore`]); this file is the command line and the output.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use rrdgraph::{CollectEvent, Collector, PlannedUpdate, Report, RrdError};

use crate::duration;
use crate::error::warn;

/// Feed an interface's byte counters into an RRD, one update per step (the recipe's
/// create.py and update.py).
///
/// Creates FILE when it does not exist, with the recipe's Flow.rrd layout: data sources
/// `<iface>_in` and `<iface>_out` (`eth0_in`, `eth0_out` for eth0; characters outside
/// [A-Za-z0-9_] become `_`), COUNTER, minimum 0, heartbeat two steps, and the recipe's
/// AVERAGE, MAX and MIN archives. An existing FILE must have those two data sources (COUNTER or
/// DERIVE); its own step is used.
///
/// The counters are the kernel's (/proc/net/dev of the network namespace opskit runs in). One
/// update is written per step slot [k*step, (k+1)*step), at the start of the slot; on start,
/// the RRD's last update is read, so a restarted collector neither writes a step twice nor
/// skips one it can still write. A counter that wraps (32 or 64 bits) is left to librrd's
/// COUNTER arithmetic; a counter that falls otherwise (a recreated interface, a reboot) is
/// written as unknown, as is every step while the interface does not exist and the step over a
/// wall-clock jump. librrd also makes the step after an unknown one unknown.
///
/// Each update written is printed as `TIME: IN OUT` (`U` for unknown); what was noticed (a
/// reset, a wrap, a missing interface, a clock step) goes to standard error as a warning.
/// Exit status 0 after --count updates, 1 on an error: counters that cannot be read, a FILE
/// without the data sources, or an update that kept failing for longer than the heartbeat
/// (a failed update is retried with each sample until then).
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// The interface, such as eth0 (as in `ip link`).
    #[arg(long)]
    iface: String,
    /// The step of a new RRD: seconds or a span (`300`, `5m`, `1s`), whole seconds. Default:
    /// the recipe's 300 s. An existing RRD keeps its own; a different value is refused.
    #[arg(long, value_parser = duration::parse)]
    step: Option<Duration>,
    /// Stop after N updates (for tests and one-shot runs). Default: run until killed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Write through the rrdcached at ADDR (`unix:/path`, `host:port`). Without it,
    /// `RRDCACHED_ADDRESS` is used when set.
    #[arg(long, short = 'd', value_name = "ADDR")]
    daemon: Option<String>,
    /// The RRD (created when missing).
    file: PathBuf,
}

/// Runs the collector; the updates are printed as they are written.
pub(crate) fn run(args: Args) -> Result<String, RrdError> {
    let Args {
        iface,
        step,
        count,
        daemon,
        file,
    } = args;
    let mut builder = Collector::builder(file, iface);
    if let Some(step) = step {
        if step.subsec_nanos() != 0 {
            return Err(RrdError::Invalid {
                what: "--step",
                reason: format!("{step:?}: an RRD's step is whole seconds"),
            });
        }
        builder = builder.step(step.as_secs());
    }
    if let Some(d) = daemon {
        builder = builder.daemon(d);
    }
    let mut collector = builder.build()?;
    let names = collector.names().clone();
    collector.run(count, |report| match report {
        Report::Wrote(w) => {
            for e in &w.events {
                warn(describe(e, &names));
            }
            print_update(w);
        }
        Report::Noticed(e) => warn(describe(e, &names)),
        Report::Retrying(e) => warn(format!("update failed, retrying: {e}")),
        _ => {}
    })?;
    Ok(String::new())
}

/// `TIME: IN OUT`, flushed at once so that a reader sees each update as it is written. A closed
/// standard output does not stop the collector: the RRD is what it writes.
fn print_update(w: &PlannedUpdate) {
    let values: Vec<String> = w
        .values
        .iter()
        .map(|v| v.map_or_else(|| "U".to_owned(), |v| v.to_string()))
        .collect();
    let line = format!("{}: {}\n", w.time, values.join(" "));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

fn describe(event: &CollectEvent, names: &[String; 2]) -> String {
    let name = |ds: usize| names.get(ds).map_or("?", String::as_str);
    match event {
        CollectEvent::Wrap { ds, bits } => {
            format!("{}: the counter wrapped at {bits} bits", name(*ds))
        }
        CollectEvent::Reset { ds, from, to } => format!(
            "{}: the counter fell from {from} to {to} (a reset): this step is unknown",
            name(*ds)
        ),
        CollectEvent::Missing => "the interface does not exist: this step is unknown".into(),
        CollectEvent::ClockStep { seconds } => {
            format!("the wall clock jumped {seconds:+.1} s: the step over the jump is unknown")
        }
        CollectEvent::ClockBehind { last } => {
            format!("the wall clock is before the RRD's last update ({last}): waiting for it")
        }
        other => format!("{other:?}"),
    }
}
