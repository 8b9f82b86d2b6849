//! Peer benchmark of the data behind a graph (issue 14): [`GraphSpec::data`], which parses the
//! arguments, reads the RRDs, fetches, consolidates and evaluates every CDEF, VDEF and PRINT in
//! pure Rust, against librrd's `rrd_xport` of the same DEF, CDEF and VDEF elements, exporting
//! every series.
//!
//! The graphs: the recipe's Flow graph over its RRD's last day, week and month (30 days of
//! 5-minute traffic in the recipe's twelve archives), and the definitions of the real-world
//! corpus (`crates/rrdgraph/tests/resources/corpus`) that draw from DEFs, CDEFs and VDEFs, each
//! over RRDs of the recipe's archive sizes holding ten days of values, over the last day and
//! the last week. Before anything is timed, every graph's series are checked bit for bit
//! against librrd's xport; a graph that differs, or that either side refuses, is left out and
//! named in the report.
//!
//! Measured on one thread, then on all cores, as wall time and as the CPU time of the threads
//! (or workers) that did the work: ours on N threads of one process; librrd on N
//! threads behind this crate's one librrd lock (librrd is not thread-safe), and librrd in N
//! worker processes (this program started again, one `rrd_xport` per graph, timed from the
//! moment all are ready). Prints a Markdown section and writes it to `target/bench/rrddata.md`
//! (or the directory in `OPSKIT_BENCH_DIR`). `RRDDATA_BENCH_ROUNDS` overrides the 20 passes
//! over all graphs of each measurement; `RRDDATA_BENCH_PARTS=ours` runs only our side on one
//! thread (for a profiler), printed, not written.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opskit::rrdgraph::{
    self, Cf, Clock, CreateSpec, DataSource, GraphData, GraphOption, GraphSpec, Rra, Rrd, Series,
    TRAFFIC_RECIPE_ARGS, Update,
};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

