//! The blocking driver: resolve, open sockets, run the engine to the end or the deadline.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use crate::config::TraceConfig;
use crate::engine::{Engine, Event, Flow};
use crate::error::{Error, Result};
use crate::model::{
    EngineStats, FailedTarget, StopReason, TargetError, Trace, TraceReport, rfc3339,
};
use crate::transport::RawSockets;

/// Resolves a target with the system resolver (IPv4 and IPv6), or parses it as an address
/// (the fast path: a literal never reaches the resolver). IPv4-mapped IPv6 addresses become
/// IPv4.
///
/// # Errors
///
/// [`Error::Target`] with the [`TargetError`]: the resolver failed, it returned nothing, or
/// the address is one no trace can reach.
pub fn resolve(target: &str) -> Result<IpAddr> {
    lookup(target).map_err(|reason| Error::Target {
        target: target.to_owned(),
        reason,
    })
}

/// [`resolve`], with the bare reason.
fn lookup(target: &str) -> Result<IpAddr, TargetError> {
    if let Some(a) = crate::config::parse_literal(target) {
        return crate::config::check_target(a);
    }
    let mut addrs = (target, 0u16)
        .to_socket_addrs()
        .map_err(|e| TargetError::Resolve {
            error: e.to_string(),
        })?;
    let addr = addrs.next().ok_or(TargetError::NoAddress)?.ip();
    crate::config::check_target(addr)
}

/// Resolves the targets and picks the source address of each, in config order × port order.
/// Unlike [`trace`], which traces the other targets, this fails for the first target that
/// cannot be traced.
///
/// # Errors
///
/// As [`resolve`], and [`Error::NoRoute`] when there is no route to a target.
pub fn plan_flows(config: &TraceConfig) -> Result<Vec<Flow>> {
    let mut flows = Vec::with_capacity(config.targets.len() * config.ports.len());
    for plan in plan_targets(config)? {
        match plan {
            Plan::Trace { target, dst, src } => {
                flows.extend(flows_to(target, dst, src, &config.ports));
            }
            Plan::NoRoute { error, .. } => return Err(error),
            Plan::Failed(f) => {
                return Err(Error::Target {
                    target: f.target,
                    reason: f.reason,
                });
            }
        }
    }
    Ok(flows)
}

/// The flows to one target, one per port.
fn flows_to<'a>(
    target: &'a str,
    dst: IpAddr,
    src: IpAddr,
    ports: &'a [u16],
) -> impl Iterator<Item = Flow> + 'a {
    ports
        .iter()
        .map(move |&port| Flow::new(target.to_owned(), src, dst, port))
}

/// What a run does with one target.
enum Plan<'a> {
    /// Trace it from `src`.
    Trace {
        target: &'a str,
        dst: IpAddr,
        src: IpAddr,
    },
    /// Fail its traces at once: there is no route to it.
    NoRoute {
        target: &'a str,
        dst: IpAddr,
        error: Error,
    },
    /// List it as failed: it has no address to trace.
    Failed(FailedTarget),
}

/// What to do with each target, in config order.
///
/// # Errors
///
/// [`Error::Io`] when the route lookup fails for another reason than a missing route, and
/// [`Error::NotLocal`] for a pool address that is not this host's.
fn plan_targets(config: &TraceConfig) -> Result<Vec<Plan<'_>>> {
    for &addr in &config.source_pool {
        crate::transport::owns(addr)?;
    }
    // Each family takes turns over its own addresses: a probe's source and destination
    // must be of one family.
    let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = config.source_pool.iter().partition(|a| a.is_ipv4());
    let (mut pool_v4, mut pool_v6) = (v4.iter().copied().cycle(), v6.iter().copied().cycle());
    config
        .targets
        .iter()
        .map(|target| {
            let dst = match lookup(target) {
                Ok(dst) => dst,
                Err(reason) => {
                    let ports = config.ports.clone();
                    return Ok(Plan::Failed(FailedTarget::new(target, ports, reason)));
                }
            };
            Ok(match crate::transport::source_for(dst) {
                // The route check stands: a pool address does not make a target reachable.
                Ok(src) => {
                    let pooled = if src.is_ipv4() {
                        pool_v4.next()
                    } else {
                        pool_v6.next()
                    };
                    let src = pooled.unwrap_or(src);
                    Plan::Trace { target, dst, src }
                }
                Err(error @ Error::NoRoute { .. }) => Plan::NoRoute { target, dst, error },
                Err(e) => return Err(e),
            })
        })
        .collect()
}

