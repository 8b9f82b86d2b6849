//! The collector's decisions, without I/O: what to write to a COUNTER RRD for each sample of
//! interface counters, given the RRD's last update, its step and the clocks.
//!
//! [`CollectCore`] is fed [`CounterSample`]s (wall clock, monotonic clock, counters or `None` for an
//! interface that is gone) and answers with a [`Decision`]. The rules:
//!
//! - **One write per step slot.** Slot `k` is the wall-clock interval `[k·step, (k+1)·step)`.
//!   A sample in a slot that already has a write (the RRD's last update included, so a restarted
//!   collector never writes twice for one step) waits; the first sample in a later slot is
//!   written at once, so a step that can still be written is never skipped.
//! - **Counter wrap.** A counter that fell is a wrap when the wrapped increment is plausible
//!   (below half the counter's range at 32 bits, or at 64 bits): the value goes to librrd as it
//!   is, and librrd's COUNTER arithmetic adds 2^32 or 2^64, as it does for every COUNTER.
//! - **Counter reset.** Any other fall (a recreated interface, a driver reload, a reboot
//!   between two runs) is written as unknown for that data source: passing it on would make
//!   librrd read it as a wrap and store an absurd rate.
//! - **Interface gone.** A sample without counters is written as unknown for every data
//!   source.
//! - **Clock step.** When the wall clock moved more than [`CLOCK_STEP_TOLERANCE`] away from the
//!   monotonic clock between two samples, the interval's length is unknown: the next write is
//!   unknown for every data source. While the wall clock is behind the RRD's last update (a step
//!   backwards), nothing can be written; the collector waits for it to pass.
//!
//! librrd's COUNTER rule makes the interval *after* an unknown update unknown too (it has no
//! previous value to subtract); the core still writes the real counter there, so the interval
//! after that is known again.
//!
//! ```
//! use std::time::Duration;
//! use rrdgraph::{CollectCore, Decision, CounterSample};
//!
//! // A step of 60 s; the RRD was last updated at 600 with counters 1000 and 50.
//! let mut core = CollectCore::new(60, 2).resume(600, vec![Some(1000), Some(50)]);
//! // 630 is still in the slot of 600: nothing to write yet, wake at 660.
//! let s = CounterSample::new(630.2, Duration::from_secs(0), Some(vec![1600, 80]));
//! assert!(matches!(core.decide(&s), Decision::Wait { until: 660, .. }));
//! let s = CounterSample::new(660.01, Duration::from_secs_f64(29.81), Some(vec![2200, 110]));
//! let Decision::Write(w) = core.decide(&s) else { panic!() };
//! assert_eq!((w.time, w.values.clone()), (660, vec![Some(2200), Some(110)]));
//! ```

use std::time::Duration;

/// How far the wall clock may drift from the monotonic clock between two samples before the
/// interval counts as a clock step.
pub const CLOCK_STEP_TOLERANCE: Duration = Duration::from_secs(1);

/// One reading of the counters.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterSample {
    /// Wall-clock time of the reading, seconds since the epoch.
    pub wall: f64,
    /// Steady time of the reading (any fixed origin within one run). [`Collector`] uses the
    /// time since boot with suspend included, so that a suspended machine is no clock step.
    ///
    /// [`Collector`]: https://docs.rs/rrdgraph/latest/rrdgraph/struct.Collector.html
    pub mono: Duration,
    /// The counters, one per data source, or `None` when the interface does not exist.
    pub counters: Option<Vec<u64>>,
}

impl CounterSample {
    /// A reading at wall time `wall` (seconds since the epoch) and monotonic time `mono`.
    pub fn new(wall: f64, mono: Duration, counters: Option<Vec<u64>>) -> Self {
        Self {
            wall,
            mono,
            counters,
        }
    }
}

/// Something the core noticed about a sample; the collector reports it, nothing more.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CollectEvent {
    /// Data source `ds` wrapped at `bits` bits; librrd accounts for it.
    Wrap {
        /// Index of the data source.
        ds: usize,
        /// 32 or 64.
        bits: u32,
    },
    /// Data source `ds` fell from `from` to `to`: a reset, written as unknown.
    Reset {
        /// Index of the data source.
        ds: usize,
        /// The previous value.
        from: u64,
        /// The new value.
        to: u64,
    },
    /// The interface has no counters (it does not exist): written as unknown.
    Missing,
    /// The wall clock moved `seconds` more (or, negative, less) than the monotonic clock since
    /// the previous sample.
    ClockStep {
        /// Wall-clock change minus monotonic change.
        seconds: f64,
    },
    /// The wall clock is behind the RRD's last update: nothing can be written yet.
    ClockBehind {
        /// The RRD's last update.
        last: i64,
    },
}

