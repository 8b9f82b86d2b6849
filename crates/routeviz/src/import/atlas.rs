//! RIPE Atlas traceroute results (result format of firmware 4460 and later).

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;
use tcptrace::{
    FailedTarget, Hop, MplsLabel, Protocol, Reply, ReplyKind, StopReason, TargetError, Trace,
    TraceReport, TraceSource,
};

use super::detect::ImportFormat;
use super::error::ImportError;
use super::records::{self, At};
use super::report::{self, MAX_PACKETS};

#[derive(Deserialize)]
struct Result<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    af: Option<u8>,
    #[serde(default, deserialize_with = "addr")]
    dst_addr: Option<IpAddr>,
    #[serde(borrow, default)]
    dst_name: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "addr")]
    src_addr: Option<IpAddr>,
    #[serde(default, deserialize_with = "addr")]
    from: Option<IpAddr>,
    #[serde(default)]
    prb_id: Option<u64>,
    #[serde(default)]
    msm_id: Option<u64>,
    #[serde(default)]
    paris_id: Option<u32>,
    #[serde(borrow, default)]
    proto: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(rename = "result", borrow, default)]
    hops: Option<Vec<RawHop<'a>>>,
}

#[derive(Deserialize)]
struct RawHop<'a> {
    #[serde(default)]
    hop: Option<u16>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    result: Option<Vec<Packet<'a>>>,
}

#[derive(Deserialize)]
struct Packet<'a> {
    #[serde(default)]
    x: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    late: Option<u32>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "addr")]
    from: Option<IpAddr>,
    #[serde(default)]
    rtt: Option<f64>,
    #[serde(default)]
    err: Option<Err<'a>>,
    #[serde(borrow, default)]
    flags: Option<Cow<'a, str>>,
    #[serde(default)]
    icmpext: Option<IcmpExt>,
}

/// `err`: a letter (`N`, `H`, `A`, `P`, `p`, `h`) or the ICMP code as a number.
enum Err<'a> {
    Letter(Cow<'a, str>),
    Code(u64),
}

impl<'de: 'a, 'a> Deserialize<'de> for Err<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Err<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an ICMP error letter or code")
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Err<'de>, E> {
                Ok(Err::Code(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Err<'de>, E> {
                Ok(Err::Letter(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Err<'de>, E> {
                Ok(Err::Letter(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct IcmpExt {
    #[serde(default)]
    obj: Vec<IcmpObj>,
}

#[derive(Deserialize)]
struct IcmpObj {
    class: u8,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    mpls: Vec<RawLabel>,
}

#[derive(Deserialize)]
struct RawLabel {
    label: u32,
    #[serde(default)]
    exp: u8,
    #[serde(default)]
    s: u8,
    #[serde(default)]
    ttl: u8,
}

/// An address, strictly parsed; Atlas writes an unknown one (a probe's public `from`) as
/// `""`, read as absent.
fn addr<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<IpAddr>, D::Error> {
    let s: Option<Cow<'de, str>> = Option::deserialize(d)?;
    match s.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format_args!("invalid address {s:?}"))),
    }
}

pub(super) fn import(text: &str) -> std::result::Result<TraceReport, ImportError> {
    let mut traces = Vec::new();
    let mut failed = Vec::new();
    let mut started: Option<i64> = None;
    records::for_each::<Result<'_>, _>(ImportFormat::Atlas, text, |at, r| {
        if let Some(t) = r.timestamp {
            started = Some(started.map_or(t, |s| s.min(t)));
        }
        match convert(at, r)? {
            Converted::Trace(t) => traces.push(*t),
            Converted::Failed(f) => failed.push(f),
        }
        Ok(())
    })?;
    if traces.is_empty() && failed.is_empty() {
        return Err(ImportError::Empty(ImportFormat::Atlas));
    }
    Ok(report::imported_report(traces, failed, started))
}

enum Converted {
    Trace(Box<Trace>),
    Failed(FailedTarget),
}

fn protocol(at: At, proto: Option<&str>) -> std::result::Result<Option<Protocol>, ImportError> {
    Ok(match proto.map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("UDP") => Some(Protocol::Udp),
        Some("ICMP") => Some(Protocol::Icmp),
        Some("TCP") => Some(Protocol::Tcp),
        Some(other) => return Err(at.error(format_args!("unknown proto {other:?}"))),
    })
}

