//! Peer benchmark of `tcptrace` at scale: 10,000 targets × ports 80 and 443 behind kernel
//! routers that keep Linux's default ICMP rate limits (`testbed::netns::ten_thousand`), against
//! `scamper` in TCP mode on the same list, in the same run, at the same pace. Each tool runs
//! once from the source namespace from the topology's pool of 1,016 source addresses (ours:
//! `source_pool`; scamper: `trace -S` per target, the same address for the same target), then
//! once from the source's one address (the usual way), for the comparison of like with like
//! and to show what the pool is for. Reported per run: wall time, CPU time (ours: the tracing
//! thread's CPU clock; scamper: its process's user and system time, the kernel's accounting
//! of waited-for children that `getrusage(RUSAGE_CHILDREN)` reports, read from
//! `/proc/self/stat`), probes sent and per second, and hops right against the topology's
//! ground truth.
//!
//! Run with `cargo bench --bench scale` as root. Writes `target/bench/scale.md` (or
//! `$OPSKIT_BENCH_DIR/scale.md`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opskit::tcptrace::{self, ReplyKind, TraceConfig};
use rustix::time::{ClockId, clock_gettime};
use testbed::netns::{Family, GroundTruth, Reply, TEN_THOUSAND, Topology, ten_thousand};

const PORTS: [u16; 2] = [80, 443];
const MAX_TTL: u8 = 12;
/// Probes per second, both tools: with a trace's first TTLs back to back, the router next to
/// the source gets about a fifth of it, below its overall limit of 1000 ICMP errors a second.
const PPS: u32 = 3_000;
/// Attempts per hop, both tools (ours: one probe and 3 retries).
const ATTEMPTS: u8 = 4;
/// Seconds to wait for the answer to one probe, both tools.
const WAIT_S: u64 = 1;

/// What answered a probe, as far as scoring needs it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    TimeExceeded,
    SynAck,
    Rst,
    Other,
}

/// Per (target, port): who answered at each TTL.
type Seen = HashMap<(IpAddr, u16), Vec<(u8, IpAddr, Answer)>>;

/// One tool's run.
struct Run {
    tool: &'static str,
    sources: &'static str,
    wall: Duration,
    cpu: Duration,
    probes: u64,
    right: usize,
    total: usize,
}

impl Run {
    /// A run not scored yet.
    fn new(
        tool: &'static str,
        pool: &[IpAddr],
        wall: Duration,
        cpu: Duration,
        probes: u64,
    ) -> Self {
        Self {
            tool,
            sources: if pool.is_empty() { "one" } else { "pool" },
            wall,
            cpu,
            probes,
            right: 0,
            total: 0,
        }
    }
}

/// Hops right and hops expected: every TTL up to the destination's, for every (target, port).
/// A router's TTL is right when it answered with a time exceeded, from an address the ground
/// truth accepts at that TTL; the destination's when the target answered as it must (SYN-ACK
/// or RST), or nothing came for a port it drops.
fn hops_right(truth: &[GroundTruth], seen: &Seen) -> (usize, usize) {
    let none = Vec::new();
    let (mut right, mut total) = (0, 0);
    for gt in truth {
        for port in PORTS {
            let got = seen.get(&(gt.target, port)).unwrap_or(&none);
            let at = |ttl: u8| got.iter().filter(move |(t, _, _)| *t == ttl);
            for hop in &gt.hops {
                total += 1;
                let mut answers = at(hop.ttl).peekable();
                let ok = answers.peek().is_some()
                    && answers.all(|&(_, from, a)| a == Answer::TimeExceeded && hop.accepts(from));
                right += usize::from(ok);
            }
            total += 1;
            let want = match gt.reply(port) {
                Reply::SynAck => Some(Answer::SynAck),
                Reply::Rst => Some(Answer::Rst),
                Reply::Nothing => None,
            };
            let mut answers = at(gt.destination_ttl).peekable();
            let ok = match want {
                None => answers.peek().is_none(),
                Some(w) => {
                    answers.peek().is_some()
                        && answers.all(|&(_, from, a)| from == gt.target && a == w)
                }
            };
            right += usize::from(ok);
        }
    }
    (right, total)
}

fn thread_cpu() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec.unsigned_abs(), t.tv_nsec.unsigned_abs() as u32)
}

