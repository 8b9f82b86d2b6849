//! End to end over raw sockets in testbed namespaces (root). Real kernel routers, real
//! listeners, real RSTs.

use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{Event, ReplyKind, StopReason, Trace, TraceConfig, TraceReport};
use testbed::netns::{Destination, Family, GroundTruth, Reply, Topology};

pub(crate) fn run(net: &Topology, config: TraceConfig) -> TraceReport {
    net.run_in(net.source(), move || tcptrace::trace(&config))
        .expect("entering the source namespace")
        .expect("tracing")
}

/// [`tcptrace::trace_with`], checking that its events account for every (target, port) of
/// the report: one [`Event::TargetFailed`] per failed target and one [`Event::Done`] per
/// trace, with the trace's index and end, and each reply on the trace it answers.
fn run_with_events(net: &Topology, config: TraceConfig) -> TraceReport {
    let (report, events) = net
        .run_in(net.source(), move || {
            let mut events = Vec::new();
            let report = tcptrace::trace_with(&config, |ev| events.push(ev.clone()));
            (report, events)
        })
        .expect("entering the source namespace");
    let report = report.expect("tracing");
    let mut ends = vec![Vec::new(); report.traces.len()];
    let mut failed = Vec::new();
    for ev in events {
        match ev {
            Event::Done { flow, reason } => ends[flow].push(reason),
            Event::Reply { flow, ttl, reply } => {
                let hop = report.traces[flow].hop(ttl);
                assert!(
                    hop.is_some_and(|h| h.replies.contains(&reply)),
                    "{reply:?} is not on trace {flow} at TTL {ttl}: {report:?}"
                );
            }
            Event::TargetFailed { target } => failed.push(target),
            other => panic!("unexpected {other:?}"),
        }
    }
    let expected: Vec<Vec<StopReason>> = report
        .traces
        .iter()
        .map(|t| vec![t.stop_reason.clone()])
        .collect();
    assert_eq!(ends, expected, "one end per trace, as in the report");
    assert_eq!(failed, report.failed_targets);
    report
}

/// Runs `nft` with each of `rules` (words separated by single spaces) in `node`.
pub(crate) fn nft(net: &Topology, node: &str, rules: &[String]) {
    for rule in rules {
        let out = net
            .command(node, "nft")
            .unwrap()
            .args(rule.split(' '))
            .output()
            .unwrap();
        assert!(out.status.success(), "{node}: nft {rule}: {out:?}");
    }
}

fn base() -> tcptrace::TraceConfigBuilder {
    TraceConfig::builder()
        .timeout(Duration::from_millis(500))
        .max_ttl(12)
}

/// The answering address of each TTL, `None` for silence.
fn addrs(t: &Trace) -> Vec<Option<IpAddr>> {
    t.hops
        .iter()
        .map(|h| h.replies.first().map(|r| r.from))
        .collect()
}

/// Every hop of `t` agrees with the ground truth, and the destination answered as it should.
pub(crate) fn assert_matches_truth(t: &Trace, truth: &GroundTruth) {
    for h in &t.hops {
        for r in &h.replies {
            assert!(
                truth.accepts(h.ttl, t.port, r.from),
                "TTL {} from {} is wrong for {truth:?}: {t:?}",
                h.ttl,
                r.from
            );
        }
        if h.ttl < truth.destination_ttl {
            let hop = &truth.hops[usize::from(h.ttl) - 1];
            assert_eq!(
                h.replies.is_empty(),
                hop.is_silent(),
                "TTL {}: {t:?}",
                h.ttl
            );
        }
    }
    match truth.reply(t.port) {
        Reply::Nothing => assert!(!t.reached, "{t:?}"),
        reply => {
            assert!(t.reached, "{t:?}");
            assert_eq!(t.destination_ttl(), Some(truth.destination_ttl));
            let last = t.hops.last().unwrap();
            let kind = if reply == Reply::SynAck {
                ReplyKind::SynAck
            } else {
                ReplyKind::Rst
            };
            assert_eq!(last.replies[0].kind, kind);
        }
    }
}

