//! 10,000 targets × ports 80 and 443 behind routers that keep Linux's default ICMP rate limits
//! (root): every hop of every trace right, every (target, port) accounted for.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use tcptrace::{StopReason, TraceConfig};
use testbed::netns::{Family, Reply, TEN_THOUSAND, TEN_THOUSAND_SOURCES, ten_thousand};

use crate::e2e::{assert_matches_truth, run};

/// The pace: with each trace's five first TTLs sent back to back, `r1` sees a fifth of it,
/// 600 a second, under a Linux router's overall limit of 1000 ICMP errors a second.
const PPS: u32 = 3_000;

#[test]
fn ten_thousand_targets_on_two_ports_get_every_hop_from_rate_limited_routers() {
    if !testbed::require_root(
        "tcptrace scale ten_thousand_targets_on_two_ports_get_every_hop_from_rate_limited_routers",
    ) {
        return;
    }
    let started = Instant::now();
    let net = ten_thousand().unwrap();
    let built = started.elapsed();
    let mut targets: Vec<IpAddr> = Vec::new();
    for (name, count) in TEN_THOUSAND {
        let t = net.targets(name, Family::V4).unwrap();
        assert_eq!(t.len(), usize::from(*count));
        targets.extend(t);
    }
    assert_eq!(targets.len(), 10_000);
    let pool = net.source_pool();
    assert_eq!(pool.len(), usize::from(TEN_THOUSAND_SOURCES));
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports([80, 443])
        .max_ttl(12)
        .timeout(Duration::from_secs(1))
        .retry(3)
        .pps(PPS)
        .max_in_flight(8192)
        .depth_first(true)
        .source_pool(pool.iter().copied())
        .build()
        .unwrap();
    let tracing = Instant::now();
    let report = run(&net, config);
    let traced = tracing.elapsed();

    let tally = report.tally();
    assert_eq!(
        (tally.planned, tally.complete, tally.cut, tally.failed),
        (20_000, 20_000, 0, 0),
        "{tally:?}"
    );
    let got: Vec<(IpAddr, u16)> = report.traces.iter().map(|t| (t.addr, t.port)).collect();
    let expected: Vec<(IpAddr, u16)> = targets.iter().flat_map(|&a| [(a, 80), (a, 443)]).collect();
    assert!(got == expected, "every (target, port) once, in order");
    let mut reached = 0;
    for t in &report.traces {
        let truth = net.ground_truth(t.addr).unwrap();
        assert_matches_truth(t, &truth);
        // No hop left out: every router of the path answered, despite its rate limit.
        for hop in &truth.hops {
            let got = t.hop(hop.ttl).map(tcptrace::Hop::addrs);
            assert!(
                got.as_ref()
                    .is_some_and(|a| a.len() == 1 && hop.accepts(a[0])),
                "TTL {}: {got:?} for {truth:?}: {t:?}",
                hop.ttl
            );
        }
        if truth.reply(t.port) == Reply::Nothing {
            assert_eq!(t.stop_reason, StopReason::GapLimit, "{t:?}");
        } else {
            assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
            reached += 1;
        }
    }
    // web: 2 × 4,000; mixed: 2 × 4,000; near: 1,500 on port 80.
    assert_eq!(reached, 17_500);
    let stats = report
        .engine_stats
        .expect("a run reports its engine's counters");
    eprintln!(
        "10,000 × 2: topology built in {built:?}, traced in {traced:?}: {} probes ({} retries), \
         {} replies",
        stats.sent, stats.retries, stats.replies
    );
}