/// Set in a worker process: it runs librrd's xport for the graphs it reads from stdin.
const WORKER_ENV: &str = "RRDDATA_XPORT_WORKER";

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() {
    if std::env::var_os(WORKER_ENV).is_some() {
        if let Err(e) = xport_worker() {
            eprintln!("rrddata worker: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = run() {
        eprintln!("rrddata bench: {e}");
        std::process::exit(1);
    }
}

/// One graph, as both sides are given it.
#[derive(Clone)]
struct Graph {
    name: String,
    /// `rrdtool graph` arguments: output `-`, absolute `--start`/`--end`, the definition.
    args: Vec<String>,
    /// `rrdtool xport` arguments for the same window, width and DEF/CDEF/VDEF elements, with
    /// an `XPORT` of every DEF and CDEF.
    xport_args: Vec<String>,
}

fn end() -> i64 {
    i64::try_from(DEFAULT_END).unwrap_or(i64::MAX)
}

/// The recipe's graph between `start` and `end`.
fn recipe_graph(rrd: &Path, start: i64, end: i64) -> Vec<String> {
    let path = rrd.to_str().unwrap_or_default();
    let mut args: Vec<String> = TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| match *a {
            "Flow.png" => "-".to_owned(),
            "-1d" => start.to_string(),
            a => a.replace("Flow.rrd", path),
        })
        .collect();
    args.extend(["--end".to_owned(), end.to_string()]);
    args
}

/// The xport arguments for a graph: its window, its width as `--maxrows` (xport's stand-in for
/// the image width), its DEF, CDEF, VDEF and SHIFT elements, and an XPORT of each series.
fn xport_args(spec: &GraphSpec, graph_args: &[String], start: i64, end: i64) -> Vec<String> {
    let width = spec
        .options()
        .iter()
        .find_map(|o| match o {
            GraphOption::Width(w) => Some(*w),
            _ => None,
        })
        .unwrap_or(400);
    let mut args = vec![
        "--start".to_owned(),
        start.to_string(),
        "--end".to_owned(),
        end.to_string(),
        "--maxrows".to_owned(),
        width.to_string(),
    ];
    let mut series = Vec::new();
    for a in graph_args {
        for kind in ["DEF:", "CDEF:", "VDEF:", "SHIFT:"] {
            if let Some(rest) = a.strip_prefix(kind) {
                args.push(a.clone());
                if kind != "VDEF:"
                    && kind != "SHIFT:"
                    && let Some((vname, _)) = rest.split_once('=')
                {
                    series.push(vname.to_owned());
                }
            }
        }
    }
    args.extend(series.iter().map(|v| format!("XPORT:{v}:{v}")));
    args
}

fn graph(name: String, graph_args: Vec<String>, start: i64, end: i64) -> BenchResult<Graph> {
    let spec = GraphSpec::parse_args(&graph_args)?;
    let xport_args = xport_args(&spec, &graph_args, start, end);
    Ok(Graph {
        name,
        args: graph_args,
        xport_args,
    })
}

/// The archives of the recipe's RRD, in every CF the corpus reads.
fn real_size_archives(mut spec: CreateSpec) -> CreateSpec {
    for cf in [Cf::Average, Cf::Min, Cf::Max, Cf::Last] {
        for (steps, rows) in [(1, 600), (6, 700), (24, 775), (288, 797)] {
            spec = spec.archive(Rra::new(cf, 0.5, steps, rows));
        }
    }
    spec
}

/// Ten days of 5-minute GAUGE values for `ds`, different for each data source and file.
fn corpus_rrd(path: &Path, ds: &[String], seed: usize) -> BenchResult<()> {
    let first = end() - 10 * 86_400;
    let mut spec = CreateSpec::new().step(300).start(first - 300);
    for name in ds {
        spec = spec.data_source(DataSource::gauge(name.clone(), 600));
    }
    let rrd = Rrd::new(path);
    rrd.create(&real_size_archives(spec))?;
    let updates: Vec<Update> = (first..=end())
        .step_by(300)
        .map(|t| {
            let values = (0..ds.len()).map(|i| {
                #[expect(clippy::cast_precision_loss, reason = "small numbers")]
                let (k, x) = ((seed * 7 + i * 3 + 1) as f64, (t - first) as f64 / 3600.0);
                k * 10.0 * (1.5 + (x / (2.0 + k * 0.1)).sin()) + (x * 7.0 + k).cos() * k
            });
            Update::at(t, values)
        })
        .collect();
    for chunk in updates.chunks(2000) {
        rrd.update(chunk)?;
    }
    Ok(())
}

/// The corpus definitions that compute data (DEF, CDEF, VDEF), with their RRDs created in
/// `dir`, over the last day and the last week.
fn corpus_graphs(dir: &Path) -> BenchResult<Vec<Graph>> {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/rrdgraph/tests/resources/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "args"))
        .collect();
    files.sort();
    let mut graphs = Vec::new();
    for (seed, file) in files.iter().enumerate() {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(file)?;
        let (mut rrds, mut args, mut refused) = (Vec::new(), Vec::new(), false);
        for line in text.lines() {
            if let Some(header) = line.strip_prefix("# ").filter(|_| args.is_empty()) {
                if let Some(rrd) = header.strip_prefix("rrd:")
                    && let Some((rrd, ds)) = rrd.split_once('=')
                {
                    let ds: Vec<String> = ds.split_whitespace().map(str::to_owned).collect();
                    rrds.push((rrd.trim().to_owned(), ds));
                }
                refused |= header.starts_with("refused:");
            } else if !line.is_empty() {
                args.push(line.to_owned());
            }
        }
        let computes = args
            .iter()
            .any(|a| a.starts_with("CDEF:") || a.starts_with("VDEF:"));
        if refused || !computes {
            continue;
        }
        for (rrd, ds) in &rrds {
            corpus_rrd(&dir.join(format!("{name}-{rrd}.rrd")), ds, seed)?;
        }
        for (label, back) in [("day", 86_400), ("week", 7 * 86_400)] {
            let start = end() - back;
            let mut full = vec![
                "-".to_owned(),
                "--start".to_owned(),
                start.to_string(),
                "--end".to_owned(),
                end().to_string(),
            ];
            full.extend(args.iter().map(|a| {
                let mut a = a.clone();
                for (rrd, _) in &rrds {
                    let path = dir.join(format!("{name}-{rrd}.rrd"));
                    a = a.replace(&format!("{{{rrd}}}"), path.to_str().unwrap_or_default());
                }
                a
            }));
            graphs.push(graph(format!("{name} ({label})"), full, start, end())?);
        }
    }
    Ok(graphs)
}

