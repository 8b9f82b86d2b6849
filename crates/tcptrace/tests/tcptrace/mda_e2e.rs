//! Multipath discovery end to end (root): diamonds of kernel ECMP routes in testbed
//! namespaces, against the topology's ground truth and scamper's `tracelb` in the same network.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{StopReason, TraceConfig, TraceReport};
use testbed::netns::{DIAMONDS, Family, Topology, diamonds};

type Addrs = BTreeSet<IpAddr>;

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

/// scamper's `tracelb` of `target` on port 80, varying the TCP source port: every interface
/// it found, and its probe count.
pub(crate) fn scamper_tracelb(net: &Topology, target: IpAddr) -> (Addrs, u64) {
    let out = net
        .command(net.source(), "scamper")
        .unwrap()
        .args(["-O", "json", "-c"])
        .arg("tracelb -P tcp-sport -d 80 -w 1")
        .arg("-i")
        .arg(target.to_string())
        .output()
        .expect("run scamper");
    assert!(out.status.success(), "scamper: {out:?}");
    parse_tracelb(&String::from_utf8_lossy(&out.stdout))
}

/// Every interface of scamper's JSON `tracelb` record (its nodes, and the hops of its links:
/// scamper keeps the TTLs between two nodes it did not resolve as a link of several hops),
/// and its probe count.
pub(crate) fn parse_tracelb(text: &str) -> (Addrs, u64) {
    let mut addrs = Addrs::new();
    let mut probes = 0;
    let addr = |v: &serde_json::Value| v["addr"].as_str().and_then(|a| a.parse::<IpAddr>().ok());
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["type"] != "tracelb" {
            continue;
        }
        probes = v["probec"].as_u64().unwrap_or(0);
        for node in v["nodes"].as_array().into_iter().flatten() {
            addrs.extend(addr(node));
            for link in node["links"].as_array().into_iter().flatten() {
                for hop in link.as_array().into_iter().flatten() {
                    addrs.extend(addr(hop));
                }
            }
        }
    }
    (addrs, probes)
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
        // Every interface scamper finds, we find.
        let (theirs, probes) = scamper_tracelb(&net, target);
        assert!(
            theirs.is_subset(&ours),
            "{shape}: scamper found {theirs:?}, we {ours:?}"
        );
        let sent: u32 = trace.hops.iter().map(|h| h.probes).sum();
        eprintln!(
            "{shape}: {} interfaces, {sent} probes; scamper {} interfaces, {probes} probes",
            ours.len(),
            theirs.len()
        );
    }
}
