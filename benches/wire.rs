//! Micro-benchmark of tcptrace's packet layer: building probes (IPv4 and IPv6 headers with the
//! TCP SYN and its checksum, as the engine writes them), the engine's `poll_transmit` with
//! pacing off, and parsing the replies a trace receives (ICMP errors quoting a probe, with and
//! without MPLS extensions, ICMPv6, SYN-ACKs), every checksum verified as in a real run.
//!
//! No root, no network: it runs anywhere. Each case runs in 15 rounds of a fixed count of
//! operations, timed by the thread's own CPU clock (`CLOCK_THREAD_CPUTIME_ID`), so that a
//! neighbour on a shared machine that takes the core away is not counted; the table gives the
//! median and the best round per operation, and the rate that follows from the median. The
//! figures decided the packet layer's backend: see "Byte-level work" in tcptrace's README.
//!
//! Run with `cargo bench --bench wire`. Writes `target/bench/wire.md` (or
//! `$OPSKIT_BENCH_DIR/wire.md`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Instant;

use opskit::tcptrace::{
    Engine, Flow, Icmpv4Repr, Icmpv6Repr, Ipv4Repr, Ipv6Repr, MplsLabel, TcpFlags, TcpRepr,
    TraceConfig, parse_reply, parse_reply_v6_payload,
};

/// Rounds per case: the median of 15 is steady against a neighbour's burst on a shared machine.
const ROUNDS: usize = 15;
/// Operations per round: enough for each round to last milliseconds.
const OPS: u32 = 200_000;

const SRC4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const DST4: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 1);
const HOP4: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const SRC6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
const HOP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1);

fn syn(seq: u32) -> TcpRepr {
    let mut tcp = TcpRepr::new(40_000, 443, TcpFlags::SYN);
    tcp.seq_number = seq;
    tcp.window = 1024;
    tcp
}

/// A probe as the engine writes it: IPv4 header, then the SYN with its checksum.
fn probe_v4(buf: &mut [u8; 40], ttl: u8, seq: u32) {
    let tcp = syn(seq);
    let mut ip = Ipv4Repr::new(SRC4, DST4, 6, tcp.header_len());
    ip.ttl = ttl;
    ip.ident = 0x1234;
    ip.emit(buf).expect("room for the header");
    tcp.emit(&mut buf[20..], IpAddr::V4(SRC4), IpAddr::V4(DST4))
        .expect("room for the SYN");
}

fn probe_v6(buf: &mut [u8; 60], ttl: u8, seq: u32) {
    let tcp = syn(seq);
    let mut ip = Ipv6Repr::new(SRC6, DST6, 6, tcp.header_len());
    ip.hop_limit = ttl;
    ip.flow_label = 0x1_2345;
    ip.emit(buf).expect("room for the header");
    tcp.emit(&mut buf[40..], IpAddr::V6(SRC6), IpAddr::V6(DST6))
        .expect("room for the SYN");
}

/// An IPv4 datagram from `HOP4` carrying `icmp`.
fn in_ipv4(icmp: &Icmpv4Repr<'_>) -> Vec<u8> {
    let mut ip = Ipv4Repr::new(HOP4, SRC4, 1, icmp.buffer_len());
    ip.ttl = 63;
    ip.ident = 7;
    let mut out = vec![0; ip.buffer_len()];
    ip.emit(&mut out).expect("sized");
    icmp.emit(&mut out[20..]).expect("sized");
    out
}

/// The replies a trace parses, as whole datagrams (or ICMPv6 payloads, as raw IPv6 sockets
/// hand them over).
struct Replies {
    time_exceeded: Vec<u8>,
    time_exceeded_mpls: Vec<u8>,
    syn_ack: Vec<u8>,
    icmpv6: Vec<u8>,
    icmpv6_payload: Vec<u8>,
}

fn replies() -> Replies {
    let mut probe = [0u8; 40];
    probe_v4(&mut probe, 3, 0x0102_0304);
    // Routers quote the probe with its TTL run down to 1.
    probe[8] = 1;
    let time_exceeded = in_ipv4(&Icmpv4Repr::time_exceeded(0, &probe[..28], vec![]));
    let label = MplsLabel::new(16, 0, true, 1).unwrap();
    let time_exceeded_mpls = in_ipv4(&Icmpv4Repr::time_exceeded(0, &probe, vec![label]));
    let mut syn_ack = [0u8; 40];
    let mut tcp = TcpRepr::new(443, 40_000, TcpFlags::SYN | TcpFlags::ACK);
    tcp.seq_number = 99;
    tcp.ack_number = 0x0102_0305;
    tcp.window = 64_240;
    let mut ip = Ipv4Repr::new(DST4, SRC4, 6, 20);
    ip.ttl = 61;
    ip.dont_frag = true;
    ip.emit(&mut syn_ack).expect("sized");
    tcp.emit(&mut syn_ack[20..], IpAddr::V4(DST4), IpAddr::V4(SRC4))
        .expect("sized");
    let mut probe6 = [0u8; 60];
    probe_v6(&mut probe6, 2, 7);
    let icmp = Icmpv6Repr::time_exceeded(0, &probe6, vec![]);
    let mut ip = Ipv6Repr::new(HOP6, SRC6, 58, icmp.buffer_len());
    ip.hop_limit = 63;
    let mut icmpv6 = vec![0; ip.buffer_len()];
    ip.emit(&mut icmpv6).expect("sized");
    icmp.emit(&mut icmpv6[40..], HOP6, SRC6).expect("sized");
    let icmpv6_payload = icmpv6[40..].to_vec();
    Replies {
        time_exceeded,
        time_exceeded_mpls,
        syn_ack: syn_ack.to_vec(),
        icmpv6,
        icmpv6_payload,
    }
}