/// Ours: the arguments parsed, then everything behind the picture.
fn ours(g: &Graph) -> BenchResult<GraphData> {
    let spec = GraphSpec::parse_args(&g.args)?;
    Ok(spec.data(Clock::at(end()))?)
}

fn theirs(g: &Graph) -> BenchResult<Series> {
    Ok(rrdgraph::xport(&g.xport_args)?)
}

/// Why our series differ from librrd's xport, if they do: the same grid, and inside each
/// series' own window the same bits (outside it librrd's xport reads past the series).
fn differs(data: &GraphData, xp: &Series) -> Option<String> {
    if (xp.start(), xp.step()) != (data.start, data.step) {
        return Some(format!(
            "grid: librrd {}+{}, ours {}+{}",
            xp.start(),
            xp.step(),
            data.start,
            data.step
        ));
    }
    let step = i64::try_from(data.step).unwrap_or(i64::MAX);
    for (name, values) in &data.series {
        let Some(t) = xp.column(name.as_str()) else {
            return Some(format!("{name}: not in librrd's export"));
        };
        if t.len() != values.len() {
            return Some(format!("{name}: {} rows, ours {}", t.len(), values.len()));
        }
        let col = data
            .columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)?;
        for (i, (x, y)) in t.iter().zip(values).enumerate() {
            let now = data.start + i64::try_from(i).unwrap_or(0) * step;
            if now >= col.start() && now < col.end() && x.to_bits() != y.to_bits() {
                return Some(format!("{name} row {i}: librrd {x:e}, ours {y:e}"));
            }
        }
    }
    None
}