#[test]
fn chain_of_six_routers_gives_exact_hops() {
    if !testbed::require_root("tcptrace e2e chain_of_six_routers_gives_exact_hops") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3", "r4", "r5", "r6"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "r4", "r5", "r6", "web"])
        .build()
        .unwrap();
    let target = net.address("web", Family::V4).unwrap();
    let report = run(&net, base().target(target.to_string()).build().unwrap());
    let t = &report.traces[0];
    let truth = net.ground_truth(target).unwrap();
    let mut expected: Vec<Option<IpAddr>> =
        truth.hops.iter().map(|h| Some(h.addresses()[0])).collect();
    expected.push(Some(target));
    assert_eq!(addrs(t), expected);
    assert_eq!(t.hops.len(), 7);
    assert_eq!(t.stop_reason, StopReason::Reached);
    assert_matches_truth(t, &truth);
}

#[test]
fn open_port_gives_sa_and_closed_port_ra() {
    if !testbed::require_root("tcptrace e2e open_port_gives_sa_and_closed_port_ra") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "web"])
        .build()
        .unwrap();
    let target = net.address("web", Family::V4).unwrap();
    let report = run(
        &net,
        base()
            .target(target.to_string())
            .ports([80, 81])
            .build()
            .unwrap(),
    );
    let truth = net.ground_truth(target).unwrap();
    assert_eq!(report.traces[0].hops[2].replies[0].kind, ReplyKind::SynAck);
    assert_eq!(report.traces[1].hops[2].replies[0].kind, ReplyKind::Rst);
    for t in &report.traces {
        assert_matches_truth(t, &truth);
    }
    let table = report.scapy_table();
    assert!(
        table.contains(&format!("{:<15} SA", target.to_string())),
        "{table}"
    );
    assert!(
        table.contains(&format!("{:<15} RA", target.to_string())),
        "{table}"
    );
}

#[test]
fn silent_router_gives_dash_and_later_hops_are_found() {
    if !testbed::require_root("tcptrace e2e silent_router_gives_dash_and_later_hops_are_found") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r3"])
        .silent_router("r2")
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "web"])
        .build()
        .unwrap();
    let target = net.address("web", Family::V4).unwrap();
    let report = run(&net, base().target(target.to_string()).build().unwrap());
    let t = &report.traces[0];
    assert_eq!(t.hops.len(), 4);
    assert!(t.hops[1].replies.is_empty(), "{t:?}");
    assert!(t.reached);
    assert_matches_truth(t, &net.ground_truth(target).unwrap());
    // In scapy's table TTL 2 has no row (no reply at all), and TTLs 3 and 4 do.
    let table = report.scapy_table();
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(rows, ["1", "3", "4"], "{table}");
}

#[test]
fn blackholed_target_stops_at_gap_limit() {
    if !testbed::require_root("tcptrace e2e blackholed_target_stops_at_gap_limit") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("hole", Destination::new().blackhole())
        .chain(["src", "r1", "r2", "hole"])
        .build()
        .unwrap();
    let target = net.address("hole", Family::V4).unwrap();
    let report = run(
        &net,
        base()
            .max_ttl(30)
            .gap_limit(Some(3))
            .target(target.to_string())
            .build()
            .unwrap(),
    );
    let t = &report.traces[0];
    assert_eq!(t.stop_reason, StopReason::GapLimit);
    assert!(!t.reached);
    assert_eq!(t.hops.len(), 2 + 3, "{t:?}");
    assert!(t.hops[2..].iter().all(|h| h.replies.is_empty()));
    assert_matches_truth(t, &net.ground_truth(target).unwrap());
}

#[test]
fn three_targets_two_ports_at_once() {
    if !testbed::require_root("tcptrace e2e three_targets_two_ports_at_once") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().listen(80).listen(443))
        .destination("db", Destination::new())
        .destination("mail", Destination::new().listen(443).drop_port(80))
        .chain(["src", "r1", "r2", "web"])
        .link("r2", "r3")
        .link("r3", "db")
        .link("r1", "mail")
        .build()
        .unwrap();
    let targets: Vec<IpAddr> = ["web", "db", "mail"]
        .iter()
        .map(|n| net.address(n, Family::V4).unwrap())
        .collect();
    let report = run(
        &net,
        base()
            .targets(targets.iter().map(ToString::to_string))
            .ports([80, 443])
            .build()
            .unwrap(),
    );
    assert_eq!(report.traces.len(), 6);
    for t in &report.traces {
        assert_matches_truth(t, &net.ground_truth(t.addr).unwrap());
    }
    // mail drops port 80: not reached, stopped by the gap limit; 443 answers.
    assert!(!report.traces[4].reached);
    assert!(report.traces[5].reached);
    assert_eq!(
        report
            .scapy_table()
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .count(),
        6
    );
}

