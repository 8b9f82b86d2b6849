//! The sans-IO engine against simulated hops: no root, virtual time.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{Disposition, Event, MplsLabel, ReplyKind, StopReason, TraceConfig, TraceReport};

use crate::sim::{Conditions, Dest, Node, Path, SRC4, Sim, icmp_error, ip_wrap, tcp_answer, v4};

const CHAIN: [&str; 5] = [
    "198.18.1.1",
    "198.18.2.1",
    "198.18.3.1",
    "198.18.4.1",
    "198.18.5.1",
];
const T1: &str = "198.19.1.1";

fn cfg() -> tcptrace::TraceConfigBuilder {
    TraceConfig::builder().target("unused")
}

fn hop_addrs(r: &TraceReport, i: usize) -> Vec<Option<IpAddr>> {
    r.traces[i]
        .hops
        .iter()
        .map(|h| h.replies.first().map(|r| r.from))
        .collect()
}

fn chain_with_dest() -> Vec<Option<IpAddr>> {
    chain_to(T1)
}

fn chain_to(target: &str) -> Vec<Option<IpAddr>> {
    CHAIN
        .iter()
        .map(|a| Some(v4(a)))
        .chain([Some(v4(target))])
        .collect()
}

#[test]
fn chain_gives_exact_hops_and_stops_at_destination() {
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let r = sim.run();
    let t = &r.traces[0];
    assert_eq!(hop_addrs(&r, 0), chain_with_dest());
    assert!(t.reached);
    assert_eq!(t.stop_reason, StopReason::Reached);
    assert_eq!(t.hops.last().unwrap().replies[0].kind, ReplyKind::SynAck);
    assert!(
        t.hops[..5]
            .iter()
            .all(|h| h.replies[0].kind == ReplyKind::TimeExceeded)
    );
    // Never probed beyond the gap frontier (highest answered + 5).
    assert!(sim.sends.iter().all(|s| s.2 <= 11), "{:?}", sim.sends);
    assert!(
        t.hops
            .iter()
            .all(|h| h.replies.iter().all(|r| r.rtt_ms > 0.0 && !r.late))
    );
    assert_eq!(sim.engine.stats().unmatched, 0);
}

#[test]
fn closed_port_gives_rst_and_table_shows_ra() {
    let mut sim = Sim::new(
        cfg().ports([80, 443]).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN[..2], Dest::Closed))],
        Conditions::default(),
    );
    let r = sim.run();
    assert_eq!(r.traces[1].hops[2].replies[0].kind, ReplyKind::Rst);
    let expected = concat!(
        "  198.19.1.1:tcp443  198.19.1.1:tcp80   \n",
        "1 198.18.1.1      11 198.18.1.1      11 \n",
        "2 198.18.2.1      11 198.18.2.1      11 \n",
        "3 198.19.1.1      RA 198.19.1.1      RA \n",
    );
    assert_eq!(r.scapy_table(), expected);
}

#[test]
fn unreachable_from_destination_counts_as_reached() {
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN[..1], Dest::Unreachable))],
        Conditions::default(),
    );
    let r = sim.run();
    assert!(r.traces[0].reached);
    assert_eq!(r.traces[0].stop_reason, StopReason::Unreachable);
    assert_eq!(
        r.traces[0].hops[1].replies[0].kind,
        ReplyKind::Unreachable(3)
    );
    assert!(r.scapy_table().contains("198.19.1.1      3 "));
}

#[test]
fn silent_router_gives_dash_and_later_hops_are_found() {
    let mut path = Path::chain(&CHAIN, Dest::Open);
    path.nodes[2] = Node::Silent;
    let mut sim = Sim::new(
        cfg().retry(2).build().unwrap(),
        vec![(T1, path)],
        Conditions::default(),
    );
    let r = sim.run();
    let mut expected = chain_with_dest();
    expected[2] = None;
    assert_eq!(hop_addrs(&r, 0), expected);
    assert_eq!(
        r.traces[0].hops[2].probes, 3,
        "the silent TTL was retried twice"
    );
    assert!(r.traces[0].reached);
    // scapy's table has no row for a TTL without any reply.
    assert!(!r.scapy_table().lines().any(|l| l.starts_with("3 ")));
    assert!(r.summary().contains("  3. ???"));
}

#[test]
fn blackholed_target_stops_at_gap_limit() {
    let mut sim = Sim::new(
        cfg().gap_limit(Some(4)).max_ttl(30).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN[..3], Dest::Blackhole))],
        Conditions::default(),
    );
    let r = sim.run();
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::GapLimit);
    assert!(!t.reached);
    assert_eq!(t.hops.len(), 3 + 4);
    assert!(t.hops[3..].iter().all(|h| h.replies.is_empty()));
    let max_sent = sim.sends.iter().map(|s| s.2).max().unwrap();
    assert_eq!(max_sent, 7, "probes never go past the gap");
}