fn run() -> BenchResult<()> {
    let rounds: usize = std::env::var("RRDDATA_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let recipe = TrafficRrd::builder().hours(30 * 24).create()?;
    let dir = tempfile::tempdir()?;
    let mut candidates = Vec::new();
    for (label, back) in [
        ("day", 86_400),
        ("week", 7 * 86_400),
        ("month", 30 * 86_400),
    ] {
        let start = end() - back;
        let args = recipe_graph(recipe.path(), start, end());
        candidates.push(graph(format!("recipe ({label})"), args, start, end())?);
    }
    candidates.extend(corpus_graphs(dir.path())?);

    let (graphs, left_out, values) = agreeing(candidates)?;
    let recipe_only: Vec<Graph> = graphs
        .iter()
        .filter(|g| g.name.starts_with("recipe"))
        .cloned()
        .collect();
    eprintln!(
        "{} graphs agree with librrd ({values} values), {} left out",
        graphs.len(),
        left_out.len()
    );
    // `RRDDATA_BENCH_PARTS=ours` runs only our side, single-threaded (for a profiler).
    if std::env::var("RRDDATA_BENCH_PARTS").is_ok_and(|p| p == "ours") {
        return profile_ours(&graphs, rounds);
    }
    let mut rows = Vec::new();
    for (what, set) in [
        ("the recipe's graph", &recipe_only),
        ("all graphs", &graphs),
    ] {
        if !set.is_empty() {
            rows.extend(measured_rows(what, set, rounds, threads)?);
        }
    }
    write_report(&graphs, values, &left_out, threads, &rows)
}

/// The graphs whose data equals librrd's (only they are timed), the others with the reason,
/// and how many values the first hold.
fn agreeing(candidates: Vec<Graph>) -> BenchResult<(Vec<Graph>, Vec<String>, usize)> {
    let (mut graphs, mut left_out, mut values) = (Vec::new(), Vec::new(), 0);
    for g in candidates {
        match (ours(&g), theirs(&g)) {
            (Ok(data), Ok(xp)) => match differs(&data, &xp) {
                None => {
                    values += data.series.iter().map(|(_, v)| v.len()).sum::<usize>();
                    graphs.push(g);
                }
                Some(why) => left_out.push(format!("{}: differs from librrd ({why})", g.name)),
            },
            (Err(e), _) => left_out.push(format!("{}: ours refused it ({e})", g.name)),
            (_, Err(e)) => left_out.push(format!("{}: librrd refused it ({e})", g.name)),
        }
    }
    if graphs.is_empty() {
        return Err(format!("no graph agrees with librrd: {left_out:?}").into());
    }
    Ok((graphs, left_out, values))
}

/// Our side alone on one thread: CPU time per graph, with and without parsing.
fn profile_ours(graphs: &[Graph], rounds: usize) -> BenchResult<()> {
    let specs = graphs
        .iter()
        .map(|g| GraphSpec::parse_args(&g.args))
        .collect::<Result<Vec<_>, _>>()?;
    let n = rounds * graphs.len();
    let cpu = thread_cpu();
    for _ in 0..rounds {
        for g in graphs {
            std::hint::black_box(ours(g)?);
        }
    }
    let all = thread_cpu().saturating_sub(cpu);
    let cpu = thread_cpu();
    for _ in 0..rounds {
        for s in &specs {
            std::hint::black_box(s.data(Clock::at(end()))?);
        }
    }
    let data = thread_cpu().saturating_sub(cpu);
    eprintln!(
        "ours, CPU per graph: {:?} (data() alone {:?}), {n} graphs",
        all / u32::try_from(n.max(1))?,
        data / u32::try_from(n.max(1))?
    );
    Ok(())
}

/// The report's rows for `set`: one thread, then `threads`.
fn measured_rows(
    what: &str,
    set: &[Graph],
    rounds: usize,
    threads: usize,
) -> BenchResult<Vec<Row>> {
    let mut rows = Vec::new();
    let n = set.len() * SEGMENT.div_ceil(set.len()) * rounds;
    let one = measure(set, rounds, 1)?;
    let many = measure(set, rounds, threads)?;
    let case = format!("{what} ({} graphs, {n} computed)", set.len());
    let cases: [(&str, Duration, Duration); 7] = [
        (
            "1 thread, CPU time: ours vs librrd xport",
            one.ours.cpu,
            one.locked.cpu,
        ),
        (
            "1 thread, wall time: ours vs librrd xport",
            one.ours.wall,
            one.locked.wall,
        ),
        (
            "1 thread, CPU time: ours from parsed specs vs librrd xport",
            one.parsed.cpu,
            one.locked.cpu,
        ),
        (
            "all cores, wall time: ours on N threads vs librrd xport on N threads behind its lock",
            many.ours.wall,
            many.locked.wall,
        ),
        (
            "all cores, wall time: ours on N threads vs librrd xport in N worker processes",
            many.ours.wall,
            many.workers.wall,
        ),
        (
            "all cores, CPU time: ours on N threads vs librrd xport in N worker processes",
            many.ours.cpu,
            many.workers.cpu,
        ),
        (
            "all cores, wall time: ours from parsed specs vs librrd xport in N worker processes",
            many.parsed.wall,
            many.workers.wall,
        ),
    ];
    for (label, ours, peer) in cases {
        let label = label.replace('N', &threads.to_string());
        rows.push(Row::ratio(format!("{case}, {label}"), ours, peer, n));
    }
    rows.push(Row {
        case: format!("{case}: our scaling, {threads} threads vs 1 (wall time)"),
        ours: format!("{:.1} graphs/s", rate(n, many.ours.wall)),
        peer: format!("{:.1} graphs/s", rate(n, one.ours.wall)),
        ratio: format!(
            "{:.2}x throughput",
            one.ours.wall.as_secs_f64() / many.ours.wall.as_secs_f64()
        ),
    });
    Ok(rows)
}

/// A measurement's wall time and the CPU time its threads (or worker processes) used.
#[derive(Clone, Copy, Default)]
struct Spent {
    wall: Duration,
    cpu: Duration,
}

impl std::ops::AddAssign for Spent {
    fn add_assign(&mut self, o: Self) {
        self.wall += o.wall;
        self.cpu += o.cpu;
    }
}

/// One measurement: ours, ours from parsed specs, librrd behind its lock, librrd in worker
/// processes.
#[derive(Default)]
struct Times {
    ours: Spent,
    parsed: Spent,
    locked: Spent,
    workers: Spent,
}

/// The fewest graphs of one round of a measurement.
const SEGMENT: usize = 256;

/// `rounds` passes over `graphs` (repeated to at least [`SEGMENT`]) for each side, on
/// `threads` threads (or processes), in alternating rounds so that all sides see the same
/// machine state.
fn measure(graphs: &[Graph], rounds: usize, threads: usize) -> BenchResult<Times> {
    // Each round is long enough that starting its threads is noise.
    let repeat = SEGMENT.div_ceil(graphs.len().max(1));
    let segment: Vec<Graph> = (0..repeat).flat_map(|_| graphs.iter().cloned()).collect();
    let graphs = segment.as_slice();
    let mut pool = Workers::start(graphs, threads)?;
    // Warm-up: page cache, librrd's first-use costs, our allocator.
    for g in graphs {
        std::hint::black_box(ours(g)?);
        std::hint::black_box(theirs(g)?);
    }
    let specs = graphs
        .iter()
        .map(|g| GraphSpec::parse_args(&g.args))
        .collect::<Result<Vec<_>, _>>()?;
    let mut t = Times::default();
    for _ in 0..rounds {
        t.ours += on_threads(graphs, threads, |g| ours(g).map(drop))?;
        t.parsed += on_threads(&specs, threads, |s| {
            std::hint::black_box(s.data(Clock::at(end()))?);
            Ok(())
        })?;
        t.locked += on_threads(graphs, threads, |g| theirs(g).map(drop))?;
        t.workers += pool.one_pass()?;
    }
    pool.stop()?;
    Ok(t)
}

/// The CPU time the calling thread has used.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// One pass over `items` split over `threads` threads: the wall time and the threads' CPU time.
fn on_threads<T: Sync>(
    items: &[T],
    threads: usize,
    job: impl Fn(&T) -> BenchResult<()> + Sync,
) -> BenchResult<Spent> {
    let start = Instant::now();
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let job = &job;
                s.spawn(move || {
                    let cpu = thread_cpu();
                    let failed = items
                        .iter()
                        .skip(k)
                        .step_by(threads)
                        .map(job)
                        .find_map(Result::err)
                        .map(|e| e.to_string());
                    failed.map_or_else(|| Ok(thread_cpu().saturating_sub(cpu)), Err)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("panicked".to_owned())))
            .collect::<Vec<_>>()
    });
    let wall = start.elapsed();
    let mut cpu = Duration::ZERO;
    for r in results {
        cpu += r.map_err(|e| format!("a thread failed: {e}"))?;
    }
    Ok(Spent { wall, cpu })
}

