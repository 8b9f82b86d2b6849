//! Tests of the netns fixture: real namespaces, real kernel routers, real sockets.

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use testbed::netns::{Destination, Family, Reply, Topology, TopologyBuilder};

/// `src - r1 - ... - r6 - dst`, with `silent` routers silent.
fn six_routers(silent: &[usize], dest: Destination) -> TopologyBuilder {
    let mut b = Topology::builder().source("src");
    let mut chain = vec!["src".to_owned()];
    for i in 1..=6 {
        let name = format!("r{i}");
        b = if silent.contains(&i) {
            b.silent_router(&name)
        } else {
            b.router(&name)
        };
        chain.push(name);
    }
    chain.push("dst".to_owned());
    b.destination("dst", dest).chain(chain)
}

/// What came back for one UDP probe.
#[derive(Debug, PartialEq, Eq)]
enum Icmp {
    TimeExceeded(IpAddr),
    Unreachable(IpAddr),
}

/// Sends one UDP datagram with `ttl` to `target:dport` from inside the current namespace and
/// waits up to `wait` for the ICMP error that quotes it (matched by its destination port).
fn udp_probe(target: IpAddr, ttl: u32, dport: u16, wait: Duration) -> Option<Icmp> {
    let (domain, proto) = match target {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let raw: UdpSocket = Socket::new(domain, Type::RAW, Some(proto))
        .expect("raw ICMP socket")
        .into();
    let udp = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).expect("UDP socket");
    match target {
        IpAddr::V4(_) => udp.set_ttl_v4(ttl).expect("set TTL"),
        IpAddr::V6(_) => udp.set_unicast_hops_v6(ttl).expect("set hop limit"),
    }
    udp.send_to(b"testbed probe", &SocketAddr::new(target, dport).into())
        .expect("send UDP probe");
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 2048];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        raw.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("set timeout");
        let (n, from) = match raw.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(e) => panic!("recv on raw ICMP socket: {e}"),
        };
        if let Some(reply) = parse_icmp(&buf[..n], from.ip(), dport) {
            return Some(reply);
        }
    }
}

/// Sends one UDP datagram with `ttl` to each port of `ports` on `target` at once, from inside
/// the current namespace, then collects the ICMP errors quoting them for up to `wait` (less
/// if all are in): port -> reply.
fn udp_burst(
    target: IpAddr,
    ttl: u32,
    ports: std::ops::Range<u16>,
    wait: Duration,
) -> BTreeMap<u16, Icmp> {
    let (domain, proto) = match target {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let raw: UdpSocket = Socket::new(domain, Type::RAW, Some(proto))
        .expect("raw ICMP socket")
        .into();
    let udp = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).expect("UDP socket");
    match target {
        IpAddr::V4(_) => udp.set_ttl_v4(ttl).expect("set TTL"),
        IpAddr::V6(_) => udp.set_unicast_hops_v6(ttl).expect("set hop limit"),
    }
    for port in ports.clone() {
        udp.send_to(b"burst", &SocketAddr::new(target, port).into())
            .expect("send UDP probe");
    }
    collect_icmp(&raw, ports, wait)
}

/// The ICMP errors that `raw` gets for up to `wait` (less if all are in) that quote a probe
/// to one of `ports`: port -> reply.
fn collect_icmp(
    raw: &UdpSocket,
    ports: std::ops::Range<u16>,
    wait: Duration,
) -> BTreeMap<u16, Icmp> {
    let mut got = BTreeMap::new();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + wait;
    while got.len() < ports.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        raw.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("set timeout");
        let Ok((n, from)) = raw.recv_from(&mut buf) else {
            break;
        };
        for port in ports.clone() {
            if let Some(reply) = parse_icmp(&buf[..n], from.ip(), port) {
                got.insert(port, reply);
            }
        }
    }
    got
}