#[test]
fn no_gap_limit_probes_to_max_ttl() {
    let mut sim = Sim::new(
        cfg().gap_limit(None).max_ttl(12).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN[..3], Dest::Blackhole))],
        Conditions::default(),
    );
    let r = sim.run();
    assert_eq!(r.traces[0].stop_reason, StopReason::MaxTtl);
    assert_eq!(r.traces[0].hops.len(), 12);
}

#[test]
fn all_ttls_probes_past_the_destination_like_scapy() {
    let mut sim = Sim::new(
        cfg().all_ttls(true).max_ttl(10).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN[..2], Dest::Open))],
        Conditions::default(),
    );
    let r = sim.run();
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::MaxTtl);
    assert!(t.reached);
    assert_eq!(t.hops.len(), 10);
    assert!(
        t.hops[2..]
            .iter()
            .all(|h| h.replies[0].kind == ReplyKind::SynAck)
    );
    assert_eq!(t.destination_ttl(), Some(3));
    assert_eq!(r.scapy_table().lines().count(), 11);
}

#[test]
fn three_targets_two_ports_at_once() {
    let targets = vec![
        ("198.19.1.1", Path::chain(&CHAIN[..2], Dest::Open)),
        ("198.19.2.1", Path::chain(&CHAIN[..4], Dest::Closed)),
        ("198.19.3.1", Path::chain(&CHAIN, Dest::Open)),
    ];
    let mut sim = Sim::new(
        cfg().ports([80, 443]).build().unwrap(),
        targets,
        Conditions::default(),
    );
    let r = sim.run();
    assert_eq!(r.traces.len(), 6);
    let lens: Vec<usize> = r.traces.iter().map(|t| t.hops.len()).collect();
    assert_eq!(lens, [3, 3, 5, 5, 6, 6]);
    let ports: Vec<u16> = r.traces.iter().map(|t| t.port).collect();
    assert_eq!(ports, [80, 443, 80, 443, 80, 443]);
    assert!(r.traces.iter().all(|t| t.reached));
    assert_eq!(
        r.scapy_table()
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .count(),
        6
    );
    // Probes of different flows interleave: the first six sends are TTL 1 of each flow.
    let first: BTreeSet<usize> = sim.sends[..6].iter().map(|s| s.1).collect();
    assert_eq!(first.len(), 6);
}

#[test]
fn random_loss_is_recovered_by_retries() {
    let targets: Vec<_> = ["198.19.1.1", "198.19.1.2", "198.19.1.3", "198.19.1.4"]
        .into_iter()
        .map(|t| (t, Path::chain(&CHAIN, Dest::Open)))
        .collect();
    let lossy = Conditions {
        loss: 0.3,
        ..Conditions::default()
    };
    let mut without = Sim::new(
        cfg().gap_limit(None).max_ttl(8).build().unwrap(),
        targets.clone(),
        lossy.clone(),
    );
    let r0 = without.run();
    let missing0: usize = r0
        .traces
        .iter()
        .map(|t| t.hops.iter().filter(|h| h.replies.is_empty()).count())
        .sum();
    assert!(missing0 > 0, "30% loss without retries loses hops");

    let mut with = Sim::new(
        cfg().gap_limit(None).max_ttl(8).retry(-4).build().unwrap(),
        targets,
        lossy,
    );
    let r = with.run();
    for (i, t) in r.traces.iter().enumerate() {
        assert_eq!(
            hop_addrs(&r, i),
            chain_to(&t.target),
            "trace {i}: {:?}",
            t.hops
        );
    }
    assert!(with.engine.stats().retries > 0);
}

#[test]
fn reordered_replies_are_matched_to_their_probes() {
    let cond = Conditions {
        jitter_us: 200_000,
        ..Conditions::default()
    };
    let targets = vec![
        ("198.19.1.1", Path::chain(&CHAIN, Dest::Open)),
        ("198.19.1.2", Path::chain(&CHAIN, Dest::Closed)),
    ];
    let mut sim = Sim::new(cfg().build().unwrap(), targets, cond);
    let r = sim.run();
    assert_eq!(hop_addrs(&r, 0), chain_with_dest());
    assert_eq!(hop_addrs(&r, 1), chain_to("198.19.1.2"));
    assert_eq!(r.traces[1].hops[5].replies[0].kind, ReplyKind::Rst);
}

#[test]
fn duplicates_are_dropped_and_counted() {
    let cond = Conditions {
        duplicate: true,
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        cond,
    );
    let r = sim.run();
    assert!(r.traces[0].hops.iter().all(|h| h.replies.len() == 1));
    assert!(sim.engine.stats().duplicates >= 5);
    assert!(sim.count(Disposition::Duplicate) >= 5);
}