/// How long the loop waits for replies when nothing is pending and there is no deadline.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How often an [`Observer`] hears of the progress of a run, at most and at least.
const TICK: Duration = Duration::from_millis(200);

/// How far a run has come, as [`Observer::on_progress`] hears it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Traces finished (those that failed before the run started included).
    pub traces_done: usize,
    /// Traces in the run.
    pub traces: usize,
    /// Rounds finished, over all traces ([`TraceConfig::rounds`] per trace).
    pub rounds_done: u64,
    /// Rounds in the run: traces × rounds.
    pub rounds: u64,
    /// The engine's counters so far (probes sent, replies...).
    pub stats: EngineStats,
}

/// Watches a run of [`trace_observed`]: its events as they happen, and its progress about five
/// times a second and after every round, with a snapshot of the report so far (for a live
/// display that redraws as rounds end).
pub trait Observer {
    /// An event, as [`trace_with`] reports them.
    fn on_event(&mut self, event: &Event) {
        let _ = event;
    }

    /// The progress of the run; `snapshot` builds the report so far (traces not finished yet
    /// end in [`StopReason::Deadline`] in it). Not called after the run ends.
    fn on_progress(&mut self, progress: &Progress, snapshot: &dyn Fn() -> TraceReport) {
        let _ = (progress, snapshot);
    }
}

/// [`trace_with`]'s observer: events only.
struct Events<F>(F);

impl<F: FnMut(&Event)> Observer for Events<F> {
    fn on_event(&mut self, event: &Event) {
        (self.0)(event);
    }
}

/// A fresh random key for a run.
pub(crate) fn run_key() -> u64 {
    RandomState::new().hash_one((SystemTime::now(), std::process::id()))
}

/// Traces every (target, port) of `config` over raw sockets and returns the report. Blocks
/// until every trace has stopped or the config's deadline ([`TraceConfig::deadline`]) has
/// passed. Every (target, port) is in the report, in order: a target without an address (its
/// name does not resolve, or no trace can reach it) in [`TraceReport::failed_targets`] with
/// the [`TargetError`], the others in [`TraceReport::traces`]; a trace the deadline cut short
/// ends with [`StopReason::Deadline`], one to a target without a route or whose probe could
/// not be sent with [`StopReason::Failed`] and the error; see [`TraceReport::tally`]. When no
/// target can be traced, no socket is opened.
///
/// # Errors
///
/// [`Error::PermissionDenied`] without `CAP_NET_RAW`, and [`Error::Io`] for socket failures.
pub fn trace(config: &TraceConfig) -> Result<TraceReport> {
    trace_with(config, |_| {})
}

/// [`trace`], calling `on_event` with every event as it happens (for live output). Every
/// (target, port) gets exactly one end, so that a consumer of the events accounts for all of
/// them: an [`Event::TargetFailed`] per failed target and an [`Event::Done`] per trace with
/// the trace's [`StopReason`]. The `flow` of [`Event::Done`] and [`Event::Reply`] is the index
/// of the trace in [`TraceReport::traces`]. Traces that fail for want of a route, and failed
/// targets, end before the run starts; the others as they stop, or when the deadline passes.
///
/// # Errors
///
/// As [`trace`].
pub fn trace_with(config: &TraceConfig, on_event: impl FnMut(&Event)) -> Result<TraceReport> {
    trace_observed(config, &mut Events(on_event))
}

