//! Peer benchmark of rrdgraph, side by side in one run:
//!
//! 1. 500 renders of the recipe's Flow graph: our in-process render vs one `rrdtool graph`
//!    process per graph vs Python's in-process `rrdtool.graphv` (pip package `rrdtool`);
//! 2. the batch renderer with 2 worker processes vs single-threaded in-process renders;
//! 3. parse + validate + emit of a corpus of graph definitions vs one render (the spec
//!    overhead, as a percentage of a render);
//! 4. the pure-Rust fetch ([`rrdgraph::RrdFile`]) vs librrd's fetch on the same RRD and windows,
//!    on 1 thread and on 2 (librrd behind its process-wide lock), answers checked equal first.
//!
//! Prints a Markdown section and writes it to `target/bench/rrdgraph.md` (or the directory in
//! `OPSKIT_BENCH_DIR`). `RRDGRAPH_BENCH_RENDERS` overrides the 500 renders and
//! `RRDGRAPH_BENCH_FETCHES` the 4000 fetches; `RRDGRAPH_BENCH_PARTS=batch` measures only the
//! batch renderer and `RRDGRAPH_BENCH_PARTS=fetch` only the fetches (printed, not written).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opskit::rrdgraph::{
    self, BatchRenderer, Cf, FetchRequest, GraphSpec, Rrd, RrdFile, Series, TRAFFIC_RECIPE_ARGS,
};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

fn main() {
    // The batch renderer's workers are this program, started again with RRDGRAPH_BATCH_WORKER.
    rrdgraph::serve_worker_if_requested();
    if let Err(e) = run() {
        eprintln!("rrdgraph bench: {e}");
        std::process::exit(1);
    }
}

/// The recipe's arguments over the fixture's last day, writing to `out`.
fn flow_args(out: &str, rrd: &Path) -> Vec<String> {
    let rrd = rrd.to_str().unwrap_or_default();
    TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| match *a {
            "Flow.png" => out.to_owned(),
            "-1d" => (DEFAULT_END - 86_400).to_string(),
            a => a.replace("Flow.rrd", rrd),
        })
        .chain(["--end".to_owned(), DEFAULT_END.to_string()])
        .collect()
}

struct Row {
    case: String,
    ours: String,
    peer: String,
    ratio: String,
}