#[test]
fn late_replies_are_recorded_as_late() {
    // TTL 2 answers after 1.5 s with a 1 s timeout: the retry goes out at 1 s, and the first
    // probe's answer arrives while the trace waits for it.
    let cond = Conditions {
        slow_ttl: Some((2, Duration::from_millis(1500))),
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg()
            .timeout(Duration::from_secs(1))
            .retry(1)
            .build()
            .unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        cond,
    );
    let r = sim.run();
    let hop2 = &r.traces[0].hops[1];
    assert_eq!(hop2.probes, 2);
    assert_eq!(hop2.replies.len(), 1, "{hop2:?}");
    assert!(
        hop2.replies[0].late && hop2.replies[0].rtt_ms > 1000.0,
        "{hop2:?}"
    );
    assert!(
        r.traces[0]
            .hops
            .iter()
            .filter(|h| h.ttl != 2)
            .all(|h| !h.replies[0].late)
    );
    assert_eq!(sim.engine.stats().late, 1);
    assert_eq!(sim.count(Disposition::Late), 1);
    // The late reply still shows in scapy's table.
    assert!(r.scapy_table().contains("198.18.2.1      11"));
}

#[test]
fn late_reply_after_trace_finished_is_still_recorded_within_it() {
    let mut sim = Sim::new(
        cfg().timeout(Duration::from_secs(1)).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let mut buf = Vec::new();
    let t0 = sim.now;
    let mut probes = Vec::new();
    while let Some(tx) = sim.engine.poll_transmit(t0, &mut buf) {
        probes.push((tx.ttl, buf.clone()));
    }
    // Answer TTLs 1, 3, 4, 5 at once; TTL 2 stays silent and times out.
    for (ttl, p) in &probes {
        if *ttl != 2 {
            let r = icmp_error(v4(CHAIN[usize::from(*ttl) - 1]), p, 11, 0, &[]);
            assert_eq!(
                sim.engine.handle_packet(t0 + Duration::from_millis(1), &r),
                Disposition::Matched
            );
        }
    }
    while let Some(tx) = sim.engine.poll_transmit(t0, &mut buf) {
        probes.push((tx.ttl, buf.clone()));
    }
    let p6 = probes.iter().find(|p| p.0 == 6).unwrap().1.clone();
    let seq = u32::from_be_bytes(p6[24..28].try_into().unwrap());
    let sport = sim.engine.source_port(0).unwrap();
    let sa = tcp_answer(v4(T1), v4(SRC4), 80, sport, seq.wrapping_add(1), true);
    assert_eq!(
        sim.engine.handle_packet(t0 + Duration::from_millis(2), &sa),
        Disposition::Matched
    );
    sim.engine.handle_timeout(t0 + Duration::from_secs(2));
    assert!(sim.engine.is_done());
    // Now TTL 2's answer comes, 3 s late: recorded as late, the trace's end unchanged.
    let p2 = &probes.iter().find(|p| p.0 == 2).unwrap().1;
    let r = icmp_error(v4(CHAIN[1]), p2, 11, 0, &[]);
    assert_eq!(
        sim.engine.handle_packet(t0 + Duration::from_secs(3), &r),
        Disposition::Late
    );
    let t = &sim.engine.traces()[0];
    assert_eq!(t.hops[1].replies[0].from, v4(CHAIN[1]));
    assert!(t.hops[1].replies[0].late);
    assert_eq!(t.stop_reason, StopReason::Reached);
    // A probe beyond the destination (TTL 7, never sent) cannot be answered at all.
    assert_eq!(t.hops.len(), 6);
}

#[test]
fn spoofed_and_mismatched_replies_are_dropped() {
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let src = v4(SRC4);
    let dst = v4(T1);
    // Capture a real probe to forge variations of it.
    let mut buf = Vec::new();
    let now = sim.now;
    let tx = sim.engine.poll_transmit(now, &mut buf).unwrap();
    assert_eq!(tx.ttl, 1);
    let probe = buf.clone();
    let router = v4(CHAIN[0]);
    let sport = sim.engine.source_port(0).unwrap();
    let seq = u32::from_be_bytes(probe[24..28].try_into().unwrap());
    let t = now + Duration::from_millis(1);

    let forged = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = probe.clone();
        f(&mut p);
        // Keep the quoted IP checksum plausible; routers do not check it and neither do we.
        icmp_error(router, &p, 11, 0, &[])
    };
    let cases = [
        forged(&|p| {
            p[27] ^= 1;
            p[5] ^= 1;
        }), // another sequence number
        forged(&|p| p[22] ^= 1), // another destination port
        forged(&|p| p[19] ^= 1), // another destination address
        forged(&|p| {
            // Another sequence number, IP ID and source port: nothing names the probe.
            p[27] ^= 1;
            p[5] ^= 1;
            p[20] ^= 1;
        }),
        tcp_answer(dst, src, 80, sport, seq, true), // ack is seq, not seq + 1
        tcp_answer(dst, src, 81, sport, seq.wrapping_add(1), true), // wrong port
        tcp_answer(v4("198.19.9.9"), src, 80, sport, seq.wrapping_add(1), true), // wrong host
        // A bare RST (no ACK) never answers a SYN.
        ip_wrap(dst, src, 6, 20, |b| {
            let mut rst = tcptrace::TcpRepr::new(80, sport, tcptrace::TcpFlags::RST);
            rst.ack_number = seq.wrapping_add(1);
            rst.window = 0;
            rst.emit(b, dst, src).unwrap();
        }),
    ];
    for bytes in &cases {
        assert_eq!(sim.engine.handle_packet(t, bytes), Disposition::Unmatched);
    }
    // Garbage and corrupted packets.
    let mut bad_sum = icmp_error(router, &probe, 11, 0, &[]);
    bad_sum[25] ^= 0xff;
    for bytes in [vec![], vec![0x45; 3], vec![0xff; 60], bad_sum] {
        assert_eq!(sim.engine.handle_packet(t, &bytes), Disposition::Malformed);
    }
    assert!(sim.engine.poll_event().is_none());
    assert_eq!(sim.engine.stats().unmatched, 8);
    // The genuine reply is still accepted afterwards.
    let genuine = icmp_error(router, &probe, 11, 0, &[]);
    assert_eq!(sim.engine.handle_packet(t, &genuine), Disposition::Matched);
    assert_eq!(
        sim.engine.handle_packet(t, &genuine),
        Disposition::Duplicate
    );
}

