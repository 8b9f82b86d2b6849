//! How multipath discovery shows in the table and the summary: every interface of a hop with
//! its flow count, and a line per diamond.

use std::fmt::Write as _;

use crate::model::{Diamond, Hop, Trace, TraceReport};

/// Whether the trace was a multipath one: its replies carry their flows.
pub(super) fn is_multipath(trace: &Trace) -> bool {
    !trace.links.is_empty()
        || trace
            .hops
            .iter()
            .any(|h| h.replies.iter().any(|r| r.flow.is_some()))
}

/// ` ×N` after an interface reached by N flows (nothing for a plain trace's replies).
pub(super) fn flow_count(hop: &Hop, addr: std::net::IpAddr) -> String {
    hop.interfaces()
        .into_iter()
        .find(|(a, _)| *a == addr)
        .filter(|(_, flows)| !flows.is_empty())
        .map_or_else(String::new, |(_, flows)| format!(" ×{}", flows.len()))
}

/// One diamond in words: `diamond TTL 1 198.18.0.2 → TTL 4 198.19.0.1, 2 wide, 6 links`.
pub(super) fn diamond_text(d: &Diamond) -> String {
    let from = match d.divergence {
        Some(a) => format!("TTL {} {a}", d.divergence_ttl),
        None => "the source".to_owned(),
    };
    let to = match (d.convergence_ttl, d.convergence) {
        (Some(t), Some(a)) => format!("TTL {t} {a}"),
        _ => "the end of the trace (open)".to_owned(),
    };
    format!(
        "diamond {from} → {to}, {} wide, {} links",
        d.max_width, d.links
    )
}

/// The `<> ADDR:tcpPORT diamond ...` lines under the table, one per diamond of each trace.
pub(super) fn table_lines(report: &TraceReport) -> String {
    let mut s = String::new();
    for t in &report.traces {
        for d in &t.diamonds {
            let _ = writeln!(s, "<> {}:tcp{} {}", t.addr, t.port, diamond_text(d));
        }
    }
    s
}

/// The summary's lines after a multipath trace's hops: its links and diamonds.
pub(super) fn summary_lines(trace: &Trace) -> String {
    let mut s = String::new();
    if !is_multipath(trace) {
        return s;
    }
    let interfaces: usize = trace.hops.iter().map(|h| h.addrs().len()).sum();
    let _ = writeln!(
        s,
        "     multipath: {interfaces} interfaces, {} links, {} diamonds",
        trace.links.len(),
        trace.diamonds.len()
    );
    for d in &trace.diamonds {
        let _ = writeln!(s, "     <> {}", diamond_text(d));
    }
    s
}
