//! Peer benchmark of `tcptrace`: 64 targets × ports 80 and 443, max TTL 30, in a namespace test
//! network, against scapy's `traceroute`, a script loop of `traceroute -T` and `scamper` in TCP
//! mode. Each tool runs in the same source namespace, in the same process run; we compare wall
//! time, CPU time (ours: the tracing thread, from its schedstat; peers: their processes, from
//! the kernel's accounting of waited-for children, as `getrusage(RUSAGE_CHILDREN)` reports it)
//! and hop accuracy against the topology's ground truth. Then the engine's probe rate with
//! pacing off, alone and with its raw-socket transport.
//!
//! Run with `cargo bench --bench trace` as root. Writes `target/bench/trace.md` (or
//! `$OPSKIT_BENCH_DIR/trace.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opskit::tcptrace::{self, Engine, Flow, RawSockets, ReplyKind, TraceConfig};
use testbed::netns::{Destination, Family, GroundTruth, Reply, Topology};
use testbed::scapy::{AnswerKind, Network, Traceroute};

const PORTS: [u16; 2] = Network::PORTS;
const MAX_TTL: u8 = 30;
/// Per-probe timeout given to every tool, in seconds.
const TIMEOUT_S: u64 = 1;

/// What a tool says answered one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    TimeExceeded,
    SynAck,
    Rst,
    Other,
    /// The tool does not say (plain `traceroute` output).
    Unknown,
}

/// Per (target, port), per TTL, who answered.
type Observed = BTreeMap<(IpAddr, u16), BTreeMap<u8, Vec<(IpAddr, Kind)>>>;

fn record(obs: &mut Observed, target: IpAddr, port: u16, ttl: u8, from: IpAddr, kind: Kind) {
    obs.entry((target, port))
        .or_default()
        .entry(ttl)
        .or_default()
        .push((from, kind));
}

/// CPU time of this process's waited-for children, from /proc/self/stat.
#[derive(Clone, Copy)]
struct Cpu {
    children: Duration,
}

impl Cpu {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // cutime and cstime are fields 16 and 17 of the whole line: 13 and 14 here.
        let tick = |t: u64| Duration::from_millis(t * 10); // CLK_TCK is 100 on Linux.
        Self {
            children: tick(f[13] + f[14]),
        }
    }
}

/// Figures of one tool over its runs.
struct Measured {
    tool: &'static str,
    note: String,
    wall: Duration,
    cpu: Duration,
    right: usize,
    total: usize,
}

impl Measured {
    fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * f64::from(u32::try_from(self.right).unwrap_or(u32::MAX))
                / f64::from(u32::try_from(self.total).unwrap_or(u32::MAX))
        }
    }
}

/// CPU time of the calling thread so far, in nanoseconds precision (/proc/thread-self/schedstat).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// What one run of a tool gives: who answered, and the CPU time it used when the tool
/// measured it itself (in-process runs); otherwise the children's CPU time is taken.
type RunResult = Result<(Observed, Option<Duration>), String>;

/// One tool of the comparison: its name, how it is run, in how many rounds it takes part,
/// and the run itself.
struct Tool<'a> {
    name: &'static str,
    note: &'static str,
    runs: usize,
    run: Box<dyn FnMut() -> RunResult + 'a>,
}