/// A middlebox after TTL 2 rewrites the source address and port, the IP ID, the DSCP and ECN
/// and clamps the MSS: every reply past it is matched by the sequence number, and flagged.
#[test]
fn rewritten_quotes_are_matched_and_flagged() {
    use tcptrace::RewriteField as F;
    fn nat(p: &mut [u8]) {
        p[1] = (10 << 2) | 1; // DSCP AF11, ECT(1)
        p[4] ^= 0x55; // IP ID
        p[12..16].copy_from_slice(&[198, 18, 9, 9]); // source address
        p[20] ^= 1; // source port
        // MSS 1460 → 1300 (the option is first, at TCP offset 20).
        p[42..44].copy_from_slice(&1300u16.to_be_bytes());
    }
    let cond = Conditions {
        middlebox: Some((2, nat)),
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        cond,
    );
    let r = sim.run();
    assert_eq!(hop_addrs(&r, 0), chain_with_dest());
    let t = &r.traces[0];
    let fields = |ttl: u8| -> Vec<tcptrace::RewriteField> {
        t.hop(ttl).unwrap().replies[0]
            .rewrites
            .iter()
            .map(|w| w.field)
            .collect()
    };
    assert_eq!(fields(1), []);
    assert_eq!(fields(2), []);
    let all = [F::SrcAddr, F::SrcPort, F::IpId, F::Dscp, F::Ecn, F::Mss];
    for ttl in 3..=5 {
        assert_eq!(fields(ttl), all, "TTL {ttl}");
        assert_eq!(t.hop(ttl).unwrap().replies[0].quoted_tcp, Some(40));
    }
    // The destination's answer carries no quote, and the NAT translated it back.
    assert_eq!(fields(6), []);
    assert_eq!(t.middleboxes.len(), 1, "{:?}", t.middleboxes);
    let m = &t.middleboxes[0];
    assert_eq!((m.ttl, m.after_ttl), (3, Some(2)));
    assert_eq!(m.rewrites.iter().map(|w| w.field).collect::<Vec<_>>(), all);
    assert!(m.to_string().contains("mss 1460→1300"), "{m}");
    assert!(
        m.to_string().contains("src_addr 198.18.0.2→198.18.9.9"),
        "{m}"
    );
    assert_eq!(sim.engine.stats().rewritten, 3);
    assert_eq!(sim.engine.stats().unmatched, 0);
    // The table marks the TTL and says what changed; so does the summary.
    let table = r.scapy_table();
    assert!(table.contains("11 *"), "{table}");
    assert!(
        table.contains(&format!("* {T1}:tcp80 middlebox before TTL 3: src_addr")),
        "{table}"
    );
    let summary = r.summary();
    assert!(
        summary.contains("     * middlebox before TTL 3: src_addr"),
        "{summary}"
    );
    let json = r.to_json_pretty().unwrap();
    assert!(json.contains("\"rewrites\""), "{json}");
    assert_eq!(TraceReport::from_json(&json).unwrap(), r);
}