/// librrd in worker processes: each holds its share of the graphs and runs one xport of each
/// when told `go`.
struct Workers {
    children: Vec<(Child, BufReader<std::process::ChildStdout>)>,
}

impl Workers {
    fn start(graphs: &[Graph], n: usize) -> BenchResult<Self> {
        let exe = std::env::current_exe()?;
        let mut children = Vec::new();
        for k in 0..n {
            let share: Vec<&Vec<String>> = graphs
                .iter()
                .skip(k)
                .step_by(n)
                .map(|g| &g.xport_args)
                .collect();
            let mut child = Command::new(&exe)
                .env(WORKER_ENV, "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            let mut stdin = child.stdin.take().ok_or("worker stdin")?;
            writeln!(stdin, "{}", serde_json::to_string(&share)?)?;
            child.stdin = Some(stdin);
            let stdout = BufReader::new(child.stdout.take().ok_or("worker stdout")?);
            children.push((child, stdout));
        }
        let mut pool = Self { children };
        pool.expect_all("ready")?;
        Ok(pool)
    }

    /// Every worker's next line is `word`, followed by its CPU time in nanoseconds: the sum.
    fn expect_all(&mut self, word: &str) -> BenchResult<Duration> {
        let mut cpu = Duration::ZERO;
        for (_, out) in &mut self.children {
            let mut line = String::new();
            out.read_line(&mut line)?;
            let (said, nanos) = line.trim().split_once(' ').unwrap_or((line.trim(), "0"));
            if said != word {
                return Err(format!("worker said {:?}, not {word}", line.trim()).into());
            }
            cpu += Duration::from_nanos(nanos.parse()?);
        }
        Ok(cpu)
    }

    fn one_pass(&mut self) -> BenchResult<Spent> {
        let start = Instant::now();
        for (child, _) in &mut self.children {
            let stdin = child.stdin.as_mut().ok_or("worker stdin")?;
            writeln!(stdin, "go")?;
            stdin.flush()?;
        }
        let cpu = self.expect_all("done")?;
        Ok(Spent {
            wall: start.elapsed(),
            cpu,
        })
    }

    fn stop(mut self) -> BenchResult<()> {
        for (child, _) in &mut self.children {
            drop(child.stdin.take());
            let status = child.wait()?;
            if !status.success() {
                return Err(format!("worker exited with {status}").into());
            }
        }
        Ok(())
    }
}

/// The worker's side: the xport argument lists on the first line, then one pass per `go`.
fn xport_worker() -> BenchResult<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let first = lines.next().ok_or("no graphs")??;
    let graphs: Vec<Vec<String>> = serde_json::from_str(&first)?;
    for args in &graphs {
        rrdgraph::xport(args)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready 0")?;
    out.flush()?;
    for line in lines {
        if line?.trim() != "go" {
            break;
        }
        let cpu = thread_cpu();
        for args in &graphs {
            std::hint::black_box(rrdgraph::xport(args)?);
        }
        writeln!(
            out,
            "done {}",
            (thread_cpu().saturating_sub(cpu)).as_nanos()
        )?;
        out.flush()?;
    }
    Ok(())
}

struct Row {
    case: String,
    ours: String,
    peer: String,
    ratio: String,
}

impl Row {
    /// Per-graph times (wall time over `n` graphs) and how many times faster ours is.
    fn ratio(case: String, ours: Duration, peer: Duration, n: usize) -> Self {
        let per = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6 / count(n));
        Self {
            case,
            ours: per(ours),
            peer: per(peer),
            ratio: format!("{:.2}x faster", peer.as_secs_f64() / ours.as_secs_f64()),
        }
    }
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n.max(1)).unwrap_or(u32::MAX))
}