/// User plus system time of the waited-for children so far: the kernel's accounting that
/// `getrusage(RUSAGE_CHILDREN)` reports, read from `/proc/self/stat` (`cutime`, `cstime`, in
/// 10 ms ticks) since rustix has no `getrusage`.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, in parentheses, may hold spaces: count fields after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(13)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn ours(net: &Topology, targets: &[IpAddr], pool: &[IpAddr]) -> Result<(Seen, Run), String> {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .ports(PORTS)
        .max_ttl(MAX_TTL)
        .timeout(Duration::from_secs(WAIT_S))
        .retry(i32::from(ATTEMPTS) - 1)
        .pps(PPS)
        .max_in_flight(8192)
        .depth_first(true)
        .source_pool(pool.iter().copied())
        .build()
        .map_err(|e| e.to_string())?;
    let (report, wall, cpu) = net
        .run_in(net.source(), move || {
            let (t0, c0) = (Instant::now(), thread_cpu());
            let report = tcptrace::trace(&config);
            (report, t0.elapsed(), thread_cpu().saturating_sub(c0))
        })
        .map_err(|e| e.to_string())?;
    let report = report.map_err(|e| e.to_string())?;
    let mut seen = Seen::new();
    for t in &report.traces {
        let got = seen.entry((t.addr, t.port)).or_default();
        for h in &t.hops {
            for r in &h.replies {
                let a = match r.kind {
                    ReplyKind::TimeExceeded => Answer::TimeExceeded,
                    ReplyKind::SynAck => Answer::SynAck,
                    ReplyKind::Rst => Answer::Rst,
                    _ => Answer::Other,
                };
                got.push((h.ttl, r.from, a));
            }
        }
    }
    let probes = report.engine_stats.map_or(0, |s| s.sent);
    Ok((seen, Run::new("tcptrace", pool, wall, cpu, probes)))
}

/// One `scamper` process running a command file of one `trace` per (target, port).
fn scamper(net: &Topology, targets: &[IpAddr], pool: &[IpAddr]) -> Result<(Seen, Run), String> {
    let mut cmds = String::new();
    for (i, t) in targets.iter().enumerate() {
        let src = if pool.is_empty() {
            String::new()
        } else {
            format!("-S {} ", pool[i % pool.len()])
        };
        for p in PORTS {
            let _ = writeln!(
                cmds,
                "trace -P tcp -d {p} -q {ATTEMPTS} -m {MAX_TTL} -w {WAIT_S} {src}{t}"
            );
        }
    }
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), cmds).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("scamper");
    cmd.args(["-O", "json", "-O", "cmdfile", "-p", &PPS.to_string(), "-f"])
        .arg(file.path())
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    let (out, wall, cpu) = net
        .run_in(net.source(), move || {
            let (t0, c0) = (Instant::now(), children_cpu());
            let out = cmd.output();
            (out, t0.elapsed(), children_cpu().saturating_sub(c0))
        })
        .map_err(|e| e.to_string())?;
    let out = out.map_err(|e| format!("cannot run scamper: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scamper {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut seen = Seen::new();
    let mut probes = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["type"] != "trace" {
            continue;
        }
        probes += v["probe_count"].as_u64().unwrap_or(0);
        let (Some(dst), Some(port)) = (
            v["dst"].as_str().and_then(|s| s.parse::<IpAddr>().ok()),
            v["dport"].as_u64().and_then(|p| u16::try_from(p).ok()),
        ) else {
            continue;
        };
        let got = seen.entry((dst, port)).or_default();
        for hop in v["hops"].as_array().into_iter().flatten() {
            let (Some(from), Some(ttl)) = (
                hop["addr"].as_str().and_then(|s| s.parse::<IpAddr>().ok()),
                hop["probe_ttl"].as_u64().and_then(|t| u8::try_from(t).ok()),
            ) else {
                continue;
            };
            let flags = hop["tcp_flags"].as_u64();
            let a = if hop["icmp_type"].as_u64() == Some(11) {
                Answer::TimeExceeded
            } else if flags.is_some_and(|f| f & 0x12 == 0x12) {
                Answer::SynAck
            } else if flags.is_some_and(|f| f & 0x04 != 0) {
                Answer::Rst
            } else {
                Answer::Other
            };
            got.push((ttl, from, a));
        }
    }
    Ok((seen, Run::new("scamper", pool, wall, cpu, probes)))
}

