//! The reply parser and the engine's matching never panic on any received bytes.
#![no_main]

use std::net::Ipv6Addr;
use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use tcptrace::{Engine, Flow, TraceConfig, parse_reply, parse_reply_v6_payload};

fn config() -> &'static TraceConfig {
    static CONFIG: OnceLock<TraceConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        TraceConfig::builder()
            .target("t")
            .ports([80, 443])
            .build()
            .expect("valid config")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_reply(data);
    let _ = parse_reply_v6_payload(Ipv6Addr::LOCALHOST, 58, data);
    let _ = parse_reply_v6_payload(Ipv6Addr::LOCALHOST, 6, data);

    // An engine with probes in flight, so that well-formed replies reach the matching code.
    let flows = vec![
        Flow::new(
            "a",
            "198.18.0.1".parse().unwrap(),
            "198.19.0.1".parse().unwrap(),
            80,
        ),
        Flow::new(
            "b",
            "2001:db8::1".parse().unwrap(),
            "2001:db8:1::1".parse().unwrap(),
            443,
        ),
    ];
    let mut engine = Engine::new(config(), flows, 7).expect("valid engine");
    let now = Instant::now();
    let mut buf = Vec::new();
    while engine.poll_transmit(now, &mut buf).is_some() {}
    let _ = engine.handle_packet(now, data);
    let _ = engine.handle_ipv6_payload(now, Ipv6Addr::LOCALHOST, 58, data);
    engine.handle_timeout(now);
    while engine.poll_event().is_some() {}
    let _ = engine.traces();
});
