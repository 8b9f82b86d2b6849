//! `cargo xtask`: the project's task runner.
//!
//! - `setup`: installs what the tests, demo and benchmarks need, only what is missing;
//! - `test`: setup, then format, lint, docs, the cargo-fuzz targets briefly and every test of
//!   the workspace, including rrdgraph's differential fuzzing against librrd (at most
//!   `DIFF_FUZZ_CASES` (3000) generated graphs or `DIFF_FUZZ_SECONDS` (60) seconds, whichever ends
//!   first);
//! - `demo`: setup, then every recipe end to end, with its pictures and reports in `target/demo/`;
//! - `bench`: setup, then the peer benchmarks, gathered into `target/bench/REPORT.md`;
//! - `fuzz`: runs each cargo-fuzz target for a few seconds.
//!
//! It uses nothing but the standard library, so that it builds before anything is installed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod fuzz;
mod run;
mod setup;

use run::{Step, cargo};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(&root),
        Some("test") => test(&root),
        Some("demo") => demo(&root),
        Some("bench") => bench(&root, &args[1..]),
        Some("fuzz") => setup::run(&root).and_then(|()| fuzz::run(&root, fuzz::SECONDS)),
        _ => {
            eprintln!("usage: cargo xtask <setup|test|demo|bench [NAME...]|fuzz>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Graphs that rrdgraph's differential fuzz test (`difffuzz`) draws with librrd in CI.
const DIFF_FUZZ_CASES: &str = "3000";
/// The time budget of that test in CI, in seconds (on top of the time to set it up).
const DIFF_FUZZ_SECONDS: &str = "60";

/// Everything CI checks, in the order that fails fastest.
fn test(root: &Path) -> Result<(), String> {
    setup::run(root)?;
    Step::new("format", cargo(root, &["fmt", "--all", "--check"])).run()?;
    Step::new(
        "clippy",
        cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
        ),
    )
    .run()?;
    Step::new(
        "rustdoc",
        cargo(root, &["doc", "--workspace", "--no-deps", "--all-features"]),
    )
    .env("RUSTDOCFLAGS", "-D warnings")
    .run()?;
    fuzz::run(root, fuzz::SECONDS)?;
    // Last, so that the test runner's own summary closes the output.
    Step::new(
        "tests",
        cargo(root, &["test", "--workspace", "--all-features"]),
    )
    .env("RRDGRAPH_FUZZ_CASES", DIFF_FUZZ_CASES)
    .env("RRDGRAPH_FUZZ_SECS", DIFF_FUZZ_SECONDS)
    .run()
}

/// The recipes, in the order the book gives them; each writes into `target/demo/`.
const DEMOS: &[(&str, &str)] = &[
    ("flow_graph", "rrdtool traffic graph (Flow.rrd -> Flow.png)"),
    (
        "route_trace",
        "TCP SYN route trace in a namespace test network",
    ),
    ("route_map", "route map with AS clusters (SVG, PNG)"),
    ("cluster_scan", "central virus scan of two clamd hosts"),
];

fn demo(root: &Path) -> Result<(), String> {
    setup::run(root)?;
    let out = root.join("target").join("demo");
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    for (example, what) in DEMOS {
        println!("\n=== {what} (examples/{example}.rs)");
        Step::new(
            example,
            cargo(root, &["run", "--release", "--example", example]),
        )
        .env("OPSKIT_DEMO_DIR", &out)
        .run()?;
    }
    println!(
        "\nThe demo's pictures and reports are in {}:",
        out.display()
    );
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .map_err(|e| format!("listing {}: {e}", out.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    names.sort();
    for n in names {
        println!("  {}", n.display());
    }
    Ok(())
}

const BENCHES: &[&str] = &["clamd", "rrdgraph", "trace", "asn", "routeviz"];

fn bench(root: &Path, only: &[String]) -> Result<(), String> {
    setup::run(root)?;
    let dir = root.join("target").join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let chosen: Vec<&str> = BENCHES
        .iter()
        .copied()
        .filter(|b| only.is_empty() || only.iter().any(|o| o == b))
        .collect();
    // The whole-process comparisons run the release `opskit` binary against the peers' binaries.
    Step::new(
        "build opskit",
        cargo(root, &["build", "--release", "-p", "opskit-cli"]),
    )
    .run()?;
    for b in &chosen {
        Step::new(b, cargo(root, &["bench", "--bench", b]))
            .env("OPSKIT_BENCH_DIR", &dir)
            .run()?;
    }
    let mut report = String::from(
        "# opskit peer benchmarks\n\nEach section runs opskit and a real peer side by side in \
         one run on this machine. Ratios above 1 favour opskit.\n",
    );
    for b in BENCHES {
        let section = dir.join(format!("{b}.md"));
        if let Ok(text) = std::fs::read_to_string(&section) {
            report.push('\n');
            report.push_str(&text);
        }
    }
    let path = dir.join("REPORT.md");
    std::fs::write(&path, report).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("\nbenchmark report: {}", path.display());
    Ok(())
}