fn per_graph(total: Duration, n: usize) -> Duration {
    total / u32::try_from(n.max(1)).unwrap_or(u32::MAX)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn run() -> BenchResult<()> {
    let n: usize = std::env::var("RRDGRAPH_BENCH_RENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let rrd = TrafficRrd::create()?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    // Warm-up: fontconfig and librrd's first-use costs are not what we measure.
    let mem_args = flow_args("-", rrd.path());
    let mem_spec = GraphSpec::parse_args(&mem_args)?;
    for _ in 0..5 {
        mem_spec.render()?;
    }
    // `RRDGRAPH_BENCH_PARTS=batch` re-measures the batch renderer alone (no report file).
    if std::env::var("RRDGRAPH_BENCH_PARTS").is_ok_and(|p| p == "batch") {
        batch_renders(&mem_spec, n, &mut rows)?;
        return Ok(());
    }
    if std::env::var("RRDGRAPH_BENCH_PARTS").is_ok_and(|p| p == "fetch") {
        fetches(&mut rows, &mut notes)?;
        print_rows(&rows, &notes);
        return Ok(());
    }
    let ours = single_renders(&rrd, &mem_args, n, &mut rows, &mut notes)?;
    batch_renders(&mem_spec, n, &mut rows)?;
    spec_overhead(per_graph(ours, n), &mut rows)?;
    fetches(&mut rows, &mut notes)?;
    write_report(n, &rows, &notes)
}

/// Part 1: our in-process render vs `rrdtool graph` processes vs Python's `rrdtool.graphv`.
/// Returns our total time.
fn single_renders(
    rrd: &TrafficRrd,
    mem_args: &[String],
    n: usize,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> BenchResult<Duration> {
    // The three run in alternating rounds, so that all see the same machine state.
    let rounds = 5;
    let per_round = n.div_ceil(rounds).max(1);
    let spec = GraphSpec::parse_args(mem_args)?;
    let out = rrd.dir().join("Flow.png");
    let cli_args = flow_args(out.to_str().unwrap_or_default(), rrd.path());
    let (mut ours, mut cli, mut py) = (Duration::ZERO, Duration::ZERO, Some(Duration::ZERO));
    let mut done = 0;
    while done < n {
        let k = per_round.min(n - done);
        done += k;
        // Ours, in-process, through the GraphSpec (parsed once).
        let t = Instant::now();
        for _ in 0..k {
            let r = spec.render()?;
            if r.image().is_none() {
                return Err("our render drew nothing".into());
            }
        }
        ours += t.elapsed();
        // One `rrdtool graph` process per graph.
        let t = Instant::now();
        for _ in 0..k {
            let status = Command::new("rrdtool")
                .arg("graph")
                .args(&cli_args)
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                return Err(format!("rrdtool graph failed: {status}").into());
            }
        }
        cli += t.elapsed();
        // Python's rrdtool.graphv, in-process, timed inside Python.
        if let Some(total) = py.as_mut() {
            match python_graphv(mem_args, k) {
                Ok(d) => *total += d,
                Err(e) => {
                    notes.push(format!("Python `rrdtool.graphv` was not measured: {e}"));
                    py = None;
                }
            }
        }
    }
    eprintln!("ours: {n} renders in {ours:?}; rrdtool CLI {cli:?}; python {py:?}");
    rows.push(Row {
        case: format!("Flow graph, {n} renders: ours in-process vs one `rrdtool graph` per graph"),
        ours: ms(per_graph(ours, n)),
        peer: ms(per_graph(cli, n)),
        ratio: format!("{:.2}x faster", cli.as_secs_f64() / ours.as_secs_f64()),
    });
    if let Some(py) = py {
        rows.push(Row {
            case: format!("Flow graph, {n} renders: ours vs Python `rrdtool.graphv`"),
            ours: ms(per_graph(ours, n)),
            peer: ms(per_graph(py, n)),
            ratio: format!("{:.2}x", py.as_secs_f64() / ours.as_secs_f64()),
        });
    }
    Ok(ours)
}

/// Part 2: the batch renderer with 2 worker processes vs single-threaded in-process renders. The
/// two run in alternating rounds, so that both see the same load on a shared machine.
fn batch_renders(mem_spec: &GraphSpec, n: usize, rows: &mut Vec<Row>) -> BenchResult<()> {
    let jobs: Vec<GraphSpec> = (0..n).map(|_| mem_spec.clone()).collect();
    let workers = std::env::var("RRDGRAPH_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut batch = BatchRenderer::builder().workers(workers).build()?;
    // Start the workers (and warm them up) outside the measurement.
    for r in batch.render(&jobs[..4.min(n)]) {
        r?;
    }
    let rounds = 25;
    let (mut single, mut batched) = (Duration::ZERO, Duration::ZERO);
    for chunk in jobs.chunks(n.div_ceil(rounds).max(1)) {
        let t = Instant::now();
        for job in chunk {
            job.render()?;
        }
        single += t.elapsed();
        let t = Instant::now();
        let results = batch.render(chunk);
        batched += t.elapsed();
        let failed = results.iter().filter(|r| r.is_err()).count();
        if failed > 0 {
            return Err(format!("{failed} batch renders failed").into());
        }
    }
    eprintln!("batch ({workers} workers): {n} graphs in {batched:?}; single-threaded {single:?}");
    rows.push(Row {
        case: format!("Batch renderer, {workers} worker processes vs single-threaded, {n} graphs"),
        ours: format!("{:.1} graphs/s", secs_rate(n, batched)),
        peer: format!("{:.1} graphs/s", secs_rate(n, single)),
        ratio: format!(
            "{:.2}x throughput",
            single.as_secs_f64() / batched.as_secs_f64()
        ),
    });
    Ok(())
}

/// Part 3: spec overhead: parse + validate + emit of a corpus, per graph, vs one render.
fn spec_overhead(per_render: Duration, rows: &mut Vec<Row>) -> BenchResult<()> {
    let corpus = testbed::rrdgraph::corpus(1000);
    let reps = 5;
    let t = Instant::now();
    let mut emitted = 0;
    for _ in 0..reps {
        for args in &corpus {
            let spec = GraphSpec::parse_args(args)?;
            spec.validate()?;
            emitted += spec.to_args().len();
        }
    }
    let per_spec = per_graph(t.elapsed(), reps * corpus.len());
    eprintln!(
        "spec: {} definitions, {emitted} arguments emitted, {per_spec:?} each",
        corpus.len()
    );
    rows.push(Row {
        case: format!(
            "Parse + validate + emit, corpus of {} definitions, per graph vs one render",
            corpus.len()
        ),
        ours: format!("{:.1} µs", per_spec.as_secs_f64() * 1e6),
        peer: ms(per_render),
        ratio: format!(
            "{:.3}% of a render",
            100.0 * per_spec.as_secs_f64() / per_render.as_secs_f64()
        ),
    });
    Ok(())
}

/// The windows of part 4 over the recipe's RRD (30 days of traffic): a day, a week, a month,
/// a year, each at librrd's default resolution and at a coarser one, in AVERAGE and MAX.
fn fetch_windows() -> Vec<(Cf, i64, i64, u64)> {
    let end = i64::try_from(DEFAULT_END).unwrap_or(i64::MAX);
    let mut windows = Vec::new();
    for cf in [Cf::Average, Cf::Max] {
        for (back, res) in [
            (86_400, 1),
            (86_400, 1800),
            (7 * 86_400, 1),
            (30 * 86_400, 7200),
        ] {
            windows.push((cf, end - back, end, res));
        }
        windows.push((cf, end - 365 * 86_400, end, 86_400));
    }
    windows
}

/// Same window, step and names, and the same values bit for bit.
fn same_series(a: &Series, b: &Series) -> bool {
    (a.start(), a.end(), a.step(), a.names(), a.len())
        == (b.start(), b.end(), b.step(), b.names(), b.len())
        && a.rows().zip(b.rows()).all(|((ta, va), (tb, vb))| {
            ta == tb
                && va
                    .iter()
                    .map(|v| v.to_bits())
                    .eq(vb.iter().map(|v| v.to_bits()))
        })
}

fn librrd_fetch(rrd: &Rrd, w: (Cf, i64, i64, u64)) -> Result<Series, rrdgraph::RrdError> {
    rrd.fetch(&FetchRequest::new(w.0).start(w.1).end(w.2).resolution(w.3))
}

/// Part 4: fetch in pure Rust vs librrd's fetch. Ours opens the file for every fetch, as
/// librrd does; the row "one open file" keeps one [`RrdFile`] for all fetches.
fn fetches(rows: &mut Vec<Row>, notes: &mut Vec<String>) -> BenchResult<()> {
    let n: usize = std::env::var("RRDGRAPH_BENCH_FETCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let fixture = TrafficRrd::builder().hours(30 * 24).create()?;
    let path = fixture.path();
    let rrd = Rrd::new(path);
    let windows = fetch_windows();
    let open = RrdFile::open(path)?;
    let mut cells = 0;
    for &w in &windows {
        let theirs = librrd_fetch(&rrd, w)?;
        let ours = open.fetch(w.0, w.1, w.2, w.3)?;
        if !same_series(&theirs, &ours) {
            return Err(format!("fetch {w:?}: our answer differs from librrd's").into());
        }
        cells += ours.len() * ours.names().len();
    }
    let job = |k: usize| -> BenchResult<[Duration; 3]> {
        let mut t = [Duration::ZERO; 3];
        for i in 0..k {
            let w = windows[i % windows.len()];
            let s = Instant::now();
            std::hint::black_box(RrdFile::open(path)?.fetch(w.0, w.1, w.2, w.3)?);
            t[0] += s.elapsed();
            let s = Instant::now();
            std::hint::black_box(open.fetch(w.0, w.1, w.2, w.3)?);
            t[1] += s.elapsed();
            let s = Instant::now();
            std::hint::black_box(librrd_fetch(&rrd, w)?);
            t[2] += s.elapsed();
        }
        Ok(t)
    };
    job(windows.len())?;
    // One thread, then two threads of n / 2 fetches each: wall time of the whole batch.
    let one = job(n)?;
    let two = two_threads(n, &windows, path, &open, &rrd)?;
    eprintln!("fetch, 1 thread: {one:?}; 2 threads: {two:?}");
    let count = f64::from(u32::try_from(n.max(1)).unwrap_or(u32::MAX));
    let per = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6 / count);
    let ratio = |ours: Duration, peer: Duration| {
        format!("{:.2}x faster", peer.as_secs_f64() / ours.as_secs_f64())
    };
    let what = format!(
        "{} windows of the recipe's RRD ({cells} values in all), {n} fetches",
        windows.len()
    );
    for (label, t) in [("1 thread", one), ("2 threads (wall time)", two)] {
        rows.push(Row {
            case: format!("Fetch in pure Rust vs librrd's fetch, {label}: {what}"),
            ours: per(t[0]),
            peer: per(t[2]),
            ratio: ratio(t[0], t[2]),
        });
        rows.push(Row {
            case: format!("Fetch from one open `RrdFile` vs librrd's fetch, {label}"),
            ours: per(t[1]),
            peer: per(t[2]),
            ratio: ratio(t[1], t[2]),
        });
    }
    notes.push(
        "Fetch: librrd's side is `Rrd::fetch`, which checks the header in Rust and then calls \
         `rrd_fetch` under the crate's one librrd lock (librrd is not thread-safe); ours takes \
         no lock. Per-fetch times are the batch's wall time divided by the fetches."
            .to_owned(),
    );
    Ok(())
}

/// `n` fetches of each kind on two threads (`n / 2` each); the wall time of each kind.
fn two_threads(
    n: usize,
    windows: &[(Cf, i64, i64, u64)],
    path: &Path,
    open: &RrdFile,
    rrd: &Rrd,
) -> BenchResult<[Duration; 3]> {
    let mut wall = [Duration::ZERO; 3];
    for (kind, slot) in wall.iter_mut().enumerate() {
        let t = Instant::now();
        let failed = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2)
                .map(|w| {
                    s.spawn(move || {
                        for i in 0..n / 2 {
                            let win = windows[(i + w) % windows.len()];
                            let r = match kind {
                                0 => RrdFile::open(path)
                                    .and_then(|f| f.fetch(win.0, win.1, win.2, win.3)),
                                1 => open.fetch(win.0, win.1, win.2, win.3),
                                _ => librrd_fetch(rrd, win),
                            };
                            if r.is_err() {
                                return false;
                            }
                            std::hint::black_box(r.ok());
                        }
                        true
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(std::thread::ScopedJoinHandle::join)
                .filter(|r| !matches!(r, Ok(true)))
                .count()
        });
        *slot = t.elapsed();
        if failed > 0 {
            return Err(format!("{failed} fetch threads failed").into());
        }
    }
    Ok(wall)
}

fn print_rows(rows: &[Row], notes: &[String]) {
    println!("| case | ours | peer | ratio |\n| --- | --- | --- | --- |");
    for r in rows {
        println!("| {} | {} | {} | {} |", r.case, r.ours, r.peer, r.ratio);
    }
    for note in notes {
        println!("\n{note}");
    }
}

fn write_report(n: usize, rows: &[Row], notes: &[String]) -> BenchResult<()> {
    let mut md = String::new();
    let _ = writeln!(md, "## rrdgraph\n");
    let _ = writeln!(
        md,
        "librrd {}, {} renders of the recipe's Flow graph (650x230 PNG, a day of 5-minute \
         traffic). Peers: `rrdtool graph` (one process per graph) and Python's `rrdtool.graphv` \
         (pip `rrdtool`), both on the same librrd.\n",
        rrdgraph::librrd_version(),
        n
    );
    let _ = writeln!(md, "| case | ours | peer | ratio |");
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    for r in rows {
        let _ = writeln!(md, "| {} | {} | {} | {} |", r.case, r.ours, r.peer, r.ratio);
    }
    for note in notes {
        let _ = writeln!(md, "\n{note}");
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    let _ = writeln!(
        md,
        "\nMachine: {cores} cores, 1-minute load average {load} at the end of the run. The \
         batch ratio can only exceed 1 by as much as there are idle cores: on a machine busy \
         with other work it shrinks towards 1."
    );
    print!("{md}");
    let dir = std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("rrdgraph.md");
    std::fs::write(&file, md)?;
    eprintln!("wrote {}", file.display());
    Ok(())
}

#[expect(clippy::cast_precision_loss, reason = "render counts are small")]
fn secs_rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Times `n` calls of Python's `rrdtool.graphv` on `args` inside one Python process.
fn python_graphv(args: &[String], n: usize) -> Result<Duration, String> {
    let script = r"
import json, sys, time
import rrdtool
args = json.loads(sys.argv[1]); n = int(sys.argv[2])
for _ in range(5):
    rrdtool.graphv(*args)
t = time.perf_counter()
for _ in range(n):
    rrdtool.graphv(*args)
print(time.perf_counter() - t)
";
    let args_json = format!(
        "[{}]",
        args.iter()
            .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",")
    );
    let out = Command::new("python3")
        .args(["-c", script, &args_json, &n.to_string()])
        .output()
        .map_err(|e| format!("running python3: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .map(Duration::from_secs_f64)
        .map_err(|e| format!("python output: {e}"))
}