/// For each destination port (one flow each, from one socket), who answers at TTL 1 to
/// `max_ttl`, probing from inside the current namespace.
fn flow_paths(
    target: IpAddr,
    dports: std::ops::Range<u16>,
    max_ttl: u32,
) -> Vec<Vec<Option<IpAddr>>> {
    let (domain, proto) = match target {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let raw: UdpSocket = Socket::new(domain, Type::RAW, Some(proto))
        .expect("raw ICMP socket")
        .into();
    raw.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("set timeout");
    let udp = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).expect("UDP socket");
    let mut buf = [0u8; 2048];
    dports
        .map(|dport| {
            (1..=max_ttl)
                .map(|ttl| {
                    match target {
                        IpAddr::V4(_) => udp.set_ttl_v4(ttl).expect("set TTL"),
                        IpAddr::V6(_) => udp.set_unicast_hops_v6(ttl).expect("set hop limit"),
                    }
                    udp.send_to(b"path", &SocketAddr::new(target, dport).into())
                        .expect("send UDP probe");
                    loop {
                        let (n, from) = raw.recv_from(&mut buf).ok()?;
                        if let Some(Icmp::TimeExceeded(a)) = parse_icmp(&buf[..n], from.ip(), dport)
                        {
                            return Some(a);
                        }
                    }
                })
                .collect()
        })
        .collect()
}

/// Parses an ICMP(v6) error quoting a UDP datagram to `dport`.
fn parse_icmp(pkt: &[u8], from: IpAddr, dport: u16) -> Option<Icmp> {
    let (icmp, quoted_l4, te, unreach) = match from {
        IpAddr::V4(_) => {
            // A raw IPv4 socket hands over the IP header too.
            let ihl = usize::from(pkt.first()? & 0x0f) * 4;
            let icmp = pkt.get(ihl..)?;
            let q = icmp.get(8..)?;
            let qihl = usize::from(q.first()? & 0x0f) * 4;
            if *q.get(9)? != 17 {
                return None;
            }
            (icmp, q.get(qihl..)?, 11, 3)
        }
        IpAddr::V6(_) => {
            let q = pkt.get(8..)?;
            if *q.get(6)? != 17 {
                return None;
            }
            (pkt, q.get(40..)?, 3, 1)
        }
    };
    let qport = u16::from_be_bytes([*quoted_l4.get(2)?, *quoted_l4.get(3)?]);
    if qport != dport {
        return None;
    }
    match icmp[0] {
        t if t == te => Some(Icmp::TimeExceeded(from)),
        t if t == unreach => Some(Icmp::Unreachable(from)),
        _ => None,
    }
}

fn namespace_exists(name: &str) -> bool {
    Path::new("/run/netns").join(name).exists()
}

#[test]
fn tcp_connect_through_six_routers() {
    if !testbed::require_root("netns::tcp_connect_through_six_routers") {
        return;
    }
    let net = six_routers(&[], Destination::new().listen(80).drop_port(82))
        .build()
        .unwrap();
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        let truth = net.ground_truth(target).unwrap();
        assert_eq!(truth.destination_ttl, 7);
        assert_eq!(truth.reply(80), Reply::SynAck);
        let (open, closed, dropped) = net
            .run_in("src", move || {
                let t = Duration::from_secs(3);
                let open = TcpStream::connect_timeout(&SocketAddr::new(target, 80), t)
                    .map(|s| s.peer_addr().unwrap().ip());
                let closed = TcpStream::connect_timeout(&SocketAddr::new(target, 81), t)
                    .map_err(|e| e.kind());
                let dropped = TcpStream::connect_timeout(
                    &SocketAddr::new(target, 82),
                    Duration::from_millis(400),
                )
                .map_err(|e| e.kind());
                (open, closed, dropped)
            })
            .unwrap();
        assert_eq!(open.unwrap(), target, "{family:?} connect to port 80");
        assert_eq!(closed.unwrap_err(), ErrorKind::ConnectionRefused);
        assert_eq!(dropped.unwrap_err(), ErrorKind::TimedOut);
    }
}