/// A NAT that rewrote the source port and did not translate the destination's answer back:
/// the acknowledgment still names the probe, and the answer shows the port the destination saw.
#[test]
fn an_answer_to_a_rewritten_source_port_is_matched_and_flagged() {
    let mut sim = Sim::new(
        cfg().max_ttl(1).build().unwrap(),
        vec![(T1, Path::chain(&[], Dest::Open))],
        Conditions::default(),
    );
    let mut buf = Vec::new();
    let tx = sim.engine.poll_transmit(sim.now, &mut buf).unwrap();
    assert_eq!(tx.ttl, 1);
    let sport = sim.engine.source_port(0).unwrap();
    let seq = u32::from_be_bytes(buf[24..28].try_into().unwrap());
    let answer = tcp_answer(
        v4(T1),
        v4(SRC4),
        80,
        sport ^ 0x100,
        seq.wrapping_add(1),
        true,
    );
    let t = sim.now + Duration::from_millis(1);
    assert_eq!(sim.engine.handle_packet(t, &answer), Disposition::Matched);
    let report = sim.run();
    let r = &report.traces[0].hops[0].replies[0];
    assert_eq!(r.kind, ReplyKind::SynAck);
    assert_eq!(r.quoted_tcp, None);
    assert_eq!(
        r.rewrites
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [format!("src_port {sport}→{}", sport ^ 0x100)]
    );
    assert_eq!(sim.engine.stats().rewritten, 1);
}

#[test]
fn rewritten_sequence_numbers_are_matched_by_ip_id() {
    let cond = Conditions {
        rewrite_seq: true,
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg().ports([80, 443]).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        cond,
    );
    let r = sim.run();
    assert_eq!(hop_addrs(&r, 0), chain_with_dest());
    assert_eq!(hop_addrs(&r, 1), chain_with_dest());
    // Every time exceeded (5 routers × 2 flows) was matched through the IP ID, and flagged.
    assert_eq!(sim.engine.stats().by_ident, 10);
    assert_eq!(sim.engine.stats().rewritten, 10);
    assert_eq!(sim.engine.stats().unmatched, 0);
    let m = &r.traces[0].middleboxes;
    assert_eq!(m.len(), 1, "{m:?}");
    // The sequence number is the timestamp's TSval too, which the firewall left alone.
    assert_eq!(m[0].ttl, 1);
    assert_eq!(m[0].rewrites[0].field, tcptrace::RewriteField::Seq);
}

#[test]
fn ecmp_keeps_each_flow_on_one_path() {
    let mut path = Path::chain(&CHAIN, Dest::Open);
    path.nodes[1] = Node::Ecmp(vec!["198.18.2.1", "198.18.2.2"]);
    path.nodes[2] = Node::Ecmp(vec!["198.18.3.1", "198.18.3.2"]);
    let targets: Vec<_> = (1..=8)
        .map(|i| {
            (
                [
                    "198.19.1.1",
                    "198.19.1.2",
                    "198.19.1.3",
                    "198.19.1.4",
                    "198.19.1.5",
                    "198.19.1.6",
                    "198.19.1.7",
                    "198.19.1.8",
                ][i - 1],
                path.clone(),
            )
        })
        .collect();
    let mut sim = Sim::new(
        cfg().retry(2).ports([80, 443]).build().unwrap(),
        targets,
        Conditions::default(),
    );
    let r = sim.run();
    let mut branches = BTreeSet::new();
    for t in &r.traces {
        let a2 = t.hops[1].addrs();
        let a3 = t.hops[2].addrs();
        assert_eq!(a2.len(), 1);
        assert_eq!(a3.len(), 1);
        // The same flow hash picks the same branch at both ECMP stages.
        assert_eq!(
            a2[0].to_string().ends_with(".1"),
            a3[0].to_string().ends_with(".1")
        );
        branches.insert(a2[0]);
    }
    assert_eq!(
        branches.len(),
        2,
        "different flows spread over both branches"
    );
}

#[test]
fn per_packet_balancing_shows_several_replies_per_hop() {
    let mut sim = Sim::new(
        cfg()
            .timeout(Duration::from_secs(1))
            .retry(3)
            .build()
            .unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let mut buf = Vec::new();
    let t0 = sim.now;
    let tx = sim.engine.poll_transmit(t0, &mut buf).unwrap();
    assert_eq!(tx.ttl, 1);
    let first = buf.clone();
    while sim.engine.poll_transmit(t0, &mut buf).is_some() {}
    // Nothing answers in time; TTL 1 is retried.
    sim.engine.handle_timeout(t0 + Duration::from_secs(1));
    let retry = sim
        .engine
        .poll_transmit(t0 + Duration::from_secs(1), &mut buf)
        .unwrap();
    assert_eq!(retry.ttl, 1);
    let second = buf.clone();
    // Both probes of TTL 1 are answered, by two routers of a per-packet balancer.
    let late = icmp_error(v4("198.18.1.1"), &first, 11, 0, &[]);
    let on_time = icmp_error(v4("198.18.1.2"), &second, 11, 0, &[]);
    let t = t0 + Duration::from_millis(1100);
    assert_eq!(sim.engine.handle_packet(t, &late), Disposition::Late);
    assert_eq!(sim.engine.handle_packet(t, &on_time), Disposition::Matched);
    let hop1 = sim.engine.traces()[0].hops[0].clone();
    assert_eq!(hop1.addrs(), [v4("198.18.1.1"), v4("198.18.1.2")]);
    assert_eq!(hop1.probes, 2);
    // The table shows the reply that came in time.
    let report = TraceReport::new(sim.config.params(), String::new(), sim.engine.traces());
    assert!(report.scapy_table().contains("198.18.1.2      11"));
}

#[test]
fn mpls_labels_are_reported() {
    let mut path = Path::chain(&CHAIN, Dest::Open);
    let labels = vec![MplsLabel::new(24_001, 0, true, 1).unwrap()];
    path.nodes[3] = Node::MplsRouter("198.18.4.1", labels.clone());
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, path)],
        Conditions::default(),
    );
    let r = sim.run();
    assert_eq!(r.traces[0].hops[3].replies[0].mpls, labels);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["traces"][0]["hops"][3]["replies"][0]["mpls"][0]["label"],
        24_001
    );
    assert!(
        json["traces"][0]["hops"][2]["replies"][0]
            .get("mpls")
            .is_none()
    );
}

