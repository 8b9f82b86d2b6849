//! Peer benchmark of multipath discovery: `tcptrace` with `mda(95)` against scamper's
//! `tracelb -P tcp-sport` (95%, its default), both discovering the same seven diamonds of
//! kernel ECMP routes (`testbed::netns::diamonds`: widths 2, 3, 5 and 8, nested, uneven,
//! meshed) from the same source namespace in the same run. We compare probes sent (in all and
//! per TTL), wall time, and the interfaces and links found against the topology's ground
//! truth (scamper's links: the interfaces one of its flow ids reached at consecutive TTLs),
//! and print the least a discovery that keeps the stopping rule at the first two hops needs.
//!
//! `OPSKIT_MDA_ROUNDS` sets the number of rounds (3 by default).
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

/// Rounds of each tool, interleaved, unless `OPSKIT_MDA_ROUNDS` says otherwise; the report
/// takes the median wall time.
const ROUNDS: usize = 3;
/// The confidence both tools use: ours as `mda(95)`, scamper's `tracelb` by default.
const CONFIDENCE: u8 = 95;
/// The per-probe timeout both tools get, in seconds.
const WAIT_S: u32 = 1;

/// A link: (TTL of `from`, `from`, `to`).
type Link = (u8, IpAddr, IpAddr);

/// One tool's result towards one target in one round.
#[derive(Clone, Default)]
struct Found {
    probes: u64,
    /// Probes per TTL (scamper's: as its JSON lists them, the first hop's unlisted).
    per_ttl: BTreeMap<u8, u64>,
    interfaces: BTreeSet<IpAddr>,
    links: BTreeSet<Link>,
}

/// One tool's result over every diamond in one round.
struct Round {
    wall: Duration,
    per_target: BTreeMap<IpAddr, Found>,
}

fn ours(net: &Topology, targets: &[IpAddr]) -> Result<Round, String> {
    let config = TraceConfig::builder()
        .targets(targets.iter().map(ToString::to_string))
        .port(80)
        .max_ttl(10)
        .timeout(Duration::from_secs(u64::from(WAIT_S)))
        .mda(CONFIDENCE)
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
            let found = Found {
                probes: t.hops.iter().map(|h| u64::from(h.probes)).sum(),
                per_ttl: t
                    .hops
                    .iter()
                    .map(|h| (h.ttl, u64::from(h.probes)))
                    .collect(),
                interfaces: t.hops.iter().flat_map(tcptrace::Hop::addrs).collect(),
                links: t.links.iter().map(|l| (l.ttl, l.from, l.to)).collect(),
            };
            (t.addr, found)
        })
        .collect();
    Ok(Round { wall, per_target })
}

