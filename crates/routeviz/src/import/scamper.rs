//! scamper JSON, as `sc_warts2json` and `scamper -O json` write it: one object per line.
//!
//! `trace` objects list only the replies (`hops`); the TTLs from `firsthop` to `hop_count`
//! without one are silent hops of `attempts` probes. `tracelb` objects list the nodes of the
//! load-balanced graph and, on each link, the probes that found the next node with their
//! replies; they become one trace whose hops hold every address found at each TTL. The
//! first hop's nodes are found by probes that tracelb's JSON does not list: their replies
//! are kept with an RTT of 0 ms and the hop's probe count is unknown (0).

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;
use tcptrace::{
    Hop, MplsLabel, Protocol, Reply, ReplyKind, StopReason, Trace, TraceReport, TraceSource,
};

use super::detect::ImportFormat;
use super::error::ImportError;
use super::records::{self, At};
use super::report::{self, MAX_PACKETS};

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    src: Option<IpAddr>,
    #[serde(default)]
    dst: Option<IpAddr>,
    #[serde(default)]
    dport: Option<u16>,
    #[serde(borrow, default)]
    stop_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    start: Option<Time>,
    #[serde(default)]
    hop_count: Option<u16>,
    #[serde(default)]
    attempts: Option<u32>,
    #[serde(default)]
    firsthop: Option<u8>,
    #[serde(default)]
    hops: Vec<TraceHop>,
    #[serde(borrow, default)]
    nodes: Vec<Node<'a>>,
}

#[derive(Deserialize)]
struct Time {
    sec: i64,
}

#[derive(Deserialize)]
struct TraceHop {
    addr: IpAddr,
    probe_ttl: u8,
    #[serde(default)]
    probe_id: u32,
    rtt: f64,
    #[serde(flatten)]
    answer: Answer,
}

/// What a reply was: ICMP type and code, or TCP flags.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    icmp_type: Option<u8>,
    #[serde(default)]
    icmp_code: Option<u8>,
    #[serde(default)]
    tcp_flags: Option<u8>,
    #[serde(default)]
    icmpext: Vec<IcmpExt>,
}

#[derive(Deserialize)]
struct IcmpExt {
    ie_cn: u8,
    ie_ct: u8,
    #[serde(default)]
    mpls_labels: Vec<RawLabel>,
}

#[derive(Deserialize)]
struct RawLabel {
    #[serde(rename = "mpls_label")]
    label: u32,
    #[serde(rename = "mpls_exp", default)]
    exp: u8,
    #[serde(rename = "mpls_s", default)]
    s: u8,
    #[serde(rename = "mpls_ttl", default)]
    ttl: u8,
}

#[derive(Deserialize)]
struct Node<'a> {
    #[serde(borrow)]
    addr: Cow<'a, str>,
    #[serde(borrow, default)]
    links: Vec<Vec<Segment<'a>>>,
}

#[derive(Deserialize)]
struct Segment<'a> {
    #[serde(borrow)]
    addr: Cow<'a, str>,
    #[serde(default)]
    probes: Vec<LbProbe>,
}

#[derive(Deserialize)]
struct LbProbe {
    ttl: u8,
    #[serde(default)]
    replies: Vec<LbReply>,
}

#[derive(Deserialize)]
struct LbReply {
    rtt: f64,
    #[serde(flatten)]
    answer: Answer,
}

pub(super) fn import(text: &str) -> Result<TraceReport, ImportError> {
    let mut traces = Vec::new();
    let mut started: Option<i64> = None;
    records::for_each::<Object<'_>, _>(ImportFormat::Scamper, text, |at, o| {
        let trace = match o.kind.as_ref() {
            "trace" => trace(at, &o)?,
            "tracelb" => tracelb(at, &o)?,
            // Cycle and list lines frame the traces; ping and other measurements are not
            // routes.
            "cycle-start" | "cycle-stop" | "cycle-def" | "list" => return Ok(()),
            other => {
                return Err(at.error(format_args!(
                    "a {other:?} object: only trace and tracelb are routes"
                )));
            }
        };
        if let Some(t) = o.start.as_ref().map(|s| s.sec) {
            started = Some(started.map_or(t, |s| s.min(t)));
        }
        traces.push(trace);
        Ok(())
    })?;
    if traces.is_empty() {
        return Err(ImportError::Empty(ImportFormat::Scamper));
    }
    Ok(report::imported_report(traces, Vec::new(), started))
}