/// Runs the tools in interleaved rounds (each round runs once every tool that has runs left),
/// so that a change in the machine's load hits them all alike. Keeps, per tool, the median
/// wall time, the mean CPU time and the worst accuracy; a tool that fails once is reported as
/// failed.
fn measure_all(
    mut tools: Vec<Tool<'_>>,
    truth: &BTreeMap<IpAddr, GroundTruth>,
) -> Vec<Result<Measured, (&'static str, String)>> {
    struct Acc {
        walls: Vec<Duration>,
        cpu: Duration,
        right: usize,
        total: usize,
        error: Option<String>,
    }
    let mut accs: Vec<Acc> = tools
        .iter()
        .map(|_| Acc {
            walls: Vec::new(),
            cpu: Duration::ZERO,
            right: usize::MAX,
            total: 0,
            error: None,
        })
        .collect();
    let rounds = tools.iter().map(|t| t.runs).max().unwrap_or(0);
    for round in 0..rounds {
        for (tool, acc) in tools.iter_mut().zip(&mut accs) {
            if round >= tool.runs || acc.error.is_some() {
                continue;
            }
            let c0 = Cpu::now();
            let t0 = Instant::now();
            let result = (tool.run)();
            let wall = t0.elapsed();
            let c1 = Cpu::now();
            let (obs, own_cpu) = match result {
                Ok(r) => r,
                Err(e) => {
                    acc.error = Some(e);
                    continue;
                }
            };
            acc.walls.push(wall);
            acc.cpu += own_cpu.unwrap_or_else(|| c1.children.saturating_sub(c0.children));
            let (r, t, wrong) = score(truth, &obs);
            for w in wrong.iter().take(5) {
                eprintln!("{}: wrong hop: {w}", tool.name);
            }
            if r < acc.right {
                (acc.right, acc.total) = (r, t);
            }
        }
    }
    tools
        .iter()
        .zip(accs)
        .map(|(tool, mut acc)| {
            if let Some(e) = acc.error {
                return Err((tool.name, e));
            }
            acc.walls.sort();
            Ok(Measured {
                tool: tool.name,
                note: tool.note.to_owned(),
                wall: acc.walls[acc.walls.len() / 2],
                cpu: acc.cpu / u32::try_from(acc.walls.len()).unwrap_or(1),
                right: acc.right,
                total: acc.total,
            })
        })
        .collect()
}

/// Hops right out of hops expected: every TTL up to the destination's, for every
/// (target, port). A router TTL is right when the tool saw only legitimate routers there (or
/// nothing, for a silent one); the destination TTL when the target answered with the right
/// kind of reply.
fn score(truth: &BTreeMap<IpAddr, GroundTruth>, obs: &Observed) -> (usize, usize, Vec<String>) {
    let (mut right, mut total) = (0, 0);
    let mut wrong = Vec::new();
    for (&target, gt) in truth {
        for port in PORTS {
            let seen = obs.get(&(target, port));
            for ttl in 1..=gt.destination_ttl {
                total += 1;
                let answers = seen
                    .and_then(|s| s.get(&ttl))
                    .map_or(&[][..], Vec::as_slice);
                let ok = if ttl < gt.destination_ttl {
                    let hop = &gt.hops[usize::from(ttl) - 1];
                    if hop.is_silent() {
                        answers.is_empty()
                    } else {
                        !answers.is_empty()
                            && answers.iter().all(|&(a, k)| {
                                hop.accepts(a) && matches!(k, Kind::TimeExceeded | Kind::Unknown)
                            })
                    }
                } else {
                    let want = match gt.reply(port) {
                        Reply::SynAck => Some(Kind::SynAck),
                        Reply::Rst => Some(Kind::Rst),
                        Reply::Nothing => None,
                    };
                    match want {
                        None => answers.is_empty(),
                        Some(want) => {
                            !answers.is_empty()
                                && answers
                                    .iter()
                                    .all(|&(a, k)| a == target && (k == want || k == Kind::Unknown))
                        }
                    }
                };
                right += usize::from(ok);
                if !ok {
                    wrong.push(format!("{target}:{port} TTL {ttl}: saw {answers:?}"));
                }
            }
        }
    }
    (right, total, wrong)
}

/// Runs `cmd` inside the source namespace (spawned from a thread that entered it, so no
/// `ip netns exec` cost is counted) and returns its stdout.
fn output_in(net: &Topology, mut cmd: Command) -> Result<String, String> {
    let out = net
        .run_in(net.source(), move || {
            cmd.stdin(Stdio::null()).stderr(Stdio::piped()).output()
        })
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// scapy's `traceroute` (or `traceroute6`) over every target and port at once, in one python3
/// process (testbed's oracle, the one the oracle test runs too).
fn scapy(net: &Topology, targets: &[IpAddr]) -> RunResult {
    let run = Traceroute::new()
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(TIMEOUT_S))
        .run(net, targets)
        .map_err(|e| e.to_string())?;
    let tally = run.tally();
    if !tally.is_complete() {
        return Err(format!("scapy lost probes: {tally:?}"));
    }
    let mut obs = Observed::new();
    for a in run.answers {
        let kind = match a.kind {
            AnswerKind::TimeExceeded => Kind::TimeExceeded,
            AnswerKind::SynAck => Kind::SynAck,
            AnswerKind::Rst => Kind::Rst,
            _ => Kind::Other,
        };
        record(&mut obs, a.target, a.port, a.ttl, a.from, kind);
    }
    Ok((obs, None))
}

