//! The data behind a graph in pure Rust ([`GraphData`], issue 14) against librrd: each series
//! against `rrdtool xport` of the same definitions (`--maxrows` standing for the graph's
//! width), each VDEF against `graphv`'s PRINT of it, bit for bit; across DEF steps, `:step=`
//! and `:reduce=`, graphs too narrow for their archive, SHIFT and every VDEF function.

use rrdgraph::{
    Cf, Clock, CreateSpec, DataSource, DataWindow, GraphData, GraphSpec, Rra, Rrd, Update, Zone,
    render_raw_args, xport,
};

const START: i64 = 1_767_211_200;

struct Fixture {
    _dir: tempfile::TempDir,
    path: String,
}

/// A reproducible mix: unknowns, zeros, negatives, fractions, large numbers.
fn value(i: i64, salt: i64) -> Option<f64> {
    let h = (i * 7919 + salt * 104_729).rem_euclid(1009);
    let h16 = f64::from(u16::try_from(h).unwrap());
    match h % 11 {
        0 => None,
        1 => Some(0.0),
        2 => Some(-h16 / 7.0),
        3 => Some(h16 * 1e6),
        _ => Some(h16 / 10.0),
    }
}

/// Gauges `a` and `b` at 300 s, with a 300 s and a 1800 s AVERAGE archive and a 1800 s MAX.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.rrd");
    let rrd = Rrd::new(&path);
    rrd.create(
        &CreateSpec::new()
            .step(300)
            .start(START - 300 * 200)
            .data_source(DataSource::gauge("a", 600))
            .data_source(DataSource::gauge("b", 600))
            .archive(Rra::new(Cf::Average, 0.5, 1, 300))
            .archive(Rra::new(Cf::Average, 0.5, 6, 300))
            .archive(Rra::new(Cf::Max, 0.5, 6, 300)),
    )
    .unwrap();
    let updates: Vec<Update> = (-199..=120)
        .map(|i| Update::with_unknowns(START + 300 * i, [value(i, 0), value(i, 1)]))
        .collect();
    rrd.update(&updates).unwrap();
    Fixture {
        path: path.to_str().unwrap().to_owned(),
        _dir: dir,
    }
}

struct Case<'a> {
    start: i64,
    end: i64,
    width: u32,
    elements: &'a [String],
}