/// CPU time of the calling thread so far, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, exact where
/// schedstat only moves at scheduler ticks).
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// Nanoseconds per operation of `n` operations that took from `t0` (a [`thread_cpu_ns`]) to now.
fn ns_since(t0: u64, n: u32) -> f64 {
    let ns = thread_cpu_ns().saturating_sub(t0);
    // Exact for any run shorter than 2^53 ns (104 days).
    #[expect(clippy::cast_precision_loss)]
    let ns = ns as f64;
    ns / f64::from(n.max(1))
}

/// The median and the best of `rounds`.
fn summary(mut rounds: Vec<f64>) -> Figures {
    rounds.sort_by(f64::total_cmp);
    Figures {
        median: rounds[rounds.len() / 2],
        best: rounds[0],
    }
}

/// Nanoseconds per operation of one case.
struct Figures {
    median: f64,
    best: f64,
}

/// The figures of `op` over [`ROUNDS`] rounds of [`OPS`] calls.
fn per_op(mut op: impl FnMut(u32)) -> Figures {
    summary(
        (0..ROUNDS)
            .map(|_| {
                let t0 = thread_cpu_ns();
                for i in 0..OPS {
                    op(black_box(i));
                }
                ns_since(t0, OPS)
            })
            .collect(),
    )
}

/// Every case: its name and its median time per operation.
fn cases() -> Vec<(&'static str, Figures)> {
    let r = replies();
    let mut out = Vec::new();
    let mut b4 = [0u8; 40];
    out.push((
        "build an IPv4 probe (header, SYN, checksums)",
        per_op(|i| {
            probe_v4(&mut b4, (i % 30) as u8 + 1, i);
            black_box(&b4);
        }),
    ));
    let mut b6 = [0u8; 60];
    out.push((
        "build an IPv6 probe (header, SYN, pseudo-header checksum)",
        per_op(|i| {
            probe_v6(&mut b6, (i % 30) as u8 + 1, i);
            black_box(&b6);
        }),
    ));
    out.push(("engine `poll_transmit`, pacing off", engine_per_probe()));
    for (name, bytes) in [
        ("parse ICMP time exceeded (28-byte quote)", &r.time_exceeded),
        (
            "parse ICMP time exceeded + RFC 4950 MPLS extension",
            &r.time_exceeded_mpls,
        ),
        ("parse a SYN-ACK", &r.syn_ack),
        ("parse ICMPv6 time exceeded (whole datagram)", &r.icmpv6),
    ] {
        assert!(parse_reply(bytes).is_ok(), "{name}: the fixture parses");
        out.push((
            name,
            per_op(|_| {
                black_box(parse_reply(black_box(bytes)).is_ok());
            }),
        ));
    }
    let from = HOP6;
    assert!(parse_reply_v6_payload(from, 58, &r.icmpv6_payload).is_ok());
    out.push((
        "parse ICMPv6 time exceeded (raw socket payload)",
        per_op(|_| {
            black_box(parse_reply_v6_payload(from, 58, black_box(&r.icmpv6_payload)).is_ok());
        }),
    ));
    out
}

/// Nanoseconds per probe of the engine writing every probe of 64 targets × 16 ports × 30 TTLs.
fn engine_per_probe() -> Figures {
    let targets: Vec<IpAddr> = (0..64u8)
        .map(|i| IpAddr::V4(Ipv4Addr::new(198, 19, 0, i)))
        .collect();
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .max_ttl(30)
        .all_ttls(true)
        .gap_limit(None)
        .no_pacing()
        .max_in_flight(u32::MAX)
        .build()
        .expect("a valid config");
    let flows: Vec<Flow> = targets
        .iter()
        .flat_map(|&dst| {
            (1..=16u16).map(move |port| Flow::new(dst.to_string(), IpAddr::V4(SRC4), dst, port))
        })
        .collect();
    let rounds = (0..ROUNDS)
        .map(|round| {
            let mut engine = Engine::new(&config, flows.clone(), round as u64).expect("engine");
            let mut buf = Vec::with_capacity(64);
            let now = Instant::now();
            let t0 = thread_cpu_ns();
            let mut n = 0u32;
            while engine.poll_transmit(now, &mut buf).is_some() {
                n += 1;
            }
            ns_since(t0, n)
        })
        .collect();
    summary(rounds)
}

fn bench_dir() -> PathBuf {
    std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("wire: benchmark skipped (run it with `cargo bench --bench wire`)");
        return;
    }
    let mut md = format!(
        "## wire: tcptrace's packet layer\n\n{ROUNDS} rounds of {OPS} operations (the engine: \
         {ROUNDS} runs writing 30,720 probes), one thread, timed by its CPU time.\n\n\
         | operation | CPU ns/op (median) | best round | per second (median) |\n\
         |---|---:|---:|---:|\n"
    );
    for (name, f) in cases() {
        let rate = if f.median > 0.0 {
            1e9 / f.median
        } else {
            f64::INFINITY
        };
        let _ = writeln!(
            md,
            "| {name} | {:.1} | {:.1} | {rate:.0} |",
            f.median, f.best
        );
    }
    print!("{md}");
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let path = dir.join("wire.md");
    std::fs::write(&path, &md).expect("write wire.md");
    println!("\nwrote {}", path.display());
}
