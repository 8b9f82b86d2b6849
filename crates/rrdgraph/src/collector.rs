//! The recipe's collector (`create.py` and `update.py`): interface counters into a COUNTER RRD
//! at each step, through librrd or rrdcached. The decisions are [`CollectCore`]'s; this is the
//! I/O around it: clocks, `/proc/net/dev`, sleeping, and the RRD.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::collect::{CollectCore, CollectEvent, CounterSample, Decision, PlannedUpdate};
use crate::counters::{PROC_NET_DEV, read_counters};
use crate::create::CreateSpec;
use crate::data_source::DataSource;
use crate::handle::Rrd;
use crate::rra::Rra;
use crate::rrd_error::RrdError;
use crate::update::Update;
use crate::value::Cf;

/// The recipe's step (`create.py`: `--step 300`).
pub const RECIPE_STEP: u64 = 300;

/// The archives of the recipe's `create.py`: `(consolidation, steps per row, rows)`, each with
/// an xff of 0.5.
pub const RECIPE_ARCHIVES: [(Cf, u64, u64); 12] = [
    (Cf::Average, 1, 600),
    (Cf::Average, 6, 700),
    (Cf::Average, 24, 775),
    (Cf::Average, 288, 797),
    (Cf::Max, 1, 600),
    (Cf::Max, 6, 700),
    (Cf::Max, 24, 775),
    (Cf::Max, 444, 797),
    (Cf::Min, 1, 600),
    (Cf::Min, 6, 700),
    (Cf::Min, 24, 775),
    (Cf::Min, 444, 797),
];

/// The longest interface name Linux allows (`IFNAMSIZ` - 1).
pub const MAX_IFACE_LEN: usize = 15;

/// The data sources of interface `iface`: `<iface>_in` and `<iface>_out` (the recipe's
/// `eth0_in` and `eth0_out` for eth0). Characters outside rrdtool's `[A-Za-z0-9_]` become `_`,
/// and the name is cut to 15 characters, so both names fit rrdtool's 19.
pub fn data_source_names(iface: &str) -> [String; 2] {
    let base: String = iface
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_IFACE_LEN)
        .collect();
    [format!("{base}_in"), format!("{base}_out")]
}

/// The recipe's `Flow.rrd` layout for data sources `names`: COUNTERs with a minimum of 0 and a
/// heartbeat of two steps (`DS:eth0_in:COUNTER:600:0:U` at the recipe's 300 s), and the
/// recipe's archives ([`RECIPE_ARCHIVES`]).
pub fn recipe_layout(names: &[String; 2], step: u64) -> CreateSpec {
    let mut spec = CreateSpec::new().step(step);
    for name in names {
        spec = spec.data_source(DataSource::counter(name.clone(), step.saturating_mul(2)).min(0.0));
    }
    for (cf, steps, rows) in RECIPE_ARCHIVES {
        spec = spec.archive(Rra::new(cf, 0.5, steps, rows));
    }
    spec
}