/// An update to write: time and one value per data source (`None` is unknown, `U`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlannedUpdate {
    /// Seconds since the epoch.
    pub time: i64,
    /// One value per data source.
    pub values: Vec<Option<u64>>,
    /// What was noticed on the way.
    pub events: Vec<CollectEvent>,
}

/// What to do with a sample.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// Write this update, then tell the core with [`CollectCore::written`].
    Write(PlannedUpdate),
    /// Nothing to write: the sample's slot already has a write. Sample again at `until`
    /// (wall clock, seconds since the epoch).
    Wait {
        /// The start of the next slot.
        until: i64,
        /// What was noticed (a clock step, a clock behind the last update).
        events: Vec<CollectEvent>,
    },
}

/// The collector's state: the RRD's step, its last update and the last values it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectCore {
    step: u64,
    last_time: i64,
    last_values: Vec<Option<u64>>,
    previous: Option<(f64, Duration)>,
    clock_stepped: bool,
}

impl CollectCore {
    /// A core for an RRD with `step` seconds (at least 1) and `data_sources` counters, as if
    /// it had never been updated (every last value unknown, last update at time 0).
    pub fn new(step: u64, data_sources: usize) -> Self {
        Self {
            step: step.max(1),
            last_time: 0,
            last_values: vec![None; data_sources],
            previous: None,
            clock_stepped: false,
        }
    }

    /// Continues from the RRD's last update: its time and the last value of each data source
    /// as librrd keeps it (`None` for `U`). A value list of the wrong length is read as all
    /// unknown.
    #[must_use]
    pub fn resume(mut self, last_time: i64, last_values: Vec<Option<u64>>) -> Self {
        self.last_time = last_time;
        if last_values.len() == self.last_values.len() {
            self.last_values = last_values;
        }
        self
    }

    /// The step in seconds.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The time of the last update.
    pub fn last_time(&self) -> i64 {
        self.last_time
    }

    fn slot(&self, time: i64) -> i64 {
        time.div_euclid(self.step_i64())
    }

    fn step_i64(&self) -> i64 {
        i64::try_from(self.step).unwrap_or(i64::MAX)
    }

    /// The start of the slot after the last update: the earliest time of the next write.
    pub fn next_slot(&self) -> i64 {
        self.slot(self.last_time)
            .saturating_add(1)
            .saturating_mul(self.step_i64())
    }

    /// Decides what to do with `sample`. A [`Decision::Write`] must be followed by
    /// [`CollectCore::written`] once the RRD took it (or the same sample is decided again).
    pub fn decide(&mut self, sample: &CounterSample) -> Decision {
        let mut events = Vec::new();
        if let Some((wall, mono)) = self.previous {
            let drift = (sample.wall - wall) - sample.mono.saturating_sub(mono).as_secs_f64();
            if drift.abs() > CLOCK_STEP_TOLERANCE.as_secs_f64() {
                events.push(CollectEvent::ClockStep { seconds: drift });
                self.clock_stepped = true;
            }
        }
        self.previous = Some((sample.wall, sample.mono));
        // Truncation to whole seconds: librrd's update times are whole seconds here.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "wall-clock seconds are far inside i64"
        )]
        let time = sample.wall.floor() as i64;
        if time < self.last_time {
            events.push(CollectEvent::ClockBehind {
                last: self.last_time,
            });
            return Decision::Wait {
                until: self.next_slot(),
                events,
            };
        }
        if self.slot(time) <= self.slot(self.last_time) {
            return Decision::Wait {
                until: self.next_slot(),
                events,
            };
        }
        let values = match &sample.counters {
            None => {
                events.push(CollectEvent::Missing);
                vec![None; self.last_values.len()]
            }
            Some(_) if self.clock_stepped => vec![None; self.last_values.len()],
            Some(counters) => self
                .last_values
                .iter()
                .zip(counters)
                .enumerate()
                .map(|(ds, (last, &now))| judge(ds, *last, now, &mut events))
                .chain(std::iter::repeat(None))
                .take(self.last_values.len())
                .collect(),
        };
        Decision::Write(PlannedUpdate {
            time,
            values,
            events,
        })
    }

    /// Records that the RRD took `write`: it is now the last update, and librrd's last value of
    /// each data source is what it was given (`U` where the write was unknown).
    pub fn written(&mut self, write: &PlannedUpdate) {
        self.last_time = write.time;
        self.clock_stepped = false;
        self.last_values.clone_from(&write.values);
    }
}