fn scamper(net: &Topology, targets: &[IpAddr]) -> Result<Round, String> {
    let run = tracelb(net, targets, 80, WAIT_S, 10_000)?;
    let per_target = run
        .targets
        .into_iter()
        .map(|(t, r)| {
            let found = Found {
                probes: r.probes,
                interfaces: r.interfaces,
                links: r.links,
                per_ttl: r.per_ttl,
            };
            (t, found)
        })
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

/// The least probes a discovery towards `target` needs that keeps the stopping rule at
/// TTLs 1 and 2 (`n_1`, then `n_k` for TTL 2's `k` interfaces behind TTL 1's one router) and
/// finds each link from TTL 2 on with one probe.
fn least_probes(net: &Topology, target: IpAddr) -> u64 {
    let t = net.ground_truth(target).expect("ground truth");
    let n_k = |k: usize| -> u64 {
        // Veitch et al.'s table at 95%, as scamper's tracelb has it.
        const N_K: [u64; 8] = [6, 11, 16, 21, 27, 33, 38, 44];
        N_K[k.clamp(1, 8) - 1]
    };
    let width = |i: usize| t.hops.get(i).map_or(1, |h| h.addresses().len());
    let later = t.links(80).iter().filter(|l| l.0 >= 2).count() as u64;
    n_k(width(0)) + n_k(width(1)) + later
}

/// Over the rounds of one tool towards `t`: the mean probes, and the fewest interfaces and
/// links of the ground truth found in a round.
fn stats(
    rounds: &[Round],
    t: IpAddr,
    want: &BTreeSet<IpAddr>,
    want_links: &BTreeSet<Link>,
) -> (u64, usize, usize) {
    let mut probes = 0;
    let (mut worst, mut worst_links) = (usize::MAX, usize::MAX);
    for r in rounds {
        let f = r.per_target.get(&t).cloned().unwrap_or_default();
        probes += f.probes;
        worst = worst.min(f.interfaces.intersection(want).count());
        worst_links = worst_links.min(f.links.intersection(want_links).count());
    }
    (probes / rounds.len().max(1) as u64, worst, worst_links)
}

/// The mean probes per TTL towards `t` over the rounds of one tool, as `TTL: probes, ...`.
fn per_ttl(runs: &[Round], t: IpAddr) -> String {
    let mut sum: BTreeMap<u8, u64> = BTreeMap::new();
    for r in runs {
        let f = r.per_target.get(&t).cloned().unwrap_or_default();
        for (ttl, n) in f.per_ttl {
            *sum.entry(ttl).or_default() += n;
        }
    }
    let cells: Vec<String> = sum
        .iter()
        .map(|(ttl, n)| format!("{ttl}: {:.1}", ratio(*n, runs.len() as u64)))
        .collect();
    cells.join(", ")
}

/// What each round of each tool missed towards one target, one line per round that missed
/// anything.
fn missed_against(
    shape: &str,
    target: IpAddr,
    want: &BTreeSet<IpAddr>,
    want_links: &BTreeSet<Link>,
    runs: &[Vec<Round>; 2],
) -> String {
    let mut missed = String::new();
    for (who, r) in [("ours", &runs[0]), ("scamper", &runs[1])] {
        for (i, round) in r.iter().enumerate() {
            let f = round.per_target.get(&target).cloned().unwrap_or_default();
            let lost_if: Vec<String> = want
                .difference(&f.interfaces)
                .map(ToString::to_string)
                .collect();
            let lost_links: Vec<String> = want_links
                .difference(&f.links)
                .map(|(ttl, a, b)| format!("{ttl}: {a}→{b}"))
                .collect();
            if !lost_if.is_empty() || !lost_links.is_empty() {
                let _ = writeln!(
                    missed,
                    "- {shape}, {who}, round {}: interfaces [{}], links [{}]",
                    i + 1,
                    lost_if.join(", "),
                    lost_links.join(", ")
                );
            }
        }
    }
    missed
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
    let rounds = std::env::var("OPSKIT_MDA_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS)
        .max(1);
    let mut runs: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        runs[0].push(ours(&net, &targets).expect("tcptrace"));
        runs[1].push(scamper(&net, &targets).expect("scamper"));
    }
    let md = render(&net, &targets, &runs);
    print!("{md}");
    std::fs::write(&path, md).expect("write mda.md");
}

fn render(net: &Topology, targets: &[IpAddr], runs: &[Vec<Round>; 2]) -> String {
    let rounds = runs[0].len();
    let mut md = String::from("## mda: multipath discovery of seven ECMP diamonds\n\n");
    let _ = writeln!(
        md,
        "`tcptrace` `mda({CONFIDENCE})` (MDA-Lite's flows, a successor test per router, the \
         full MDA on meshed hops or uneven numbers of successors; {CONFIDENCE}% confidence) \
         against `scamper -p 10000` with one `tracelb -P tcp-sport -d 80 -w {WAIT_S}` per \
         target ({CONFIDENCE}% confidence, scamper's default `-c 95`; its defaults otherwise: \
         a probe every 250 ms per trace), all seven targets in one run of each tool, {rounds} \
         interleaved rounds, in the namespace network `testbed::netns::diamonds` (kernel ECMP \
         routes, L4 hash, one hash seed per router). Probes are the mean per round; \
         interfaces and links found are the worst round's, against the ground truth's routers \
         and the target, and its links. Wall: median of the rounds.\n"
    );
    md.push_str(
        "| diamond | interfaces (truth) | ours found | scamper found | links (truth) | ours found | scamper found | our probes | scamper probes | probe ratio (ours / scamper) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let (mut total_ours, mut total_theirs) = (0u64, 0u64);
    let (mut all_found, mut all_links) = (true, true);
    let mut breakdown = String::new();
    let mut total_least = 0u64;
    let mut missed = String::new();
    for (shape, t) in DIAMONDS.iter().zip(targets) {
        let want = truth(net, *t);
        let want_links: BTreeSet<Link> = net
            .ground_truth(*t)
            .expect("ground truth")
            .links(80)
            .into_iter()
            .collect();
        let (po, fo, lo) = stats(&runs[0], *t, &want, &want_links);
        let (ps, fs, ls) = stats(&runs[1], *t, &want, &want_links);
        all_found &= fo == want.len();
        all_links &= lo == want_links.len();
        total_ours += po;
        total_theirs += ps;
        let _ = writeln!(
            md,
            "| {shape} | {} | {fo} | {fs} | {} | {lo} | {ls} | {po} | {ps} | {:.2} |",
            want.len(),
            want_links.len(),
            ratio(po, ps)
        );
        let least = least_probes(net, *t);
        total_least += least;
        let _ = writeln!(
            breakdown,
            "| {shape} | {} | {} | {least} |",
            per_ttl(&runs[0], *t),
            per_ttl(&runs[1], *t)
        );
        missed.push_str(&missed_against(shape, *t, &want, &want_links, runs));
    }
    let wall_ours = median(runs[0].iter().map(|r| r.wall).collect());
    let wall_theirs = median(runs[1].iter().map(|r| r.wall).collect());
    let _ = writeln!(
        md,
        "| **all** | | | | | | | **{total_ours}** | **{total_theirs}** | **{:.2}** |\n",
        ratio(total_ours, total_theirs)
    );
    let _ = writeln!(
        md,
        "Wall time for all seven: ours {:.1} ms, scamper {:.1} ms: scamper / ours = {:.1}×. \
         Every interface found by us in every round: {}; every link: {}. Target of the issue: \
         every interface, ≤ 0.7× scamper's probes and less wall time.\n",
        wall_ours.as_secs_f64() * 1000.0,
        wall_theirs.as_secs_f64() * 1000.0,
        wall_theirs.as_secs_f64() / wall_ours.as_secs_f64().max(1e-9),
        if all_found { "yes" } else { "no" },
        if all_links { "yes" } else { "no" }
    );
    md.push_str(
        "Where the probes go (mean per round, TTL: probes), and the least any discovery needs \
         that keeps the stopping rule at the first two hops (`n_1` at TTL 1, `n_k` for the `k` \
         interfaces of TTL 2 behind its one router) and finds every link past them with one \
         probe each:\n\n\
         | diamond | ours | scamper | least |\n|---|---|---|---:|\n",
    );
    md.push_str(&breakdown);
    let _ = writeln!(
        md,
        "\nThe least for all seven is {total_least}: {:.2}× scamper's probes. scamper sends one \
         probe at TTL 1 (no stopping rule at the first hop) and one into the destination (it \
         finds one link into it), where we send `n_1` and one per router before it.\n",
        ratio(total_least, total_theirs)
    );
    if !missed.is_empty() {
        md.push_str("Missed against the ground truth:\n\n");
        md.push_str(&missed);
        md.push('\n');
    }
    md
}