/// What a running [`Collector`] reports: each update written, and what it noticed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Report<'a> {
    /// An update was written.
    Wrote(&'a PlannedUpdate),
    /// Something noticed while waiting (a clock step, a clock behind the last update).
    Noticed(&'a CollectEvent),
    /// An update failed and will be tried again with the next sample; the RRD keeps nothing
    /// lost while the gap stays within the heartbeat.
    Retrying(&'a RrdError),
}

/// Settings of a [`Collector`]; see [`Collector::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CollectorBuilder {
    path: PathBuf,
    iface: String,
    step: Option<u64>,
    daemon: Option<String>,
}

impl CollectorBuilder {
    /// The step of a new RRD, in seconds (default [`RECIPE_STEP`]). An existing RRD keeps its
    /// own; giving a different one is refused.
    pub fn step(mut self, seconds: u64) -> Self {
        self.step = Some(seconds);
        self
    }

    /// Write through the rrdcached at `address` (`unix:/path`, `host:port`).
    pub fn daemon(mut self, address: impl Into<String>) -> Self {
        self.daemon = Some(address.into());
        self
    }

    /// Opens the RRD, creating it with [`recipe_layout`] when it does not exist, and reads its
    /// last update.
    ///
    /// # Errors
    ///
    /// [`RrdError::Invalid`] for a bad interface name or step, an RRD without the interface's
    /// data sources (or with them not COUNTER or DERIVE), or a `step` other than the RRD's;
    /// [`RrdError::Librrd`] when librrd cannot create or read it.
    pub fn build(self) -> Result<Collector, RrdError> {
        validate_iface(&self.iface)?;
        if self.step == Some(0) {
            return Err(RrdError::Invalid {
                what: "step",
                reason: "must be at least 1 s".into(),
            });
        }
        let mut rrd = Rrd::new(&self.path);
        if let Some(d) = &self.daemon {
            rrd = rrd.daemon(d.clone());
        }
        let names = data_source_names(&self.iface);
        let local = self.daemon.is_none() && !crate::header::daemon_from_env();
        let missing = if local {
            self.path.symlink_metadata().is_err()
        } else {
            rrd.last().is_err()
        };
        if missing {
            let step = self.step.unwrap_or(RECIPE_STEP);
            // The start just before the current slot: the first sample is written at once,
            // as the counters' baseline.
            let start = slot_start(unix_now(), step) - 1;
            rrd.create(&recipe_layout(&names, step).start(start).no_overwrite())?;
        }
        let info = rrd.info()?;
        let step = info
            .get("step")
            .and_then(crate::info::InfoValue::as_u64)
            .unwrap_or(0);
        if let Some(wanted) = self.step
            && wanted != step
        {
            return Err(RrdError::Invalid {
                what: "step",
                reason: format!(
                    "{} has a step of {step} s, not {wanted} s",
                    self.path.display()
                ),
            });
        }
        for name in &names {
            let kind = info
                .get(&format!("ds[{name}].type"))
                .and_then(|v| v.as_str());
            match kind {
                Some("COUNTER" | "DERIVE") => {}
                Some(other) => {
                    return Err(RrdError::Invalid {
                        what: "data source",
                        reason: format!(
                            "{}: {name} is {other}; interface counters need COUNTER or DERIVE",
                            self.path.display()
                        ),
                    });
                }
                None => {
                    return Err(RrdError::Invalid {
                        what: "data source",
                        reason: format!(
                            "{} has no data source {name} for interface {}",
                            self.path.display(),
                            self.iface
                        ),
                    });
                }
            }
        }
        let last = rrd.lastupdate()?;
        let value = |name: &str| {
            last.values
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| v.parse::<u64>().ok())
        };
        let core =
            CollectCore::new(step, 2).resume(last.time, names.iter().map(|n| value(n)).collect());
        let heartbeat = names
            .iter()
            .filter_map(|n| {
                info.get(&format!("ds[{n}].minimal_heartbeat"))
                    .and_then(crate::info::InfoValue::as_u64)
            })
            .min()
            .unwrap_or(step);
        Ok(Collector {
            rrd,
            iface: self.iface,
            names,
            core,
            heartbeat: Duration::from_secs(heartbeat),
            clock: SteadyClock::new(),
        })
    }
}

fn validate_iface(iface: &str) -> Result<(), RrdError> {
    let ok = !iface.is_empty()
        && iface.len() <= MAX_IFACE_LEN
        && iface != "."
        && iface != ".."
        && !iface
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(RrdError::Invalid {
            what: "interface",
            reason: format!(
                "{iface:?} is not a Linux interface name (1 to 15 characters, no '/', ':' or space)"
            ),
        })
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "wall-clock seconds and steps are far inside i64"
)]
fn slot_start(now: f64, step: u64) -> i64 {
    let now = now.floor() as i64;
    now - now.rem_euclid(step.max(1) as i64)
}

