//! Text displays of a report: scapy's table and an mtr-like summary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::model::{
    EngineStats, MplsLabel, Reply, ReplyKind, StopReason, Trace, TraceReport, Unreachable,
};
use crate::rewrite;

mod multipath;

impl TraceReport {
    /// scapy's `TracerouteResult.show()` table, byte for byte: one row per TTL that got at
    /// least one reply, one column per `target:tcpPORT` (sorted as strings, as scapy does),
    /// cells `ADDR 11` (time exceeded; `3` for ICMPv6), `ADDR SA`, `ADDR RA`,
    /// `ADDR 3` (unreachable; `1` for ICMPv6) or `-`. The address is left-aligned in 15
    /// columns, and every cell is followed by a space.
    ///
    /// Beyond scapy, whose table has no place for them: an unreachable's cell ends with
    /// traceroute's mark (`ADDR 3 !H`; see [`Unreachable::mark`]), and a reply that quoted
    /// MPLS labels (RFC 4950) ends with each, as traceroute and mtr print them:
    /// `ADDR 11 [MPLS: Lbl 24000 Exp 0 S 1 TTL 1]`.
    ///
    /// Columns use the target address, as scapy's do. Where a TTL has several replies, the
    /// first reply in time is shown, preferring one that came before the timeout.
    ///
    /// Beyond scapy, for a multipath trace (`--mda`): a cell lists every interface of its TTL
    /// with the number of flows that reached it (`10.0.1.1 11 ×3, 10.0.1.2 11 ×8`), and a line
    /// under the table per diamond (`<> ADDR:tcpPORT diamond TTL 1 A → TTL 4 B, 2 wide, 6
    /// links`).
    ///
    /// Beyond scapy: a cell where a middlebox's rewrite first shows ends in ` *`, and a line
    /// under the table per middlebox says what it changed (`* ADDR:tcpPORT middlebox before
    /// TTL 3: mss 1460→1300`); with reverse DNS, a cell carries the name after the kind, and
    /// with geography ([`Reply::geo`]) the country code after that (`10.0.0.1 11 DE`).
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
            let mda = multipath::is_multipath(trace);
            for hop in &trace.hops {
                let Some(reply) = shown_reply(&hop.replies) else {
                    continue;
                };
                let mut cell = format!("{:<15} {}", reply.from.to_string(), kind_label(reply));
                if mda {
                    // Every interface of the hop, each with the number of flows that reached it.
                    cell = hop
                        .addrs()
                        .iter()
                        .filter_map(|a| hop.replies.iter().find(|r| r.from == *a))
                        .map(|r| {
                            let count = multipath::flow_count(hop, r.from);
                            format!("{} {}{count}", r.from, kind_label(r))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                }
                if let Some(mark) = unreachable_mark(reply).filter(|m| !m.is_empty()) {
                    let _ = write!(cell, " {mark}");
                }
                for label in &reply.mpls {
                    let _ = write!(cell, " {}", mpls_text(*label));
                }
                if let Some(name) = &reply.name {
                    let _ = write!(cell, " {name}");
                }
                if let Some(geo) = &reply.geo {
                    let _ = write!(cell, " {}", geo.country);
                }
                cell.push_str(rewrite::cell_mark(trace, hop.ttl));
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
        s.push_str(&rewrite::middlebox_lines(self));
        s.push_str(&multipath::table_lines(self));
        s
    }

    /// An mtr-like summary: for each trace, one line per probed TTL with the addresses that
    /// answered (`NAME (ADDR)` with reverse DNS, `???` for none; then `AS64500` with AS data
    /// and `(Frankfurt am Main, DE)` with geography) and mtr's columns
    /// ([`Hop::stats`](crate::Hop::stats)): the loss, probes sent and answered in time, the best,
    /// average and worst RTT, their standard deviation and the jitter (the mean absolute
    /// difference of consecutive RTTs, as mtr's `Javg`). An address that sent an ICMP
    /// unreachable carries traceroute's mark (`!N`, `!H`, `!P`, `!X`...; a port unreachable says
    /// so in words), and the MPLS label stacks quoted at a hop follow its line, one
    /// `[MPLS: Lbl 24000 Exp 0 S 1 TTL 1]` per entry; under a TTL where a middlebox's rewrite
    /// first shows, a line `* middlebox before TTL 3: mss 1460→1300` per middlebox. A multipath
    /// trace's addresses carry their flow counts (`10.0.1.1 ×3`), and its hops are followed by
    /// a `multipath:` line (interfaces, links, diamonds) and a `<> diamond ...` line per
    /// diamond. Then for each
    /// port of each failed target, `TARGET port PORT: not traced, REASON`, and last, when the
    /// report has them, the engine's counters (probes sent, replies, and the packets dropped as
    /// unmatched, late or rewritten).
    pub fn summary(&self) -> String {
        self.summary_of(false)
    }

    /// [`TraceReport::summary`] of a report taken while the run goes on (as
    /// [`Observer::on_progress`](crate::Observer::on_progress) gives it): the traces not
    /// finished yet, which such a report ends by [`StopReason::Deadline`], say `in progress`.
    pub fn live_summary(&self) -> String {
        self.summary_of(true)
    }

    fn summary_of(&self, live: bool) -> String {
        let mut s = String::new();
        for (i, trace) in self.traces.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            summarize(&mut s, trace, live);
        }
        if !self.traces.is_empty() && !self.failed_targets.is_empty() {
            s.push('\n');
        }
        for f in &self.failed_targets {
            for port in &f.ports {
                let _ = writeln!(s, "{} port {port}: not traced, {}", f.target, f.reason);
            }
        }
        if let Some(stats) = &self.engine_stats {
            if !s.is_empty() {
                s.push('\n');
            }
            engine_lines(&mut s, stats);
        }
        s
    }
}

/// The engine's counters, in two lines.
fn engine_lines(s: &mut String, e: &EngineStats) {
    let _ = writeln!(
        s,
        "engine: {} probes sent ({} retries), {} replies ({} late)",
        e.sent, e.retries, e.replies, e.late
    );
    let _ = writeln!(
        s,
        "engine: dropped {} unmatched, {} duplicate, {} beyond the path, {} malformed; \
         {} rewritten, {} matched by IP ID, {} send errors",
        e.unmatched, e.duplicates, e.ignored, e.malformed, e.rewritten, e.by_ident, e.send_errors
    );
}

/// traceroute's mark of an unreachable reply (empty for a port unreachable), or `None` for
/// other replies.
fn unreachable_mark(r: &Reply) -> Option<String> {
    let ReplyKind::Unreachable(code) = r.kind else {
        return None;
    };
    let u = r
        .unreachable
        .unwrap_or_else(|| Unreachable::from_code(r.from.is_ipv6(), code));
    Some(u.mark(code))
}

/// An MPLS label stack entry as traceroute and mtr print it.
fn mpls_text(l: MplsLabel) -> String {
    format!(
        "[MPLS: Lbl {} Exp {} S {} TTL {}]",
        l.label,
        l.tc,
        u8::from(l.bottom),
        l.ttl
    )
}

fn summarize(s: &mut String, trace: &Trace, live: bool) {
    let _ = write!(
        s,
        "{} ({}) port {}: {}, ",
        trace.target,
        trace.addr,
        trace.port,
        if trace.reached {
            "reached"
        } else {
            "not reached"
        },
    );
    let _ = if live && trace.stop_reason == StopReason::Deadline {
        writeln!(s, "in progress")
    } else {
        writeln!(s, "{}", trace.stop_reason)
    };
    let _ = writeln!(
        s,
        "{:>3}  {:<40} {:>6} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "TTL", "Host", "Loss%", "Snt", "Rcv", "Best", "Avg", "Worst", "StDev", "Jttr"
    );
    for hop in &trace.hops {
        let mut addrs: Vec<String> = hop
            .addrs()
            .iter()
            .map(|a| host_label(trace, *a, &hop.replies) + &multipath::flow_count(hop, *a))
            .collect();
        if addrs.is_empty() {
            addrs.push("???".into());
        }
        let st = hop.stats();
        let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
        let _ = writeln!(
            s,
            "{:>3}. {:<40} {:>5.1}% {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}",
            hop.ttl,
            addrs.join(" "),
            st.loss_pct,
            st.sent,
            st.received,
            ms(st.best_ms),
            ms(st.avg_ms),
            ms(st.worst_ms),
            ms(st.stdev_ms),
            ms(st.jitter_ms),
        );
        let mut stacks: Vec<&[MplsLabel]> = Vec::new();
        for r in hop.replies.iter().filter(|r| !r.mpls.is_empty()) {
            if !stacks.contains(&r.mpls.as_slice()) {
                stacks.push(&r.mpls);
            }
        }
        for label in stacks.into_iter().flatten() {
            let _ = writeln!(s, "     {}", mpls_text(*label));
        }
        s.push_str(&rewrite::summary_lines(trace, hop.ttl));
    }
    s.push_str(&multipath::summary_lines(trace));
}

fn host_label(trace: &Trace, addr: IpAddr, replies: &[Reply]) -> String {
    let r = replies.iter().find(|r| r.from == addr);
    let mut label = match r.and_then(|r| r.name.as_deref()) {
        Some(name) => format!("{name} ({addr})"),
        None => addr.to_string(),
    };
    if let Some(asn) = r.and_then(|r| r.asn) {
        let _ = write!(label, " AS{asn}");
    }
    if let Some(geo) = r.and_then(|r| r.geo.as_deref()) {
        let _ = write!(label, " ({})", geo.short());
    }
    let Some(r) = r else {
        return label;
    };
    match unreachable_mark(r) {
        Some(mark) if mark.is_empty() => label.push_str(" [port unreachable]"),
        Some(mark) => {
            let _ = write!(label, " {mark}");
        }
        None if addr == trace.addr => {
            let _ = write!(label, " [{}]", kind_label(r));
        }
        None => {}
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
    use crate::model::{Hop, TraceParams};
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
            middleboxes: vec![],
            links: vec![],
            diamonds: vec![],
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
            engine_stats: None,
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
    fn geography_in_the_table_and_the_summary() {
        let mut r = report();
        r.traces.truncate(1);
        let cc = crate::CountryCode::new("DE").unwrap();
        let reply = &mut r.traces[0].hops[0].replies[0];
        reply.geo = Some(Box::new(
            crate::Geo::new(cc).with_city(Some("Frankfurt am Main")),
        ));
        reply.asn = Some(64500);
        assert!(
            r.scapy_table().contains("10.0.0.1        11 DE "),
            "{}",
            r.scapy_table()
        );
        let s = r.summary();
        assert!(
            s.contains("  3. 10.0.0.1 AS64500 (Frankfurt am Main, DE) "),
            "{s}"
        );
    }

    #[test]
    fn summary_lines() {
        let s = report().summary();
        assert!(s.contains("  1. ???"), "{s}");
        assert!(s.contains("  3. 10.0.0.1"), "{s}");
        assert!(s.contains("192.0.2.2 [RA]"), "{s}");
        assert!(s.contains("0.300"), "{s}");
    }

    #[test]
    fn unreachable_marks_mpls_and_engine_counters() {
        let unreach = |a: &str, code| {
            Reply::new(
                a.parse().unwrap(),
                Duration::from_micros(200),
                ReplyKind::Unreachable(code),
            )
        };
        let mut labelled = te("10.0.0.1");
        labelled.mpls = vec![
            MplsLabel::new(24000, 0, false, 1).unwrap(),
            MplsLabel::new(16, 5, true, 1).unwrap(),
        ];
        let mut r = report();
        r.traces = vec![Trace {
            target: "t".into(),
            addr: "192.0.2.9".parse().unwrap(),
            port: 80,
            reached: false,
            stop_reason: StopReason::Unreachable,
            hops: vec![
                Hop::new(1, vec![labelled]),
                Hop::new(2, vec![unreach("10.0.0.2", 13)]),
            ],
            middleboxes: vec![],
            links: vec![],
            diamonds: vec![],
            source: None,
        }];
        let mut v6 = report();
        v6.traces = vec![Trace {
            target: "v6".into(),
            addr: "2001:db8::9".parse().unwrap(),
            port: 80,
            reached: false,
            stop_reason: StopReason::Unreachable,
            hops: vec![Hop::new(1, vec![unreach("2001:db8::1", 3)])],
            middleboxes: vec![],
            links: vec![],
            diamonds: vec![],
            source: None,
        }];
        let table = r.scapy_table();
        assert!(
            table.contains(
                "10.0.0.1        11 [MPLS: Lbl 24000 Exp 0 S 0 TTL 1] [MPLS: Lbl 16 Exp 5 S 1 TTL 1] "
            ),
            "{table}"
        );
        assert!(table.contains("10.0.0.2        3 !X "), "{table}");
        assert!(
            v6.scapy_table().contains("2001:db8::1     1 !H "),
            "{}",
            v6.scapy_table()
        );

        let mut stats = EngineStats::default();
        (stats.sent, stats.unmatched, stats.late) = (7, 3, 1);
        r.engine_stats = Some(stats);
        let s = r.summary();
        assert!(s.contains("  2. 10.0.0.2 !X "), "{s}");
        assert!(s.contains("\n     [MPLS: Lbl 24000 Exp 0 S 0 TTL 1]\n     [MPLS: Lbl 16 Exp 5 S 1 TTL 1]\n  2."), "{s}");
        assert!(
            s.contains("engine: 7 probes sent (0 retries), 0 replies (1 late)"),
            "{s}"
        );
        assert!(s.contains("dropped 3 unmatched"), "{s}");
        let mut port = report();
        port.traces[0].hops = vec![Hop::new(3, vec![unreach("192.0.2.1", 3)])];
        assert!(
            port.summary().contains("192.0.2.1 [port unreachable]"),
            "{}",
            port.summary()
        );
    }

    #[test]
    fn summary_has_mtr_columns() {
        let rtts = [1.0, 3.0, 2.0];
        let replies = rtts
            .iter()
            .map(|ms| te("10.0.0.1").with_rtt_ms(*ms))
            .collect();
        let mut r = report();
        r.traces.truncate(1);
        r.traces[0].hops = vec![Hop::measured(
            1,
            4,
            replies,
            crate::HopStats::from_rtts(4, &rtts),
        )];
        let s = r.summary();
        assert!(s.contains("StDev      Jttr"), "{s}");
        // Loss 25%, 4 sent, 3 received, best 1, avg 2, worst 3, stdev 1, jitter (2 + 1) / 2.
        assert!(
            s.contains("  1. 10.0.0.1                                  25.0%     4     3     1.000     2.000     3.000     1.000     1.500"),
            "{s}"
        );
    }

    #[test]
    fn a_multipath_trace_shows_every_interface_and_its_diamonds() {
        let flow = |a: &str, f: u16| {
            let mut r = te(a);
            r.flow = Some(f);
            r
        };
        let mut r = report();
        r.traces.truncate(1);
        let t = &mut r.traces[0];
        t.hops = vec![
            Hop::new(1, vec![flow("10.0.0.1", 1), flow("10.0.0.1", 2)]),
            Hop::new(
                2,
                vec![
                    flow("10.0.1.1", 1),
                    flow("10.0.1.2", 2),
                    flow("10.0.1.2", 3),
                ],
            ),
            Hop::new(3, vec![flow("10.0.2.1", 1), flow("10.0.2.1", 2)]),
        ];
        let ip = |a: &str| a.parse().unwrap();
        t.links = vec![
            crate::Link::new(1, ip("10.0.0.1"), ip("10.0.1.1")),
            crate::Link::new(1, ip("10.0.0.1"), ip("10.0.1.2")),
        ];
        t.diamonds = t.find_diamonds();
        let table = r.scapy_table();
        assert!(table.contains("10.0.1.1 11 ×1, 10.0.1.2 11 ×2"), "{table}");
        assert!(
            table.contains(
                "<> 192.0.2.1:tcp80 diamond TTL 1 10.0.0.1 → TTL 3 10.0.2.1, 2 wide, 2 links"
            ),
            "{table}"
        );
        let s = r.summary();
        assert!(s.contains("  2. 10.0.1.1 ×1 10.0.1.2 ×2"), "{s}");
        assert!(
            s.contains("multipath: 4 interfaces, 2 links, 1 diamonds"),
            "{s}"
        );
        assert!(s.contains("     <> diamond TTL 1 10.0.0.1 → TTL 3"), "{s}");
    }
}