#[test]
fn udp_ttl_k_expires_at_router_k() {
    if !testbed::require_root("netns::udp_ttl_k_expires_at_router_k") {
        return;
    }
    // r4 is silent: TTL 4 gets nothing, the routers after it still answer.
    let net = six_routers(&[4], Destination::new()).build().unwrap();
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        let truth = net.ground_truth(target).unwrap();
        for hop in &truth.hops {
            let ttl = u32::from(hop.ttl);
            let dport = 33434 + u16::from(hop.ttl);
            // An answer comes within microseconds; silence needs a wait of its own.
            let wait = if hop.is_silent() {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(2)
            };
            let got = net
                .run_in("src", move || udp_probe(target, ttl, dport, wait))
                .unwrap();
            if hop.is_silent() {
                assert_eq!(got, None, "{family:?} TTL {ttl}: router {ttl} is silent");
            } else {
                let expected = net
                    .interface_address(&format!("r{ttl}"), &format!("r{}", ttl - 1), family)
                    .or_else(|_| net.interface_address("r1", "src", family))
                    .unwrap();
                assert_eq!(hop.addresses(), vec![expected]);
                assert_eq!(
                    got,
                    Some(Icmp::TimeExceeded(expected)),
                    "{family:?} TTL {ttl}"
                );
            }
        }
        // TTL 7 reaches the destination: port unreachable from the target itself.
        let got = net
            .run_in("src", move || {
                udp_probe(target, 7, 40000, Duration::from_secs(2))
            })
            .unwrap();
        assert_eq!(got, Some(Icmp::Unreachable(target)), "{family:?} TTL 7");
        // A router's far-side address is reached at that router's TTL.
        let far = net.interface_address("r3", "r4", family).unwrap();
        let truth = net.ground_truth(far).unwrap();
        assert_eq!(
            (truth.destination.as_str(), truth.destination_ttl),
            ("r3", 3)
        );
        let (at2, at3) = net
            .run_in("src", move || {
                (
                    udp_probe(far, 2, 40001, Duration::from_secs(2)),
                    udp_probe(far, 3, 40002, Duration::from_secs(2)),
                )
            })
            .unwrap();
        let r2 = truth.hops[1].addresses()[0];
        assert_eq!(at2, Some(Icmp::TimeExceeded(r2)), "{family:?} to {far}");
        assert_eq!(at3, Some(Icmp::Unreachable(far)), "{family:?} to {far}");
    }
}

#[test]
fn ipv6_chain_works() {
    if !testbed::require_root("netns::ipv6_chain_works") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2", "r3"])
        .destination("dst", Destination::new().listen(443).addresses(3))
        .chain(["src", "r1", "r2", "r3", "dst"])
        .build()
        .unwrap();
    let targets = net.targets("dst", Family::V6).unwrap();
    assert_eq!(targets.len(), 3);
    for &target in &targets {
        assert!(target.is_ipv6());
        let local = net
            .run_in("src", move || {
                TcpStream::connect_timeout(&SocketAddr::new(target, 443), Duration::from_secs(2))
                    .map(|s| s.local_addr().unwrap().ip())
            })
            .unwrap()
            .unwrap();
        assert_eq!(local, net.source_address(Family::V6));
    }
    let hop2 = net
        .run_in("src", move || {
            udp_probe(targets[0], 2, 33500, Duration::from_secs(2))
        })
        .unwrap();
    let r2 = net.interface_address("r2", "r1", Family::V6).unwrap();
    assert_eq!(hop2, Some(Icmp::TimeExceeded(r2)));
}

/// How many of `targets` accept a TCP connection on `port` from the source.
fn connectable(net: &Topology, targets: &[IpAddr], port: u16) -> usize {
    let list = targets.to_vec();
    net.run_in("src", move || {
        list.iter()
            .filter(|&&t| {
                TcpStream::connect_timeout(&SocketAddr::new(t, port), Duration::from_secs(2))
                    .is_ok()
            })
            .count()
    })
    .unwrap()
}

#[test]
fn many_addresses_on_one_destination() {
    if !testbed::require_root("netns::many_addresses_on_one_destination") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("r1")
        .destination("a", Destination::new().listen(80).addresses(48))
        .destination("b", Destination::new().listen(80).addresses(16))
        .link("src", "r1")
        .link("r1", "a")
        .link("r1", "b")
        .build()
        .unwrap();
    let mut targets = net.targets("a", Family::V4).unwrap();
    targets.extend(net.targets("b", Family::V4).unwrap());
    targets.extend(net.targets("b", Family::V6).unwrap());
    let distinct: BTreeSet<IpAddr> = targets.iter().copied().collect();
    assert_eq!(distinct.len(), 80);
    let reached = connectable(&net, &targets, 80);
    assert_eq!(reached, 80);
    for t in targets {
        let truth = net.ground_truth(t).unwrap();
        assert_eq!(truth.destination_ttl, 2);
        assert_eq!(truth.answers_from(80), Some(t));
    }
}

