//! Differential fuzzing against librrd (issue 10 items 8 and 9).
//!
//! Generated graph specs reach every area where librrd's C code trusts a number: format widths
//! and precisions, TREND/PREDICT windows, shifts and counts, image and font sizes, borders,
//! steps, time spans, grids, dashes, VDEFs and many elements. Each spec that the validation
//! accepts is drawn by the real `rrdtool graph` (librrd 1.7.2) in a child process under
//! [`MEMORY_LIMIT`] of address space and [`CPU_SECONDS`] of CPU (`prlimit`). A child killed by a
//! signal, one that runs out of memory (librrd then says so), or one that overruns
//! [`WALL_LIMIT`] is a failure that prints the spec.
//!
//! One area is left out on purpose: a spec with a `--y-grid` and a CDEF is not drawn. librrd
//! draws (value range / step) grid lines, and a CDEF can scale the data to any range, which no
//! spec can bound (a `--y-grid 132:1177` over `a,3527893,*,PREV,ADDNAN` never ends); the README
//! says so, and the run counts those specs.
//!
//! The run is bounded for CI: [`DEFAULT_CASES`] specs, and the run stops early after
//! [`DEFAULT_BUDGET`] (`RRDGRAPH_FUZZ_CASES` and `RRDGRAPH_FUZZ_SECS` change both, for a longer
//! hunt), from a fixed seed so that CI draws the same specs every run (`RRDGRAPH_FUZZ_SEED`
//! picks another). Every crasher found is kept in `tests/resources/difffuzz/crashers.txt`: the test
//! `crashers_are_refused` checks that validation refuses each one, and `crashers_crash_librrd`
//! that each one really does crash (or exhaust) librrd.

use std::cell::Cell;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rrdgraph::{Cf, CreateSpec, DataSource, GraphSpec, Rra, Rrd, Update};

/// The address space a librrd child may use: 768 MiB (rrdtool with Pango needs about 150 MiB
/// to start; the pixel budget's largest image needs another 200 MiB).
const MEMORY_LIMIT: u64 = 768 << 20;
/// The CPU time a librrd child may use (SIGXCPU past it).
const CPU_SECONDS: u64 = 10;
/// The wall-clock time a librrd child may take before it counts as hung.
const WALL_LIMIT: Duration = Duration::from_secs(120);
/// Specs generated per run in CI.
const DEFAULT_CASES: u32 = 3000;
/// The run's time budget in CI: the rest of the cases are skipped after it.
const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

/// The data's time range.
const START: i64 = 1_000_000_000;
const END: i64 = START + 300 * 200;

/// Two RRDs: a usual one with a 300 s step, and one with a 1 s step (where librrd's step
/// arithmetic is tightest). Both have daily archives over 82 years, as real RRDs have coarse
/// archives for long spans: the memory of a fetch is the span over the step of the archive
/// librrd picks, which the RRD's layout decides and a graph spec cannot know (librrd refuses a
/// fetch it cannot allocate with "malloc fetch data area").
struct Fixture {
    _dir: tempfile::TempDir,
    rrd300: String,
    rrd1: String,
    scratch: std::path::PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str, step: u64, count: i64| {
            let path = dir.path().join(name);
            let rrd = Rrd::new(&path);
            rrd.create(
                &CreateSpec::new()
                    .step(step)
                    .start(START - 1)
                    .data_source(DataSource::gauge("v", step * 2))
                    .data_source(DataSource::gauge("w", step * 2))
                    .archive(Rra::new(Cf::Average, 0.5, 1, 400))
                    .archive(Rra::new(Cf::Max, 0.5, 1, 400))
                    .archive(Rra::new(Cf::Average, 0.5, 12, 400))
                    // Coarse archives over decades, as real RRDs have: librrd fetches a long
                    // span from them, so the rows it allocates stay in proportion.
                    .archive(Rra::new(Cf::Average, 0.5, 86_400 / step, 30_000))
                    .archive(Rra::new(Cf::Max, 0.5, 86_400 / step, 30_000)),
            )
            .unwrap();
            #[expect(clippy::cast_precision_loss, reason = "small test values")]
            let updates: Vec<Update> = (1..=count)
                .map(|i| {
                    let t = START - 1 + i * i64::try_from(step).unwrap();
                    Update::at(t, [(i % 17) as f64, (i * 3 % 11) as f64])
                })
                .collect();
            rrd.update(&updates).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let rrd300 = make("d300.rrd", 300, 200);
        let rrd1 = make("d1.rrd", 1, 300);
        let scratch = dir.path().join("out");
        Fixture {
            _dir: dir,
            rrd300,
            rrd1,
            scratch,
        }
    }