#[test]
fn ipv6_chain() {
    if !testbed::require_root("tcptrace e2e ipv6_chain") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "r3", "web"])
        .build()
        .unwrap();
    let target = net.address("web", Family::V6).unwrap();
    let report = run(
        &net,
        base()
            .target(target.to_string())
            .ports([80, 8080])
            .build()
            .unwrap(),
    );
    let truth = net.ground_truth(target).unwrap();
    let mut expected: Vec<Option<IpAddr>> =
        truth.hops.iter().map(|h| Some(h.addresses()[0])).collect();
    expected.push(Some(target));
    for t in &report.traces {
        assert_eq!(addrs(t), expected, "{t:?}");
        assert_matches_truth(t, &truth);
    }
    assert_eq!(report.traces[0].hops[3].replies[0].kind, ReplyKind::SynAck);
    assert_eq!(report.traces[1].hops[3].replies[0].kind, ReplyKind::Rst);
}

#[test]
fn random_loss_is_recovered_by_retries() {
    if !testbed::require_root("tcptrace e2e random_loss_is_recovered_by_retries") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().listen(80).addresses(8))
        .chain(["src", "r1"])
        .lossy_link("r1", "r2", 15)
        .chain(["r2", "r3", "web"])
        .build()
        .unwrap();
    let targets = net.targets("web", Family::V4).unwrap();
    let config = base()
        .timeout(Duration::from_millis(300))
        .retry(-8)
        .gap_limit(None)
        .max_ttl(6)
        .targets(targets.iter().map(ToString::to_string))
        .build()
        .unwrap();
    let report = run(&net, config);
    for t in &report.traces {
        let truth = net.ground_truth(t.addr).unwrap();
        assert_matches_truth(t, &truth);
        assert!(t.reached, "{t:?}");
        assert!(
            t.hops.iter().all(|h| !h.replies.is_empty()),
            "a hop was lost for good: {t:?}"
        );
    }
    // With 15% loss each way across 8 targets × 5 TTLs behind the link, some probe needed a retry.
    assert!(
        report
            .traces
            .iter()
            .flat_map(|t| &t.hops)
            .any(|h| h.probes > 1)
    );
}

#[test]
fn ecmp_diamond_keeps_each_flow_on_one_branch() {
    if !testbed::require_root("tcptrace e2e ecmp_diamond_keeps_each_flow_on_one_branch") {
        return;
    }
    // src - r1 - {a | b} - r2 - web: two equal-cost branches, hashed on the 5-tuple (L4).
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "a", "b", "r2"])
        .destination("web", Destination::new().listen(80).addresses(8))
        .chain(["src", "r1", "a", "r2", "web"])
        .link("r1", "b")
        .link("b", "r2")
        .build()
        .unwrap();
    let v4 = Family::V4;
    let a = net.interface_address("a", "r1", v4).unwrap();
    let b = net.interface_address("b", "r1", v4).unwrap();
    let r2_from_a = net.interface_address("r2", "a", v4).unwrap();
    let r2_from_b = net.interface_address("r2", "b", v4).unwrap();
    let targets = net.targets("web", v4).unwrap();
    let config = base()
        .targets(targets.iter().map(ToString::to_string))
        .ports([80, 443])
        .retry(2)
        .build()
        .unwrap();
    let report = run(&net, config);
    let mut branches = std::collections::BTreeSet::new();
    for t in &report.traces {
        assert_matches_truth(t, &net.ground_truth(t.addr).unwrap());
        let hop2 = t.hops[1].addrs();
        let hop3 = t.hops[2].addrs();
        assert_eq!(hop2.len(), 1, "one branch per flow: {t:?}");
        assert_eq!(hop3.len(), 1, "{t:?}");
        let expected3 = if hop2[0] == a {
            r2_from_a
        } else {
            assert_eq!(hop2[0], b);
            r2_from_b
        };
        assert_eq!(hop3[0], expected3, "TTL 3 is on the branch of TTL 2: {t:?}");
        branches.insert(hop2[0]);
    }
    assert_eq!(branches.len(), 2, "16 flows spread over both branches");
}