#[test]
fn ecmp_diamond_is_stable_per_flow() {
    if !testbed::require_root("netns::ecmp_diamond_is_stable_per_flow") {
        return;
    }
    // src - r1 < (a | b) > r2 - dst
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "a", "b", "r2"])
        .destination("dst", Destination::new().listen(80))
        .chain(["src", "r1", "a", "r2", "dst"])
        .link("r1", "b")
        .link("b", "r2")
        .build()
        .unwrap();
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        let truth = net.ground_truth(target).unwrap();
        assert_eq!(truth.hops[1].candidates.len(), 2);
        assert_eq!(truth.hops[2].candidates.len(), 2);
        // 32 flows (destination ports) at TTL 2 and 3: every answer is a legitimate router
        // of that TTL, and the flows spread over both branches.
        let (at2, at3) = net
            .run_in("src", move || {
                (
                    udp_burst(target, 2, 34000..34032, Duration::from_secs(2)),
                    udp_burst(target, 3, 34100..34132, Duration::from_secs(2)),
                )
            })
            .unwrap();
        assert_eq!((at2.len(), at3.len()), (32, 32), "{family:?}: probes lost");
        let mut branches = BTreeSet::new();
        for (ttl, replies) in [(2, &at2), (3, &at3)] {
            for reply in replies.values() {
                let Icmp::TimeExceeded(from) = *reply else {
                    panic!("{family:?} TTL {ttl}: {reply:?}");
                };
                assert!(truth.accepts(ttl, 80, from), "{family:?} TTL {ttl}: {from}");
                if ttl == 2 {
                    branches.insert(from);
                }
            }
        }
        // 32 flows over 2 branches under an L4 hash: both are used.
        assert_eq!(
            branches.len(),
            2,
            "{family:?}: one ECMP branch only: {branches:?}"
        );
        // Each flow, probed at TTL 1, 2 and 3 from one socket, finds one path: r2 answers
        // from its link to the branch router that answered at TTL 2.
        let paths = net
            .run_in("src", move || flow_paths(target, 34200..34224, 3))
            .unwrap();
        let mut used = BTreeSet::new();
        for path in &paths {
            assert!(path.iter().all(Option::is_some), "{family:?}: {path:?}");
            assert!(
                truth.is_one_path(path),
                "{family:?}: not one path: {path:?}"
            );
            used.insert(path[1]);
        }
        assert_eq!(used.len(), 2, "{family:?}: 24 flows took one branch");
    }
    let target = net.address("dst", Family::V4).unwrap();
    // A fixed 5-tuple (one connected socket) always takes the same branch.
    let stable = net
        .run_in("src", move || {
            let udp = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
            udp.set_ttl_v4(2).unwrap();
            udp.connect(&SocketAddr::new(target, 35000).into()).unwrap();
            let raw: UdpSocket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))
                .unwrap()
                .into();
            raw.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut from = BTreeSet::new();
            let mut buf = [0u8; 2048];
            for _ in 0..10 {
                udp.send(b"x").unwrap();
                loop {
                    let (n, addr) = raw.recv_from(&mut buf).expect("an answer at TTL 2");
                    if parse_icmp(&buf[..n], addr.ip(), 35000).is_some() {
                        from.insert(addr.ip());
                        break;
                    }
                }
            }
            from
        })
        .unwrap();
    assert_eq!(stable.len(), 1, "one flow split over branches: {stable:?}");
    let reached = net
        .run_in("src", move || {
            TcpStream::connect_timeout(&SocketAddr::new(target, 80), Duration::from_secs(2)).is_ok()
        })
        .unwrap();
    assert!(reached);
}

