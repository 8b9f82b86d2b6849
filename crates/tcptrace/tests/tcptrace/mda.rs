//! Multipath discovery (`--mda`) through the engine, against simulated ECMP hops whose
//! routers pick a branch by the probe's source port.

use std::collections::BTreeSet;
use std::net::IpAddr;

use tcptrace::{Link, StopReason, TraceConfig, TraceReport};

use crate::sim::{Conditions, Dest, Node, Path, Sim, v4};

const T1: &str = "198.19.1.1";

/// gateway, 2 branches (port even or odd), 4 branches (port mod 4: 2.1 leads to 3.1 and 3.3,
/// 2.2 to 3.2 and 3.4), one router, the destination.
fn nested() -> Path {
    Path {
        nodes: vec![
            Node::Router("198.18.1.1"),
            Node::Ecmp(vec!["198.18.2.1", "198.18.2.2"]),
            Node::Ecmp(vec!["198.18.3.1", "198.18.3.2", "198.18.3.3", "198.18.3.4"]),
            Node::Router("198.18.4.1"),
        ],
        dest: Dest::Open,
    }
}

fn link(ttl: u8, a: &str, b: &str) -> Link {
    Link::new(ttl, v4(a), v4(b))
}

fn run(conf: u8, cond: Conditions) -> (TraceReport, u64) {
    let cfg = TraceConfig::builder()
        .target("unused")
        .mda(conf)
        .build()
        .unwrap();
    let mut sim = Sim::new(cfg, vec![(T1, nested())], cond);
    let r = sim.run();
    let sent = sim.engine.stats().sent;
    (r, sent)
}

#[test]
fn every_interface_and_link_of_a_nested_diamond() {
    let (r, sent) = run(95, Conditions::default());
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached);
    assert!(t.reached);
    let found: BTreeSet<IpAddr> = t.hops.iter().flat_map(tcptrace::Hop::addrs).collect();
    assert_eq!(found.len(), 1 + 2 + 4 + 1 + 1, "{found:?}");
    let want: BTreeSet<Link> = [
        link(1, "198.18.1.1", "198.18.2.1"),
        link(1, "198.18.1.1", "198.18.2.2"),
        link(2, "198.18.2.1", "198.18.3.1"),
        link(2, "198.18.2.1", "198.18.3.3"),
        link(2, "198.18.2.2", "198.18.3.2"),
        link(2, "198.18.2.2", "198.18.3.4"),
        link(3, "198.18.3.1", "198.18.4.1"),
        link(3, "198.18.3.2", "198.18.4.1"),
        link(3, "198.18.3.3", "198.18.4.1"),
        link(3, "198.18.3.4", "198.18.4.1"),
        link(4, "198.18.4.1", T1),
    ]
    .into();
    assert_eq!(t.links.iter().copied().collect::<BTreeSet<_>>(), want);
    // One diamond from the gateway to 198.18.4.1, four wide.
    assert_eq!(t.diamonds.len(), 1);
    let d = &t.diamonds[0];
    assert_eq!(d.divergence, Some(v4("198.18.1.1")));
    assert_eq!(d.convergence, Some(v4("198.18.4.1")));
    assert_eq!(d.max_width, 4);
    // Every reply carries its flow, and each interface's flows lead to it under the hash.
    for h in &t.hops {
        for (addr, flows) in h.interfaces() {
            assert!(!flows.is_empty());
            if h.ttl == 3 {
                let i = usize::from(flows[0]) % 4;
                assert_eq!(addr.to_string(), format!("198.18.3.{}", i + 1));
            }
        }
        assert!(h.probes <= 255);
    }
    assert!(sent < 200, "{sent} probes");
}

#[test]
fn losses_never_stall_the_discovery() {
    let cond = Conditions {
        loss: 0.3,
        ..Conditions::default()
    };
    let (r, sent) = run(99, cond);
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached);
    assert!(t.hops.iter().all(|h| h.probes <= 255));
    assert!(sent < 5 * 255);
}

#[test]
fn mda_is_configured_with_a_confidence_and_not_with_rounds() {
    let b = || TraceConfig::builder().target("t");
    assert!(b().mda(49).build().is_err());
    assert!(b().mda(100).build().is_err());
    assert!(b().mda(95).rounds(3).build().is_err());
    let c = b().mda(99).build().unwrap();
    assert_eq!(c.mda(), Some(99));
    assert_eq!(c.params().mda_confidence, Some(99));
    assert!(c.plan_deadline() > b().build().unwrap().plan_deadline());
}