fn protocol(method: Option<&str>) -> Option<Protocol> {
    let m = method?;
    if m.starts_with("icmp") {
        Some(Protocol::Icmp)
    } else if m.starts_with("udp") {
        Some(Protocol::Udp)
    } else if m.starts_with("tcp") {
        Some(Protocol::Tcp)
    } else {
        None
    }
}

fn source(o: &Object<'_>) -> (TraceSource, Option<Protocol>) {
    let mut s = TraceSource::new("scamper");
    s.vantage = o.src.map(|a| a.to_string());
    s.src_addr = o.src;
    s.protocol = protocol(o.method.as_deref());
    s.paris_id = None;
    s.started_at = o.start.as_ref().map(|t| report::rfc3339(t.sec));
    let p = s.protocol;
    (s, p)
}

fn dst(at: At, o: &Object<'_>) -> Result<IpAddr, ImportError> {
    o.dst
        .ok_or_else(|| at.error(format_args!("a {} without its dst", o.kind)))
}

fn trace(at: At, o: &Object<'_>) -> Result<Trace, ImportError> {
    let dst = dst(at, o)?;
    let (source, protocol) = source(o);
    let first = o.firsthop.unwrap_or(1).max(1);
    let last_probed = o.hops.iter().map(|h| h.probe_ttl).max().unwrap_or(0);
    let count = u8::try_from(o.hop_count.unwrap_or(0)).unwrap_or(u8::MAX);
    let last = last_probed.max(count.saturating_add(first - 1));
    let attempts = o.attempts.unwrap_or(0);
    let mut hops: Vec<Hop> = (first..=last).map(|t| Hop::new(t, Vec::new())).collect();
    for h in &o.hops {
        let ttl = h.probe_ttl;
        let Some(hop) = hops
            .get_mut(usize::from(ttl.saturating_sub(first)))
            .filter(|_| ttl >= first)
        else {
            return Err(at.error(format_args!("probe_ttl {ttl} is below firsthop {first}")));
        };
        if hop.replies.len() >= MAX_PACKETS {
            return Err(at.too_large("the replies of one hop", MAX_PACKETS));
        }
        hop.replies.push(reply(at, h.addr, h.rtt, &h.answer, ttl)?);
        hop.probes = hop.probes.max(h.probe_id);
    }
    for hop in &mut hops {
        if hop.probes == 0 {
            hop.probes = attempts;
        }
    }
    let dport = if protocol == Some(Protocol::Icmp) {
        0
    } else {
        o.dport.unwrap_or(0)
    };
    let mut trace = Trace::new(
        dst.to_string(),
        dst,
        dport,
        stop_reason(o.stop_reason.as_deref()),
    );
    trace.reached = hops
        .iter()
        .any(|h| h.replies.iter().any(|r| r.from == dst && r.kind.is_final()));
    trace.hops = hops;
    Ok(trace.with_source(source))
}

/// scamper's stop reasons, in the model's terms.
fn stop_reason(reason: Option<&str>) -> StopReason {
    match reason.unwrap_or("NONE") {
        "COMPLETED" => StopReason::Reached,
        "UNREACH" | "ICMP" => StopReason::Unreachable,
        "GAPLIMIT" => StopReason::GapLimit,
        "HALTED" => StopReason::Deadline,
        "ERROR" => StopReason::Failed {
            error: "scamper stopped the trace with an error".to_owned(),
        },
        // HOPLIMIT, LOOP (a loop was detected), NONE.
        _ => StopReason::MaxTtl,
    }
}