#[test]
fn ipv6_chain() {
    let chain6 = ["2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1"];
    let mut sim = Sim::new(
        cfg().ports([80, 443]).build().unwrap(),
        vec![("2001:db8:1:1::1", Path::chain(&chain6, Dest::Open))],
        Conditions::default(),
    );
    let r = sim.run();
    let expected: Vec<Option<IpAddr>> = chain6
        .iter()
        .chain(&["2001:db8:1:1::1"])
        .map(|a| Some(v4(a)))
        .collect();
    assert_eq!(hop_addrs(&r, 0), expected);
    assert_eq!(hop_addrs(&r, 1), expected);
    assert!(r.scapy_table().contains("2001:db8:0:1::1 3 "));
}

#[test]
fn ipv6_payloads_without_header_are_matched() {
    let dst = "2001:db8:1:1::1";
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(dst, Path::chain(&["2001:db8:0:1::1"], Dest::Open))],
        Conditions::default(),
    );
    let mut buf = Vec::new();
    let now = sim.now;
    let tx = sim.engine.poll_transmit(now, &mut buf).unwrap();
    assert_eq!(tx.l4_offset, 40);
    let reply = icmp_error(v4("2001:db8:0:1::1"), &buf, 11, 0, &[]);
    let IpAddr::V6(from) = v4("2001:db8:0:1::1") else {
        unreachable!()
    };
    let d = sim
        .engine
        .handle_ipv6_payload(now + Duration::from_millis(1), from, 58, &reply[40..]);
    assert_eq!(d, Disposition::Matched);
    let tx2 = sim.engine.poll_transmit(now, &mut buf).unwrap();
    assert_eq!(tx2.ttl, 2);
    let seq = u32::from_be_bytes(buf[44..48].try_into().unwrap());
    let sport = sim.engine.source_port(0).unwrap();
    let sa = tcp_answer(
        v4(dst),
        v4(crate::sim::SRC6),
        80,
        sport,
        seq.wrapping_add(1),
        true,
    );
    let IpAddr::V6(from) = v4(dst) else {
        unreachable!()
    };
    assert_eq!(
        sim.engine.handle_ipv6_payload(now, from, 6, &sa[40..]),
        Disposition::Matched
    );
    let events: Vec<Event> = std::iter::from_fn(|| sim.engine.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Done {
            reason: StopReason::Reached,
            ..
        }
    )));
    assert!(sim.engine.is_done());
}

#[test]
fn window_limits_probes_in_flight() {
    let targets: Vec<_> = (1..=20)
        .map(|i| {
            (
                Box::leak(format!("198.19.2.{i}").into_boxed_str()) as &str,
                Path::chain(&CHAIN, Dest::Open),
            )
        })
        .collect();
    let mut sim = Sim::new(
        cfg().max_in_flight(7).build().unwrap(),
        targets,
        Conditions::default(),
    );
    let r = sim.run();
    assert!(sim.max_in_flight_seen <= 7, "{}", sim.max_in_flight_seen);
    assert!(r.traces.iter().all(|t| t.reached && t.hops.len() == 6));
}

#[test]
fn pacing_spaces_sends() {
    let targets: Vec<_> = (1..=10)
        .map(|i| {
            (
                Box::leak(format!("198.19.3.{i}").into_boxed_str()) as &str,
                Path::chain(&CHAIN, Dest::Open),
            )
        })
        .collect();
    let mut sim = Sim::new(
        cfg().pps(100).build().unwrap(),
        targets,
        Conditions::default(),
    );
    let r = sim.run();
    assert!(r.traces.iter().all(|t| t.reached));
    let n = sim.sends.len();
    assert!(n >= 60);
    let span = sim.sends[n - 1].0 - sim.sends[0].0;
    // 100 pps: n sends span at least (n - 1 - burst) / 100 s of virtual time.
    assert!(
        span >= Duration::from_millis(10 * (n as u64 - 5)),
        "{span:?} for {n} sends"
    );
    for w in sim.sends.windows(2) {
        assert!(w[1].0 >= w[0].0);
    }
}

