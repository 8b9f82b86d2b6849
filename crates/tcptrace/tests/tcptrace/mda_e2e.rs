//! Multipath discovery end to end (root): diamonds of kernel ECMP routes in testbed
//! namespaces, against the topology's ground truth and scamper's `tracelb` in the same network.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{StopReason, TraceConfig, TraceReport};
use testbed::netns::{DIAMONDS, Family, Topology, diamonds};
use testbed::tracelb::tracelb;

type Addrs = BTreeSet<IpAddr>;

/// The MDA's stopping rule at 95% (Veitch et al.'s table, as scamper's `tracelb` has it):
/// `N_K[k - 1]` answers rule out a `k+1`-th interface.
const N_K: [u64; 8] = [6, 11, 16, 21, 27, 33, 38, 44];

/// MDA-Lite's cost towards a target with the ground truth's hops: the stopping rule at each
/// hop for the interfaces it has, one probe per router into the destination, and one per
/// interface of the widest hop to complete its links.
fn hop_level_budget(truth: &testbed::netns::GroundTruth) -> u64 {
    let widths: Vec<usize> = truth.hops.iter().map(|h| h.addresses().len()).collect();
    let rule: u64 = widths.iter().map(|&k| N_K[k.clamp(1, 8) - 1]).sum();
    let (last, widest) = (widths.last().copied(), widths.iter().max().copied());
    rule + (last.unwrap_or(1) + widest.unwrap_or(1)) as u64
}

fn mda(net: &Topology, targets: &[IpAddr], key: u64) -> TraceReport {
    let mut b = TraceConfig::builder()
        .timeout(Duration::from_millis(500))
        .max_ttl(10)
        .mda(95)
        .key(key);
    for t in targets {
        b = b.target(t.to_string());
    }
    let config = b.build().unwrap();
    net.run_in(net.source(), move || tcptrace::trace(&config))
        .expect("entering the source namespace")
        .expect("tracing")
}

#[test]
fn every_interface_and_link_of_each_diamond_against_the_ground_truth_and_scamper() {
    if !testbed::require_root("tcptrace mda_e2e every_interface_and_link_of_each_diamond") {
        return;
    }
    let net = diamonds().expect("build the diamonds");
    let targets: Vec<IpAddr> = DIAMONDS
        .iter()
        .map(|d| net.address(d, Family::V4).unwrap())
        .collect();
    let report = mda(&net, &targets, 0x6d64_6121);
    let mut found = Vec::new();
    let (mut spent, mut budgets) = (0, 0);
    for (shape, (trace, &target)) in DIAMONDS.iter().zip(report.traces.iter().zip(&targets)) {
        let truth = net.ground_truth(target).unwrap();
        assert_eq!(trace.stop_reason, StopReason::Reached, "{shape}");
        let want: BTreeSet<_> = truth.links(80).into_iter().collect();
        let got: BTreeSet<_> = trace.links.iter().map(|l| (l.ttl, l.from, l.to)).collect();
        assert_eq!(got, want, "{shape}: links");
        let mut ours = Addrs::new();
        for hop in &trace.hops {
            for (addr, flows) in hop.interfaces() {
                assert!(
                    truth.accepts(hop.ttl, 80, addr),
                    "{shape}: {addr} at {}",
                    hop.ttl
                );
                assert!(!flows.is_empty(), "{shape}: {addr} without its flows");
                ours.insert(addr);
            }
        }
        // One diamond from gw to the destination: routers answer from their inbound
        // interface, so the router where the paths meet is as wide as the hop before it.
        assert_eq!(trace.diamonds.len(), 1, "{shape}: {:?}", trace.diamonds);
        assert_eq!(trace.diamonds[0].convergence, Some(target), "{shape}");
        // Fewer probes than MDA-Lite's hop-level rule. Where a router's flows run short
        // (nested, uneven, meshed: the second split) node control adds some, so there only
        // the sum over the seven diamonds is bounded.
        let probes: u64 = trace.hops.iter().map(|h| u64::from(h.probes)).sum();
        let budget = hop_level_budget(&truth);
        if shape.starts_with('w') {
            assert!(
                probes <= budget,
                "{shape}: {probes} probes, MDA-Lite {budget}"
            );
        }
        spent += probes;
        budgets += budget;
        found.push((shape, target, ours));
    }
    assert!(spent < budgets, "{spent} probes in all, MDA-Lite {budgets}");
    // Every interface scamper finds, we find.
    let scamper = tracelb(&net, &targets, 80, 1, 10_000).expect("scamper tracelb");
    for (shape, target, ours) in found {
        let theirs = &scamper.targets[&target].interfaces;
        assert!(!theirs.is_empty(), "{shape}: scamper found nothing");
        assert!(
            theirs.is_subset(&ours),
            "{shape}: scamper found {theirs:?}, we {ours:?}"
        );
    }
}