/// `src - r1 - r2 - r3 - web` and `r3 - hole`, whose routers keep Linux's default ICMP rate
/// limits (about one time exceeded per second towards the source): `web` has `answering`
/// addresses, all ports closed (RST), and `hole` has `silent` addresses that answer nothing.
/// Traces every address of `family` on port 80 with the default deadline and checks that
/// each one is in the report and ends by a stop condition.
fn every_target_ends_by_a_stop_condition(family: Family, answering: u16, silent: u16) {
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("web", Destination::new().addresses(answering))
        .destination("hole", Destination::new().blackhole().addresses(silent))
        .chain(["src", "r1", "r2", "r3", "web"])
        .link("r3", "hole")
        .linux_icmp_rate_limits()
        .build()
        .unwrap();
    let web = net.targets("web", family).unwrap();
    let hole = net.targets("hole", family).unwrap();
    let targets: Vec<IpAddr> = web.iter().chain(&hole).copied().collect();
    assert_eq!(targets.len(), usize::from(answering) + usize::from(silent));
    assert!(targets.iter().all(|a| Family::of(*a) == family));
    // A short probe timeout and a wide window keep the run short; the deadline is the default
    // one, derived from this plan.
    let config = base()
        .timeout(Duration::from_millis(300))
        .max_in_flight(1024)
        .targets(targets.iter().map(ToString::to_string))
        .build()
        .unwrap();
    let report = run(&net, config);

    let tally = report.tally();
    assert_eq!(tally.planned, targets.len(), "{tally:?}");
    assert_eq!(
        tally.planned,
        tally.complete + tally.cut + tally.failed,
        "{tally:?}"
    );
    assert_eq!((tally.cut, tally.failed), (0, 0), "{tally:?}");
    let traced: Vec<IpAddr> = report.traces.iter().map(|t| t.addr).collect();
    assert_eq!(traced, targets, "every target once, in the order given");
    let web: std::collections::HashSet<IpAddr> = web.into_iter().collect();
    for t in &report.traces {
        let expected = if web.contains(&t.addr) {
            StopReason::Reached
        } else {
            StopReason::GapLimit
        };
        assert_eq!(t.stop_reason, expected, "{t:?}");
        assert_eq!(t.reached, expected == StopReason::Reached, "{t:?}");
        assert!(!t.hops.is_empty() && t.hops[0].probes > 0, "{t:?}");
    }
    // The rate limit was in force: the routers stayed silent for almost every probe.
    let router_probes = report.traces.len() * 3;
    let router_answers = report
        .traces
        .iter()
        .flat_map(|t| &t.hops)
        .filter(|h| h.ttl <= 3 && !h.replies.is_empty())
        .count();
    assert!(
        router_answers * 10 < router_probes,
        "{router_answers} of {router_probes} router hops answered: not rate limited"
    );
}

#[test]
fn three_thousand_targets_behind_rate_limited_routers() {
    if !testbed::require_root("tcptrace e2e three_thousand_targets_behind_rate_limited_routers") {
        return;
    }
    every_target_ends_by_a_stop_condition(Family::V4, 2_000, 1_000);
}

#[test]
fn three_thousand_ipv6_targets_behind_rate_limited_routers() {
    if !testbed::require_root(
        "tcptrace e2e three_thousand_ipv6_targets_behind_rate_limited_routers",
    ) {
        return;
    }
    every_target_ends_by_a_stop_condition(Family::V6, 2_000, 1_000);
}

#[test]
fn ten_thousand_targets_behind_rate_limited_routers() {
    if !testbed::require_root("tcptrace e2e ten_thousand_targets_behind_rate_limited_routers") {
        return;
    }
    every_target_ends_by_a_stop_condition(Family::V4, 8_000, 2_000);
}