    /// `args` with the placeholders `@RRD300@` and `@RRD1@` replaced by the fixture's files.
    fn resolve(&self, args: &[String]) -> Vec<String> {
        args.iter()
            .map(|a| {
                a.replace("@RRD300@", &self.rrd300)
                    .replace("@RRD1@", &self.rrd1)
            })
            .collect()
    }
}

/// What librrd did with a spec.
#[derive(Debug)]
enum Verdict {
    /// Drew it, or refused it with an error of its own.
    Survived,
    /// Killed by a signal, out of memory, or hung: the text says which.
    Failed(String),
}

/// The limits of one librrd child.
struct Limits {
    cpu_seconds: u64,
    wall: Duration,
}

/// The fuzzer's limits.
const FUZZ: Limits = Limits {
    cpu_seconds: CPU_SECONDS,
    wall: WALL_LIMIT,
};

/// Shorter limits for the known crashers, which all fail fast or hang: a hang shows within 3 s
/// of CPU as well as 10.
const CRASHER: Limits = Limits {
    cpu_seconds: 3,
    wall: Duration::from_secs(15),
};

/// Draws `args` (output file first) with `rrdtool graph` under the limits.
fn librrd(args: &[String], scratch: &Path, limits: &Limits) -> Verdict {
    std::fs::create_dir_all(scratch).unwrap();
    let out = scratch.join("stdout");
    let err = scratch.join("stderr");
    let mut child = Command::new("prlimit")
        .arg(format!("--as={MEMORY_LIMIT}"))
        .arg(format!("--cpu={}", limits.cpu_seconds))
        .arg("--core=0")
        .arg("--")
        .arg("rrdtool")
        .arg("graph")
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("prlimit and rrdtool are installed (cargo xtask setup)");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limits.wall {
            let _ = child.kill();
            let _ = child.wait();
            return Verdict::Failed(format!("hung for more than {:?}", limits.wall));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = |p: &Path| {
        let mut t = std::fs::read(p).unwrap_or_default();
        t.truncate(2000);
        String::from_utf8_lossy(&t).into_owned()
    };
    let said = format!("{}{}", text(&out), text(&err));
    if let Some(sig) = status.signal() {
        return Verdict::Failed(format!("killed by signal {sig}: {said}"));
    }
    let lower = said.to_lowercase();
    if !status.success()
        && ["alloc", "memory", "resource temporarily unavailable"]
            .iter()
            .any(|w| lower.contains(w))
    {
        return Verdict::Failed(format!("out of memory: {said}"));
    }
    Verdict::Survived
}

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(items).prop_map(str::to_owned)
}

/// Integers where C's `int`, `float` and allocation arithmetic change behaviour, and ordinary
/// ones.
fn int() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u64..2000).prop_map(|v| v.to_string()),
        1 => (0u64..5_000_000).prop_map(|v| v.to_string()),
        2 => pick(&[
            "0", "1", "2", "9", "10", "255", "256", "1000", "4096", "65535", "100000",
            "4194304", "4194305", "16777216", "1073741824", "2147483520", "2147483647",
            "2147483648", "4294967295", "4294967296", "1000000000000", "-1", "-300",
        ]),
    ]
}

/// Decimal numbers, tiny to huge.
fn real() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => int(),
        1 => pick(&["0.5", "0.001", "1e-300", "1e300", "1e12", "-1e12", "3.7", "-0.5"]),
        1 => (0.0f64..200.0).prop_map(|v| format!("{v:.3}")),
    ]
}

fn rrd_file() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just("@RRD300@"), 1 => Just("@RRD1@")]
}

/// Start and end, from one second to far more than the data.
fn time_range() -> impl Strategy<Value = Vec<String>> {
    let span = prop_oneof![
        3 => 1i64..200_000,
        1 => proptest::sample::select(&[1i64, 2, 60, 86_400, 31_536_000, 1_000_000_000, 2_147_483_647][..]),
    ];
    (span, -100_000i64..100_000).prop_map(|(span, shift)| {
        let end = END + shift;
        vec![
            "--start".into(),
            (end - span).to_string(),
            "--end".into(),
            end.to_string(),
        ]
    })
}

fn format_spec() -> impl Strategy<Value = String> {
    (
        pick(&["", "-", "+", " ", "0", "#"]),
        prop_oneof![Just(String::new()), int()],
        prop_oneof![Just(String::new()), int().prop_map(|p| format!(".{p}"))],
        pick(&["lf", "le", "lg", "lF", "lG", "lE"]),
        pick(&["", " %s", "%S", " %%"]),
    )
        .prop_map(|(flag, w, p, c, tail)| format!("%{flag}{w}{p}{c}{tail}"))
}