#[test]
fn negative_retry_gives_up_after_fruitless_rounds() {
    // A destination that never answers and no gap limit: with retry -2 and no progress at
    // all, each TTL gets 1 + 2 attempts, as scapy's autostop would.
    let mut sim = Sim::new(
        cfg().gap_limit(None).max_ttl(3).retry(-2).build().unwrap(),
        vec![(
            T1,
            Path {
                nodes: vec![Node::Silent; 5],
                dest: Dest::Blackhole,
            },
        )],
        Conditions::default(),
    );
    let r = sim.run();
    assert!(r.traces[0].hops.iter().all(|h| h.probes == 3));
    assert_eq!(sim.engine.stats().sent, 9);
}

#[test]
fn deadline_reports_partial_traces() {
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let mut buf = Vec::new();
    while sim.engine.poll_transmit(sim.now, &mut buf).is_some() {}
    let traces = sim.engine.traces();
    assert_eq!(traces[0].stop_reason, StopReason::Deadline);
    assert!(!traces[0].reached);
    assert_eq!(traces[0].hops.len(), 5);
    let tally = sim.report().tally();
    assert_eq!((tally.planned, tally.complete, tally.cut), (1, 0, 1));
    assert_eq!(sim.report().cut_traces().count(), 1);
    let json = serde_json::to_value(&traces[0]).unwrap();
    assert_eq!(json["stop_reason"], "deadline");
}

#[test]
fn unreachable_from_a_router_ends_the_trace() {
    let mut path = Path::chain(&CHAIN, Dest::Open);
    path.nodes[1] = Node::Unreachable("198.18.2.1");
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![(T1, path)],
        Conditions::default(),
    );
    let r = sim.run();
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::Unreachable, "{t:?}");
    assert!(!t.reached);
    assert_eq!(t.hops.len(), 2, "nothing beyond the unreachable: {t:?}");
    assert_eq!(t.hops[1].replies[0].kind, ReplyKind::Unreachable(1));
    assert_eq!(t.hops[1].replies[0].from, v4("198.18.2.1"));
    let json = serde_json::to_value(t).unwrap();
    assert_eq!(json["stop_reason"], "unreachable");
}

