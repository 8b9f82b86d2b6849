//! Behind routers that keep Linux's default ICMP rate limits (root): a router answers about
//! one probe a second to each of our source addresses, so one address loses hops that a
//! source pool gets back.

use std::net::IpAddr;
use std::time::Duration;

use tcptrace::{TraceConfig, TraceConfigBuilder, TraceReport};
use testbed::netns::{Destination, Family, Topology};

use crate::e2e::{assert_matches_truth, run};

/// How many targets the rate-limited chain has behind its two routers for the pool.
const TARGETS: u16 = 60;
/// How many for per-router pacing, which takes about a second per target.
const PACED_TARGETS: u16 = 20;

/// `src - r1 - r2 - web`, the routers with Linux's ICMP rate limits, `web` with `targets`
/// addresses listening on port 80 and the source with as many pool addresses.
fn rate_limited_chain(targets: u16) -> Topology {
    Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("web", Destination::new().listen(80).addresses(targets))
        .chain(["src", "r1", "r2", "web"])
        .linux_icmp_rate_limits()
        .source_addresses(targets)
        .build()
        .unwrap()
}

/// A run over every target of `web` in `family` on port 80, without retries.
fn config(net: &Topology, family: Family) -> TraceConfigBuilder {
    let targets = net.targets("web", family).unwrap();
    TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .port(80)
        .max_ttl(8)
        .retry(0)
        .timeout(Duration::from_secs(1))
}

/// (router hops answered by the router the ground truth names, router hops), over every
/// trace; every reply that came back is right.
fn hops_right(net: &Topology, report: &TraceReport) -> (usize, usize) {
    let (mut right, mut all) = (0, 0);
    for t in &report.traces {
        let truth = net.ground_truth(t.addr).unwrap();
        for h in &t.hops {
            for r in &h.replies {
                assert!(truth.accepts(h.ttl, t.port, r.from), "TTL {}: {t:?}", h.ttl);
            }
        }
        for hop in &truth.hops {
            all += 1;
            let got = t.hop(hop.ttl).map(tcptrace::Hop::addrs);
            right += usize::from(got.is_some_and(|a| a.len() == 1 && hop.accepts(a[0])));
        }
    }
    (right, all)
}

#[test]
fn an_ipv6_source_pool_gets_the_answers_that_routers_rate_limit_to_one_address() {
    if !testbed::require_root(
        "tcptrace ratelimit an_ipv6_source_pool_gets_the_answers_that_routers_rate_limit_to_one_address",
    ) {
        return;
    }
    let net = rate_limited_chain(TARGETS);
    let all = usize::from(TARGETS) * 2;
    // From the one address the kernel picks, each router answers its burst and a few a
    // second after it.
    let one = run(&net, config(&net, Family::V6).build().unwrap());
    let (right, n) = hops_right(&net, &one);
    assert_eq!(n, all);
    assert!(right < all / 2, "one address: {right} of {all} hops right");
    eprintln!("IPv6, one address: {right} of {all} router hops right");
    assert!(one.params.source_pool.is_empty());
    // Each trace from its own address of the pool: every hop answers.
    let pool = net.source_pool_of(Family::V6);
    assert_eq!(pool.len(), usize::from(TARGETS));
    assert!(pool.iter().all(IpAddr::is_ipv6));
    let pooled = config(&net, Family::V6)
        .source_pool(pool.iter().copied())
        .depth_first(true)
        .pps(1000)
        .build()
        .unwrap();
    let pooled = run(&net, pooled);
    assert_eq!(hops_right(&net, &pooled), (all, all));
    for t in &pooled.traces {
        assert_matches_truth(t, &net.ground_truth(t.addr).unwrap());
    }
    assert_eq!(pooled.tally().complete, usize::from(TARGETS));
    assert!(pooled.traces.iter().all(|t| t.reached), "{pooled:?}");
    assert_eq!(pooled.params.source_pool, pool);
    assert!(pooled.params.depth_first);
    // An IPv6 address that is not the source's is refused before anything is sent.
    let stranger: IpAddr = "2001:db8:2::ffff".parse().unwrap();
    let refused = config(&net, Family::V6)
        .source_pool([stranger])
        .build()
        .unwrap();
    let err = net
        .run_in(net.source(), move || tcptrace::trace(&refused))
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, tcptrace::Error::NotLocal { addr, .. } if addr == stranger),
        "{err}"
    );
}

#[test]
fn per_router_pacing_gets_every_hop_from_one_address() {
    if !testbed::require_root(
        "tcptrace ratelimit per_router_pacing_gets_every_hop_from_one_address",
    ) {
        return;
    }
    let net = rate_limited_chain(PACED_TARGETS);
    let all = usize::from(PACED_TARGETS) * 2;
    // Paced to the routers' limit, below their burst: every hop, from the one address. (First,
    // while the routers' buckets towards it are full: the burst counts on them.)
    let interval = Duration::from_secs(1);
    let paced = config(&net, Family::V4)
        .router_pacing(interval, 5)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let paced = run(&net, paced);
    let took = started.elapsed();
    assert_eq!(hops_right(&net, &paced), (all, all));
    for t in &paced.traces {
        assert_matches_truth(t, &net.ground_truth(t.addr).unwrap());
        assert!(t.reached, "{t:?}");
    }
    assert!(paced.params.source_pool.is_empty());
    assert_eq!(
        (paced.params.router_interval_s, paced.params.router_burst),
        (Some(1.0), Some(5))
    );
    // Unpaced, in a fresh network (whose routers' buckets are full again), each router
    // answers its burst of 6 and about one a second after it.
    drop(net);
    let net = rate_limited_chain(PACED_TARGETS);
    let unpaced = run(&net, config(&net, Family::V4).build().unwrap());
    let (right, n) = hops_right(&net, &unpaced);
    assert_eq!(n, all);
    assert!(right < all / 2, "unpaced: {right} of {all} hops right");
    eprintln!(
        "IPv4, one address: unpaced {right} of {all} router hops right; paced {all} of {all} in {took:?}"
    );
}
