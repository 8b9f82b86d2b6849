//! Text displays of a report: scapy's table and an mtr-like summary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::model::{Reply, ReplyKind, Trace, TraceReport};

impl TraceReport {
    /// scapy's `TracerouteResult.show()` table, byte for byte: one row per TTL that got at
    /// least one reply, one column per `target:tcpPORT` (sorted as strings, as scapy does),
    /// cells `ADDR 11` (time exceeded; `3` for ICMPv6), `ADDR SA`, `ADDR RA`,
    /// `ADDR 3` (unreachable; `1` for ICMPv6) or `-`. The address is left-aligned in 15
    /// columns, and every cell is followed by a space.
    ///
    /// Columns use the target address, as scapy's do. Where a TTL has several replies, the
    /// first reply in time is shown, preferring one that came before the timeout.
    ///
    /// ```
    /// # use tcptrace::*;
    /// let report = TraceReport::from_json(r#"{"params":{"min_ttl":1,"max_ttl":30,
    ///   "timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false},
    ///   "started_at":"2026-01-01T00:00:00.000Z","traces":[{"target":"192.0.2.1",
    ///   "addr":"192.0.2.1","port":80,"reached":true,"stop_reason":"reached","hops":[
    ///   {"ttl":1,"replies":[{"from":"10.0.0.1","rtt_ms":0.1,"kind":"time_exceeded"}]},
    ///   {"ttl":2,"replies":[{"from":"192.0.2.1","rtt_ms":0.2,"kind":"syn_ack"}]}]}]}"#)?;
    /// assert_eq!(report.scapy_table(), "  192.0.2.1:tcp80    \n\
    ///                                   1 10.0.0.1        11 \n\
    ///                                   2 192.0.2.1       SA \n");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn scapy_table(&self) -> String {
        // (column, row) -> cell, as scapy's __make_table collects vx, vy and vz.
        let mut widths: BTreeMap<String, usize> = BTreeMap::new();
        let mut rows: BTreeSet<u8> = BTreeSet::new();
        let mut cells: BTreeMap<(String, u8), String> = BTreeMap::new();
        for trace in &self.traces {
            let col = format!("{}:tcp{}", trace.addr, trace.port);
            for hop in &trace.hops {
                let Some(reply) = shown_reply(&hop.replies) else {
                    continue;
                };
                let cell = format!("{:<15} {}", reply.from.to_string(), kind_label(reply));
                let w = widths.entry(col.clone()).or_insert(0);
                *w = (*w).max(col.len()).max(cell.len());
                rows.insert(hop.ttl);
                cells.insert((col.clone(), hop.ttl), cell);
            }
        }
        let ylen = rows.iter().map(|r| r.to_string().len()).max().unwrap_or(0);
        let mut s = String::new();
        let _ = write!(s, "{:ylen$} ", "");
        for (col, w) in &widths {
            let _ = write!(s, "{col:<w$} ");
        }
        s.push('\n');
        for ttl in &rows {
            let _ = write!(s, "{:<ylen$} ", ttl.to_string());
            for (col, w) in &widths {
                let cell = cells.get(&(col.clone(), *ttl)).map_or("-", String::as_str);
                let _ = write!(s, "{cell:<w$} ");
            }
            s.push('\n');
        }
        s
    }

    /// An mtr-like summary: for each trace, one line per probed TTL with the addresses that
    /// answered (`???` for none), the loss, and the minimum, average and maximum RTT; then
    /// for each port of each failed target, `TARGET port PORT: not traced, REASON`.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (i, trace) in self.traces.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            summarize(&mut s, trace);
        }
        if !self.traces.is_empty() && !self.failed_targets.is_empty() {
            s.push('\n');
        }
        for f in &self.failed_targets {
            for port in &f.ports {
                let _ = writeln!(s, "{} port {port}: not traced, {}", f.target, f.reason);
            }
        }
        s
    }
}

fn summarize(s: &mut String, trace: &Trace) {
    let _ = writeln!(
        s,
        "{} ({}) port {}: {}, {}",
        trace.target,
        trace.addr,
        trace.port,
        if trace.reached {
            "reached"
        } else {
            "not reached"
        },
        trace.stop_reason
    );
    let _ = writeln!(
        s,
        "{:>3}  {:<40} {:>6} {:>5} {:>5} {:>9} {:>9} {:>9}",
        "TTL", "Host", "Loss%", "Snt", "Rcv", "Best", "Avg", "Worst"
    );
    for hop in &trace.hops {
        let mut addrs: Vec<String> = hop
            .addrs()
            .iter()
            .map(|a| host_label(trace, *a, &hop.replies))
            .collect();
        if addrs.is_empty() {
            addrs.push("???".into());
        }
        let rtts: Vec<f64> = hop
            .replies
            .iter()
            .filter(|r| !r.late)
            .map(|r| r.rtt_ms)
            .collect();
        let sent = hop.probes.max(hop.replies.len() as u32);
        let rcv = hop
            .replies
            .iter()
            .filter(|r| !r.late)
            .count()
            .min(sent as usize);
        let loss = if sent == 0 {
            0.0
        } else {
            100.0 * (1.0 - f64::from(rcv as u32) / f64::from(sent))
        };
        let (best, avg, worst) = if rtts.is_empty() {
            ("-".to_owned(), "-".to_owned(), "-".to_owned())
        } else {
            let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
            let max = rtts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let avg = rtts.iter().sum::<f64>() / f64::from(rtts.len() as u32);
            (
                format!("{min:.3}"),
                format!("{avg:.3}"),
                format!("{max:.3}"),
            )
        };
        let _ = writeln!(
            s,
            "{:>3}. {:<40} {:>5.1}% {:>5} {:>5} {:>9} {:>9} {:>9}",
            hop.ttl,
            addrs.join(" "),
            loss,
            sent,
            rcv,
            best,
            avg,
            worst
        );
    }
}