/// One option (or flag) with its value.
fn option() -> impl Strategy<Value = Vec<String>> {
    let unit = || pick(&["SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR"]);
    let kv = |name: &'static str, v: BoxedStrategy<String>| {
        v.prop_map(move |v| vec![format!("--{name}"), v])
    };
    prop_oneof![
        kv("width", int().boxed()),
        kv("height", int().boxed()),
        kv("zoom", real().boxed()),
        kv("border", int().boxed()),
        kv("units-length", int().boxed()),
        kv("tabwidth", int().boxed()),
        kv("step", int().boxed()),
        kv(
            "units-exponent",
            pick(&["0", "3", "-18", "18", "6"]).boxed()
        ),
        kv("upper-limit", real().boxed()),
        kv("lower-limit", real().boxed()),
        kv("base", pick(&["1000", "1024"]).boxed()),
        kv(
            "font",
            (
                pick(&["DEFAULT", "TITLE", "AXIS", "UNIT", "LEGEND", "WATERMARK"]),
                real()
            )
                .prop_map(|(t, s)| format!("{t}:{s}"))
                .boxed()
        ),
        kv(
            "x-grid",
            (unit(), int(), unit(), int(), unit(), int(), int())
                .prop_map(|(a, b, c, d, e, f, g)| format!("{a}:{b}:{c}:{d}:{e}:{f}:{g}:%H"))
                .boxed()
        ),
        kv(
            "y-grid",
            (real(), int())
                .prop_map(|(a, b)| format!("{a}:{b}"))
                .boxed()
        ),
        kv(
            "grid-dash",
            (real(), real())
                .prop_map(|(a, b)| format!("{a}:{b}"))
                .boxed()
        ),
        kv(
            "right-axis",
            (real(), real())
                .prop_map(|(a, b)| format!("{a}:{b}"))
                .boxed()
        ),
        kv("left-axis-format", format_spec().boxed()),
        kv(
            "imgformat",
            pick(&["PNG", "SVG", "PDF", "EPS", "CSV", "JSON", "XML"]).boxed()
        ),
        kv(
            "imginfo",
            Just("<IMG SRC=\"%s\" WIDTH=\"%lu\" HEIGHT=\"%lu\">".to_owned()).boxed()
        ),
        kv("title", pick(&["t", "a longer title with words"]).boxed()),
        kv("watermark", Just("wm".to_owned()).boxed()),
        kv("vertical-label", Just("bytes".to_owned()).boxed()),
        kv(
            "legend-position",
            pick(&["north", "south", "east", "west"]).boxed()
        ),
        pick(&[
            "--full-size-mode",
            "--only-graph",
            "--logarithmic",
            "--rigid",
            "--alt-autoscale",
            "--alt-y-grid",
            "--slope-mode",
            "--dynamic-labels",
            "--no-legend",
            "--force-rules-legend",
            "--no-gridfit",
        ])
        .prop_map(|f| vec![f]),
    ]
}

fn color() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["#FF0000", "#00FF0080", "#00F"][..])
}

/// An RPN over `a` (a DEF) that reaches librrd's windows, shifts and counts.
fn rpn() -> impl Strategy<Value = String> {
    prop_oneof![
        int().prop_map(|w| format!("a,{w},TREND")),
        int().prop_map(|w| format!("a,{w},TRENDNAN")),
        (int(), int(), int()).prop_map(|(s, n, w)| format!("{s},{n},{w},a,PREDICT")),
        (int(), int(), int()).prop_map(|(s, n, w)| format!("{s},{s},{n},{w},a,PREDICTSIGMA")),
        (int(), int(), int(), 0u32..101)
            .prop_map(|(s, n, w, p)| format!("{s},{n},{w},{p},a,PREDICTPERC")),
        (
            int(),
            pick(&[
                "SORT", "REV", "AVG", "SMIN", "SMAX", "MEDIAN", "STDEV", "COPY"
            ])
        )
            .prop_map(|(n, op)| format!("a,a,a,{n},{op},POP,POP")),
        int().prop_map(|n| format!("a,a,a,{n},INDEX,+,+,+")),
        (int(), int()).prop_map(|(n, m)| format!("a,a,a,{n},{m},ROLL,+,+")),
        (real(), int()).prop_map(|(p, n)| format!("a,a,a,{p},{n},PERCENT")),
        real().prop_map(|v| format!("a,{v},*,PREV,ADDNAN")),
        pick(&[
            "a,DEPTH,AVG",
            "TIME,a,POP",
            "a,UN,0,a,IF",
            "a,b,+",
            "COUNT,STEPWIDTH,*,a,+"
        ]),
    ]
}