/// The clock that wall-clock steps are measured against: the time since boot including
/// suspend (`CLOCK_BOOTTIME`, the first field of `/proc/uptime`), so that a suspended machine is
/// not mistaken for a wall-clock step; `Instant` (which stops during suspend) where
/// `/proc/uptime` cannot be read. The choice is made once: the two never mix.
#[derive(Debug)]
enum SteadyClock {
    Uptime,
    Instant(Instant),
}

impl SteadyClock {
    fn new() -> Self {
        if uptime().is_some() {
            Self::Uptime
        } else {
            Self::Instant(Instant::now())
        }
    }

    fn now(&self) -> Duration {
        match self {
            // An unreadable /proc/uptime later on reads as no time passed: at worst one
            // interval is taken for a clock step and written as unknown.
            Self::Uptime => uptime().unwrap_or_default(),
            Self::Instant(origin) => origin.elapsed(),
        }
    }
}

/// Seconds since boot, suspend included (`/proc/uptime`, 10 ms resolution).
fn uptime() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// How long the collector sleeps at most between two looks at the clocks, so that a clock step
/// is noticed within it.
const MAX_NAP: Duration = Duration::from_secs(1);

/// The recipe's collector: one RRD, one interface, one update per step.
///
/// ```no_run
/// # fn main() -> Result<(), rrdgraph::RrdError> {
/// use rrdgraph::{Collector, Report};
///
/// let mut collector = Collector::builder("Flow.rrd", "eth0").step(300).build()?;
/// collector.run(Some(3), |report| {
///     if let Report::Wrote(w) = report {
///         println!("{} {:?}", w.time, w.values);
///     }
/// })?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Collector {
    rrd: Rrd,
    iface: String,
    names: [String; 2],
    core: CollectCore,
    heartbeat: Duration,
    clock: SteadyClock,
}

impl Collector {
    /// A collector of `iface`'s counters into the RRD at `path`.
    pub fn builder(path: impl Into<PathBuf>, iface: impl Into<String>) -> CollectorBuilder {
        CollectorBuilder {
            path: path.into(),
            iface: iface.into(),
            step: None,
            daemon: None,
        }
    }

    /// The RRD's path.
    pub fn path(&self) -> &Path {
        self.rrd.path()
    }

    /// The data source names, in and out.
    pub fn names(&self) -> &[String; 2] {
        &self.names
    }

    /// The RRD's step in seconds.
    pub fn step(&self) -> u64 {
        self.core.step()
    }

    /// Reads the clocks and the interface's counters (`None` when the interface is gone).
    ///
    /// # Errors
    ///
    /// [`RrdError::Counters`] when `/proc/net/dev` cannot be read or parsed.
    pub fn sample(&self) -> Result<CounterSample, RrdError> {
        let mono = self.clock.now();
        let wall = unix_now();
        let counters = read_counters(Path::new(PROC_NET_DEV), &self.iface)?
            .map(|c| vec![c.rx_bytes, c.tx_bytes]);
        Ok(CounterSample::new(wall, mono, counters))
    }

