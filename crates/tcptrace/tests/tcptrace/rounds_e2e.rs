//! Rounds, ICMP unreachables, MPLS labels and the engine's counters over raw sockets in
//! testbed namespaces (root): loss counted against nftables rules that drop an exact share of
//! a router's answers, mtr as the peer, routers that reject with each ICMP unreachable, a
//! router (scapy) that labels its answers, and traceroute running beside a run.

use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{
    Event, Observer, Progress, ReplyKind, StopReason, TraceConfig, TraceReport, Unreachable,
};
use testbed::netns::{Destination, Family, Topology};

use crate::e2e::nft;

const ROUNDS: u32 = 8;

/// Makes `node` drop one in `every` of the ICMP time exceeded it sends (in both families),
/// exactly: nftables numbers them with `numgen inc` and drops those that are 0 modulo `every`.
fn drop_one_in(net: &Topology, node: &str, every: u32) {
    let mut rules = vec![
        "add table inet loss".to_owned(),
        "add chain inet loss out { type filter hook output priority 0 ; }".to_owned(),
    ];
    for m in ["icmp type time-exceeded", "icmpv6 type time-exceeded"] {
        rules.push(format!(
            "add rule inet loss out {m} numgen inc mod {every} == 0 drop"
        ));
    }
    nft(net, node, &rules);
}

/// `src - r1 - r2 - r3 - web`, web listening on 80; r2 drops half of its time exceeded and
/// r3 a quarter: per TTL, the loss is exactly 0, 50, 25 and 0%.
fn lossy_chain() -> (Topology, [f64; 4]) {
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "web"])
        .build()
        .unwrap();
    drop_one_in(&net, "r2", 2);
    drop_one_in(&net, "r3", 4);
    (net, [0.0, 50.0, 25.0, 0.0])
}

/// Keeps what [`tcptrace::trace_observed`] told it: the progress, with the snapshot's
/// probe count at TTL 1, and the rounds each event said ended.
#[derive(Default)]
struct Watch {
    progress: Vec<(Progress, u32)>,
    rounds_ended: Vec<u32>,
}

impl Observer for Watch {
    fn on_event(&mut self, event: &Event) {
        if let Event::RoundDone { round, .. } = event {
            self.rounds_ended.push(*round);
        }
    }

    fn on_progress(&mut self, progress: &Progress, snapshot: &dyn Fn() -> TraceReport) {
        let probes = snapshot().traces[0].hops.first().map_or(0, |h| h.probes);
        self.progress.push((*progress, probes));
    }
}

/// The run's progress only grows, each snapshot has as many probes at TTL 1 as rounds
/// begun, and every round ends once, in order.
fn check_progress(watch: &Watch) {
    assert_eq!(watch.rounds_ended, (1..=ROUNDS).collect::<Vec<_>>());
    assert!(watch.progress.len() >= 2, "{} ticks", watch.progress.len());
    for w in watch.progress.windows(2) {
        let (a, b) = (&w[0].0, &w[1].0);
        assert!(
            a.rounds_done <= b.rounds_done && a.stats.sent <= b.stats.sent,
            "{w:?}"
        );
    }
    for (p, probes) in &watch.progress {
        assert_eq!(
            (p.traces, p.rounds, p.traces_done),
            (1, u64::from(ROUNDS), 0),
            "{p:?}"
        );
        assert!(p.rounds_done < u64::from(ROUNDS), "{p:?}");
        let begun = u32::try_from(p.rounds_done).unwrap();
        assert!(
            (begun..=begun + 1).contains(probes),
            "{p:?}: {probes} probes at TTL 1"
        );
    }
}

/// Traces `target` with [`ROUNDS`] rounds `interval` apart.
fn rounds_report(net: &Topology, target: IpAddr, interval: Duration) -> TraceReport {
    let config = TraceConfig::builder()
        .target(target.to_string())
        .rounds(ROUNDS)
        .interval(interval)
        .timeout(Duration::from_millis(500))
        .max_ttl(8)
        .build()
        .unwrap();
    let (report, watch) = net
        .run_in(net.source(), move || {
            let mut watch = Watch::default();
            let report = tcptrace::trace_observed(&config, &mut watch);
            (report, watch)
        })
        .unwrap();
    check_progress(&watch);
    report.expect("tracing")
}