/// One `traceroute -T` per (target, port), one after the other, as a shell loop would.
fn traceroute_loop(net: &Topology, targets: &[IpAddr]) -> RunResult {
    let jobs: Vec<(IpAddr, u16)> = targets
        .iter()
        .flat_map(|&t| PORTS.map(|p| (t, p)))
        .collect();
    let outputs = net
        .run_in(net.source(), move || {
            jobs.into_iter()
                .map(|(t, p)| {
                    Command::new("traceroute")
                        .args(["-T", "-n", "-N", "32", "-q", "1"])
                        .args(["-w", &TIMEOUT_S.to_string()])
                        .args(["-m", &MAX_TTL.to_string()])
                        .args(["-p", &p.to_string()])
                        .arg(t.to_string())
                        .stdin(Stdio::null())
                        .stderr(Stdio::null())
                        .output()
                        .map(|o| (t, p, String::from_utf8_lossy(&o.stdout).into_owned()))
                })
                .collect::<std::io::Result<Vec<_>>>()
        })
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot run traceroute: {e}"))?;
    let mut obs = Observed::new();
    for (t, p, text) in outputs {
        for line in text.lines().skip(1) {
            let mut words = line.split_whitespace();
            let (Some(ttl), Some(addr)) = (words.next(), words.next()) else {
                continue;
            };
            if let (Ok(ttl), Ok(addr)) = (ttl.parse(), addr.parse()) {
                record(&mut obs, t, p, ttl, addr, Kind::Unknown);
            }
        }
    }
    Ok((obs, None))
}

/// One `scamper` process tracing every (target, port) in TCP mode, at its highest rate.
fn scamper(net: &Topology, targets: &[IpAddr]) -> RunResult {
    let mut cmd = Command::new("scamper");
    cmd.args(["-O", "json", "-p", "10000"]);
    for t in targets {
        for p in PORTS {
            cmd.arg("-I").arg(format!(
                "trace -P tcp -d {p} -q 1 -m {MAX_TTL} -w {TIMEOUT_S} {t}"
            ));
        }
    }
    let text = output_in(net, cmd)?;
    let mut obs = Observed::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["type"] != "trace" {
            continue;
        }
        let (Some(dst), Some(port)) = (
            v["dst"].as_str().and_then(|s| s.parse::<IpAddr>().ok()),
            v["dport"].as_u64().and_then(|p| u16::try_from(p).ok()),
        ) else {
            continue;
        };
        for hop in v["hops"].as_array().into_iter().flatten() {
            let (Some(addr), Some(ttl)) = (
                hop["addr"].as_str().and_then(|s| s.parse::<IpAddr>().ok()),
                hop["probe_ttl"].as_u64().and_then(|t| u8::try_from(t).ok()),
            ) else {
                continue;
            };
            // ICMP time exceeded is type 11, ICMPv6 time exceeded type 3.
            let time_exceeded = if dst.is_ipv4() { 11 } else { 3 };
            let kind = if hop["icmp_type"].as_u64() == Some(time_exceeded) {
                Kind::TimeExceeded
            } else if let Some(flags) = hop["tcp_flags"].as_u64() {
                if flags & 0x12 == 0x12 {
                    Kind::SynAck
                } else if flags & 0x04 != 0 {
                    Kind::Rst
                } else {
                    Kind::Other
                }
            } else {
                Kind::Other
            };
            record(&mut obs, dst, port, ttl, addr, kind);
        }
    }
    Ok((obs, None))
}