fn host_label(trace: &Trace, addr: IpAddr, replies: &[Reply]) -> String {
    let r = replies.iter().find(|r| r.from == addr);
    let mut label = addr.to_string();
    if let Some(asn) = r.and_then(|r| r.asn) {
        let _ = write!(label, " AS{asn}");
    }
    if addr == trace.addr
        && let Some(r) = r
    {
        match r.kind {
            ReplyKind::Unreachable(code) => {
                let _ = write!(label, " [unreachable, code {code}]");
            }
            _ => {
                let _ = write!(label, " [{}]", kind_label(r));
            }
        }
    }
    label
}

fn shown_reply(replies: &[Reply]) -> Option<&Reply> {
    replies.iter().find(|r| !r.late).or_else(|| replies.first())
}

fn kind_label(r: &Reply) -> String {
    let v6 = r.from.is_ipv6();
    match r.kind {
        ReplyKind::TimeExceeded => if v6 { "3" } else { "11" }.to_owned(),
        ReplyKind::SynAck => "SA".to_owned(),
        ReplyKind::Rst => "RA".to_owned(),
        ReplyKind::Unreachable(_) => if v6 { "1" } else { "3" }.to_owned(),
        ReplyKind::EchoReply => if v6 { "129" } else { "0" }.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hop, StopReason, TraceParams};
    use std::time::Duration;

    fn te(a: &str) -> Reply {
        Reply::new(
            a.parse().unwrap(),
            Duration::from_micros(100),
            ReplyKind::TimeExceeded,
        )
    }

    fn report() -> TraceReport {
        let trace = |addr: &str, port, hops: Vec<Hop>| Trace {
            target: addr.into(),
            addr: addr.parse().unwrap(),
            port,
            reached: true,
            stop_reason: StopReason::Reached,
            hops,
            source: None,
        };
        let sa = |a: &str| {
            Reply::new(
                a.parse().unwrap(),
                Duration::from_micros(300),
                ReplyKind::SynAck,
            )
        };
        let ra = |a: &str| {
            Reply::new(
                a.parse().unwrap(),
                Duration::from_micros(300),
                ReplyKind::Rst,
            )
        };
        TraceReport {
            params: TraceParams::default(),
            failed_targets: Vec::new(),
            started_at: String::new(),
            traces: vec![
                trace("192.0.2.1", 80, vec![Hop::new(3, vec![te("10.0.0.1")])]),
                trace("192.0.2.1", 443, vec![Hop::new(4, vec![sa("192.0.2.1")])]),
                trace("192.0.2.10", 80, vec![Hop::new(12, vec![sa("192.0.2.1")])]),
                trace(
                    "192.0.2.2",
                    22,
                    vec![Hop::new(1, vec![]), Hop::new(2, vec![ra("192.0.2.2")])],
                ),
            ],
        }
    }

    #[test]
    fn table_matches_scapy_byte_for_byte() {
        // scapy 2.8's TracerouteResult.show() printed exactly this for the same answers (the
        // silent TTL 1 of the last trace has no reply, so it is not a row).
        let expected = concat!(
            "   192.0.2.10:tcp80   192.0.2.1:tcp443   192.0.2.1:tcp80    192.0.2.2:tcp22    \n",
            "2  -                  -                  -                  192.0.2.2       RA \n",
            "3  -                  -                  10.0.0.1        11 -                  \n",
            "4  -                  192.0.2.1       SA -                  -                  \n",
            "12 192.0.2.1       SA -                  -                  -                  \n",
        );
        assert_eq!(report().scapy_table(), expected);
    }

    #[test]
    fn empty_table() {
        let mut r = report();
        r.traces.clear();
        assert_eq!(r.scapy_table(), " \n");
    }

    #[test]
    fn summary_lines() {
        let s = report().summary();
        assert!(s.contains("  1. ???"), "{s}");
        assert!(s.contains("  3. 10.0.0.1"), "{s}");
        assert!(s.contains("192.0.2.2 [RA]"), "{s}");
        assert!(s.contains("0.300"), "{s}");
    }
}
