//! The blocking driver: resolve, open sockets, run the engine to the end or the deadline.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, ToSocketAddrs};
use std::time::{Instant, SystemTime};

use crate::config::TraceConfig;
use crate::engine::{Engine, Event, Flow};
use crate::error::{Error, Result};
use crate::model::{StopReason, Trace, TraceReport, rfc3339};
use crate::transport::RawSockets;

/// Resolves a target with the system resolver (IPv4 and IPv6), or parses it as an address.
///
/// # Errors
///
/// [`Error::Resolve`] when the resolver fails, [`Error::NoAddress`] when it returns nothing,
/// [`Error::Config`] for an address no trace can reach. IPv4-mapped IPv6 addresses become IPv4.
pub fn resolve(target: &str) -> Result<IpAddr> {
    if let Some(a) = crate::config::parse_literal(target) {
        return Ok(crate::config::check_target(target, a)?);
    }
    let mut addrs = (target, 0u16)
        .to_socket_addrs()
        .map_err(|source| Error::Resolve {
            target: target.to_owned(),
            source,
        })?;
    let addr = addrs
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| Error::NoAddress {
            target: target.to_owned(),
        })?;
    Ok(crate::config::check_target(target, addr)?)
}

/// Resolves the targets and picks the source address of each, in config order × port order.
///
/// # Errors
///
/// As [`resolve`], and [`Error::NoRoute`] when there is no route to a target.
pub fn plan_flows(config: &TraceConfig) -> Result<Vec<Flow>> {
    let mut flows = Vec::with_capacity(config.targets.len() * config.ports.len());
    for (target, dst, src) in plan_targets(config)? {
        flows.extend(flows_to(target, dst, src?, &config.ports));
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
    ports.iter().map(move |&port| Flow {
        target: target.to_owned(),
        src,
        dst,
        port,
    })
}

/// Each target, its address and the source address towards it, or why there is none.
///
/// # Errors
///
/// As [`resolve`]: a target that cannot be resolved fails the whole plan.
fn plan_targets(config: &TraceConfig) -> Result<Vec<(&str, IpAddr, Result<IpAddr>)>> {
    config
        .targets
        .iter()
        .map(|target| {
            let dst = resolve(target)?;
            Ok((target.as_str(), dst, crate::transport::source_for(dst)))
        })
        .collect()
}

/// How long the loop waits for replies when nothing is pending and there is no deadline.
const IDLE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// A fresh random key for a run.
pub(crate) fn run_key() -> u64 {
    RandomState::new().hash_one((SystemTime::now(), std::process::id()))
}

/// Traces every (target, port) of `config` over raw sockets and returns the report. Blocks
/// until every trace has stopped or the config's deadline ([`TraceConfig::deadline`]) has
/// passed. Every (target, port) is in the report, in order: a trace the deadline cut short
/// ends with [`StopReason::Deadline`], one to a target without a route or whose probe could
/// not be sent with [`StopReason::Failed`] and the error; see [`TraceReport::tally`].
///
/// # Errors
///
/// [`Error::PermissionDenied`] without `CAP_NET_RAW`, resolution errors from [`resolve`]
/// (before any probe is sent), and [`Error::Io`] for socket failures.
pub fn trace(config: &TraceConfig) -> Result<TraceReport> {
    trace_with(config, |_| {})
}

/// [`trace`], calling `on_event` with every event as it happens (for live output).
///
/// # Errors
///
/// As [`trace`].
pub fn trace_with(config: &TraceConfig, on_event: impl FnMut(&Event)) -> Result<TraceReport> {
    let started_at = rfc3339(SystemTime::now());
    // Per (target, port) in order: `None` for a flow the engine traces, or the trace of a
    // target without a route, failed before any probe.
    let mut flows = Vec::new();
    let mut planned: Vec<Option<Trace>> = Vec::new();
    for (target, dst, src) in plan_targets(config)? {
        let src = match src {
            Ok(src) => src,
            Err(e @ Error::NoRoute { .. }) => {
                let error = e.to_string();
                planned.extend(config.ports.iter().map(|&port| {
                    Some(Trace {
                        target: target.to_owned(),
                        addr: dst,
                        port,
                        reached: false,
                        stop_reason: StopReason::Failed {
                            error: error.clone(),
                        },
                        hops: Vec::new(),
                    })
                }));
                continue;
            }
            Err(e) => return Err(e),
        };
        flows.extend(flows_to(target, dst, src, &config.ports));
        planned.extend(std::iter::repeat_n(None, config.ports.len()));
    }
    let mut traced = if flows.is_empty() {
        Vec::new()
    } else {
        run(config, flows, on_event)?
    }
    .into_iter();
    let traces = planned
        .into_iter()
        .filter_map(|failed| failed.or_else(|| traced.next()))
        .collect();
    Ok(TraceReport {
        params: config.params(),
        started_at,
        traces,
    })
}

/// Runs the engine over raw sockets until every trace has stopped or the deadline passes.
fn run(
    config: &TraceConfig,
    flows: Vec<Flow>,
    mut on_event: impl FnMut(&Event),
) -> Result<Vec<Trace>> {
    let v4 = flows.iter().any(|f| f.dst.is_ipv4());
    let v6 = flows.iter().any(|f| f.dst.is_ipv6());
    let mut sockets = RawSockets::open(v4, v6)?;
    let mut engine = Engine::new(config, flows, run_key())?;
    // A deadline too far away to represent is no deadline.
    let deadline = Instant::now().checked_add(config.deadline());
    let mut buf = Vec::with_capacity(64);
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
        while let Some(ev) = engine.poll_event() {
            on_event(&ev);
        }
        if engine.is_done() || deadline.is_some_and(|d| now >= d) {
            break;
        }
        let wake = match (engine.poll_timeout(), deadline) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(now + IDLE_WAIT),
        };
        sockets.recv_into(&mut engine, wake.saturating_duration_since(now))?;
    }
    while let Some(ev) = engine.poll_event() {
        on_event(&ev);
    }
    tracing::debug!(stats = ?engine.stats(), send_errors = sockets.send_errors(), "trace finished");
    Ok(engine.traces())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_literals_and_names() {
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
        assert!(resolve("localhost").unwrap().is_loopback());
        assert!(matches!(
            resolve("no-such-host.invalid"),
            Err(Error::Resolve { .. } | Error::NoAddress { .. })
        ));
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
}