fn reply(at: At, from: IpAddr, rtt: f64, a: &Answer, ttl: u8) -> Result<Reply, ImportError> {
    if !(rtt.is_finite() && rtt >= 0.0) {
        return Err(at.error(format_args!("TTL {ttl}: rtt {rtt} is negative")));
    }
    let v6 = from.is_ipv6();
    let kind = match (a.icmp_type, a.tcp_flags) {
        (Some(11), _) if !v6 => ReplyKind::TimeExceeded,
        (Some(3), _) if v6 => ReplyKind::TimeExceeded,
        (Some(3), _) if !v6 => ReplyKind::Unreachable(a.icmp_code.unwrap_or(0)),
        (Some(1), _) if v6 => ReplyKind::Unreachable(a.icmp_code.unwrap_or(0)),
        (Some(0), _) if !v6 => ReplyKind::EchoReply,
        (Some(129), _) if v6 => ReplyKind::EchoReply,
        (None, Some(f)) if f & 0x04 != 0 => ReplyKind::Rst,
        (None, Some(f)) if f & 0x12 == 0x12 => ReplyKind::SynAck,
        (t, f) => {
            return Err(at.error(format_args!(
                "TTL {ttl}: a reply from {from} of icmp_type {t:?}, tcp_flags {f:?}, which no trace step is"
            )));
        }
    };
    let mut r = Reply::new(from, std::time::Duration::ZERO, kind).with_rtt_ms(rtt);
    for ext in a.icmpext.iter().filter(|e| e.ie_cn == 1 && e.ie_ct == 1) {
        for l in &ext.mpls_labels {
            let label = MplsLabel::new(l.label, l.exp, l.s != 0, l.ttl).ok_or_else(|| {
                at.error(format_args!(
                    "TTL {ttl}: MPLS label {} has no wire form",
                    l.label
                ))
            })?;
            r.mpls.push(label);
        }
    }
    Ok(r)
}

/// A tracelb node or segment address: `*` is a node that did not answer.
fn lb_addr(at: At, s: &str) -> Result<Option<IpAddr>, ImportError> {
    if s == "*" {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| at.error(format_args!("invalid address {s:?}")))
}

fn tracelb(at: At, o: &Object<'_>) -> Result<Trace, ImportError> {
    let dst = dst(at, o)?;
    let (source, _) = source(o);
    let first = o.firsthop.unwrap_or(1).max(1);
    let mut by_ttl: std::collections::BTreeMap<u8, Hop> = std::collections::BTreeMap::new();
    let mut reached_nodes = std::collections::HashSet::new();
    for node in &o.nodes {
        for seg in node.links.iter().flatten() {
            let Some(addr) = lb_addr(at, &seg.addr)? else {
                continue;
            };
            reached_nodes.insert(addr);
            for p in &seg.probes {
                let hop = by_ttl
                    .entry(p.ttl)
                    .or_insert_with(|| Hop::new(p.ttl, Vec::new()));
                hop.probes += 1;
                for r in &p.replies {
                    if hop.replies.len() >= MAX_PACKETS {
                        return Err(at.too_large("the replies of one hop", MAX_PACKETS));
                    }
                    hop.replies.push(reply(at, addr, r.rtt, &r.answer, p.ttl)?);
                }
            }
        }
    }
    // Nodes no link leads to were found at the first hop, by probes the JSON leaves out.
    for node in &o.nodes {
        let Some(addr) = lb_addr(at, &node.addr)? else {
            continue;
        };
        if reached_nodes.contains(&addr) {
            continue;
        }
        let hop = by_ttl
            .entry(first)
            .or_insert_with(|| Hop::new(first, Vec::new()));
        if !hop.replies.iter().any(|r| r.from == addr) {
            let kind = if addr == dst {
                final_kind(o)
            } else {
                ReplyKind::TimeExceeded
            };
            hop.replies
                .push(Reply::new(addr, std::time::Duration::ZERO, kind));
        }
    }
    let mut trace = Trace::new(dst.to_string(), dst, 0, StopReason::MaxTtl);
    trace.hops = by_ttl.into_values().collect();
    trace.reached = trace
        .hops
        .iter()
        .any(|h| h.replies.iter().any(|r| r.from == dst && r.kind.is_final()));
    if trace.reached {
        trace.stop_reason = StopReason::Reached;
    }
    Ok(trace.with_source(source))
}

fn final_kind(o: &Object<'_>) -> ReplyKind {
    match protocol(o.method.as_deref()) {
        Some(Protocol::Icmp) => ReplyKind::EchoReply,
        Some(Protocol::Tcp) => ReplyKind::SynAck,
        _ => ReplyKind::Unreachable(if o.dst.is_some_and(|d| d.is_ipv6()) {
            4
        } else {
            3
        }),
    }
}
