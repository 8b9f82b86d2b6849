//! Rounds (mtr's `-c`) and per-hop statistics in the sans-IO engine, in virtual time.

use std::time::Duration;

use tcptrace::{ConfigError, Event, HopStats, StopReason, TraceConfig};

use crate::sim::{Conditions, Dest, Node, Path, Sim};

const CHAIN: [&str; 3] = ["198.18.1.1", "198.18.2.1", "198.18.3.1"];
const T1: &str = "198.19.1.1";
const T2: &str = "198.19.2.1";

fn rounds(n: u32) -> tcptrace::TraceConfigBuilder {
    TraceConfig::builder()
        .target("unused")
        .rounds(n)
        .interval(Duration::from_secs(1))
        .timeout(Duration::from_millis(500))
}

#[test]
fn each_hop_gets_one_probe_per_round_an_interval_apart() {
    let mut path = Path::chain(&CHAIN, Dest::Open);
    path.nodes[1] = Node::Silent;
    let cond = Conditions {
        hop_delay: Duration::from_millis(1),
        jitter_us: 3_000,
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        rounds(5).build().unwrap(),
        vec![(T1, path), (T2, Path::chain(&CHAIN[..1], Dest::Closed))],
        cond,
    );
    let t0 = sim.now;
    let r = sim.run();
    for (i, t) in r.traces.iter().enumerate() {
        assert_eq!(t.stop_reason, StopReason::Reached, "{t:?}");
        for h in &t.hops {
            let st = h.stats();
            assert_eq!((h.probes, st.sent), (5, 5), "{t:?}");
            // Each TTL's sends are at least the interval apart.
            let at: Vec<_> = sim
                .sends
                .iter()
                .filter(|s| s.1 == i && s.2 == h.ttl)
                .map(|s| s.0)
                .collect();
            assert_eq!(at.len(), 5);
            for w in at.windows(2) {
                assert!(w[1] - w[0] >= Duration::from_secs(1), "{at:?}");
                assert!(w[1] - w[0] < Duration::from_millis(1_100), "{at:?}");
            }
            // The statistics are those of the replies, which came in the order sent.
            let rtts: Vec<f64> = h.replies.iter().map(|r| r.rtt_ms).collect();
            assert_eq!(st, HopStats::from_rtts(5, &rtts), "TTL {}", h.ttl);
        }
    }
    // The silent router: 5 sent, none back; the others answered every round.
    let t = &r.traces[0];
    assert_eq!(t.hops.len(), 4);
    assert_eq!(
        (t.hops[1].stats().received, t.hops[1].stats().loss_pct),
        (0, 100.0)
    );
    assert_eq!(t.hops[1].stats().avg_ms, None);
    for h in [&t.hops[0], &t.hops[2], &t.hops[3]] {
        let st = h.stats();
        assert_eq!((st.received, st.loss_pct), (5, 0.0), "{h:?}");
        assert!(
            st.jitter_ms.unwrap() > 0.0 && st.stdev_ms.unwrap() > 0.0,
            "{st:?}"
        );
        assert!(
            st.best_ms <= st.avg_ms && st.avg_ms <= st.worst_ms,
            "{st:?}"
        );
    }
    // One RoundDone per round per flow, in order, each before the flow's end.
    for flow in 0..2 {
        let seen: Vec<u32> = sim
            .events
            .iter()
            .filter_map(|e| match e {
                Event::RoundDone { flow: f, round } if *f == flow => Some(*round),
                _ => None,
            })
            .collect();
        assert_eq!(seen, [1, 2, 3, 4, 5]);
    }
    // 4 rounds after the first, an interval apart, and the silent hop's last timeout.
    let took = sim.now - t0;
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let stats = sim.engine.stats();
    assert_eq!(stats.sent as usize, sim.sends.len());
    // Beyond the path only the first round sent (the TTLs in flight when the destination
    // answered); on it, 5 probes per hop.
    let on_path = |s: &&(std::time::Instant, usize, u8)| s.2 <= [4, 2][s.1];
    assert_eq!(sim.sends.iter().filter(on_path).count(), 5 * (4 + 2));
    assert!(
        sim.sends
            .iter()
            .filter(|s| !on_path(s))
            .all(|s| s.0 < t0 + Duration::from_secs(1))
    );
    assert_eq!(stats.retries, 0, "round probes are not retries");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["params"]["rounds"], 5);
    assert_eq!(json["params"]["interval_s"], 1.0);
    let s = &json["traces"][0]["hops"][1]["stats"];
    assert_eq!(
        (s["sent"].as_u64(), s["received"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(s["loss_pct"], 100.0);
}

#[test]
fn loss_is_counted_per_hop() {
    let cond = Conditions {
        loss: 0.3,
        ..Conditions::default()
    };
    let mut sim = Sim::new(
        rounds(40).gap_limit(None).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        cond,
    );
    let r = sim.run();
    let t = &r.traces[0];
    let (mut sent, mut received) = (0, 0);
    for h in &t.hops {
        let st = h.stats();
        assert_eq!(st.sent, 40);
        assert_eq!(st.received as usize, h.replies.len());
        let expected = 100.0 * (1.0 - f64::from(st.received) / 40.0);
        assert!((st.loss_pct - expected).abs() < 1e-9);
        sent += st.sent;
        received += st.received;
    }
    // About 30% lost over every hop; each hop well away from 0 and 100%.
    let loss = 1.0 - f64::from(received) / f64::from(sent);
    assert!((0.18..0.42).contains(&loss), "{loss}");
}

#[test]
fn a_deadline_during_the_rounds_cuts_the_trace() {
    let mut sim = Sim::new(
        rounds(10).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let end = sim.now + Duration::from_millis(3_500);
    let r = sim.run_until(Some(end));
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::Deadline);
    assert_eq!(t.hops.len(), 4, "the path is known: {t:?}");
    assert!(t.hops.iter().all(|h| h.probes == 4), "{t:?}");
}

#[test]
fn rounds_are_refused_with_retries_and_out_of_range() {
    let e = rounds(3).retry(1).build().unwrap_err();
    assert_eq!(e, ConfigError::RoundsWithRetry);
    assert_eq!(rounds(0).build().unwrap_err(), ConfigError::RoundsRange(0));
    assert_eq!(
        rounds(257).build().unwrap_err(),
        ConfigError::RoundsRange(257)
    );
    let max = rounds(256).build().unwrap();
    // The default deadline covers 255 later rounds of interval + timeout.
    assert!(
        max.plan_deadline() > Duration::from_millis(255 * 1_500),
        "{:?}",
        max.plan_deadline()
    );
}

#[test]
fn the_most_rounds_keep_probes_apart() {
    // 256 rounds: every probe number of a (flow, TTL) is used, and each reply still finds
    // its own probe.
    let mut sim = Sim::new(
        rounds(256).interval(Duration::ZERO).build().unwrap(),
        vec![(T1, Path::chain(&CHAIN, Dest::Open))],
        Conditions::default(),
    );
    let r = sim.run();
    let t = &r.traces[0];
    assert_eq!(t.stop_reason, StopReason::Reached);
    for h in &t.hops {
        assert_eq!((h.stats().sent, h.stats().received), (256, 256), "{h:?}");
    }
    assert_eq!(sim.engine.stats().unmatched, 0);
}