/// One element after `DEF:a`, `DEF:b` and `VDEF:m=a,AVERAGE`; `i` keeps names unique.
fn element(i: usize) -> impl Strategy<Value = Vec<String>> {
    let legend = || pick(&["", ":in", ":a\\l", ":x\\tb", ":%%"]);
    prop_oneof![
        2 => rpn().prop_map(move |r| vec![format!("CDEF:c{i}={r}"), format!("LINE1:c{i}#00FF00")]),
        1 => (pick(&["MAXIMUM", "MINIMUM", "AVERAGE", "STDEV", "LAST", "FIRST", "TOTAL",
                     "LSLSLOPE", "LSLINT", "LSLCORREL"]), format_spec())
            .prop_map(move |(f, fmt)| vec![format!("VDEF:v{i}=a,{f}"), format!("GPRINT:v{i}:{fmt}")]),
        1 => (real(), pick(&["PERCENT", "PERCENTNAN"]))
            .prop_map(move |(p, f)| vec![format!("VDEF:v{i}=a,{p},{f}"), format!("PRINT:v{i}:%lf")]),
        2 => (real(), color(), legend(), pick(&["", ":STACK"]), prop_oneof![
                Just(String::new()),
                (real(), real()).prop_map(|(a, b)| format!(":dashes={a},{b}")),
                (real(), real(), real()).prop_map(|(a, b, o)| format!(":dashes={a},{b}:dash-offset={o}")),
            ])
            .prop_map(|(w, c, l, s, d)| {
                let legend = if l.is_empty() && !(s.is_empty() && d.is_empty()) { ":" } else { &l };
                vec![format!("LINE{w}:a{c}{legend}{s}{d}")]
            }),
        1 => (color(), legend(), pick(&["", ":STACK"]), prop_oneof![Just(String::new()), real().prop_map(|h| format!(":gradheight={h}"))])
            .prop_map(|(c, l, s, g)| {
                let legend = if l.is_empty() && !(s.is_empty() && g.is_empty()) { ":" } else { &l };
                vec![format!("AREA:a{c}#0000FF{legend}{s}{g}")]
            }),
        1 => (color(), real()).prop_map(|(c, f)| vec![format!("TICK:a{c}:{f}")]),
        1 => int().prop_map(move |o| vec![format!("CDEF:s{i}=a"), format!("SHIFT:s{i}:{o}"), format!("LINE1:s{i}#0000FF")]),
        1 => (real(), color(), legend()).prop_map(|(v, c, l)| vec![format!("HRULE:{v}{c}{l}")]),
        1 => (int(), color()).prop_map(|(t, c)| vec![format!("VRULE:{t}{c}")]),
        1 => pick(&["HRULE:m#FF0000:avg", "VRULE:m#00FF00"]).prop_map(|e| vec![e]),
        2 => (format_spec(), pick(&["PRINT", "GPRINT"]), pick(&["", "\\l", "\\r", "\\c", "\\j", "\\g"]))
            .prop_map(|(f, k, c)| vec![format!("{k}:m:{f}{c}")]),
        1 => (pick(&["a", "b"]), format_spec(), pick(&["AVERAGE", "MAX", "LAST"]))
            .prop_map(|(v, f, cf)| vec![format!("GPRINT:{v}:{cf}:{f}")]),
        1 => pick(&["%Y-%m-%d", "%H:%M"]).prop_map(|f| vec![format!("GPRINT:m:{f}:strftime")]),
        1 => (int(), int()).prop_map(|(w, p)| vec![format!("GPRINT:m:%{w}.{p}H:valstrfduration")]),
        1 => pick(&["COMMENT:text\\l", "COMMENT:\\s", "COMMENT:\\u", "TEXTALIGN:center"]).prop_map(|e| vec![e]),
        1 => (1usize..400).prop_map(|n| (0..n).map(|k| format!("COMMENT:line {k}\\l")).collect()),
    ]
}