fn convert(at: At, r: Result<'_>) -> std::result::Result<Converted, ImportError> {
    if let Some(kind) = r.kind.as_deref().filter(|k| *k != "traceroute") {
        return Err(at.error(format_args!(
            "a {kind:?} result, not a traceroute (only traceroute results make a route map)"
        )));
    }
    let protocol = protocol(at, r.proto.as_deref())?;
    let mut source = TraceSource::new("atlas");
    source.vantage = r.prb_id.map(|p| format!("probe {p}"));
    source.probe_id = r.prb_id;
    source.measurement_id = r.msm_id;
    source.src_addr = r.src_addr;
    source.public_addr = r.from.filter(|f| Some(*f) != r.src_addr);
    source.protocol = protocol;
    source.paris_id = r.paris_id;
    source.started_at = r.timestamp.map(report::rfc3339);
    let hops_raw = r.hops.unwrap_or_default();
    let hop_error = hops_raw.iter().find_map(|h| h.error.as_deref());
    let name = r.dst_name.as_deref().filter(|n| !n.is_empty());
    let Some(dst) = r.dst_addr else {
        // Name resolution failed on the probe: no trace, but the target is accounted for.
        let error = hop_error.unwrap_or("the result has no dst_addr").to_owned();
        let target = name.unwrap_or("(no dst_name)");
        return Ok(Converted::Failed(FailedTarget::new(
            target,
            vec![0],
            TargetError::Resolve { error },
        )));
    };
    if r.af.is_some_and(|af| af != 4 && af != 6)
        || r.af.is_some_and(|af| (af == 6) != dst.is_ipv6())
    {
        return Err(at.error(format_args!("af {:?} does not match dst_addr {dst}", r.af)));
    }
    let target = name.map_or_else(|| dst.to_string(), str::to_owned);
    let mut hops: Vec<Hop> = Vec::with_capacity(hops_raw.len());
    let mut stop = None;
    for h in &hops_raw {
        if let Some(e) = &h.error {
            stop = Some(StopReason::Failed {
                error: e.clone().into_owned(),
            });
        }
        let Some(index) = h.hop else {
            if h.error.is_some() {
                continue;
            }
            return Err(at.error("a hop without its \"hop\" number"));
        };
        let ttl = u8::try_from(index)
            .ok()
            .filter(|t| *t >= 1)
            .ok_or_else(|| at.error(format_args!("hop number {index} is outside 1..=255")))?;
        if hops.last().is_some_and(|l| l.ttl >= ttl) {
            return Err(at.error(format_args!("hop {ttl} is out of order")));
        }
        let packets = h.result.as_deref().unwrap_or_default();
        if packets.len() > MAX_PACKETS {
            return Err(at.too_large("the packets of one hop", MAX_PACKETS));
        }
        let mut hop = Hop::new(ttl, Vec::new());
        for p in packets {
            packet(at, p, dst, protocol, &mut hop, &mut source)?;
        }
        if h.error.is_none() || hop.probes > 0 {
            hops.push(hop);
        }
    }
    let mut trace = Trace::new(target, dst, 0, StopReason::MaxTtl);
    trace.reached = hops
        .iter()
        .any(|h| h.replies.iter().any(|r| r.from == dst && r.kind.is_final()));
    trace.stop_reason = stop.unwrap_or_else(|| stop_reason(&hops, trace.reached));
    trace.hops = hops;
    Ok(Converted::Trace(Box::new(trace.with_source(source))))
}

/// Why an Atlas traceroute ended, from what it found: the destination answered; an ICMP
/// error ended it; it gave up after its silent hops (then Atlas probes TTL 255 once more); or
/// it ran to its maximum.
fn stop_reason(hops: &[Hop], reached: bool) -> StopReason {
    if reached {
        return StopReason::Reached;
    }
    let last = hops.iter().rev().find(|h| !h.replies.is_empty());
    if last.is_some_and(|h| {
        h.replies
            .iter()
            .any(|r| matches!(r.kind, ReplyKind::Unreachable(_)))
    }) {
        StopReason::Unreachable
    } else if hops
        .last()
        .is_some_and(|h| h.ttl == u8::MAX && h.replies.is_empty())
    {
        StopReason::GapLimit
    } else {
        StopReason::MaxTtl
    }
}

