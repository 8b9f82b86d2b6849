//! `mtr --json` reports (mtr 0.92 and later).
//!
//! mtr reports statistics per hop, not each reply: a hop becomes one reply from its host with
//! mtr's last RTT (`Last`), a [`HopStats`] with the received count (from `Snt` and
//! `Loss%`) and `Best`/`Avg`/`Wrst`/`StDev`, and `probes` = `Snt`. Hosts must be addresses:
//! run mtr with `-n`, or with `-b` (`name (address)`). The report does not say which probes
//! mtr sent; a reply from the destination is taken as the echo reply of mtr's default ICMP
//! mode.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;
use tcptrace::{Hop, HopStats, Reply, ReplyKind, StopReason, Trace, TraceReport, TraceSource};

use super::detect::ImportFormat;
use super::error::ImportError;
use super::records::{self, At};
use super::report;

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    report: Report<'a>,
}

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(borrow)]
    mtr: Header<'a>,
    #[serde(borrow, default)]
    hubs: Vec<Hub<'a>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    src: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dst: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Hub<'a> {
    #[serde(deserialize_with = "number")]
    count: u64,
    #[serde(borrow)]
    host: Cow<'a, str>,
    #[serde(rename = "Loss%")]
    loss: f64,
    #[serde(rename = "Snt")]
    sent: u32,
    #[serde(rename = "Last")]
    last: f64,
    #[serde(rename = "Avg")]
    avg: f64,
    #[serde(rename = "Best")]
    best: f64,
    #[serde(rename = "Wrst")]
    worst: f64,
    #[serde(rename = "StDev")]
    stdev: f64,
    #[serde(rename = "ASN", borrow, default)]
    asn: Option<Cow<'a, str>>,
}

/// A number, or a number in a string (older mtr writes `"count": "1"`).
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N<'a> {
        N(u64),
        S(Cow<'a, str>),
    }
    match N::deserialize(d)? {
        N::N(n) => Ok(n),
        N::S(s) => s
            .parse()
            .map_err(|_| serde::de::Error::custom(format_args!("{s:?} is not a hop number"))),
    }
}

pub(super) fn import(text: &str) -> Result<TraceReport, ImportError> {
    let mut traces = Vec::new();
    records::for_each::<Document<'_>, _>(ImportFormat::Mtr, text, |at, d| {
        traces.push(convert(at, &d.report)?);
        Ok(())
    })?;
    if traces.is_empty() {
        return Err(ImportError::Empty(ImportFormat::Mtr));
    }
    Ok(report::imported_report(traces, Vec::new(), None))
}

/// The address of a hub's host: `???` (no answer), an address, or `name (address)`.
fn host_addr(at: At, host: &str) -> Result<Option<IpAddr>, ImportError> {
    if host == "???" {
        return Ok(None);
    }
    if let Ok(a) = host.parse() {
        return Ok(Some(a));
    }
    host.strip_suffix(')')
        .and_then(|h| h.rsplit_once(" ("))
        .and_then(|(_, a)| a.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            at.error(format_args!(
                "host {host:?} has no address: run mtr with -n (or -b) so that hops can be placed"
            ))
        })
}

fn convert(at: At, r: &Report<'_>) -> Result<Trace, ImportError> {
    let mut hops: Vec<Hop> = Vec::with_capacity(r.hubs.len());
    let mut addrs = Vec::with_capacity(r.hubs.len());
    for hub in &r.hubs {
        let ttl = u8::try_from(hub.count)
            .ok()
            .filter(|t| *t >= 1)
            .ok_or_else(|| at.error(format_args!("hop number {} is outside 1..=255", hub.count)))?;
        if hops.last().is_some_and(|h| h.ttl >= ttl) {
            return Err(at.error(format_args!("hop {ttl} is out of order")));
        }
        let stats = [hub.loss, hub.last, hub.avg, hub.best, hub.worst, hub.stdev];
        if stats.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || hub.loss > 100.0 {
            return Err(at.error(format_args!(
                "hop {ttl}: a negative RTT or a loss over 100%"
            )));
        }
        addrs.push(host_addr(at, &hub.host)?);
        let mut hop = Hop::new(ttl, Vec::new());
        hop.probes = hub.sent;
        hops.push(hop);
    }
    let dst = match r.mtr.dst.parse::<IpAddr>() {
        Ok(a) => a,
        // mtr was given a name: its address is the last hop's, when that answered.
        Err(_) => addrs.last().copied().flatten().ok_or_else(|| {
            at.error(format_args!(
                "dst {:?} is a name and the last hop did not answer: its address is unknown",
                r.mtr.dst
            ))
        })?,
    };
    for ((hop, hub), addr) in hops.iter_mut().zip(&r.hubs).zip(&addrs) {
        let Some(from) = *addr else { continue };
        let kind = if from == dst {
            ReplyKind::EchoReply
        } else {
            ReplyKind::TimeExceeded
        };
        let mut reply = Reply::new(from, std::time::Duration::ZERO, kind).with_rtt_ms(hub.last);
        if let Some(n) = hub
            .asn
            .as_deref()
            .and_then(|a| a.strip_prefix("AS"))
            .and_then(|n| n.parse().ok())
        {
            reply = reply.with_asn(n, None);
        }
        hop.replies.push(reply);
        hop.measured = Some(HopStats::reported(
            hub.sent, hub.loss, hub.best, hub.avg, hub.worst, hub.stdev,
        ));
    }
    let mut source = TraceSource::new("mtr");
    source.vantage = r.mtr.src.as_deref().map(str::to_owned);
    let mut trace = Trace::new(r.mtr.dst.as_ref(), dst, 0, StopReason::MaxTtl);
    trace.reached = addrs.last().copied().flatten() == Some(dst);
    if trace.reached {
        trace.stop_reason = StopReason::Reached;
    }
    trace.hops = hops;
    Ok(trace.with_source(source))
}