fn ours(case: &Case<'_>) -> GraphData {
    let mut args = vec!["-".to_owned()];
    args.extend(case.elements.iter().cloned());
    let spec = GraphSpec::parse_args(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let window = DataWindow::new(case.start, case.end, case.width, 0);
    GraphData::from_files(spec.elements(), window, Clock::at(0))
        .unwrap_or_else(|e| panic!("{:?}: {e}", case.elements))
}

fn common(case: &Case<'_>) -> Vec<String> {
    let mut args = vec![
        "--start".to_owned(),
        case.start.to_string(),
        "--end".to_owned(),
        case.end.to_string(),
    ];
    args.extend(case.elements.iter().cloned());
    args
}

/// Every series of ours against librrd's xport of all of them (xport's grid is the greatest
/// common divisor of the exported steps, as ours).
fn check_series(case: &Case<'_>, data: &GraphData) {
    let mut args = common(case);
    args.push("--maxrows".to_owned());
    args.push(case.width.to_string());
    for (name, _) in &data.series {
        args.push(format!("XPORT:{name}:{name}"));
    }
    let theirs = xport(&args).unwrap_or_else(|e| panic!("librrd refused {args:?}: {e}"));
    assert_eq!(
        (theirs.start(), theirs.step()),
        (data.start, data.step),
        "the grid of {args:?}"
    );
    for (name, values) in &data.series {
        assert_eq!(theirs.len(), values.len(), "{name}: rows");
        let t = theirs.column(name.as_str()).unwrap();
        let (_, col) = data.columns.iter().find(|(n, _)| n == name).unwrap();
        for (i, (x, y)) in t.iter().zip(values).enumerate() {
            // Outside its own window librrd's xport reads outside the series' array.
            let now = data.start + i64::try_from(i).unwrap() * i64::try_from(data.step).unwrap();
            if now < col.start() || now >= col.end() {
                assert!(y.is_nan(), "{name} row {i}: outside the series");
                continue;
            }
            assert_eq!(
                x.to_bits(),
                y.to_bits(),
                "{name} row {i}: librrd {x:e}, ours {y:e} ({args:?})"
            );
        }
    }
}

/// Each VDEF of ours against librrd's PRINT of its value (`%.17le`, exact) and time.
fn check_vdefs(case: &Case<'_>, data: &GraphData) {
    assert!(!data.vdefs.is_empty() || case.elements.iter().all(|e| !e.starts_with("VDEF")));
    let mut args = vec!["-".to_owned(), "--width".to_owned(), case.width.to_string()];
    args.extend(common(case));
    for (name, _) in &data.vdefs {
        args.push(format!("PRINT:{name}:%.17le"));
        args.push(format!("PRINT:{name}:%s:strftime"));
    }
    let rendered = render_raw_args(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let prints = rendered.prints();
    for (k, (name, v)) in data.vdefs.iter().enumerate() {
        let text = &prints[2 * k];
        let theirs: f64 = match text.trim() {
            "nan" | "-nan" => f64::NAN,
            t => t
                .parse()
                .unwrap_or_else(|_| panic!("{name}: librrd printed {t:?}")),
        };
        assert!(
            theirs.to_bits() == v.value.to_bits() || (theirs.is_nan() && v.value.is_nan()),
            "{name}: librrd {text}, ours {:e}",
            v.value
        );
        // Without a time librrd blanks the format out.
        let time: Option<i64> = prints[2 * k + 1].trim().parse().ok();
        assert_eq!(time, (v.time != 0).then_some(v.time), "{name}: the time");
    }
}

fn check(case: &Case<'_>) {
    let data = ours(case);
    check_series(case, &data);
    check_vdefs(case, &data);
}

fn def(f: &Fixture, vname: &str, ds: &str, extra: &str) -> String {
    format!("DEF:{vname}={}:{ds}:AVERAGE{extra}", f.path)
}

const VDEF_FUNCS: &[&str] = &[
    "MAXIMUM",
    "MINIMUM",
    "AVERAGE",
    "STDEV",
    "LAST",
    "FIRST",
    "TOTAL",
    "0,PERCENT",
    "95,PERCENT",
    "100,PERCENT",
    "50,PERCENTNAN",
    "95,PERCENTNAN",
    "LSLSLOPE",
    "LSLINT",
    "LSLCORREL",
];

fn with_vdefs(mut elements: Vec<String>, of: &[&str]) -> Vec<String> {
    for src in of {
        for (k, func) in VDEF_FUNCS.iter().enumerate() {
            elements.push(format!("VDEF:{src}v{k}={src},{func}"));
        }
    }
    elements
}

#[test]
fn every_vdef_function_over_a_def_and_a_cdef() {
    let f = fixture();
    let elements = with_vdefs(
        vec![
            def(&f, "a", "a", ""),
            def(&f, "b", "b", ""),
            // Infinities and unknowns for MAXIMUM, MINIMUM and the percentiles.
            "CDEF:c=a,0,LT,NEGINF,a,IF,b,1e8,GT,INF,0,IF,+".to_owned(),
        ],
        &["a", "c"],
    );
    check(&Case {
        start: START - 300 * 100,
        end: START + 300 * 100,
        width: 400,
        elements: &elements,
    });
}

#[test]
fn a_narrow_graph_reduces_its_data_as_librrd() {
    let f = fixture();
    // 200 rows of 300 s on 30, 50 and 70 pixels: steps of 2000, 1200 and 857 seconds ask for
    // factors of 7, 4 and 3 over the 300 s archive (or the 1800 s one).
    for width in [30, 50, 70] {
        let elements = with_vdefs(
            vec![
                def(&f, "a", "a", ""),
                def(&f, "m", "a", ":reduce=MAX"),
                "CDEF:c=a,m,-".to_owned(),
            ],
            &["c"],
        );
        check(&Case {
            start: START - 300 * 100 + 150,
            end: START + 300 * 100,
            width,
            elements: &elements,
        });
    }
}

#[test]
fn a_def_step_and_series_of_different_steps() {
    let f = fixture();
    let elements = with_vdefs(
        vec![
            def(&f, "a", "a", ""),
            def(&f, "slow", "b", ":step=1800"),
            def(&f, "coarse", "b", ":step=900:reduce=MIN"),
            "CDEF:c=a,slow,+,coarse,ADDNAN".to_owned(),
            // (A TREND over the coarser series would read before its array in librrd.)
            "CDEF:t=a,3600,TRENDNAN,slow,-".to_owned(),
        ],
        &["c", "t"],
    );
    check(&Case {
        start: START - 300 * 100,
        end: START + 300 * 90,
        width: 400,
        elements: &elements,
    });
}

#[test]
fn shift_by_a_constant_and_by_a_vdef() {
    let f = fixture();
    let elements = vec![
        def(&f, "a", "a", ""),
        def(&f, "y", "a", ""),
        "SHIFT:y:3600".to_owned(),
        "CDEF:d=a,y,-".to_owned(),
        "VDEF:dl=d,LAST".to_owned(),
        "VDEF:off=a,FIRST".to_owned(),
        def(&f, "z", "b", ""),
        "CDEF:k=z,1,*".to_owned(),
        // A shift by a VDEF's value, not a multiple of the step (librrd rounds it towards
        // zero).
        "CDEF:sev=a,POP,-7777,1,*".to_owned(),
        "VDEF:by=sev,LAST".to_owned(),
        "SHIFT:k:by".to_owned(),
        "CDEF:e=k,a,+".to_owned(),
        "VDEF:em=e,MAXIMUM".to_owned(),
    ];
    check(&Case {
        start: START - 300 * 60,
        end: START + 300 * 60,
        width: 400,
        elements: &elements,
    });
}

/// PRINT and GPRINT text against librrd's `print[i]` and `legend[i]`: printf's conversions,
/// the SI prefix (`%s`, and `%S` reusing the factor before it), the deprecated CF form.
#[test]
fn prints_and_gprints_read_as_librrd_writes_them() {
    let f = fixture();
    let formats = [
        "%lf",
        "%6.2lf %s",
        "%.3le",
        "%lg",
        "%+08.1lf",
        "%-10.4lg|",
        "%5.1lf%S",
        "%.0lf%%",
        "%#.0lE",
        "%10.3lG",
    ];
    let mut elements = vec![
        def(&f, "a", "a", ""),
        def(&f, "b", "b", ""),
        "CDEF:big=a,1e6,*".to_owned(),
        "CDEF:none=a,POP,UNKN".to_owned(),
        "CDEF:huge=a,POP,INF".to_owned(),
    ];
    for src in ["a", "b", "big", "none", "huge"] {
        for (k, func) in ["MAXIMUM", "AVERAGE", "LAST", "LSLSLOPE"]
            .iter()
            .enumerate()
        {
            elements.push(format!("VDEF:{src}{k}={src},{func}"));
        }
    }
    let mut vdefs = Vec::new();
    for src in ["a", "b", "big", "none", "huge"] {
        for k in 0..4 {
            vdefs.push(format!("{src}{k}"));
        }
    }
    for (i, v) in vdefs.iter().enumerate() {
        let fmt = formats[i % formats.len()];
        elements.push(format!("PRINT:{v}:{fmt}"));
        elements.push(format!(
            "GPRINT:{v}:{}\\l",
            formats[(i + 3) % formats.len()]
        ));
    }
    for cf in ["AVERAGE", "MIN", "MAX", "LAST"] {
        elements.push(format!("PRINT:a:{cf}:%.4lf"));
        elements.push(format!("GPRINT:big:{cf}:%.2lf %S"));
    }
    // Wider than librrd's legend buffer: a GPRINT keeps 197 bytes of it, a PRINT all.
    elements.push("PRINT:a0:%250.1lf".to_owned());
    elements.push("GPRINT:a0:%250.1lf".to_owned());
    elements.push("GPRINT:a0:%-250.1lf|".to_owned());
    assert_eq!(check_texts(&elements), 25);
}

/// Our PRINT and GPRINT texts of `elements` over 200 steps of the fixture against librrd's
/// `print[i]` and `legend[i]` (in-process); the number of PRINTs.
fn check_texts(elements: &[String]) -> usize {
    let case = Case {
        start: START - 300 * 100,
        end: START + 300 * 100,
        width: 400,
        elements,
    };
    let data = ours(&case);
    let mut args = vec!["-".to_owned()];
    args.extend(common(&case));
    let rendered = render_raw_args(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(rendered.prints(), data.prints.as_slice());
    assert_eq!(rendered.legends(), data.gprints.as_slice());
    data.prints.len()
}

/// `rrdtool graphv` in its own process under the time zone `tz`: its `print[i]` texts (the
/// zone is the process's, so it cannot be changed in this multi-threaded test process).
fn graphv_prints(tz: &str, args: &[String]) -> Vec<String> {
    let out = std::process::Command::new("rrdtool")
        .arg("graphv")
        .args(args)
        .env("TZ", tz)
        .env("LC_ALL", "C")
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    assert!(out.status.success(), "rrdtool graphv {args:?}: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut prints: Vec<(usize, String)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("print[")?;
            let (i, v) = rest.split_once("] = ")?;
            Some((
                i.parse().ok()?,
                v.strip_prefix('"')?.strip_suffix('"')?.to_owned(),
            ))
        })
        .collect();
    prints.sort();
    prints.into_iter().map(|(_, v)| v).collect()
}

/// PRINT and GPRINT's time formats against librrd (in-process, where the zone does not
/// matter): `:valstrftime` of the value as a UTC time, `:valstrfduration` of it as
/// milliseconds, `:strftime` of a VDEF without a time (librrd's dashes), and the fallbacks
/// for an unknown or fractional value.
#[test]
fn valstrftime_and_valstrfduration_read_as_librrd_writes_them() {
    let f = fixture();
    let mut elements = vec![
        def(&f, "a", "a", ""),
        // A time near the graph, a fraction of a second off it, an unknown, an infinity.
        "CDEF:when=a,POP,TIME".to_owned(),
        "VDEF:last=when,LAST".to_owned(),
        "CDEF:frac=when,0.5,+".to_owned(),
        "VDEF:lastfrac=frac,LAST".to_owned(),
        "CDEF:none=a,POP,UNKN".to_owned(),
        "VDEF:unknown=none,LAST".to_owned(),
        "CDEF:huge=a,POP,INF".to_owned(),
        "VDEF:infinite=huge,MAXIMUM".to_owned(),
        // Durations in milliseconds: the largest value, a negative one.
        "CDEF:ms=a,1000,*".to_owned(),
        "VDEF:msmax=ms,MAXIMUM".to_owned(),
        "VDEF:msmin=ms,MINIMUM".to_owned(),
        "VDEF:avg=a,AVERAGE".to_owned(),
    ];
    let times = [
        "%Y-%m-%d %H\\:%M\\:%S",
        "%a %A %b %B %d %e %j %u %w %U %W %V %G %g",
        "%c|%D|%F|%T|%R|%r|%x|%X|%C|%y|%I %p|%P|%k|%l|%h",
        "at %H\\:%M %z %Z",
    ];
    let durations = [
        "%H\\:%02m\\:%02s",
        "%W weeks %d days %h h %m min %.3s s %f ms",
        "%D|%.2D|%010.4H|%M|%S|%5.1f",
        "100%%",
    ];
    for v in ["last", "lastfrac", "unknown", "infinite", "avg"] {
        for t in times {
            elements.push(format!("PRINT:{v}:{t}:valstrftime"));
            elements.push(format!("GPRINT:{v}:{t}:valstrftime"));
        }
    }
    for v in ["msmax", "msmin", "avg", "unknown", "infinite"] {
        for d in durations {
            elements.push(format!("PRINT:{v}:{d}:valstrfduration"));
            elements.push(format!("GPRINT:{v}:{d}:valstrfduration"));
        }
    }
    // A VDEF without a time: librrd writes dashes for each conversion.
    for t in ["%Y-%m-%d %H\\:%M", "%T %j %Ey %a%% %D %F %R %G", "plain"] {
        elements.push(format!("PRINT:avg:{t}:strftime"));
        elements.push(format!("GPRINT:unknown:{t}:strftime"));
    }
    assert_eq!(check_texts(&elements), 5 * 4 + 5 * 4 + 3);
}

/// A VDEF's time in a zone (`:strftime`): ours with the clock's offset against librrd under a
/// `TZ` of that fixed offset; across Europe/Berlin's change to summer time (2026-03-29 01:00
/// UTC) librrd's text equals ours with the offset in force at each time, one hour before the
/// change and two after. `:valstrftime` is UTC whatever the zone.
#[test]
fn strftime_of_vdef_times_in_a_zone_and_across_a_dst_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dst.rrd");
    let change: i64 = 1_774_746_000;
    let rrd = Rrd::new(&path);
    rrd.create(
        &CreateSpec::new()
            .step(300)
            .start(change - 86_400)
            .data_source(DataSource::gauge("v", 600))
            .archive(Rra::new(Cf::Average, 0.5, 1, 600)),
    )
    .unwrap();
    // A peak before the change and one after it, each the maximum of its half.
    let updates: Vec<Update> = (1..=200)
        .map(|i| {
            let t = change - 300 * 100 + 300 * i;
            let v = match i {
                40 => 500.0,
                160 => 900.0,
                _ => f64::from(i32::try_from(i % 17).unwrap()),
            };
            Update::at(t, [v])
        })
        .collect();
    rrd.update(&updates).unwrap();
    let p = path.to_str().unwrap();
    let formats = ["%Y-%m-%d %H\\:%M\\:%S", "%c %z", "%a %j %U %W %V %G %I %p"];
    let window = |start: i64, end: i64| -> Vec<String> {
        let mut args = vec![
            "-".to_owned(),
            "--start".to_owned(),
            start.to_string(),
            "--end".to_owned(),
            end.to_string(),
            format!("DEF:v={p}:v:AVERAGE"),
            "VDEF:peak=v,MAXIMUM".to_owned(),
            "VDEF:first=v,FIRST".to_owned(),
            "CDEF:t=v,POP,TIME".to_owned(),
            "VDEF:tl=t,LAST".to_owned(),
        ];
        for f in formats {
            args.push(format!("PRINT:peak:{f}:strftime"));
            args.push(format!("PRINT:first:{f}:strftime"));
            args.push(format!("PRINT:tl:{f}:valstrftime"));
        }
        args
    };
    let ours_at = |args: &[String], offset: i64| {
        let spec = GraphSpec::parse_args(args).unwrap();
        spec.data(Clock::at(change).utc_offset(offset))
            .unwrap()
            .prints
    };
    // Fixed offsets: UTC, east of it with minutes, west of it.
    let both = window(change - 300 * 90, change + 300 * 90);
    for (tz, offset) in [("UTC0", 0), ("<+0530>-5:30", 19_800), ("<-03>3", -10_800)] {
        assert_eq!(graphv_prints(tz, &both), ours_at(&both, offset), "TZ={tz}");
    }
    // Europe/Berlin: before the change CET (+1 h), after it CEST (+2 h), one window across
    // it, `%Z` included.
    let mut across = window(change - 300 * 90, change + 300 * 90);
    across.push("PRINT:peak:%H\\:%M %Z %z:strftime".to_owned());
    across.push("PRINT:first:%H\\:%M %Z %z:strftime".to_owned());
    let spec = GraphSpec::parse_args(&across).unwrap();
    let berlin = Clock::at(change).in_zone(Zone::named("Europe/Berlin"));
    assert_eq!(
        graphv_prints("Europe/Berlin", &across),
        spec.data(berlin).unwrap().prints
    );
    // A bare offset has no name: a typed error, never a guess.
    assert!(matches!(
        spec.data(Clock::at(change).utc_offset(3600)),
        Err(rrdgraph::EvalError::Unsupported(_))
    ));
}
