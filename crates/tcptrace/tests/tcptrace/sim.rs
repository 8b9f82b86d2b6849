//! A simulated network for the sans-IO engine: routers answer with ICMP errors quoting the
//! probe, destinations with SYN-ACK or RST, all in virtual time. No root, no sockets.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tcptrace::{
    Disposition, Engine, Event, Flow, Icmpv4Repr, Icmpv6Repr, Ipv4Packet, Ipv4Repr, Ipv6Packet,
    Ipv6Repr, MplsLabel, TcpFlags, TcpPacket, TcpRepr, TraceConfig, TraceReport,
};

/// What a router at one TTL does.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Answers time exceeded from this address.
    Router(&'static str),
    /// Answers time exceeded with these MPLS labels quoted.
    MplsRouter(&'static str, Vec<MplsLabel>),
    /// Never answers.
    Silent,
    /// ECMP by flow hash (source port): each flow sticks to one address.
    Ecmp(Vec<&'static str>),
    /// Answers every probe that reaches it with ICMP host unreachable, and forwards nothing.
    Unreachable(&'static str),
}

/// What the destination does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dest {
    /// SYN-ACK.
    Open,
    /// RST-ACK.
    Closed,
    /// Nothing.
    Blackhole,
    /// ICMP port unreachable from the destination.
    Unreachable,
}

#[derive(Clone, Debug)]
pub(crate) struct Path {
    pub(crate) nodes: Vec<Node>,
    pub(crate) dest: Dest,
}

impl Path {
    pub(crate) fn chain(addrs: &[&'static str], dest: Dest) -> Self {
        Self {
            nodes: addrs.iter().map(|a| Node::Router(a)).collect(),
            dest,
        }
    }
}

/// Network conditions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Conditions {
    /// Probability (0..1) that a reply is lost.
    pub(crate) loss: f64,
    /// Deliver every reply twice.
    pub(crate) duplicate: bool,
    /// Random extra delay up to this many microseconds (reorders replies).
    pub(crate) jitter_us: u64,
    /// Replies from this TTL come this much later.
    pub(crate) slow_ttl: Option<(u8, Duration)>,
    /// Per-hop one-way delay.
    pub(crate) hop_delay: Duration,
    /// Sends to this flow fail (a local firewall), reported with `handle_send_error`.
    pub(crate) refuse_flow: Option<usize>,
    /// A firewall next to the source rewrites the TCP sequence number of outgoing SYNs (and
    /// translates acknowledgments back), so routers quote a sequence number that is not ours.
    pub(crate) rewrite_seq: bool,
    /// A middlebox after the router at this TTL rewrites the probes it forwards with this
    /// function (of the whole IP packet), so routers past it quote what it made of them.
    pub(crate) middlebox: Option<(u8, Rewriter)>,
}

/// A middlebox's rewrite of a whole IP packet.
pub(crate) type Rewriter = fn(&mut [u8]);

pub(crate) struct Sim {
    pub(crate) engine: Engine,
    pub(crate) now: Instant,
    paths: Vec<Path>,
    flows: Vec<Flow>,
    cond: Conditions,
    queue: BinaryHeap<Reverse<(Instant, u64, Vec<u8>)>>,
    counter: u64,
    rng: u64,
    pub(crate) events: Vec<Event>,
    pub(crate) sends: Vec<(Instant, usize, u8)>,
    pub(crate) max_in_flight_seen: u32,
    pub(crate) dispositions: Vec<Disposition>,
    pub(crate) config: TraceConfig,
}

pub(crate) fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(crate) const SRC4: &str = "198.18.0.2";
pub(crate) const SRC6: &str = "2001:db8::2";

impl Sim {
    /// A simulation of `targets` (each with its path) × the config's ports.
    pub(crate) fn new(config: TraceConfig, targets: Vec<(&str, Path)>, cond: Conditions) -> Self {
        let mut flows = Vec::new();
        let mut paths = Vec::new();
        for (t, path) in targets {
            let dst: IpAddr = t.parse().unwrap();
            let src = if dst.is_ipv4() { v4(SRC4) } else { v4(SRC6) };
            for &port in config.ports() {
                flows.push(Flow::new(t.to_owned(), src, dst, port));
                paths.push(path.clone());
            }
        }
        let engine = Engine::new(&config, flows.clone(), 0x5eed_1234).unwrap();
        let now = Instant::now();
        Self {
            engine,
            now,
            paths,
            flows,
            cond,
            queue: BinaryHeap::new(),
            counter: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
            events: Vec::new(),
            sends: Vec::new(),
            max_in_flight_seen: 0,
            dispositions: Vec::new(),
            config,
        }
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && f64::from((self.rand() % 1_000_000) as u32) / 1_000_000.0 < p
    }

    /// Queues a packet for delivery to the engine at `at`.
    pub(crate) fn inject(&mut self, at: Instant, bytes: Vec<u8>) {
        self.counter += 1;
        self.queue.push(Reverse((at, self.counter, bytes)));
    }

    fn on_transmit(&mut self, flow: usize, ttl: u8, probe: &[u8]) {
        self.sends.push((self.now, flow, ttl));
        let path = self.paths[flow].clone();
        let f = self.flows[flow].clone();
        let depth = path.nodes.len();
        let (sport, seq) = {
            let off = if f.dst.is_ipv4() { 20 } else { 40 };
            let t = TcpPacket::new_checked(&probe[off..]).unwrap();
            (t.src_port(), t.seq_number())
        };
        // An unreachable router answers every probe that gets to it, whatever its TTL.
        let blocked = path.nodes[..usize::from(ttl).min(depth)]
            .iter()
            .find_map(|n| match n {
                Node::Unreachable(a) => Some(*a),
                _ => None,
            });
        let reply = if let Some(a) = blocked {
            icmp_error(v4(a), probe, 3, 1, &[])
        } else if usize::from(ttl) <= depth {
            let (from, mpls) = match &path.nodes[usize::from(ttl) - 1] {
                Node::Router(a) => (v4(a), vec![]),
                Node::MplsRouter(a, l) => (v4(a), l.clone()),
                Node::Silent => return,
                Node::Unreachable(_) => unreachable!("answered above"),
                Node::Ecmp(addrs) => (v4(addrs[usize::from(sport) % addrs.len()]), vec![]),
            };
            if let Some((after, rewrite)) = self.cond.middlebox
                && ttl > after
            {
                let mut rewritten = probe.to_vec();
                rewrite(&mut rewritten[..]);
                let mut e = icmp_error(from, &rewritten, 11, 0, &mpls);
                // The middlebox translates the error's destination back to us (IPv4 only).
                let mut ip = Ipv4Repr::parse(&Ipv4Packet::new_checked(&e[..]).unwrap()).unwrap();
                ip.dst_addr = Ipv4Packet::new_checked(probe).unwrap().src_addr();
                ip.emit(&mut e[..20]).unwrap();
                e
            } else if self.cond.rewrite_seq {
                let mut rewritten = probe.to_vec();
                let off = if f.dst.is_ipv4() { 24 } else { 44 };
                for b in &mut rewritten[off..off + 4] {
                    *b ^= 0x5a;
                }
                icmp_error(from, &rewritten, 11, 0, &mpls)
            } else {
                icmp_error(from, probe, 11, 0, &mpls)
            }
        } else {
            match path.dest {
                Dest::Open => tcp_answer(f.dst, f.src, f.port, sport, seq.wrapping_add(1), true),
                Dest::Closed => tcp_answer(f.dst, f.src, f.port, sport, seq.wrapping_add(1), false),
                Dest::Unreachable => icmp_error(f.dst, probe, 3, 3, &[]),
                Dest::Blackhole => return,
            }
        };
        if self.chance(self.cond.loss) {
            return;
        }
        let hops = u32::from(ttl).min(depth as u32 + 1);
        let mut delay = self.cond.hop_delay * 2 * hops + Duration::from_micros(50);
        if self.cond.jitter_us > 0 {
            delay += Duration::from_micros(self.rand() % self.cond.jitter_us);
        }
        if let Some((t, extra)) = self.cond.slow_ttl
            && t == ttl
        {
            delay += extra;
        }
        let at = self.now + delay;
        if self.cond.duplicate {
            self.inject(at + Duration::from_micros(10), reply.clone());
        }
        self.inject(at, reply);
    }

    /// Runs until the engine is done; panics if it stalls.
    pub(crate) fn run(&mut self) -> TraceReport {
        self.run_until(None)
    }

    /// Runs until the engine is done or virtual time reaches `deadline` (as the driver
    /// does); panics if it stalls.
    pub(crate) fn run_until(&mut self, deadline: Option<Instant>) -> TraceReport {
        let mut buf = Vec::new();
        for _ in 0..1_000_000 {
            while let Some(tx) = self.engine.poll_transmit(self.now, &mut buf) {
                assert_eq!(tx.len, buf.len());
                self.max_in_flight_seen = self.max_in_flight_seen.max(self.engine.in_flight());
                if self.cond.refuse_flow == Some(tx.flow) {
                    self.engine
                        .handle_send_error(&tx, "Operation not permitted (os error 1)");
                    continue;
                }
                let probe = buf.clone();
                self.on_transmit(tx.flow, tx.ttl, &probe);
            }
            while let Some(ev) = self.engine.poll_event() {
                self.events.push(ev);
            }
            if self.engine.is_done() || deadline.is_some_and(|d| self.now >= d) {
                return self.report();
            }
            let next_packet = self.queue.peek().map(|Reverse((at, _, _))| *at);
            let next = match (self.engine.poll_timeout(), next_packet) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a
                    .or(b)
                    .expect("the engine stalled: nothing pending and not done"),
            };
            self.now = self.now.max(next);
            if let Some(d) = deadline {
                self.now = self.now.min(d);
            }
            while let Some(Reverse((at, _, _))) = self.queue.peek() {
                if *at > self.now {
                    break;
                }
                let Reverse((_, _, bytes)) = self.queue.pop().unwrap();
                let d = self.engine.handle_packet(self.now, &bytes);
                self.dispositions.push(d);
            }
            self.engine.handle_timeout(self.now);
        }
        panic!("the simulation did not finish");
    }

    pub(crate) fn report(&self) -> TraceReport {
        TraceReport::new(self.config.params(), String::new(), self.engine.traces())
    }

    pub(crate) fn count(&self, d: Disposition) -> usize {
        self.dispositions.iter().filter(|x| **x == d).count()
    }
}

/// An ICMP(v6) error from `from` quoting `probe`, with the quoted TTL at 1 as Linux quotes it.
pub(crate) fn icmp_error(
    from: IpAddr,
    probe: &[u8],
    v4_type: u8,
    code: u8,
    mpls: &[MplsLabel],
) -> Vec<u8> {
    match from {
        IpAddr::V4(from4) => {
            let p = Ipv4Packet::new_checked(probe).unwrap();
            let to = p.src_addr();
            let mut quoted = probe.to_vec();
            quoted[8] = 1;
            let icmp = if v4_type == 11 {
                Icmpv4Repr::time_exceeded(code, &quoted, mpls.to_vec())
            } else {
                Icmpv4Repr::dst_unreachable(code, &quoted, mpls.to_vec())
            };
            let ip = Ipv4Repr::new(from4, to, 1, icmp.buffer_len());
            let mut out = vec![0; ip.buffer_len()];
            ip.emit(&mut out).unwrap();
            icmp.emit(&mut out[20..]).unwrap();
            out
        }
        IpAddr::V6(from6) => {
            let p = Ipv6Packet::new_checked(probe).unwrap();
            let to = p.src_addr();
            let mut quoted = probe.to_vec();
            quoted[7] = 1;
            let icmp = if v4_type == 11 {
                Icmpv6Repr::time_exceeded(code, &quoted, mpls.to_vec())
            } else {
                Icmpv6Repr::dst_unreachable(4, &quoted, mpls.to_vec())
            };
            let ip = Ipv6Repr::new(from6, to, 58, icmp.buffer_len());
            let mut out = vec![0; ip.buffer_len()];
            ip.emit(&mut out).unwrap();
            icmp.emit(&mut out[40..], from6, to).unwrap();
            out
        }
    }
}

/// A SYN-ACK (`open`) or RST-ACK from `from:port` to `to:dport` acknowledging `ack`.
pub(crate) fn tcp_answer(
    from: IpAddr,
    to: IpAddr,
    port: u16,
    dport: u16,
    ack: u32,
    open: bool,
) -> Vec<u8> {
    let flags = if open {
        TcpFlags::SYN | TcpFlags::ACK
    } else {
        TcpFlags::RST | TcpFlags::ACK
    };
    let mut tcp = TcpRepr::new(port, dport, flags);
    tcp.seq_number = if open { 0x1111_2222 } else { 0 };
    tcp.ack_number = ack;
    tcp.window = if open { 64_240 } else { 0 };
    tcp.mss = open.then_some(1460);
    ip_wrap(from, to, 6, tcp.header_len(), |buf| {
        tcp.emit(buf, from, to).unwrap();
    })
}

/// Wraps a payload written by `fill` in an IP header.
pub(crate) fn ip_wrap(
    from: IpAddr,
    to: IpAddr,
    proto: u8,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Vec<u8> {
    match (from, to) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut ip = Ipv4Repr::new(s, d, proto, len);
            ip.ident = 7;
            ip.dont_frag = true;
            let mut out = vec![0; ip.buffer_len()];
            ip.emit(&mut out).unwrap();
            fill(&mut out[20..]);
            out
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let ip = Ipv6Repr::new(s, d, proto, len);
            let mut out = vec![0; ip.buffer_len()];
            ip.emit(&mut out).unwrap();
            fill(&mut out[40..]);
            out
        }
        _ => panic!("family mismatch"),
    }
}
