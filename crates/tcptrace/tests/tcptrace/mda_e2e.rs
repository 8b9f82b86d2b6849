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