#[test]
fn lossy_link_drops_some_packets() {
    if !testbed::require_root("netns::lossy_link_drops_some_packets") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .routers(["r1", "r2"])
        .destination("dst", Destination::new())
        .link("src", "r1")
        .lossy_link("r1", "r2", 50)
        .link("r2", "dst")
        .build()
        .unwrap();
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        let (lossy, clean) = net
            .run_in("src", move || {
                (
                    udp_burst(target, 2, 36000..36100, Duration::from_secs(1)),
                    udp_burst(target, 1, 37000..37100, Duration::from_secs(2)),
                )
            })
            .unwrap();
        // Each probe crosses the lossy link twice (probe, then ICMP): about 25% come back.
        assert!(
            !lossy.is_empty(),
            "{family:?}: nothing crossed a 50% lossy link"
        );
        assert!(
            lossy.len() < 100,
            "{family:?}: a 50% lossy link lost nothing"
        );
        // The link before the lossy one is clean.
        assert_eq!(clean.len(), 100, "{family:?}: the clean link lost probes");
    }
}

#[test]
fn blackholed_destination_answers_nothing() {
    if !testbed::require_root("netns::blackholed_destination_answers_nothing") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("r1")
        .destination("hole", Destination::new().listen(80).blackhole())
        .chain(["src", "r1", "hole"])
        .build()
        .unwrap();
    let target = net.address("hole", Family::V4).unwrap();
    assert_eq!(net.ground_truth(target).unwrap().reply(80), Reply::Nothing);
    let (tcp, udp, hop1) = net
        .run_in("src", move || {
            let tcp = TcpStream::connect_timeout(
                &SocketAddr::new(target, 80),
                Duration::from_millis(400),
            )
            .map_err(|e| e.kind());
            let udp = udp_probe(target, 64, 38000, Duration::from_millis(400));
            let hop1 = udp_probe(target, 1, 38001, Duration::from_secs(2));
            (tcp, udp, hop1)
        })
        .unwrap();
    assert_eq!(tcp.unwrap_err(), ErrorKind::TimedOut);
    assert_eq!(udp, None);
    assert!(matches!(hop1, Some(Icmp::TimeExceeded(_))));
}

#[test]
fn web_and_hole_answers_on_one_side_only() {
    if !testbed::require_root("netns::web_and_hole_answers_on_one_side_only") {
        return;
    }
    let net = testbed::netns::web_and_hole().unwrap();
    let web = net.address("web", Family::V4).unwrap();
    let hole = net.address("hole", Family::V4).unwrap();
    let web_truth = net.ground_truth(web).unwrap();
    assert_eq!(web_truth.destination_ttl, 2);
    assert_eq!(web_truth.reply(80), Reply::SynAck);
    assert_eq!(net.ground_truth(hole).unwrap().reply(80), Reply::Nothing);
    let (to_web, to_hole) = net
        .run_in("src", move || {
            let connect = |addr| {
                TcpStream::connect_timeout(&SocketAddr::new(addr, 80), Duration::from_millis(400))
                    .map(drop)
                    .map_err(|e| e.kind())
            };
            (connect(web), connect(hole))
        })
        .unwrap();
    assert_eq!(to_web, Ok(()));
    assert_eq!(to_hole, Err(ErrorKind::TimedOut));
}

#[test]
fn command_runs_inside_the_namespace() {
    if !testbed::require_root("netns::command_runs_inside_the_namespace") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .destination("dst", Destination::new())
        .link("src", "dst")
        .build()
        .unwrap();
    let out = net
        .command("src", "ip")
        .unwrap()
        .args(["-brief", "address", "show", "dev", "v0"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&net.source_address(Family::V4).to_string()),
        "{text}"
    );
    // The description names every namespace.
    let text = net.to_string();
    assert!(
        net.namespaces().iter().all(|ns| text.contains(ns.as_str())),
        "{text}"
    );
    assert!(matches!(
        net.command("nope", "true"),
        Err(testbed::netns::Error::UnknownNode(_))
    ));
}

#[test]
fn teardown_leaves_no_namespace() {
    if !testbed::require_root("netns::teardown_leaves_no_namespace") {
        return;
    }
    let build = || {
        six_routers(&[2], Destination::new().listen(80))
            .build()
            .unwrap()
    };
    // Explicit teardown.
    let net = build();
    let names = net.namespaces().to_vec();
    assert_eq!(names.len(), 8);
    assert!(names.iter().all(|n| namespace_exists(n)));
    net.teardown().unwrap();
    assert!(names.iter().all(|n| !namespace_exists(n)));
    // Drop during a panic.
    let mut seen = Vec::new();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let net = build();
        seen = net.namespaces().to_vec();
        panic!("test body fails");
    }));
    assert!(res.is_err());
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|n| !namespace_exists(n)), "{seen:?}");
}