/// A count as a float, for rates and shares (counts here stay far below 2^52).
fn float(n: impl TryInto<u32>) -> f64 {
    n.try_into().map_or(f64::from(u32::MAX), f64::from)
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

fn rate(n: u64, d: Duration) -> String {
    if d.is_zero() {
        return "-".to_owned();
    }
    format!("{:.0}", float(n) / d.as_secs_f64())
}

fn render(runs: &[Result<Run, String>], built: Duration) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## scale: 10,000 targets × ports 80, 443 behind Linux-rate-limited routers\n\n\
         `testbed::netns::ten_thousand`: `src - r1 - r2`, then `r3a - web` (4,000 addresses, \
         80 and 443 open), `r3b - mixed` (4,000, 80 open, 443 closed), `near` (1,500, 80 closed, \
         443 dropped) and `r3b - hole` (500, blackhole); the routers keep Linux's default ICMP \
         rate limits (1 a second per host, burst 6; 1000 a second overall). Built in {} s. \
         Both tools: {PPS} probes/s, {ATTEMPTS} attempts per hop, {WAIT_S} s wait, max TTL \
         {MAX_TTL}; ours sends each trace's TTLs back to back (`depth_first`). Sources: the \
         source's own address (one), or 1,016 addresses taken in turn per target (pool; \
         scamper `trace -S`). CPU: our tracing thread's CPU clock; scamper's process, \
         `getrusage(RUSAGE_CHILDREN)`. Hops right: every TTL up to the destination's, for \
         every (target, port), against the ground truth. Release build, one run each.\n",
        secs(built)
    );
    md.push_str(
        "| tool | sources | wall (s) | CPU (s) | probes | probes/s | hops right |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in runs {
        match r {
            Ok(r) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} / {} ({:.2}%) |",
                    r.tool,
                    r.sources,
                    secs(r.wall),
                    secs(r.cpu),
                    r.probes,
                    rate(r.probes, r.wall),
                    r.right,
                    r.total,
                    100.0 * float(r.right) / float(r.total.max(1))
                );
            }
            Err(e) => {
                let _ = writeln!(md, "| failed: {} | | | | | | |", e.replace('|', "/"));
            }
        }
    }
    let find = |tool: &str, sources: &str| {
        runs.iter()
            .flatten()
            .find(|r| r.tool == tool && r.sources == sources)
    };
    md.push_str("\nRatios, scamper / ours, from the same sources:\n\n");
    for sources in ["one", "pool"] {
        if let (Some(o), Some(s)) = (find("tcptrace", sources), find("scamper", sources)) {
            let _ = writeln!(
                md,
                "- {sources}: wall {:.2}×, CPU {:.2}×, probes {:.2}×; hops right {} vs ours {}",
                s.wall.as_secs_f64() / o.wall.as_secs_f64().max(1e-9),
                s.cpu.as_secs_f64() / o.cpu.as_secs_f64().max(1e-9),
                float(s.probes) / float(o.probes.max(1)),
                s.right,
                o.right
            );
        }
    }
    md
}

fn bench_dir() -> PathBuf {
    std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    )
}

/// One tool's run over the targets from the given sources (none: the source's own address).
type Tool = fn(&Topology, &[IpAddr], &[IpAddr]) -> Result<(Seen, Run), String>;

fn main() {
    if !testbed::require_root("bench scale") {
        return;
    }
    let t0 = Instant::now();
    let net = ten_thousand().expect("building the network");
    let built = t0.elapsed();
    let mut targets = Vec::new();
    for (name, _) in TEN_THOUSAND {
        targets.extend(net.targets(name, Family::V4).expect("a destination"));
    }
    let truth: Vec<GroundTruth> = targets
        .iter()
        .map(|&t| net.ground_truth(t).expect("a target of the network"))
        .collect();
    let pool = net.source_pool();
    let plan: [(Tool, &[IpAddr]); 4] =
        [(ours, &pool), (scamper, &pool), (ours, &[]), (scamper, &[])];
    let mut runs = Vec::new();
    for (tool, sources) in plan {
        let run = tool(&net, &targets, sources).map(|(seen, mut run)| {
            (run.right, run.total) = hops_right(&truth, &seen);
            run
        });
        match &run {
            Ok(r) => eprintln!(
                "{} ({} source): {} s, {} probes, {} / {} hops right",
                r.tool,
                r.sources,
                secs(r.wall),
                r.probes,
                r.right,
                r.total
            ),
            Err(e) => eprintln!("failed: {e}"),
        }
        runs.push(run);
    }
    let md = render(&runs, built);
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("creating the bench directory");
    std::fs::write(dir.join("scale.md"), &md).expect("writing scale.md");
    print!("{md}");
}