/// [`trace_with`], telling `observer` of every event and, while the run goes on, of its
/// [`Progress`] with a snapshot of the report so far.
///
/// ```no_run
/// use std::time::Duration;
/// use tcptrace::{Observer, Progress, TraceConfig, TraceReport};
///
/// /// Prints the progress, and the summary after every round.
/// struct Live(u64);
///
/// impl Observer for Live {
///     fn on_progress(&mut self, p: &Progress, snapshot: &dyn Fn() -> TraceReport) {
///         eprintln!("{}/{} traces, {} probes sent", p.traces_done, p.traces, p.stats.sent);
///         if p.rounds_done > self.0 {
///             self.0 = p.rounds_done;
///             print!("{}", snapshot().live_summary());
///         }
///     }
/// }
///
/// let config = TraceConfig::builder()
///     .target("192.0.2.1")
///     .rounds(10)
///     .interval(Duration::from_millis(500))
///     .build()?;
/// let report = tcptrace::trace_observed(&config, &mut Live(0))?;
/// print!("{}", report.summary());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`trace`].
pub fn trace_observed(config: &TraceConfig, observer: &mut impl Observer) -> Result<TraceReport> {
    let started_at = rfc3339(SystemTime::now());
    // Per trace in report order: `None` for a flow the engine traces, or the trace of a
    // target without a route, failed before any probe.
    let mut planned: Vec<Option<Trace>> = Vec::new();
    let mut flows = Vec::new();
    // The report index of each engine flow.
    let mut in_report = Vec::new();
    let mut failed_targets = Vec::new();
    for plan in plan_targets(config)? {
        match plan {
            Plan::Trace { target, dst, src } => {
                for flow in flows_to(target, dst, src, &config.ports) {
                    in_report.push(planned.len());
                    planned.push(None);
                    flows.push(flow);
                }
            }
            Plan::NoRoute { target, dst, error } => {
                let reason = StopReason::Failed {
                    error: error.to_string(),
                };
                for &port in &config.ports {
                    observer.on_event(&Event::Done {
                        flow: planned.len(),
                        reason: reason.clone(),
                    });
                    planned.push(Some(Trace::new(
                        target.to_owned(),
                        dst,
                        port,
                        reason.clone(),
                    )));
                }
            }
            Plan::Failed(target) => {
                observer.on_event(&Event::TargetFailed {
                    target: target.clone(),
                });
                failed_targets.push(target);
            }
        }
    }
    // The report of the engine's traces so far, with the traces failed before the run.
    let assemble = |traced: Vec<Trace>, stats: Option<EngineStats>| {
        let mut traced = traced.into_iter();
        let traces = planned
            .iter()
            .filter_map(|failed| failed.clone().or_else(|| traced.next()))
            .collect();
        let mut report = TraceReport::new(config.params(), started_at.clone(), traces);
        report.failed_targets.clone_from(&failed_targets);
        report.engine_stats = stats;
        report
    };
    let failed_early = planned.iter().filter(|t| t.is_some()).count();
    if flows.is_empty() {
        // No engine ran: the report has no counters.
        return Ok(assemble(Vec::new(), None));
    }
    let (traced, stats) = run(config, flows, |step| match step {
        Step::Event(mut ev) => {
            if let Event::Reply { flow, .. }
            | Event::Done { flow, .. }
            | Event::RoundDone { flow, .. } = &mut ev
            {
                *flow = in_report[*flow];
            }
            observer.on_event(&ev);
        }
        Step::Tick(engine) => {
            let (rounds_done, rounds) = engine.rounds_progress();
            let progress = Progress {
                traces_done: failed_early + engine.flows_done(),
                traces: planned.len(),
                rounds_done,
                rounds,
                stats: engine.stats(),
            };
            observer.on_progress(&progress, &|| {
                assemble(engine.traces(), Some(engine.stats()))
            });
        }
    })?;
    Ok(assemble(traced, Some(stats)))
}

/// What [`run`] tells its caller: an event, or a moment to look at the engine.
enum Step<'a> {
    Event(Event),
    Tick(&'a Engine),
}