    /// Waits for the next step and writes its update; returns it.
    ///
    /// # Errors
    ///
    /// [`RrdError::Counters`] when the counters cannot be read; the update's error when it
    /// failed for longer than the heartbeat (until then, a failed update is retried with
    /// each sample and reported as [`Report::Retrying`]).
    pub fn next_update(
        &mut self,
        mut report: impl FnMut(Report<'_>),
    ) -> Result<PlannedUpdate, RrdError> {
        let template: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let mut failing_since: Option<Instant> = None;
        let mut behind = false;
        loop {
            let sample = self.sample()?;
            match self.core.decide(&sample) {
                Decision::Write(w) => {
                    let update = Update::counters(w.time, w.values.iter().copied());
                    match self.rrd.update_with_template(Some(&template), &[update]) {
                        Ok(()) => {
                            self.core.written(&w);
                            report(Report::Wrote(&w));
                            return Ok(w);
                        }
                        Err(e) => {
                            let since = *failing_since.get_or_insert_with(Instant::now);
                            if since.elapsed() > self.heartbeat {
                                return Err(e);
                            }
                            report(Report::Retrying(&e));
                            std::thread::sleep(MAX_NAP);
                        }
                    }
                }
                Decision::Wait { until, events } => {
                    let now_behind = events
                        .iter()
                        .any(|e| matches!(e, CollectEvent::ClockBehind { .. }));
                    for e in &events {
                        // A clock behind the last update is said once, not at every nap.
                        if !(behind && matches!(e, CollectEvent::ClockBehind { .. })) {
                            report(Report::Noticed(e));
                        }
                    }
                    behind = now_behind;
                    #[expect(
                        clippy::cast_precision_loss,
                        reason = "wall-clock seconds are exact in f64"
                    )]
                    let wait = (until as f64 - sample.wall).max(0.0);
                    // A little past the boundary, so the sample lands in the new slot.
                    let nap = Duration::from_secs_f64(wait.min(MAX_NAP.as_secs_f64()))
                        + Duration::from_millis(2);
                    std::thread::sleep(nap.min(MAX_NAP));
                }
            }
        }
    }

    /// Writes `count` updates (forever with `None`), one per step; returns how many were
    /// written.
    ///
    /// # Errors
    ///
    /// As [`Collector::next_update`]; the updates written before the error stay in the RRD.
    pub fn run(
        &mut self,
        count: Option<u64>,
        mut report: impl FnMut(Report<'_>),
    ) -> Result<u64, RrdError> {
        let mut written = 0;
        while count.is_none_or(|n| written < n) {
            self.next_update(&mut report)?;
            written += 1;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_source_names_follow_the_recipe_and_rrdtools_rules() {
        assert_eq!(data_source_names("eth0"), ["eth0_in", "eth0_out"]);
        assert_eq!(
            data_source_names("veth-a.10"),
            ["veth_a_10_in", "veth_a_10_out"]
        );
        let [i, o] = data_source_names("br-0123456789abcdef");
        assert_eq!((i.len(), o.len()), (18, 19));
        for name in [i, o] {
            DataSource::counter(name, 600).to_arg();
        }
        assert_eq!(data_source_names("wlp2s0é"), ["wlp2s0__in", "wlp2s0__out"]);
    }

    #[test]
    fn the_recipe_layout_is_create_py() {
        let args = recipe_layout(&data_source_names("eth0"), RECIPE_STEP).to_args();
        assert_eq!(
            &args[..4],
            [
                "--step",
                "300",
                "DS:eth0_in:COUNTER:600:0:U",
                "DS:eth0_out:COUNTER:600:0:U"
            ]
        );
        assert_eq!(args[4], "RRA:AVERAGE:0.5:1:600");
        assert_eq!(args[15], "RRA:MIN:0.5:444:797");
        assert_eq!(args.len(), 16);
    }

    #[test]
    fn interface_names_are_checked() {
        for bad in ["", "a/b", "eth0:1", "a b", "..", "0123456789abcdef"] {
            assert!(validate_iface(bad).is_err(), "{bad:?}");
        }
        validate_iface("veth-a.10").unwrap();
    }

    #[test]
    fn the_steady_clock_runs_with_the_wall_clock() {
        let clock = SteadyClock::new();
        assert!(
            matches!(clock, SteadyClock::Uptime),
            "/proc/uptime is readable here"
        );
        let (wall, steady) = (unix_now(), clock.now());
        std::thread::sleep(Duration::from_millis(300));
        let drift = (unix_now() - wall) - clock.now().saturating_sub(steady).as_secs_f64();
        assert!(drift.abs() < 0.05, "{drift}");
    }

    #[test]
    fn slots_start_at_step_multiples() {
        assert_eq!(slot_start(1000.5, 300), 900);
        assert_eq!(slot_start(1000.5, 1), 1000);
        assert_eq!(slot_start(900.0, 300), 900);
    }
}