/// A whole `rrdtool graph` argument list, output file first.
fn spec() -> impl Strategy<Value = Vec<String>> {
    let def = |name: &'static str| {
        (
            rrd_file(),
            pick(&["v", "w"]),
            pick(&["AVERAGE", "MAX"]),
            prop_oneof![3 => Just(String::new()), 1 => int().prop_map(|s| format!(":step={s}"))],
            prop_oneof![
                3 => Just(String::new()),
                1 => (1i64..1_000_000_000).prop_map(|d| format!(":start={}", END - d)),
            ],
            prop_oneof![3 => Just(String::new()), 1 => pick(&[":reduce=MIN", ":reduce=LAST"])],
        )
            .prop_map(move |(f, ds, cf, step, start, reduce)| {
                format!("DEF:{name}={f}:{ds}:{cf}{step}{start}{reduce}")
            })
    };
    (
        time_range(),
        proptest::collection::vec(option(), 0..5),
        def("a"),
        def("b"),
        proptest::collection::vec(0usize..1, 1..6),
    )
        .prop_flat_map(|(range, options, a, b, slots)| {
            let elements: Vec<_> = (0..slots.len()).map(element).collect();
            (Just((range, options, a, b)), elements)
        })
        .prop_map(|((range, options, a, b), elements)| {
            let mut args = vec!["/dev/null".to_owned()];
            args.extend(range);
            args.extend(options.into_iter().flatten());
            args.push(a);
            args.push(b);
            args.push("VDEF:m=a,AVERAGE".into());
            args.push("LINE1:a#FF0000:a".into());
            args.extend(elements.into_iter().flatten());
            args
        })
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn what_validation_accepts_never_crashes_librrd() {
    let fixture = Fixture::new();
    let cases = env_or("RRDGRAPH_FUZZ_CASES", DEFAULT_CASES);
    let budget = Duration::from_secs(env_or("RRDGRAPH_FUZZ_SECS", DEFAULT_BUDGET.as_secs()));
    // No shrinking: each step would run librrd again, up to its limits, and the spec found is
    // printed whole.
    // A fixed seed keeps CI's run the same every time; RRDGRAPH_FUZZ_SEED hunts elsewhere.
    let seed: u64 = env_or("RRDGRAPH_FUZZ_SEED", 0);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 0,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &key),
    );
    let started = Instant::now();
    let (accepted, refused, skipped) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    let data_dependent = Cell::new(0u32);
    let result = runner.run(&spec(), |args| {
        if started.elapsed() > budget {
            skipped.set(skipped.get() + 1);
            return Ok(());
        }
        // A --y-grid draws (data range / step) lines, and a CDEF can scale the data to any
        // range: no spec can bound that (see MAX_Y_GRID_LINES), so such specs are not drawn.
        if args.iter().any(|a| a == "--y-grid") && args.iter().any(|a| a.starts_with("CDEF:")) {
            data_dependent.set(data_dependent.get() + 1);
            return Ok(());
        }
        let resolved = fixture.resolve(&args);
        let Ok(spec) = GraphSpec::parse_args(&resolved) else {
            refused.set(refused.get() + 1);
            return Ok(());
        };
        accepted.set(accepted.get() + 1);
        match librrd(&spec.to_args(), &fixture.scratch, &FUZZ) {
            Verdict::Survived => Ok(()),
            Verdict::Failed(why) => Err(TestCaseError::fail(format!(
                "validation accepted a spec that librrd cannot hold ({why}):\n{}",
                args.join("\n")
            ))),
        }
    });
    eprintln!(
        "differential fuzz: {} accepted specs drawn by librrd, {} refused by validation, {} \
         skipped after the {budget:?} budget, {} not drawn (a --y-grid over CDEF data), in {:?}",
        accepted.get(),
        refused.get(),
        skipped.get(),
        data_dependent.get(),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(accepted.get() > 0, "the generator must reach librrd");
}

/// The crashers found, one spec per paragraph (one argument per line, output file first).
fn crashers() -> Vec<(String, Vec<String>)> {
    let text = include_str!("../resources/difffuzz/crashers.txt");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut lines = p.lines();
            let title = lines.next().unwrap().trim_start_matches("# ").to_owned();
            (title, lines.map(str::to_owned).collect())
        })
        .collect()
}

#[test]
fn crashers_are_refused() {
    let fixture = Fixture::new();
    let found = crashers();
    assert!(!found.is_empty());
    for (title, args) in found {
        let args = fixture.resolve(&args);
        assert!(
            GraphSpec::parse_args(&args).is_err(),
            "validation accepts the crasher {title:?}: {args:?}"
        );
    }
}

#[test]
fn crashers_crash_librrd() {
    let fixture = Fixture::new();
    for (title, args) in crashers() {
        let args = fixture.resolve(&args);
        let verdict = librrd(&args, &fixture.scratch, &CRASHER);
        assert!(
            matches!(verdict, Verdict::Failed(_)),
            "librrd survives the crasher {title:?}: {args:?}"
        );
    }
}