fn packet(
    at: At,
    p: &Packet<'_>,
    dst: IpAddr,
    protocol: Option<Protocol>,
    hop: &mut Hop,
    source: &mut TraceSource,
) -> std::result::Result<(), ImportError> {
    let ttl = hop.ttl;
    if p.late.is_some() {
        // A reply to an earlier probe, with no RTT: not a probe of its own.
        source.late_replies += 1;
        return Ok(());
    }
    hop.probes += 1;
    if p.x.is_some() {
        return Ok(());
    }
    if let Some(e) = &p.error {
        source.probe_errors.push(format!("hop {ttl}: {e}"));
        return Ok(());
    }
    let Some(from) = p.from else {
        return Err(at.error(format_args!(
            "hop {ttl}: a packet with none of \"from\", \"x\", \"late\" and \"error\""
        )));
    };
    let rtt = p.rtt.ok_or_else(|| {
        at.error(format_args!(
            "hop {ttl}: a reply from {from} without an rtt"
        ))
    })?;
    if !(rtt.is_finite() && rtt >= 0.0) {
        return Err(at.error(format_args!("hop {ttl}: rtt {rtt} is negative")));
    }
    let kind = kind(at, p, from, dst, protocol)?;
    let mut reply = Reply::new(from, std::time::Duration::ZERO, kind).with_rtt_ms(rtt);
    if let Some(ext) = &p.icmpext {
        for obj in ext.obj.iter().filter(|o| o.class == 1 && o.kind == 1) {
            for l in &obj.mpls {
                let label = MplsLabel::new(l.label, l.exp, l.s != 0, l.ttl).ok_or_else(|| {
                    at.error(format_args!(
                        "hop {ttl}: MPLS label {} / exp {} has no wire form",
                        l.label, l.exp
                    ))
                })?;
                reply.mpls.push(label);
            }
        }
    }
    hop.replies.push(reply);
    Ok(())
}

/// What a reply was. Atlas marks ICMP errors with `err`; a reply from the destination
/// without one is what the protocol's probes get from it (a port unreachable for UDP, an
/// echo reply for ICMP, SYN-ACK or RST for TCP); any other is a time exceeded.
fn kind(
    at: At,
    p: &Packet<'_>,
    from: IpAddr,
    dst: IpAddr,
    protocol: Option<Protocol>,
) -> std::result::Result<ReplyKind, ImportError> {
    let v6 = from.is_ipv6();
    if let Some(err) = &p.err {
        let code = match err {
            Err::Code(c) => u8::try_from(*c).ok(),
            Err::Letter(l) => {
                // Atlas's letters, in each family's destination unreachable codes.
                let codes: &[(&str, u8)] = if v6 {
                    &[("N", 0), ("A", 1), ("h", 2), ("H", 3), ("p", 4)]
                } else {
                    &[("N", 0), ("H", 1), ("P", 2), ("p", 3), ("A", 13)]
                };
                codes
                    .iter()
                    .find(|(k, _)| *k == l.as_ref())
                    .map(|(_, c)| *c)
            }
        };
        return code.map(ReplyKind::Unreachable).ok_or_else(|| {
            let shown = match err {
                Err::Code(c) => c.to_string(),
                Err::Letter(l) => format!("{l:?}"),
            };
            at.error(format_args!("unknown err {shown} from {from}"))
        });
    }
    if from != dst {
        return Ok(ReplyKind::TimeExceeded);
    }
    Ok(match protocol {
        Some(Protocol::Icmp) => ReplyKind::EchoReply,
        Some(Protocol::Tcp) => match p.flags.as_deref() {
            Some(f) if f.contains('R') => ReplyKind::Rst,
            _ => ReplyKind::SynAck,
        },
        _ => ReplyKind::Unreachable(if v6 { 4 } else { 3 }),
    })
}