#[test]
fn ipv6_diamonds_are_found_whole_by_varying_the_source_port() {
    if !testbed::require_root("tcptrace mda_e2e ipv6_diamonds_are_found_whole") {
        return;
    }
    let net = diamonds().expect("build the diamonds");
    let targets: Vec<IpAddr> = DIAMONDS
        .iter()
        .map(|d| net.address(d, Family::V6).unwrap())
        .collect();
    let report = mda(&net, &targets, 0x6d64_6136);
    for (shape, (trace, &target)) in DIAMONDS.iter().zip(report.traces.iter().zip(&targets)) {
        let truth = net.ground_truth(target).unwrap();
        assert_eq!(trace.stop_reason, StopReason::Reached, "{shape}");
        let want: BTreeSet<_> = truth.links(80).into_iter().collect();
        let got: BTreeSet<_> = trace.links.iter().map(|l| (l.ttl, l.from, l.to)).collect();
        assert_eq!(got, want, "{shape}: IPv6 links");
    }
}

/// Per hop, the probes a diamond of `k` parallel routers (`w2` to `w8`) may cost under the
/// stopping rule: `n_1` at TTL 1 and one more per interface of TTL 2 that only a fresh flow
/// found (link completion); `n_k` at TTL 2 behind TTL 1's one router, and `k` fresh flows for
/// node control; at most the full MDA's `n_1` per router at TTL 3 (each has one successor,
/// the interface of the router where the paths meet); one per interface of TTL 3 into the
/// destination.
fn per_hop_budget(k: usize) -> [u64; 4] {
    let k64 = k as u64;
    [
        N_K[0] + k64,
        N_K[k.clamp(1, 8) - 1] + k64,
        N_K[0] * k64,
        k64,
    ]
}

#[test]
fn each_hop_of_the_wide_diamonds_stays_within_the_stopping_rule() {
    if !testbed::require_root("tcptrace mda_e2e each_hop_of_the_wide_diamonds") {
        return;
    }
    let net = diamonds().expect("build the diamonds");
    let wide: Vec<(&str, usize)> = [("w2", 2), ("w3", 3), ("w5", 5), ("w8", 8)].into();
    let targets: Vec<IpAddr> = wide
        .iter()
        .map(|(d, _)| net.address(d, Family::V4).unwrap())
        .collect();
    let report = mda(&net, &targets, 0x6d64_6132);
    for ((shape, k), (trace, &target)) in wide.iter().zip(report.traces.iter().zip(&targets)) {
        let truth = net.ground_truth(target).unwrap();
        assert_eq!(trace.stop_reason, StopReason::Reached, "{shape}");
        let want: BTreeSet<_> = truth.links(80).into_iter().collect();
        let got: BTreeSet<_> = trace.links.iter().map(|l| (l.ttl, l.from, l.to)).collect();
        assert_eq!(got, want, "{shape}: links");
        let widths: Vec<usize> = trace.hops.iter().map(|h| h.addrs().len()).collect();
        assert_eq!(widths, [1, *k, *k, 1], "{shape}: interfaces per TTL");
        let probes: Vec<u64> = trace.hops.iter().map(|h| u64::from(h.probes)).collect();
        let budget = per_hop_budget(*k);
        for (ttl, (p, b)) in probes.iter().zip(budget).enumerate() {
            assert!(
                *p <= b,
                "{shape}: {p} probes at TTL {}, the rule's budget {b}",
                ttl + 1
            );
        }
        // The flows at TTL 2 go on to TTL 3: the convergence costs fewer than the full MDA.
        assert!(probes[2] < budget[2], "{shape}: {probes:?}");
    }
}
