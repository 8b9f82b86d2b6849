//! The sans-IO whois exchange of `asn-lookup`, with its Team Cymru bulk and RPSL (RIS, RADB)
//! reply parsers. The first byte picks the query and where the reply is split into two reads;
//! the rest is the reply. It must never panic, must end with exactly one event, and a bulk
//! answer has exactly one resolution per address asked.
#![no_main]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use asn_lookup::{WhoisEvent, WhoisExchange, WhoisLimits, WhoisQuery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, reply)) = data.split_first() else {
        return;
    };
    let ips: Vec<IpAddr> = ["8.8.8.8", "192.0.2.77", "1.1.1.1", "2001:db8::1"]
        .iter()
        .map(|s| s.parse().expect("literal addresses"))
        .collect();
    let query = match selector % 5 {
        0 => WhoisQuery::CymruBulk(ips.clone()),
        1 => WhoisQuery::Ris(ips[0]),
        2 => WhoisQuery::Radb(ips[0]),
        3 => WhoisQuery::CymruName(15169),
        _ => WhoisQuery::AutNum(15169),
    };
    let bulk = matches!(query, WhoisQuery::CymruBulk(_));
    let t0 = Instant::now();
    let limits = WhoisLimits {
        read_timeout: Duration::from_secs(10),
        max_reply: 64 * 1024,
    };
    let mut x = WhoisExchange::new(
        query,
        "fuzz",
        limits,
        t0,
        t0 + Duration::from_secs(30),
        Duration::from_secs(30),
    );
    while let Some(out) = x.poll_transmit() {
        let n = out.len();
        x.handle_sent(t0, n);
    }
    let split = usize::from(selector / 5).min(reply.len());
    let mut events = Vec::new();
    for part in [&reply[..split], &reply[split..]] {
        x.handle_input(t0, part);
        events.extend(x.poll_event());
    }
    x.handle_eof(t0);
    events.extend(x.poll_event());
    assert_eq!(events.len(), 1, "exactly one event");
    assert!(x.poll_timeout().is_none());
    if let (true, WhoisEvent::Answers(a)) = (bulk, &events[0]) {
        assert_eq!(a.len(), ips.len());
    }
});