#[test]
fn a_failed_send_ends_its_trace_with_the_error() {
    let cond = Conditions {
        refuse_flow: Some(1),
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg().build().unwrap(),
        vec![
            (T1, Path::chain(&CHAIN, Dest::Open)),
            ("198.19.2.1", Path::chain(&CHAIN, Dest::Open)),
        ],
        cond,
    );
    let r = sim.run();
    assert_eq!(r.traces[0].stop_reason, StopReason::Reached);
    let error = "Operation not permitted (os error 1)".to_owned();
    assert_eq!(
        r.traces[1].stop_reason,
        StopReason::Failed {
            error: error.clone()
        }
    );
    // The failed probe was taken back: not sent, not in flight, not a silent hop.
    assert!(r.traces[1].hops.is_empty(), "{:?}", r.traces[1]);
    assert_eq!(sim.engine.in_flight(), 0);
    assert_eq!(sim.engine.stats().send_errors, 1);
    let flow0 = sim.sends.iter().filter(|s| s.1 == 0).count() as u64;
    assert_eq!(sim.engine.stats().sent, flow0, "flow 1 sent nothing");
    let tally = r.tally();
    assert_eq!(
        (tally.planned, tally.complete, tally.cut, tally.failed),
        (2, 1, 0, 1)
    );
    let json = serde_json::to_value(&r.traces[1]).unwrap();
    assert_eq!(
        json["stop_reason"],
        serde_json::json!({"failed": {"error": error}})
    );
    assert!(r.summary().contains("failed: Operation not permitted"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever the paths, the loss, a failing flow and where the deadline falls, every
    /// planned (target, port) is in the report once, in order, as complete, cut or failed.
    #[test]
    fn every_planned_trace_is_accounted_for(
        dests in proptest::collection::vec((0u8..4, 0usize..5), 1..10),
        ports in 1u16..3,
        loss in 0.0f64..0.6,
        retry in -2i32..3,
        cut_ms in proptest::option::of(0u64..8_000),
        refuse in proptest::option::of(0usize..20),
    ) {
        let names: Vec<String> = (0..dests.len()).map(|i| format!("198.19.{}.1", i + 1)).collect();
        let targets = names
            .iter()
            .zip(&dests)
            .map(|(n, &(d, depth))| {
                let dest = [Dest::Open, Dest::Closed, Dest::Blackhole, Dest::Unreachable][usize::from(d)];
                (n.as_str(), Path::chain(&CHAIN[..depth], dest))
            })
            .collect();
        let cond = Conditions { loss, refuse_flow: refuse, ..Conditions::default() };
        let config = cfg()
            .ports(80..80 + ports)
            .timeout(Duration::from_secs(1))
            .retry(retry)
            .max_ttl(10)
            .build()
            .unwrap();
        let mut sim = Sim::new(config, targets, cond);
        let start = sim.now;
        let r = sim.run_until(cut_ms.map(|ms| start + Duration::from_millis(ms)));
        let planned = names.len() * usize::from(ports);
        let tally = r.tally();
        proptest::prop_assert_eq!(tally.planned, planned);
        proptest::prop_assert_eq!(tally.planned, tally.complete + tally.cut + tally.failed);
        for (i, t) in r.traces.iter().enumerate() {
            proptest::prop_assert_eq!(&t.target, &names[i / usize::from(ports)]);
            proptest::prop_assert_eq!(t.port, 80 + (i % usize::from(ports)) as u16);
        }
        let refused = refuse.filter(|&f| f < planned);
        proptest::prop_assert_eq!(tally.failed, usize::from(refused.is_some()));
        if cut_ms.is_none() {
            proptest::prop_assert_eq!(tally.cut, 0);
        }
        proptest::prop_assert_eq!(tally.cut, r.cut_traces().count());
    }
}

#[test]
fn displays_snapshot() {
    // Three targets × two ports, a silent router and late, MPLS-labelled and unreachable
    // replies: both displays and the JSON form, as a user sees them.
    let mut silent = Path::chain(&CHAIN[..4], Dest::Open);
    silent.nodes[1] = Node::Silent;
    silent.nodes[2] = Node::MplsRouter(
        "198.18.3.1",
        vec![MplsLabel::new(24_001, 0, true, 1).unwrap()],
    );
    let targets = vec![
        ("198.19.1.1", silent),
        ("198.19.2.1", Path::chain(&CHAIN[..2], Dest::Closed)),
        ("198.19.3.1", Path::chain(&CHAIN[..1], Dest::Unreachable)),
    ];
    let cond = Conditions {
        hop_delay: Duration::from_micros(250),
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        cfg().ports([80, 443]).gap_limit(Some(3)).build().unwrap(),
        targets,
        cond,
    );
    let r = sim.run();
    insta::assert_snapshot!("scapy_table", r.scapy_table());
    insta::assert_snapshot!("summary", r.summary());
    insta::assert_snapshot!("json", serde_json::to_string_pretty(&r.traces[0]).unwrap());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// The default deadline covers the whole plan: whatever answers, late answers, silence,
    /// loss, window, pace, gap limit, retries and rounds, no trace is cut short by it.
    #[test]
    fn the_default_deadline_covers_the_whole_plan(
        paths in proptest::collection::vec((0usize..6, 0u8..4, proptest::collection::vec(proptest::prelude::any::<bool>(), 6)), 1..8),
        ports in 1u16..3,
        retry in -2i32..3,
        window in 1u32..512,
        gap in proptest::option::of(1u8..6),
        max_ttl in 1u8..12,
        pps in proptest::option::of(20u32..2000),
        loss in 0.0f64..0.9,
        jitter_ms in 0u64..1500,
        rounds in proptest::option::of((2u32..5, 0u64..1500)),
    ) {
        let names: Vec<String> = (0..paths.len()).map(|i| format!("198.19.{}.1", i + 1)).collect();
        let targets = names
            .iter()
            .zip(&paths)
            .map(|(n, (depth, d, silent))| {
                let dest = [Dest::Open, Dest::Closed, Dest::Blackhole, Dest::Unreachable][usize::from(*d)];
                let mut path = Path::chain(&CHAIN[..*depth], dest);
                for (node, &quiet) in path.nodes.iter_mut().zip(silent) {
                    if quiet {
                        *node = Node::Silent;
                    }
                }
                (n.as_str(), path)
            })
            .collect();
        let cond = Conditions { loss, jitter_us: jitter_ms * 1000, ..Conditions::default() };
        // The deadline is planned from the config's targets: the same as the simulated ones.
        let mut b = TraceConfig::builder()
            .targets(&names)
            .ports(80..80 + ports)
            .timeout(Duration::from_secs(1))
            .retry(retry)
            .max_in_flight(window)
            .gap_limit(gap)
            .max_ttl(max_ttl);
        if let Some(pps) = pps {
            b = b.pps(pps);
        }
        // Rounds exclude retries.
        if let Some((n, interval_ms)) = rounds {
            b = b.retry(0).rounds(n).interval(Duration::from_millis(interval_ms));
        }
        let config = b.build().unwrap();
        let deadline = config.deadline();
        let mut sim = Sim::new(config, targets, cond);
        let start = sim.now;
        let r = sim.run_until(Some(start + deadline));
        let tally = r.tally();
        proptest::prop_assert_eq!(tally.cut, 0, "{:?} of {:?}", tally, deadline);
        proptest::prop_assert_eq!(tally.complete, tally.planned);
    }
}
