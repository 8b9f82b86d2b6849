//! Peer benchmark: importing 10,000 RIPE Atlas traceroute results, ours
//! (`routeviz::import`) against RIPE's own parser, ripe.atlas.sagan, on the same file.
//!
//! The file repeats the 21 published results of sagan's test suite
//! (crates/routeviz/tests/resources/import) with distinct probe ids, one result per line, as
//! Atlas downloads serve them. Both sides read the file and parse every result into their
//! model (hops, packets, RTTs, MPLS labels); each times itself in process, so interpreter
//! start-up is not counted against sagan. Medians of 5 runs.
//!
//! Writes a Markdown section to `target/bench/import.md` (or `$OPSKIT_BENCH_DIR`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use opskit::routeviz::import::{ImportFormat, import};

const RESULTS: usize = 10_000;
const REPS: usize = 5;

/// sagan parses each line as a traceroute result, as its documentation shows; it reports
/// the results and hops it read and its median time.
const SAGAN: &str = r#"
import json, sys, time
from ripe.atlas.sagan import TracerouteResult
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    results = hops = packets = 0
    with open(sys.argv[1]) as f:
        for line in f:
            r = TracerouteResult(line, on_error=TracerouteResult.ACTION_IGNORE,
                                 on_malformation=TracerouteResult.ACTION_IGNORE)
            results += 1
            hops += len(r.hops)
            packets += sum(len(h.packets) for h in r.hops)
    times.append(time.perf_counter() - t0)
times.sort()
json.dump({"results": results, "hops": hops, "packets": packets,
           "seconds": times[len(times) // 2]}, sys.stdout)
"#;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bench_dir = std::env::var_os("OPSKIT_BENCH_DIR")
        .map_or_else(|| root.join("target/bench"), PathBuf::from);
    std::fs::create_dir_all(&bench_dir).unwrap();
    let published = std::fs::read_to_string(
        root.join("crates/routeviz/tests/resources/import/atlas-sagan-tests.jsonl"),
    )
    .unwrap();
    let base: Vec<serde_json::Value> = published
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut text = String::new();
    for i in 0..RESULTS {
        let mut r = base[i % base.len()].clone();
        r["prb_id"] = serde_json::json!(100_000 + i);
        text.push_str(&serde_json::to_string(&r).unwrap());
        text.push('\n');
    }
    let path = std::env::temp_dir().join(format!("atlas-bench-{}.jsonl", std::process::id()));
    std::fs::write(&path, &text).unwrap();

    let mut times = Vec::with_capacity(REPS);
    let mut counts = (0, 0, 0);
    for _ in 0..REPS {
        let t0 = Instant::now();
        let text = std::fs::read_to_string(&path).unwrap();
        let report = import(&text, Some(ImportFormat::Atlas)).unwrap();
        times.push(t0.elapsed());
        let hops: usize = report.traces.iter().map(|t| t.hops.len()).sum();
        let replies: usize = report
            .traces
            .iter()
            .flat_map(|t| &t.hops)
            .map(|h| h.replies.len())
            .sum();
        counts = (
            report.traces.len() + report.failed_targets.len(),
            hops,
            replies,
        );
    }
    let ours = median(times);

    let python = std::env::var("OPSKIT_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(&python)
        .args(["-c", SAGAN])
        .arg(&path)
        .arg(REPS.to_string())
        .output()
        .expect("python3 (cargo xtask setup installs it and ripe.atlas.sagan)");
    assert!(
        out.status.success(),
        "sagan: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sagan = Duration::from_secs_f64(theirs["seconds"].as_f64().unwrap());
    let _ = std::fs::remove_file(&path);
    // Both read every result of the file.
    assert_eq!(theirs["results"].as_u64(), Some(counts.0 as u64));

    let mut md = String::new();
    let _ = writeln!(
        md,
        "## import: RIPE Atlas results against ripe.atlas.sagan\n"
    );
    let _ = writeln!(
        md,
        "{RESULTS} Atlas traceroute results ({} MiB, one per line; the 21 published results of sagan's test suite with distinct probe ids) read and parsed into each side's model, timed in process. Medians of {REPS}.\n",
        text.len() / (1024 * 1024)
    );
    let _ = writeln!(md, "| results | ours | sagan | ratio |");
    let _ = writeln!(md, "|---|---|---|---|");
    let _ = writeln!(
        md,
        "| {} ({} hops, {} replies in ours; {} hops, {} packets in sagan) | {:.1} ms | {:.1} ms | {:.1}x |",
        counts.0,
        counts.1,
        counts.2,
        theirs["hops"],
        theirs["packets"],
        ours.as_secs_f64() * 1000.0,
        sagan.as_secs_f64() * 1000.0,
        sagan.as_secs_f64() / ours.as_secs_f64().max(1e-9)
    );
    print!("{md}");
    std::fs::write(bench_dir.join("import.md"), md).unwrap();
}