#[test]
fn run_in_propagates_panics() {
    if !testbed::require_root("netns::run_in_propagates_panics") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .destination("dst", Destination::new())
        .link("src", "dst")
        .build()
        .unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        net.run_in("dst", || panic!("inside")).unwrap();
    }));
    assert!(r.is_err());
    // The namespace is really different: the source cannot see the destination's loopback
    // addresses as local.
    let dst_addr = net.address("dst", Family::V4).unwrap();
    let bound = net
        .run_in("src", move || UdpSocket::bind((dst_addr, 0)).is_ok())
        .unwrap();
    assert!(!bound);
    let bound = net
        .run_in("dst", move || UdpSocket::bind((dst_addr, 0)).is_ok())
        .unwrap();
    assert!(bound);
}

#[test]
fn bursts_are_neither_rate_limited_nor_queued_behind_arp() {
    if !testbed::require_root("netns::bursts_are_neither_rate_limited_nor_queued_behind_arp") {
        return;
    }
    let net = six_routers(&[], Destination::new()).build().unwrap();
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        let expected = net.ground_truth(target).unwrap().hops[3].addresses()[0];
        // 200 probes at once that expire at r4, on a network that has carried nothing yet.
        let answers = net
            .run_in("src", move || {
                udp_burst(target, 4, 40000..40200, Duration::from_secs(3))
            })
            .unwrap();
        let from_r4 = answers
            .values()
            .filter(|r| **r == Icmp::TimeExceeded(expected))
            .count();
        assert_eq!(
            from_r4, 200,
            "{family:?}: ICMP rate limited or probes dropped"
        );
    }
}

#[test]
fn routers_can_keep_linux_icmp_rate_limits() {
    if !testbed::require_root("netns::routers_can_keep_linux_icmp_rate_limits") {
        return;
    }
    let net = six_routers(&[], Destination::new())
        .linux_icmp_rate_limits()
        .build()
        .unwrap();
    let sysctl = |node: &str, key: &'static str| {
        net.run_in(node, move || {
            std::fs::read_to_string(format!("/proc/sys/{key}")).unwrap()
        })
        .unwrap()
        .trim()
        .to_owned()
    };
    for (key, value) in [
        ("net/ipv4/icmp_ratelimit", "1000"),
        ("net/ipv4/icmp_ratemask", "6168"),
        ("net/ipv4/icmp_msgs_per_sec", "1000"),
        ("net/ipv4/icmp_msgs_burst", "50"),
        ("net/ipv6/icmp/ratelimit", "1000"),
    ] {
        assert_eq!(sysctl("r4", key), value, "{key}");
    }
    assert_eq!(sysctl("src", "net/ipv4/icmp_ratelimit"), "0");
    assert_eq!(sysctl("dst", "net/ipv4/icmp_ratelimit"), "0");
    for family in [Family::V4, Family::V6] {
        let target = net.address("dst", family).unwrap();
        // The same 200-probe burst that an unlimited r4 answers in full.
        let answers = net
            .run_in("src", move || {
                udp_burst(target, 4, 40000..40200, Duration::from_secs(2))
            })
            .unwrap();
        assert!(
            answers.len() < 50,
            "{family:?}: r4 answered {} of 200 probes despite its rate limit",
            answers.len()
        );
    }
}