#[test]
fn unusable_unroutable_and_firewalled_targets_fail_alone() {
    if !testbed::require_root("tcptrace e2e unusable_unroutable_and_firewalled_targets_fail_alone")
    {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("r1")
        .destination("web", Destination::new().listen(80))
        .destination("db", Destination::new().listen(80))
        .chain(["src", "r1", "web"])
        .link("r1", "db")
        .build()
        .unwrap();
    let web = net.address("web", Family::V4).unwrap();
    let db = net.address("db", Family::V4).unwrap();
    // A local firewall refuses every packet to db (sendto fails with EPERM), and the source
    // has no route at all to TEST-NET-3.
    nft(
        &net,
        "src",
        &[
            "add table ip fw".into(),
            "add chain ip fw out { type filter hook output priority 0 ; }".into(),
            format!("add rule ip fw out ip daddr {db} drop"),
        ],
    );
    let targets = [web.to_string(), "203.0.113.9".into(), db.to_string()];
    // Two targets without an address: a name with a NUL byte, which fails in the process
    // before any resolver, and a multicast address.
    let given = [
        "bad\0name".into(),
        targets[0].clone(),
        targets[1].clone(),
        "224.0.0.1".into(),
        targets[2].clone(),
    ];
    let report = run_with_events(
        &net,
        base()
            .targets(given.clone())
            .ports([80, 443])
            .build()
            .unwrap(),
    );
    assert_nul_and_multicast_failed(&report, &given[0]);
    let got: Vec<(String, u16)> = report
        .traces
        .iter()
        .map(|t| (t.target.clone(), t.port))
        .collect();
    let expected: Vec<(String, u16)> = targets
        .iter()
        .flat_map(|t| [(t.clone(), 80), (t.clone(), 443)])
        .collect();
    assert_eq!(got, expected, "every (target, port), in order");
    let tally = report.tally();
    assert_eq!(
        (tally.planned, tally.complete, tally.cut, tally.failed),
        (10, 2, 0, 8),
        "{tally:?}"
    );
    for t in &report.traces[..2] {
        assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
    }
    for t in &report.traces[2..4] {
        let StopReason::Failed { error } = &t.stop_reason else {
            panic!("{t:?}")
        };
        assert!(error.contains("no route to 203.0.113.9"), "{error}");
        assert!(t.hops.is_empty(), "{t:?}");
    }
    for t in &report.traces[4..] {
        let StopReason::Failed { error } = &t.stop_reason else {
            panic!("{t:?}")
        };
        assert!(
            error.contains(&format!("sending a probe to {db}")),
            "{error}"
        );
        assert!(error.contains("Operation not permitted"), "{error}");
        assert!(
            t.hops.is_empty(),
            "the refused probe is not a silent hop: {t:?}"
        );
    }
}

/// The report lists `nul_name` and `224.0.0.1`, in that order, as failed on ports 80 and 443.
fn assert_nul_and_multicast_failed(report: &TraceReport, nul_name: &str) {
    let failed: Vec<(&str, &[u16])> = report
        .failed_targets
        .iter()
        .map(|f| (f.target.as_str(), &f.ports[..]))
        .collect();
    assert_eq!(
        failed,
        [(nul_name, &[80, 443][..]), ("224.0.0.1", &[80, 443][..])],
        "in the order given"
    );
    assert!(matches!(
        report.failed_targets[0].reason,
        tcptrace::TargetError::Resolve { .. }
    ));
    assert!(matches!(
        &report.failed_targets[1].reason,
        tcptrace::TargetError::Unusable { kind, .. } if kind == "multicast"
    ));
}

#[test]
fn a_trace_cut_by_the_deadline_ends_in_an_event_too() {
    if !testbed::require_root("tcptrace e2e a_trace_cut_by_the_deadline_ends_in_an_event_too") {
        return;
    }
    let net = testbed::netns::web_and_hole().unwrap();
    let web = net.address("web", Family::V4).unwrap();
    let hole = net.address("hole", Family::V4).unwrap();
    // hole's silent TTLs wait for the 30 s probe timeout: the 1 s deadline cuts it.
    let report = run_with_events(
        &net,
        base()
            .targets([hole.to_string(), web.to_string()])
            .timeout(Duration::from_secs(30))
            .deadline(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    let ends: Vec<&StopReason> = report.traces.iter().map(|t| &t.stop_reason).collect();
    assert_eq!(ends, [&StopReason::Deadline, &StopReason::Reached]);
}
