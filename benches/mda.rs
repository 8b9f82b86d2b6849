//! Peer benchmark of multipath discovery: `tcptrace` with `mda(95)` against scamper's
//! `tracelb -P tcp-sport` (95%, its default), both discovering the same seven diamonds of
//! kernel ECMP routes (`testbed::netns::diamonds`: widths 2, 3, 5 and 8, nested, uneven,
//! meshed) from the same source namespace in the same run. We compare probes sent, wall time
//! and interfaces found against the topology's ground truth.
//!
//! Run with `cargo bench --bench mda` as root. Writes `target/bench/mda.md` (or
//! `$OPSKIT_BENCH_DIR/mda.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use opskit::tcptrace::{self, TraceConfig};
use testbed::netns::{DIAMONDS, ExpectedHop, Family, Topology, diamonds};
use testbed::tracelb::tracelb;

/// Rounds of each tool, interleaved; the report takes the median wall time.
const ROUNDS: usize = 3;
/// The per-probe timeout both tools get, in seconds.
const WAIT_S: u32 = 1;

/// One tool's result over every diamond in one round.
struct Round {
    wall: Duration,
    /// Per target: probes sent, interfaces found.
    per_target: BTreeMap<IpAddr, (u64, BTreeSet<IpAddr>)>,
}

fn ours(net: &Topology, targets: &[IpAddr]) -> Result<Round, String> {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .port(80)
        .max_ttl(10)
        .timeout(Duration::from_secs(u64::from(WAIT_S)))
        .mda(95)
        .build()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let report = net
        .run_in(net.source(), move || tcptrace::trace(&config))
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    let per_target = report
        .traces
        .iter()
        .map(|t| {
            let probes = t.hops.iter().map(|h| u64::from(h.probes)).sum();
            let found = t.hops.iter().flat_map(tcptrace::Hop::addrs).collect();
            (t.addr, (probes, found))
        })
        .collect();
    Ok(Round { wall, per_target })
}

fn scamper(net: &Topology, targets: &[IpAddr]) -> Result<Round, String> {
    let run = tracelb(net, targets, 80, WAIT_S, 10_000)?;
    let per_target = run
        .targets
        .into_iter()
        .map(|(t, r)| (t, (r.probes, r.interfaces)))
        .collect();
    Ok(Round {
        wall: run.wall,
        per_target,
    })
}

fn bench_dir() -> PathBuf {
    std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    )
}

/// `a / b` for probe counts (far below 2^52).
fn ratio(a: u64, b: u64) -> f64 {
    let f = |n: u64| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    f(a) / f(b.max(1))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The interfaces a complete discovery finds towards `target`: every router address of the
/// ground truth, and the target.
fn truth(net: &Topology, target: IpAddr) -> BTreeSet<IpAddr> {
    let t = net.ground_truth(target).expect("ground truth");
    let mut all: BTreeSet<IpAddr> = t.hops.iter().flat_map(ExpectedHop::addresses).collect();
    all.insert(target);
    all
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("mda: benchmark skipped (run it with `cargo bench --bench mda`)");
        return;
    }
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let path = dir.join("mda.md");
    if !testbed::require_root("bench mda") {
        let md = "## mda\n\nSkipped: needs root (namespaces, raw sockets).\n";
        print!("{md}");
        std::fs::write(&path, md).expect("write mda.md");
        return;
    }
    let net = diamonds().expect("build the diamonds");
    let targets: Vec<IpAddr> = DIAMONDS
        .iter()
        .map(|d| net.address(d, Family::V4).expect("address"))
        .collect();
    let mut runs: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        runs[0].push(ours(&net, &targets).expect("tcptrace"));
        runs[1].push(scamper(&net, &targets).expect("scamper"));
    }
    let md = render(&net, &targets, &runs);
    print!("{md}");
    std::fs::write(&path, md).expect("write mda.md");
}

fn render(net: &Topology, targets: &[IpAddr], runs: &[Vec<Round>; 2]) -> String {
    let mut md = String::from("## mda: multipath discovery of seven ECMP diamonds\n\n");
    let _ = writeln!(
        md,
        "`tcptrace` `mda(95)` (MDA-Lite's flows, a successor test per router, the full MDA on \
         meshed hops or uneven numbers of successors) \
         against `scamper -p 10000` with one `tracelb -P tcp-sport -d 80 -w {WAIT_S}` per \
         target (95%, scamper's defaults otherwise: a probe every 250 ms per trace), all seven \
         targets in one run of each tool, {ROUNDS} interleaved rounds, in the namespace \
         network `testbed::netns::diamonds` (kernel ECMP routes, L4 hash, one hash seed per \
         router). Probes are the mean per round; interfaces found are the worst round's, \
         against the ground truth's routers and the target. Wall: median of the rounds.\n"
    );
    md.push_str(
        "| diamond | interfaces (truth) | ours found | scamper found | our probes | scamper probes | probe ratio (ours / scamper) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let (mut total_ours, mut total_theirs) = (0u64, 0u64);
    let mut all_found = true;
    for (shape, t) in DIAMONDS.iter().zip(targets) {
        let want = truth(net, *t);
        let stats = |rounds: &[Round]| {
            let mut probes = 0;
            let mut worst = usize::MAX;
            for r in rounds {
                let (p, found) = r.per_target.get(t).cloned().unwrap_or_default();
                probes += p;
                worst = worst.min(found.intersection(&want).count());
            }
            (probes / rounds.len().max(1) as u64, worst)
        };
        let (po, fo) = stats(&runs[0]);
        let (ps, fs) = stats(&runs[1]);
        all_found &= fo == want.len();
        total_ours += po;
        total_theirs += ps;
        let _ = writeln!(
            md,
            "| {shape} | {} | {fo} | {fs} | {po} | {ps} | {:.2} |",
            want.len(),
            ratio(po, ps)
        );
    }
    let wall_ours = median(runs[0].iter().map(|r| r.wall).collect());
    let wall_theirs = median(runs[1].iter().map(|r| r.wall).collect());
    let _ = writeln!(
        md,
        "| **all** | | | | **{total_ours}** | **{total_theirs}** | **{:.2}** |\n",
        ratio(total_ours, total_theirs)
    );
    let _ = writeln!(
        md,
        "Wall time for all seven: ours {:.1} ms, scamper {:.1} ms: scamper / ours = {:.1}×. \
         Every interface found by us in every round: {}. Target of the issue: every interface, \
         ≤ 0.7× scamper's probes and less wall time.\n",
        wall_ours.as_secs_f64() * 1000.0,
        wall_theirs.as_secs_f64() * 1000.0,
        wall_theirs.as_secs_f64() / wall_ours.as_secs_f64().max(1e-9),
        if all_found { "yes" } else { "no" }
    );
    md
}