/// One `tcptrace::trace` call inside the source namespace, as the library's users make it.
/// Its CPU time is the calling thread's (the driver is single-threaded).
fn tcptrace_run(net: &Topology, targets: &[IpAddr], all_ttls: bool) -> RunResult {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(TIMEOUT_S))
        .all_ttls(all_ttls)
        .build()
        .map_err(|e| e.to_string())?;
    let (report, cpu) = net
        .run_in(net.source(), move || {
            let c0 = thread_cpu();
            let report = tcptrace::trace(&config);
            (report, thread_cpu().saturating_sub(c0))
        })
        .map_err(|e| e.to_string())?;
    let report = report.map_err(|e| e.to_string())?;
    let obs = observed(&report);
    Ok((obs, Some(cpu)))
}

/// Who answered, as the report says.
fn observed(report: &tcptrace::TraceReport) -> Observed {
    let mut obs = Observed::new();
    for t in &report.traces {
        for hop in &t.hops {
            for r in &hop.replies {
                let kind = match r.kind {
                    ReplyKind::TimeExceeded => Kind::TimeExceeded,
                    ReplyKind::SynAck => Kind::SynAck,
                    ReplyKind::Rst => Kind::Rst,
                    ReplyKind::Unreachable(_) | ReplyKind::EchoReply => Kind::Other,
                };
                record(&mut obs, t.addr, t.port, hop.ttl, r.from, kind);
            }
        }
    }
    obs
}

/// A whole `tcptrace::trace` run with pacing off and a window as large as the plan: every
/// probe of 64 × 2 × 30 sent at once, and every reply parsed and matched.
struct FullRun {
    probes: u64,
    wall: Duration,
    cpu: Duration,
    right: usize,
    total: usize,
}

fn full_run(
    net: &Topology,
    targets: &[IpAddr],
    truth: &BTreeMap<IpAddr, GroundTruth>,
) -> Result<FullRun, String> {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(TIMEOUT_S))
        .all_ttls(true)
        .gap_limit(None)
        .no_pacing()
        .max_in_flight(65_536)
        .build()
        .map_err(|e| e.to_string())?;
    let (report, wall, cpu) = net
        .run_in(net.source(), move || {
            let c0 = thread_cpu();
            let t0 = Instant::now();
            let report = tcptrace::trace(&config);
            (report, t0.elapsed(), thread_cpu().saturating_sub(c0))
        })
        .map_err(|e| e.to_string())?;
    let report = report.map_err(|e| e.to_string())?;
    let probes = report
        .traces
        .iter()
        .flat_map(|t| &t.hops)
        .map(|h| u64::from(h.probes))
        .sum();
    let (right, total, _) = score(truth, &observed(&report));
    Ok(FullRun {
        probes,
        wall,
        cpu,
        right,
        total,
    })
}

/// Probes per second of the engine alone and of the engine with its raw-socket transport,
/// pacing off and no window: every probe of the plan is written (and sent) in one loop.
struct Rates {
    engine_probes: u64,
    engine_wall: Duration,
    sent: u64,
    send_wall: Duration,
    send_cpu: Duration,
    send_errors: u64,
}

fn flows_for(src: IpAddr, targets: &[IpAddr], ports: &[u16]) -> Vec<Flow> {
    targets
        .iter()
        .flat_map(|&dst| {
            ports
                .iter()
                .map(move |&port| Flow::new(dst.to_string(), src, dst, port))
        })
        .collect()
}

fn unpaced(targets: &[IpAddr]) -> Result<TraceConfig, String> {
    TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .max_ttl(MAX_TTL)
        .all_ttls(true)
        .gap_limit(None)
        .no_pacing()
        .max_in_flight(u32::MAX)
        .build()
        .map_err(|e| e.to_string())
}