/// Runs the engine over raw sockets until every trace has stopped or the deadline passes.
fn run(
    config: &TraceConfig,
    flows: Vec<Flow>,
    mut on_step: impl FnMut(Step<'_>),
) -> Result<(Vec<Trace>, EngineStats)> {
    let v4 = flows.iter().any(|f| f.dst.is_ipv4());
    let v6 = flows.iter().any(|f| f.dst.is_ipv6());
    let mut sockets = RawSockets::open(v4, v6)?;
    let mut engine = Engine::new(config, flows, config.key.unwrap_or_else(run_key))?;
    // A deadline too far away to represent is no deadline.
    let deadline = Instant::now().checked_add(config.deadline());
    let mut buf = Vec::with_capacity(64);
    let mut last_tick = Instant::now();
    loop {
        let now = Instant::now();
        engine.handle_timeout(now);
        while let Some(tx) = engine.poll_transmit(now, &mut buf) {
            match sockets.send(&tx, &buf) {
                Ok(()) => {}
                Err(e @ Error::Send { .. }) => engine.handle_send_error(&tx, &e.to_string()),
                Err(e) => return Err(e),
            }
        }
        let mut round_ended = false;
        while let Some(ev) = engine.poll_event() {
            round_ended |= matches!(ev, Event::RoundDone { .. });
            on_step(Step::Event(ev));
        }
        if engine.is_done() || deadline.is_some_and(|d| now >= d) {
            break;
        }
        if round_ended || now >= last_tick + TICK {
            on_step(Step::Tick(&engine));
            last_tick = now;
        }
        let wake = match (engine.poll_timeout(), deadline) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(now + IDLE_WAIT),
        }
        .min(now + TICK);
        sockets.recv_into(&mut engine, wake.saturating_duration_since(now))?;
    }
    while let Some(ev) = engine.poll_event() {
        on_step(Step::Event(ev));
    }
    tracing::debug!(stats = ?engine.stats(), send_errors = sockets.send_errors(), "trace finished");
    let traces = engine.traces();
    // The deadline ends the traces still going: their end is an event like any other.
    for (flow, t) in traces.iter().enumerate() {
        if t.stop_reason == StopReason::Deadline {
            on_step(Step::Event(Event::Done {
                flow,
                reason: StopReason::Deadline,
            }));
        }
    }
    Ok((traces, engine.stats()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_literals_and_refuses_unusable_targets() {
        assert_eq!(
            resolve("192.0.2.1").unwrap(),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            resolve("2001:db8::1").unwrap(),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            resolve("[2001:db8::1]").unwrap(),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        // Rust refuses a name with a NUL byte before the resolver sees it: a resolver error
        // that never leaves the process. (Names are never looked up here: the machine's
        // resolver may ask the network.)
        let e = resolve("no\0such").unwrap_err();
        assert!(
            matches!(&e, Error::Target { target, reason: TargetError::Resolve { .. } } if target == "no\0such"),
            "{e}"
        );
        let e = resolve("224.0.0.1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"224.0.0.1\": 224.0.0.1 is a multicast address, which no trace can reach"
        );
    }

    #[test]
    fn plans_flows_in_target_then_port_order() {
        let config = TraceConfig::builder()
            .targets(["127.0.0.1", "127.0.0.2"])
            .ports([80, 443])
            .build()
            .unwrap();
        let flows = plan_flows(&config).unwrap();
        let got: Vec<(String, u16)> = flows.iter().map(|f| (f.target.clone(), f.port)).collect();
        assert_eq!(
            got,
            [
                ("127.0.0.1".into(), 80),
                ("127.0.0.1".into(), 443),
                ("127.0.0.2".into(), 80),
                ("127.0.0.2".into(), 443)
            ]
        );
        assert!(flows.iter().all(|f| f.src.is_loopback()));
        assert_ne!(run_key(), run_key());
    }

    #[test]
    fn each_family_takes_turns_over_its_own_pool_addresses() {
        let v6_loopback = crate::transport::owns("::1".parse().unwrap()).is_ok();
        let targets: &[&str] = if v6_loopback {
            &["127.0.0.1", "::1", "127.0.0.2", "127.0.0.3"]
        } else {
            &["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        };
        let pool: Vec<IpAddr> = ["127.0.0.7", "::1", "127.0.0.8"]
            .iter()
            .map(|a| a.parse().unwrap())
            .filter(|a: &IpAddr| v6_loopback || a.is_ipv4())
            .collect();
        let config = TraceConfig::builder()
            .targets(targets.iter().copied())
            .source_pool(pool)
            .build()
            .unwrap();
        let srcs: Vec<String> = plan_flows(&config)
            .unwrap()
            .iter()
            .map(|f| f.src.to_string())
            .collect();
        let want: &[&str] = if v6_loopback {
            &["127.0.0.7", "::1", "127.0.0.8", "127.0.0.7"]
        } else {
            &["127.0.0.7", "127.0.0.8", "127.0.0.7"]
        };
        assert_eq!(srcs, want);
        // An IPv6 address the host does not have is refused before anything is sent.
        let config = TraceConfig::builder()
            .target("127.0.0.1")
            .source_pool(["2001:db8::dead".parse().unwrap()])
            .build()
            .unwrap();
        assert!(matches!(plan_flows(&config), Err(Error::NotLocal { .. })));
    }
}
