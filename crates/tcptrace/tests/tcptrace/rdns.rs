//! Reverse DNS against real servers: dnsmasq inside the namespace network with PTR records
//! for the routers (root), and servers on loopback that never answer or lie. The machine's
//! own resolver is never asked.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tcptrace::{ReverseDns, TraceConfig};
use testbed::netns::{Destination, Dnsmasq, Family, Topology};

#[test]
fn names_come_from_a_real_dnsmasq_in_the_network() {
    if !testbed::require_root("tcptrace rdns names_come_from_a_real_dnsmasq_in_the_network") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("web", Destination::new().listen(80))
        .chain(["src", "r1", "r2", "web"])
        .build()
        .unwrap();
    let hop = |node, peer, family| net.interface_address(node, peer, family).unwrap();
    let records = [
        ("r1.test", hop("r1", "src", Family::V4)),
        ("r1.test", hop("r1", "src", Family::V6)),
        ("r2.test", hop("r2", "r1", Family::V4)),
        ("r2.test", hop("r2", "r1", Family::V6)),
    ];
    // The server is the destination host; its own address has no record.
    let dns_addr = net.address("web", Family::V4).unwrap();
    let dns = Dnsmasq::start(&net, "web", dns_addr, &records).unwrap();
    let targets = [
        net.address("web", Family::V4).unwrap(),
        net.address("web", Family::V6).unwrap(),
    ];
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let server = SocketAddr::new(dns.addr(), 53);
    let (mut report, out, mut rdns) = net
        .run_in(net.source(), move || {
            let mut report = tcptrace::trace(&config).unwrap();
            let mut rdns = ReverseDns::new(server).deadline(Duration::from_secs(3));
            let out = rdns.annotate(&mut report).unwrap();
            (report, out, rdns)
        })
        .unwrap();
    assert!(!out.is_partial(), "{out:?}");
    assert_eq!(report.params.rdns_server, Some(server.to_string()));
    for t in &report.traces {
        let names: Vec<Option<&str>> = t
            .hops
            .iter()
            .map(|h| h.replies[0].name.as_deref())
            .collect();
        assert_eq!(names, [Some("r1.test"), Some("r2.test"), None], "{t:?}");
    }
    assert_eq!(out.names.len(), 4);
    let mut no_name = out.no_name.clone();
    no_name.sort();
    assert_eq!(no_name, targets);
    let table = report.scapy_table();
    assert!(table.contains(" 11 r1.test"), "{table}");
    let summary = report.summary();
    assert!(
        summary.contains(&format!("r2.test ({})", records[2].1)),
        "{summary}"
    );
    let json = report.to_json_pretty().unwrap();
    assert!(json.contains("\"name\": \"r1.test\""), "{json}");

    // The answers are cached: with the server gone, the same lookups need no server.
    drop(dns);
    let t0 = Instant::now();
    let again = net
        .run_in(net.source(), move || {
            let out = rdns.annotate(&mut report).unwrap();
            (out, report)
        })
        .unwrap();
    assert_eq!(again.0.names, out.names);
    assert!(!again.0.is_partial());
    assert!(t0.elapsed() < Duration::from_secs(1), "asked again");
}

/// A UDP server on loopback that calls `answer` with each datagram it gets and sends back
/// what it returns, until dropped.
struct UdpServer {
    addr: SocketAddr,
    got: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl UdpServer {
    fn start(answer: fn(&[u8]) -> Vec<Vec<u8>>) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let (got, stop) = (
            Arc::new(AtomicU32::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (g, s) = (Arc::clone(&got), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !s.load(Ordering::Relaxed) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    g.fetch_add(1, Ordering::Relaxed);
                    for reply in answer(&buf[..n]) {
                        let _ = sock.send_to(&reply, from);
                    }
                }
            }
        });
        Self {
            addr,
            got,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn addrs() -> Vec<IpAddr> {
    ["198.18.0.2", "198.18.1.2", "2001:db8::2"]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect()
}

#[test]
fn a_server_that_never_answers_costs_the_deadline_and_no_more() {
    let stall = UdpServer::start(|_| Vec::new());
    let deadline = Duration::from_millis(600);
    let mut rdns = ReverseDns::new(stall.addr)
        .deadline(deadline)
        .retransmit(Duration::from_millis(200));
    let t0 = Instant::now();
    let out = rdns.lookup(&addrs()).unwrap();
    let took = t0.elapsed();
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline + Duration::from_secs(1), "{took:?}");
    assert_eq!(out.timed_out, addrs());
    assert!(out.is_partial() && out.names.is_empty());
    // Each query was sent, and resent while unanswered.
    assert!(
        stall.got.load(Ordering::Relaxed) >= 6,
        "{}",
        stall.got.load(Ordering::Relaxed)
    );
}

/// Before each real answer the server sends garbage and the answer with another ID, and the
/// name it gives holds an escape sequence: only the real answer counts, and the escape
/// sequence reaches no terminal.
#[test]
fn a_lying_server_gets_nothing_past_the_checks() {
    let liar = UdpServer::start(|q| {
        let mut a = q.to_vec();
        (a[2], a[3], a[7]) = (0x81, 0x80, 1);
        a.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 11]);
        a.extend_from_slice(b"\x04\x1b[2J\x04test\x00");
        let mut other_id = a.clone();
        other_id[0] ^= 0xff;
        vec![vec![0xff; 40], other_id, a]
    });
    let mut rdns = ReverseDns::new(liar.addr).deadline(Duration::from_secs(3));
    let out = rdns.lookup(&addrs()).unwrap();
    assert!(!out.is_partial(), "{out:?}");
    for a in addrs() {
        assert_eq!(out.names[&a], "\\027\\0912J.test");
    }
}

#[test]
fn a_closed_port_fails_the_lookups_at_once() {
    // Bound and dropped: nobody listens there, the kernel answers port unreachable.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut rdns = ReverseDns::new(port).deadline(Duration::from_secs(5));
    let t0 = Instant::now();
    let out = rdns.lookup(&addrs()).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    assert_eq!(out.failed.len() + out.timed_out.len(), 3, "{out:?}");
    assert!(!out.failed.is_empty(), "{out:?}");
}