/// The value to write for data source `ds`, that held `last` and now reads `now`.
fn judge(ds: usize, last: Option<u64>, now: u64, events: &mut Vec<CollectEvent>) -> Option<u64> {
    let Some(last) = last else {
        return Some(now);
    };
    if now >= last {
        return Some(now);
    }
    // The increment if the counter went round: now - last modulo 2^bits.
    let wrapped = now.wrapping_sub(last);
    let bits = if u32::try_from(last).is_ok() { 32 } else { 64 };
    let increment = if bits == 32 {
        wrapped & u64::from(u32::MAX)
    } else {
        wrapped
    };
    if increment < 1u64 << (bits - 1) {
        events.push(CollectEvent::Wrap { ds, bits });
        return Some(now);
    }
    events.push(CollectEvent::Reset {
        ds,
        from: last,
        to: now,
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: u64 = 300;

    fn at(wall: f64, mono: f64, counters: &[u64]) -> CounterSample {
        CounterSample::new(wall, Duration::from_secs_f64(mono), Some(counters.to_vec()))
    }

    /// Decides `sample`, expects a write, records it and returns it.
    fn write(core: &mut CollectCore, sample: &CounterSample) -> PlannedUpdate {
        match core.decide(sample) {
            Decision::Write(w) => {
                core.written(&w);
                w
            }
            other => panic!("expected a write, got {other:?}"),
        }
    }

    #[test]
    fn one_write_per_slot_and_a_restart_never_writes_the_same_step_twice() {
        let mut core = CollectCore::new(STEP, 2).resume(3000, vec![Some(10), Some(20)]);
        // A restart within the slot of the last update waits for the next slot.
        assert_eq!(
            core.decide(&at(3299.9, 0.0, &[11, 21])),
            Decision::Wait {
                until: 3300,
                events: vec![]
            }
        );
        let w = write(&mut core, &at(3300.02, 0.12, &[40, 50]));
        assert_eq!((w.time, w.values), (3300, vec![Some(40), Some(50)]));
        // A second sample in the same slot is not written.
        assert!(matches!(
            core.decide(&at(3450.0, 150.1, &[41, 51])),
            Decision::Wait { until: 3600, .. }
        ));
        // A restart (a new core from the RRD's last update) in a later slot writes at once:
        // the step is still writable, waiting for the boundary would lose it.
        let mut core = CollectCore::new(STEP, 2).resume(3300, vec![Some(40), Some(50)]);
        let w = write(&mut core, &at(3750.5, 0.0, &[70, 80]));
        assert_eq!((w.time, w.values), (3750, vec![Some(70), Some(80)]));
        assert_eq!(core.next_slot(), 3900);
    }

    #[test]
    fn a_fresh_rrd_takes_the_first_sample_as_its_baseline() {
        let mut core = CollectCore::new(1, 2).resume(99, vec![None, None]);
        let w = write(&mut core, &at(100.3, 0.0, &[5, 6]));
        assert_eq!(
            (w.time, w.values, w.events),
            (100, vec![Some(5), Some(6)], vec![])
        );
    }

    #[test]
    fn counter_wrap_is_passed_to_librrd_as_a_wrap() {
        let mut core = CollectCore::new(STEP, 2)
            .resume(0, vec![Some(u64::from(u32::MAX) - 99), Some(u64::MAX - 9)]);
        let w = write(&mut core, &at(300.0, 0.0, &[400, 90]));
        assert_eq!(w.values, vec![Some(400), Some(90)]);
        assert_eq!(
            w.events,
            vec![
                CollectEvent::Wrap { ds: 0, bits: 32 },
                CollectEvent::Wrap { ds: 1, bits: 64 }
            ]
        );
        // After the wrap the counters are measured from the wrapped values.
        let w = write(&mut core, &at(600.0, 300.0, &[1400, 190]));
        assert_eq!((w.values, w.events), (vec![Some(1400), Some(190)], vec![]));
    }

    #[test]
    fn a_counter_reset_is_unknown_not_a_wrap() {
        // 1e6 -> 10 at 32 bits would be a 4 GB increment: a reset. 5e9 -> 10 at 64 bits too.
        let mut core =
            CollectCore::new(STEP, 2).resume(0, vec![Some(1_000_000), Some(5_000_000_000)]);
        let w = write(&mut core, &at(300.0, 0.0, &[10, 20]));
        assert_eq!(w.values, vec![None, None]);
        assert_eq!(
            w.events,
            vec![
                CollectEvent::Reset {
                    ds: 0,
                    from: 1_000_000,
                    to: 10
                },
                CollectEvent::Reset {
                    ds: 1,
                    from: 5_000_000_000,
                    to: 20
                },
            ]
        );
        // The next write gives librrd the new counters again (the new baseline).
        let w = write(&mut core, &at(600.0, 300.0, &[3010, 4020]));
        assert_eq!((w.values, w.events), (vec![Some(3010), Some(4020)], vec![]));
    }

    #[test]
    fn a_reset_of_one_data_source_keeps_the_other() {
        let mut core = CollectCore::new(STEP, 2).resume(0, vec![Some(500), Some(500)]);
        let w = write(&mut core, &at(300.0, 0.0, &[100, 900]));
        assert_eq!(w.values, vec![None, Some(900)]);
    }

    #[test]
    fn an_interface_that_is_gone_is_unknown_and_comes_back_as_a_new_baseline() {
        let mut core = CollectCore::new(STEP, 2).resume(0, vec![Some(500), Some(600)]);
        let w = write(&mut core, &CounterSample::new(300.0, Duration::ZERO, None));
        assert_eq!(
            (w.values, w.events),
            (vec![None, None], vec![CollectEvent::Missing])
        );
        let w = write(
            &mut core,
            &CounterSample::new(600.0, Duration::from_secs(300), None),
        );
        assert_eq!(w.values, vec![None, None]);
        // Recreated with counters from zero: no reset to report, a new baseline.
        let w = write(&mut core, &at(900.0, 600.0, &[7, 8]));
        assert_eq!((w.values, w.events), (vec![Some(7), Some(8)], vec![]));
    }

    #[test]
    fn a_forward_clock_step_makes_its_interval_unknown() {
        let mut core = CollectCore::new(STEP, 1).resume(0, vec![Some(0)]);
        write(&mut core, &at(300.0, 0.0, &[100]));
        // 300 s of real time, but the wall clock jumped an hour ahead.
        let Decision::Write(w) = core.decide(&at(3900.0 + 600.0, 300.0, &[200])) else {
            panic!()
        };
        assert_eq!(w.values, vec![None]);
        assert!(
            matches!(w.events[..], [CollectEvent::ClockStep { seconds }] if (seconds - 3900.0).abs() < 1e-6)
        );
        core.written(&w);
        // The next interval is measured normally.
        let w = write(&mut core, &at(4800.0, 600.0, &[300]));
        assert_eq!((w.values, w.events), (vec![Some(300)], vec![]));
    }

    #[test]
    fn a_backward_clock_step_waits_for_the_clock_then_writes_unknown() {
        let mut core = CollectCore::new(STEP, 1).resume(0, vec![Some(0)]);
        write(&mut core, &at(3000.0, 0.0, &[100]));
        // The clock went back 1000 s: nothing can be written before 3300.
        match core.decide(&at(2300.0, 300.0, &[200])) {
            Decision::Wait { until, events } => {
                assert_eq!(until, 3300);
                assert!(
                    matches!(events[0], CollectEvent::ClockStep { seconds } if seconds < -999.0)
                );
                assert_eq!(events[1], CollectEvent::ClockBehind { last: 3000 });
            }
            other => panic!("{other:?}"),
        }
        // Samples in between, with the clock running normally again, still wait.
        assert!(matches!(
            core.decide(&at(2600.0, 600.0, &[300])),
            Decision::Wait { until: 3300, .. }
        ));
        // Once past the last update, the interval that spans the step is unknown...
        let w = write(&mut core, &at(3300.0, 1300.0, &[400]));
        assert_eq!(w.values, vec![None]);
        // ... and the following one is measured normally.
        let w = write(&mut core, &at(3600.0, 1600.0, &[500]));
        assert_eq!((w.values, w.events), (vec![Some(500)], vec![]));
    }

    #[test]
    fn no_sample_panics_the_core() {
        let mut core = CollectCore::new(0, 2).resume(i64::MAX - 1, vec![Some(u64::MAX), None]);
        for wall in [f64::NAN, -1e30, 0.0, 1e30, f64::INFINITY] {
            let _ = core.decide(&CounterSample::new(wall, Duration::MAX, Some(vec![0])));
            let _ = core.decide(&CounterSample::new(wall, Duration::ZERO, Some(vec![])));
        }
    }
}