/// mtr's report per hop, from `mtr --report --json -c N --tcp --port 80`: (loss %, sent,
/// average RTT in ms).
fn mtr(net: &Topology, target: IpAddr) -> Vec<(f64, u64, f64)> {
    let out = net
        .command(net.source(), "mtr")
        .unwrap()
        .args(["--report", "--json", "--no-dns", "--tcp", "--port", "80"])
        .args(["-c", &ROUNDS.to_string(), "-i", "0.1", "--timeout", "1"])
        .arg(target.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "mtr: {out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["report"]["hubs"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc:#}"))
        .iter()
        .map(|h| {
            (
                h["Loss%"].as_f64().unwrap(),
                h["Snt"].as_u64().unwrap(),
                h["Avg"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn rounds_agree_with_truth_and_mtr(family: Family) {
    let (net, truth) = lossy_chain();
    let target = net.address("web", family).unwrap();
    let report = rounds_report(&net, target, Duration::from_millis(100));
    let t = &report.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
    assert_eq!(t.hops.len(), 4, "{t:?}");
    let path = net.ground_truth(target).unwrap();
    for (h, loss) in t.hops.iter().zip(truth) {
        let st = h.stats();
        assert_eq!(st.sent, ROUNDS, "TTL {}: {h:?}", h.ttl);
        assert!((st.loss_pct - loss).abs() < 1e-9, "TTL {}: {st:?}", h.ttl);
        for r in &h.replies {
            assert!(path.accepts(h.ttl, 80, r.from), "TTL {}: {r:?}", h.ttl);
        }
        assert!(st.avg_ms.is_some_and(|a| a < 100.0), "{st:?}");
    }
    let s = report.summary();
    assert!(s.contains(" 50.0%     8     4 "), "{s}");
    assert!(s.contains(" 25.0%     8     6 "), "{s}");

    // mtr, in the same network, through the same rules.
    let theirs = mtr(&net, target);
    assert_eq!(theirs.len(), t.hops.len(), "mtr's hops: {theirs:?}");
    for ((loss, sent, avg), h) in theirs.iter().zip(&t.hops) {
        let st = h.stats();
        assert_eq!(*sent, u64::from(ROUNDS), "{theirs:?}");
        // One probe either way: mtr may still be waiting for its last one.
        assert!(
            (loss - st.loss_pct).abs() <= 100.0 / f64::from(ROUNDS) + 1e-9,
            "TTL {}: mtr {loss}%, ours {}%",
            h.ttl,
            st.loss_pct
        );
        let ours = st.avg_ms.unwrap();
        // Sub-millisecond veth paths on a shared machine: agreement within 5 ms.
        assert!(
            (avg - ours).abs() < 5.0,
            "TTL {}: mtr {avg} ms, ours {ours} ms",
            h.ttl
        );
    }
}

#[test]
fn rounds_count_loss_exactly_and_agree_with_mtr() {
    if !testbed::require_root("tcptrace rounds_count_loss_exactly_and_agree_with_mtr") {
        return;
    }
    rounds_agree_with_truth_and_mtr(Family::V4);
}

#[test]
fn ipv6_rounds_count_loss_exactly_and_agree_with_mtr() {
    if !testbed::require_root("tcptrace ipv6_rounds_count_loss_exactly_and_agree_with_mtr") {
        return;
    }
    rounds_agree_with_truth_and_mtr(Family::V6);
}

/// `src - r1 - r2 - web`, where r2 rejects the probes to each of web's addresses with another
/// ICMP unreachable (nftables `reject with icmp type ...` in its forward chain): the probes
/// with TTL 2 expire at r2, those with TTL 3 are rejected there, so each trace ends at TTL 3
/// with r2's unreachable, its code, its typed meaning and traceroute's mark.
fn unreachables_end_the_trace(family: Family, rejects: &[(&str, u8, Unreachable, &str)]) {
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination(
            "web",
            Destination::new()
                .listen(80)
                .addresses(rejects.len() as u16),
        )
        .chain(["src", "r1", "r2", "web"])
        .build()
        .unwrap();
    let targets = net.targets("web", family).unwrap();
    assert_eq!(targets.len(), rejects.len());
    let (ip, icmp) = match family {
        Family::V4 => ("ip", "icmp"),
        Family::V6 => ("ip6", "icmpv6"),
    };
    let mut rules = vec![
        "add table inet rej".to_owned(),
        "add chain inet rej filt { type filter hook forward priority 0 ; }".to_owned(),
    ];
    for (addr, (kind, ..)) in targets.iter().zip(rejects) {
        rules.push(format!(
            "add rule inet rej filt {ip} daddr {addr} tcp dport 80 reject with {icmp} type {kind}"
        ));
    }
    nft(&net, "r2", &rules);
    let r2 = net.interface_address("r2", "r1", family).unwrap();
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .timeout(Duration::from_millis(500))
        .max_ttl(8)
        .build()
        .unwrap();
    let report = net
        .run_in(net.source(), move || tcptrace::trace(&config))
        .unwrap()
        .expect("tracing");
    let table = report.scapy_table();
    let summary = report.summary();
    for (t, (kind, code, meaning, mark)) in report.traces.iter().zip(rejects) {
        assert_eq!(t.stop_reason, StopReason::Unreachable, "{kind}: {t:?}");
        assert!(!t.reached, "{kind}: {t:?}");
        assert_eq!(t.hops.len(), 3, "{kind}: nothing beyond the reject: {t:?}");
        assert_eq!(t.hops[1].replies[0].kind, ReplyKind::TimeExceeded, "{t:?}");
        let reply = &t.hops[2].replies[0];
        assert_eq!(reply.from, r2, "{kind}");
        assert_eq!(reply.kind, ReplyKind::Unreachable(*code), "{kind}");
        assert_eq!(reply.unreachable, Some(*meaning), "{kind}");
        let json = serde_json::to_value(reply).unwrap();
        assert_eq!(
            json["unreachable"],
            serde_json::to_value(meaning).unwrap(),
            "{kind}"
        );
        let label = if family == Family::V4 { 3 } else { 1 };
        let cell = format!("{:<15} {label}", r2.to_string());
        let line = if mark.is_empty() {
            assert!(table.contains(&format!("{cell}  ")), "{kind}: {table}");
            format!("  3. {r2} [port unreachable] ")
        } else {
            assert!(
                table.contains(&format!("{cell} {mark} ")),
                "{kind}: {table}"
            );
            format!("  3. {r2} {mark} ")
        };
        assert!(summary.contains(&line), "{kind}: {summary}");
    }
}

#[test]
fn icmp_unreachables_end_the_trace_with_traceroutes_marks() {
    if !testbed::require_root("tcptrace icmp_unreachables_end_the_trace_with_traceroutes_marks") {
        return;
    }
    unreachables_end_the_trace(
        Family::V4,
        &[
            ("net-unreachable", 0, Unreachable::Net, "!N"),
            ("host-unreachable", 1, Unreachable::Host, "!H"),
            ("prot-unreachable", 2, Unreachable::Protocol, "!P"),
            ("port-unreachable", 3, Unreachable::Port, ""),
            ("admin-prohibited", 13, Unreachable::AdminProhibited, "!X"),
        ],
    );
}

#[test]
fn icmpv6_unreachables_end_the_trace_with_traceroutes_marks() {
    if !testbed::require_root("tcptrace icmpv6_unreachables_end_the_trace_with_traceroutes_marks") {
        return;
    }
    unreachables_end_the_trace(
        Family::V6,
        &[
            ("no-route", 0, Unreachable::Net, "!N"),
            ("addr-unreachable", 3, Unreachable::Host, "!H"),
            ("port-unreachable", 4, Unreachable::Port, ""),
            ("admin-prohibited", 1, Unreachable::AdminProhibited, "!X"),
            ("reject-route", 6, Unreachable::Other, "!<6>"),
        ],
    );
}

#[test]
fn another_tracers_replies_are_counted_unmatched() {
    if !testbed::require_root("tcptrace another_tracers_replies_are_counted_unmatched") {
        return;
    }
    let (net, _) = lossy_chain();
    let target = net.address("web", Family::V4).unwrap();
    // traceroute -T runs in the same namespace while the rounds go on: the time exceeded its
    // probes bring back reach our raw sockets too, and answer none of our probes.
    let theirs = net
        .command(net.source(), "sh")
        .unwrap()
        .arg("-c")
        .arg(format!(
            "sleep 0.5; traceroute -n -T -p 80 -q 3 -w 1 -m 3 {target}"
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // About 2 s of rounds, which traceroute's half a second falls well within.
    let report = rounds_report(&net, target, Duration::from_millis(300));
    let out = theirs.wait_with_output().unwrap();
    assert!(out.status.success(), "traceroute: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // traceroute prints one `N.NNN ms` per answer; with -m 3 all of them are routers'.
    let answers = text.matches(" ms").count();
    assert!(answers >= 3, "traceroute got {answers} answers: {text}");
    let stats = report.engine_stats.expect("the tracer's counters");
    assert!(
        stats.unmatched >= answers as u64,
        "{answers} time exceeded of traceroute's, {stats:?}"
    );
    // Ours are all accounted for (the routers' drop rules now also number traceroute's
    // answers, so which of ours they drop moves).
    for h in &report.traces[0].hops {
        assert_eq!(h.stats().sent, ROUNDS, "{h:?}");
    }
    assert!(
        report
            .summary()
            .contains(&format!("dropped {} unmatched", stats.unmatched))
    );
}

/// A router that labels its answers as an MPLS label switching router does (RFC 4950): the
/// kernel's own time exceeded are dropped, and scapy answers each SYN that expires here with
/// a time exceeded quoting it, padded to 128 bytes (RFC 4884) and followed by the label stack
/// object. Arguments: the interface to the source, the router's address on it, the label.
const MPLS_ROUTER: &str = r#"
import sys
from scapy.all import Ether, IP, ICMP, TCP, Raw, sendp, sniff
from scapy.contrib.icmp_extensions import ICMPExtensionHeader, ICMPExtensionMPLS
from scapy.contrib.mpls import MPLS

iface, me, label = sys.argv[1], sys.argv[2], int(sys.argv[3])

def answer(p):
    ip = p[IP]
    quote = bytes(ip)[: ip.ihl * 4 + 20].ljust(128, b"\0")
    reply = (
        Ether(src=p[Ether].dst, dst=p[Ether].src)
        / IP(src=me, dst=ip.src)
        / ICMP(type=11, code=0, length=32)
        / Raw(quote)
        / ICMPExtensionHeader()
        / ICMPExtensionMPLS(stack=[MPLS(label=label, cos=5, s=1, ttl=1)])
    )
    sendp(reply, iface=iface, verbose=False)

sniff(
    iface=iface,
    filter="ip[8] = 1 and tcp[tcpflags] & tcp-syn != 0",
    prn=answer,
    store=False,
    timeout=30,
    started_callback=lambda: print("ready", flush=True),
)
"#;

#[test]
fn mpls_labels_from_a_labelling_router_are_in_the_table_and_summary() {
    if !testbed::require_root(
        "tcptrace mpls_labels_from_a_labelling_router_are_in_the_table_and_summary",
    ) {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "web"])
        .build()
        .unwrap();
    nft(
        &net,
        "r1",
        &[
            "add table ip lsr".into(),
            "add chain ip lsr out { type filter hook output priority 0 ; }".into(),
            "add rule ip lsr out icmp type time-exceeded drop".into(),
        ],
    );
    let iface = net.interface("r1", "src").unwrap().to_owned();
    let r1 = net.interface_address("r1", "src", Family::V4).unwrap();
    let mut router = net
        .command(
            "r1",
            std::env::var_os(testbed::scapy::PYTHON_ENV).unwrap_or_else(|| "python3".into()),
        )
        .unwrap()
        .args(["-c", MPLS_ROUTER, &iface, &r1.to_string(), "24000"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(router.stdout.as_mut().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready", "the labelling router did not start");
    let target = net.address("web", Family::V4).unwrap();
    let config = TraceConfig::builder()
        .target(target.to_string())
        .timeout(Duration::from_secs(1))
        .retry(2)
        .build()
        .unwrap();
    let report = net
        .run_in(net.source(), move || tcptrace::trace(&config))
        .unwrap()
        .expect("tracing");
    let _ = router.kill();
    let _ = router.wait();
    let t = &report.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
    let hop1 = &t.hops[0].replies[0];
    assert_eq!(hop1.from, r1, "{t:?}");
    let label = tcptrace::MplsLabel::new(24000, 5, true, 1).unwrap();
    assert_eq!(hop1.mpls, [label], "{t:?}");
    assert!(
        t.hops[1].replies[0].mpls.is_empty(),
        "r2 labels nothing: {t:?}"
    );
    let mark = "[MPLS: Lbl 24000 Exp 5 S 1 TTL 1]";
    let table = report.scapy_table();
    assert!(
        table.contains(&format!("{:<15} 11 {mark}", r1.to_string())),
        "{table}"
    );
    let summary = report.summary();
    assert!(
        summary.contains(&format!("\n     {mark}\n  2. ")),
        "{summary}"
    );
}