fn rate(n: usize, d: Duration) -> f64 {
    count(n) / d.as_secs_f64()
}

fn write_report(
    graphs: &[Graph],
    values: usize,
    left_out: &[String],
    threads: usize,
    rows: &[Row],
) -> BenchResult<()> {
    let mut md = String::new();
    let _ = writeln!(md, "## rrdgraph: the data behind a graph\n");
    let _ = writeln!(
        md,
        "librrd {}. Ours: `GraphSpec::parse_args` then `GraphSpec::data` (the RRDs read, \
         fetched, consolidated, every CDEF, VDEF and PRINT computed in Rust). Peer: librrd's \
         `rrd_xport` of the same DEF/CDEF/VDEF elements with an XPORT of every series (no \
         PRINT). {} graphs, {values} values in all, each checked equal to librrd's bit for bit \
         before timing: the recipe's Flow graph over a day, a week and a month of its 30-day \
         RRD, and the corpus definitions with CDEFs or VDEFs over a day and a week of RRDs of \
         the recipe's archive sizes. Each figure is per graph: wall time, or the CPU time of the \
         threads (or worker processes) that did the work, which a machine shared with other \
         work changes less.\n",
        rrdgraph::librrd_version(),
        graphs.len(),
    );
    let _ = writeln!(md, "| case | ours | peer | ratio |");
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    for r in rows {
        let _ = writeln!(md, "| {} | {} | {} | {} |", r.case, r.ours, r.peer, r.ratio);
    }
    if !left_out.is_empty() {
        let _ = writeln!(md, "\nLeft out ({}):\n", left_out.len());
        for l in left_out {
            let _ = writeln!(md, "- {l}");
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?").to_owned();
    let _ = writeln!(
        md,
        "\nMachine: {threads} cores, 1-minute load average {load} at the end of the run. \
         librrd behind its lock runs one xport at a time whatever the thread count; its worker \
         processes and our threads can only scale by as many cores as are idle."
    );
    print!("{md}");
    let dir = std::env::var_os("OPSKIT_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("rrddata.md");
    std::fs::write(&file, md)?;
    eprintln!("wrote {}", file.display());
    Ok(())
}