fn engine_rates() -> Result<Rates, String> {
    // A source linked straight to a blackholed sink: probes cost one veth hop and an
    // nftables drop, and nothing comes back.
    let net = Topology::builder()
        .source("src")
        .destination("sink", Destination::new().blackhole().addresses(64))
        .link("src", "sink")
        .build()
        .map_err(|e| e.to_string())?;
    let targets = net.targets("sink", Family::V4).map_err(|e| e.to_string())?;
    let src = net.source_address(Family::V4);
    let config = unpaced(&targets)?;

    // The engine alone: 64 targets × 256 ports × 30 TTLs.
    let mut engine = Engine::new(
        &config,
        flows_for(src, &targets, &(1..=256).collect::<Vec<u16>>()),
        7,
    )
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(64);
    let t0 = Instant::now();
    let now = Instant::now();
    let mut engine_probes = 0u64;
    while engine.poll_transmit(now, &mut buf).is_some() {
        engine_probes += 1;
    }
    let engine_wall = t0.elapsed();

    // Engine and transport: 64 targets × 16 ports × 30 TTLs, each probe really sent.
    net.run_in("src", move || -> Result<Rates, String> {
        let mut sockets = RawSockets::open(true, false).map_err(|e| e.to_string())?;
        let mut engine = Engine::new(
            &config,
            flows_for(src, &targets, &(1..=16).collect::<Vec<u16>>()),
            11,
        )
        .map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(64);
        let c0 = thread_cpu();
        let t0 = Instant::now();
        let now = Instant::now();
        let mut sent = 0u64;
        while let Some(tx) = engine.poll_transmit(now, &mut buf) {
            // A failed send is counted in send_errors; the rate counts every attempt.
            match sockets.send(&tx, &buf) {
                Ok(()) | Err(tcptrace::Error::Send { .. }) => sent += 1,
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(Rates {
            engine_probes,
            engine_wall,
            sent,
            send_wall: t0.elapsed(),
            send_cpu: thread_cpu().saturating_sub(c0),
            send_errors: sockets.send_errors(),
        })
    })
    .map_err(|e| e.to_string())?
}

/// `src - r1 - r2 - r3 - r4 - r5 - web` (48 addresses, 80 open, 443 closed), and a branch
/// `r2 - r6 - db` (16 addresses, 443 open, 80 closed): 64 targets, every probe answered.
fn topology() -> Result<Topology, testbed::scapy::Error> {
    Network::new()
        .routers(5)
        .branch_at(2)
        .web_addresses(48)
        .db_addresses(16)
        .build()
}

fn bench_dir() -> PathBuf {
    std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn ratio(peer: Duration, ours: Duration) -> f64 {
    if ours.is_zero() {
        f64::INFINITY
    } else {
        peer.as_secs_f64() / ours.as_secs_f64()
    }
}

fn per_sec(n: u64, d: Duration) -> String {
    if d.is_zero() {
        return "∞".to_owned();
    }
    // Thousands separators make six-figure rates readable.
    let rate = (u32::try_from(n).map_or(f64::MAX, f64::from) / d.as_secs_f64()).round();
    let digits = format!("{rate:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn header(targets: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## trace: {targets} targets × ports 80, 443, max TTL {MAX_TTL}\n"
    );
    md.push_str(
        "In a namespace test network: `src - r1..r5 - web` (48 addresses, 80 open, 443 closed) \
         and `r2 - r6 - db` (16 addresses, 443 open, 80 closed); per-probe timeout 1 s, one \
         attempt. Every tool runs in the source namespace in the same run, in 7 interleaved rounds \
         (scapy: 1), median wall time, mean CPU time, worst accuracy. CPU: tcptrace's \
         thread (schedstat), peers' processes (waited-for children, 10 ms ticks). Hops right: \
         every TTL up to the destination, for every (target, port), against the topology's \
         ground truth. The targets of the issue (≥ 30× scapy, ≥ 2× the fastest C peer) are \
         judged on IPv4.\n",
    );
    md
}

fn render(family: Family, rows: &[Result<Measured, (&'static str, String)>]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n### {}\n",
        match family {
            Family::V4 => "IPv4 (scapy `traceroute`)",
            Family::V6 => "IPv6 (scapy `traceroute6`)",
        }
    );
    md.push_str("| tool | how | wall (ms) | CPU (ms) | hops right |\n|---|---|---:|---:|---:|\n");
    for r in rows {
        match r {
            Ok(m) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {}/{} ({:.1}%) |",
                    m.tool,
                    m.note,
                    ms(m.wall),
                    ms(m.cpu),
                    m.right,
                    m.total,
                    m.accuracy()
                );
            }
            Err((tool, e)) => {
                let _ = writeln!(md, "| {tool} | failed: {} | | | |", e.replace('|', "/"));
            }
        }
    }
    let ours = rows.iter().flatten().find(|m| m.tool == TCPTRACE);
    if let Some(ours) = ours {
        md.push_str(
            "\n| peer | tcptrace wall (ms) | peer wall (ms) | wall ratio (peer ÷ tcptrace) | \
             tcptrace CPU (ms) | peer CPU (ms) | CPU ratio | target |\n\
             |---|---:|---:|---:|---:|---:|---:|---|\n",
        );
        let fastest_c = rows
            .iter()
            .flatten()
            .filter(|m| m.tool == TRACEROUTE || m.tool == SCAMPER)
            .map(|m| m.wall)
            .min();
        for m in rows
            .iter()
            .flatten()
            .filter(|m| m.tool != TCPTRACE && m.tool != TCPTRACE_ALL)
        {
            let r = ratio(m.wall, ours.wall);
            let target = if family == Family::V6 {
                String::new()
            } else if m.tool == SCAPY {
                format!("≥ 30×: {}", if r >= 30.0 { "met" } else { "NOT met" })
            } else if Some(m.wall) == fastest_c {
                format!(
                    "≥ 2× (fastest C peer): {}",
                    if r >= 2.0 { "met" } else { "NOT met" }
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.1}× | {} | {} | {:.1}× | {} |",
                m.tool,
                ms(ours.wall),
                ms(m.wall),
                r,
                ms(ours.cpu),
                ms(m.cpu),
                ratio(m.cpu, ours.cpu),
                target
            );
        }
        // The same work as scapy: every TTL to 30.
        let all = rows.iter().flatten().find(|m| m.tool == TCPTRACE_ALL);
        let scapy = rows.iter().flatten().find(|m| m.tool == SCAPY);
        if let (Some(all), Some(scapy)) = (all, scapy) {
            let _ = writeln!(
                md,
                "| {} vs {} (same probes) | {} | {} | {:.1}× | {} | {} | {:.1}× | |",
                SCAPY,
                TCPTRACE_ALL,
                ms(all.wall),
                ms(scapy.wall),
                ratio(scapy.wall, all.wall),
                ms(all.cpu),
                ms(scapy.cpu),
                ratio(scapy.cpu, all.cpu),
            );
        }
    }
    md
}

fn render_rates(md: &mut String, rates: &Result<Rates, String>, full: &Result<FullRun, String>) {
    md.push_str(
        "\n**Probe rate, pacing off, no window** (target: ≥ 50,000 probes/s on one core)\n\n",
    );
    match rates {
        Ok(r) => {
            md.push_str(
                "| what | probes | wall (ms) | probes/s | target |\n|---|---:|---:|---:|---|\n",
            );
            let engine_rate = u32::try_from(r.engine_probes).map_or(f64::MAX, f64::from)
                / r.engine_wall.as_secs_f64().max(1e-9);
            let send_rate = u32::try_from(r.sent).map_or(f64::MAX, f64::from)
                / r.send_wall.as_secs_f64().max(1e-9);
            let _ = writeln!(
                md,
                "| engine alone (`poll_transmit`) | {} | {} | {} | {} |",
                r.engine_probes,
                ms(r.engine_wall),
                per_sec(r.engine_probes, r.engine_wall),
                if engine_rate >= 50_000.0 {
                    "met"
                } else {
                    "NOT met"
                }
            );
            let _ = writeln!(
                md,
                "| engine + raw socket send (to a linked blackhole host; {} send errors; CPU {} ms, {} probes per CPU-second) | {} | {} | {} | {} |",
                r.send_errors,
                ms(r.send_cpu),
                per_sec(r.sent, r.send_cpu),
                r.sent,
                ms(r.send_wall),
                per_sec(r.sent, r.send_wall),
                if send_rate >= 50_000.0 {
                    "met"
                } else {
                    "NOT met"
                }
            );
        }
        Err(e) => {
            let _ = writeln!(md, "failed: {e}");
        }
    }
    match full {
        Ok(f) => {
            let _ = writeln!(
                md,
                "| whole `tcptrace::trace`, all TTLs, window 65,536, in the test network (replies parsed and matched; CPU {} ms; hops right {}/{}) | {} | {} | {} | |",
                ms(f.cpu),
                f.right,
                f.total,
                f.probes,
                ms(f.wall),
                per_sec(f.probes, f.wall),
            );
        }
        Err(e) => {
            let _ = writeln!(md, "\nwhole run failed: {e}");
        }
    }
}

const TCPTRACE: &str = "tcptrace";
const TCPTRACE_ALL: &str = "tcptrace, all TTLs";
const SCAPY: &str = "scapy `traceroute`";
const TRACEROUTE: &str = "`traceroute -T` loop";
const SCAMPER: &str = "`scamper` TCP";

/// Every tool over `targets`, in interleaved rounds: scapy once (it takes seconds), the others
/// seven times.
fn run_all(
    net: &Topology,
    targets: &[IpAddr],
    truth: &BTreeMap<IpAddr, GroundTruth>,
) -> Vec<Result<Measured, (&'static str, String)>> {
    let scapy_note = if targets.first().is_some_and(IpAddr::is_ipv6) {
        "one python3 process, `traceroute6(targets, dport=[80, 443], maxttl=30, timeout=1)`"
    } else {
        "one python3 process, `traceroute(targets, dport=[80, 443], maxttl=30, timeout=1)`"
    };
    let tools = vec![
        Tool {
            name: TCPTRACE,
            note: "`tcptrace::trace`, defaults (stop at the destination)",
            runs: ROUNDS,
            run: Box::new(|| tcptrace_run(net, targets, false)),
        },
        Tool {
            name: TCPTRACE_ALL,
            note: "`all_ttls(true)`: every TTL to 30, like scapy",
            runs: ROUNDS,
            run: Box::new(|| tcptrace_run(net, targets, true)),
        },
        Tool {
            name: SCAPY,
            note: scapy_note,
            runs: 1,
            run: Box::new(|| scapy(net, targets)),
        },
        Tool {
            name: TRACEROUTE,
            note: "128 runs of `traceroute -T -n -N 32 -q 1 -w 1 -m 30 -p PORT`",
            runs: ROUNDS,
            run: Box::new(|| traceroute_loop(net, targets)),
        },
        Tool {
            name: SCAMPER,
            note: "one process, 128 × `trace -P tcp -q 1 -w 1 -m 30`, `-p 10000`",
            runs: ROUNDS,
            run: Box::new(|| scamper(net, targets)),
        },
    ];
    measure_all(tools, truth)
}

/// Rounds of the fast tools.
const ROUNDS: usize = 7;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a test run has no business taking a minute to measure.
    if !std::env::args().any(|a| a == "--bench") {
        println!("trace: benchmark skipped (run it with `cargo bench --bench trace`)");
        return;
    }
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let path = dir.join("trace.md");
    if !testbed::require_root("bench trace") {
        let md = "## trace\n\nSkipped: needs root (namespaces, raw sockets).\n";
        print!("{md}");
        std::fs::write(&path, md).expect("write trace.md");
        return;
    }
    let net = topology().expect("build the test network");
    let mut md = String::new();
    let mut v4 = (Vec::new(), BTreeMap::new());
    for family in [Family::V4, Family::V6] {
        let targets = Network::targets(&net, family).expect("web and db targets");
        let truth: BTreeMap<IpAddr, GroundTruth> = targets
            .iter()
            .map(|&t| (t, net.ground_truth(t).expect("ground truth")))
            .collect();
        if md.is_empty() {
            md = header(targets.len());
        }
        let rows = run_all(&net, &targets, &truth);
        md.push_str(&render(family, &rows));
        if family == Family::V4 {
            v4 = (targets, truth);
        }
    }
    let full = full_run(&net, &v4.0, &v4.1);
    drop(net);
    let rates = engine_rates();
    render_rates(&mut md, &rates, &full);
    print!("{md}");
    std::fs::write(&path, &md).expect("write trace.md");
    println!("\nwrote {}", path.display());
}