#[test]
fn a_rate_limited_router_answers_each_address_of_the_source_pool() {
    if !testbed::require_root(
        "netns::a_rate_limited_router_answers_each_address_of_the_source_pool",
    ) {
        return;
    }
    let net = six_routers(&[], Destination::new())
        .linux_icmp_rate_limits()
        .source_addresses(300)
        .build()
        .unwrap();
    let pool = net.source_pool();
    assert_eq!(pool.len(), 300);
    let target = net.address("dst", Family::V4).unwrap();
    let r4 = net.interface_address("r4", "r3", Family::V4).unwrap();
    // 200 probes that expire at r4, each from its own pool address, 5 ms apart: under r4's
    // overall limit (1000 a second), one each for its per-host limit (one a second, burst 6).
    // From one address, r4 answers fewer than 50 of them (the test above).
    let answers = net
        .run_in("src", move || {
            let raw: UdpSocket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))
                .expect("raw ICMP socket")
                .into();
            for (i, &src) in pool.iter().take(200).enumerate() {
                let udp = UdpSocket::bind((src, 0)).expect("bind a pool address");
                udp.set_ttl(4).expect("set TTL");
                udp.send_to(b"pool", (target, 40_000 + i as u16))
                    .expect("send UDP probe");
                std::thread::sleep(Duration::from_millis(5));
            }
            collect_icmp(&raw, 40_000..40_200, Duration::from_secs(2))
        })
        .unwrap();
    assert_eq!(answers.len(), 200, "{answers:?}");
    assert!(
        answers.values().all(|a| *a == Icmp::TimeExceeded(r4)),
        "{answers:?}"
    );
}

#[test]
fn a_destination_spans_several_slash_24s() {
    if !testbed::require_root("netns::a_destination_spans_several_slash_24s") {
        return;
    }
    let net = Topology::builder()
        .source("src")
        .router("r1")
        .destination("a", Destination::new().listen(80).addresses(600))
        .destination("b", Destination::new().listen(80))
        .link("src", "r1")
        .link("r1", "a")
        .link("r1", "b")
        .build()
        .unwrap();
    let a = net.targets("a", Family::V4).unwrap();
    assert_eq!(a.len(), 600);
    let mut probe = vec![
        a[0],
        a[253],
        a[254],
        a[599],
        net.address("b", Family::V4).unwrap(),
    ];
    probe.push(net.targets("a", Family::V6).unwrap()[599]);
    assert_eq!(probe[3].to_string(), "198.19.2.92");
    assert_eq!(probe[4].to_string(), "198.19.3.1");
    let reached = connectable(&net, &probe, 80);
    assert_eq!(reached, probe.len());
}

#[test]
fn leftovers_of_dead_processes_are_cleaned() {
    if !testbed::require_root("netns::leftovers_of_dead_processes_are_cleaned") {
        return;
    }
    // No process ever has a pid above the kernel's maximum (2^22); our pid in the counter's
    // place keeps the name apart from other test processes doing the same.
    let dead = format!("tb-{}-{}-leftover", 1u32 << 30, std::process::id());
    // Another test process cleaning up at this very moment may delete it half made: retry.
    let added = (0..5).any(|_| {
        std::process::Command::new("ip")
            .args(["netns", "add", &dead])
            .status()
            .unwrap()
            .success()
    });
    assert!(added, "ip netns add {dead}");
    // A live topology of this process is never a leftover.
    let net = Topology::builder()
        .source("src")
        .destination("dst", Destination::new())
        .link("src", "dst")
        .build()
        .unwrap();
    // (Another test process may clean it up first: only its absence is certain.)
    testbed::netns::clean_leftovers().unwrap();
    assert!(!namespace_exists(&dead));
    assert!(net.namespaces().iter().all(|n| namespace_exists(n)));
}

#[test]
fn toml_description_builds() {
    if !testbed::require_root("netns::toml_description_builds") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tb-toml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.toml");
    std::fs::write(
        &file,
        r#"
        source = "src"
        routers = ["r1"]
        silent_routers = ["quiet"]
        chains = [["src", "r1", "quiet", "web"]]

        [[destinations]]
        name = "web"
        listen = [8080]
        addresses = 2
        "#,
    )
    .unwrap();
    let net = TopologyBuilder::from_toml_file(&file)
        .unwrap()
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let target = net.targets("web", Family::V6).unwrap()[1];
    let truth = net.ground_truth(target).unwrap();
    assert_eq!(truth.destination_ttl, 3);
    assert!(truth.hops[1].is_silent());
    let connected = net
        .run_in("src", move || {
            TcpStream::connect_timeout(&SocketAddr::new(target, 8080), Duration::from_secs(2))
                .is_ok()
        })
        .unwrap();
    assert!(connected);
    assert!(matches!(
        TopologyBuilder::from_toml_file(dir.join("missing.toml")),
        Err(testbed::netns::Error::Io { .. })
    ));
}
