//! `opskit graph OUTPUT ARGS...`: a drop-in for `rrdtool graph`.

use std::process::{Command, Output};

use testbed::rrd::{DEFAULT_END, TrafficRrd};

fn opskit(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opskit"))
        .arg("graph")
        .args(args)
        .env_remove("RRDCACHED_ADDRESS")
        .output()
        .expect("run opskit")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The recipe's arguments over the fixture's last day, writing to `out`.
fn recipe(out: &str, rrd: &str) -> Vec<String> {
    rrdgraph::TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| match *a {
            "Flow.png" => out.to_owned(),
            "-1d" => (DEFAULT_END - 86_400).to_string(),
            a => a.replace("Flow.rrd", rrd),
        })
        .chain(["--end".to_owned(), DEFAULT_END.to_string()])
        .collect()
}

#[test]
fn renders_the_recipe_like_rrdtool_graph() {
    let rrd = TrafficRrd::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("Flow.png");
    let o = opskit(&recipe(out.to_str().unwrap(), rrd.path().to_str().unwrap()));
    assert!(o.status.success(), "{}", stderr(&o));
    // rrdtool graph prints the image size.
    let text = stdout(&o);
    let (w, h) = text.trim().split_once('x').expect("WxH");
    assert!(
        w.parse::<u32>().unwrap() > 650 && h.parse::<u32>().unwrap() > 230,
        "{text}"
    );
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"\x89PNG");

    // And the same as the real rrdtool, when it is installed.
    if let Ok(real) = Command::new("rrdtool")
        .arg("graph")
        .args(recipe("/dev/null", rrd.path().to_str().unwrap()))
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&real.stdout), text);
    }
}

#[test]
fn png_to_stdout_with_dash() {
    let rrd = TrafficRrd::create().unwrap();
    let o = opskit(&recipe("-", rrd.path().to_str().unwrap()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(&o.stdout[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn info_prints_graphv_lines() {
    let rrd = TrafficRrd::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("Flow.png");
    let mut args = vec!["--info".to_owned()];
    args.extend(recipe(out.to_str().unwrap(), rrd.path().to_str().unwrap()));
    args.extend([
        "VDEF:peak=inoctets,MAXIMUM".to_owned(),
        "PRINT:peak:%.0lf".into(),
    ]);
    let o = opskit(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let peak = rrd
        .rates()
        .iter()
        .filter(|r| r.time > DEFAULT_END - 86_400)
        .map(|r| r.eth0_in)
        .fold(0.0, f64::max);
    assert!(
        text.contains(&format!("print[0] = \"{peak:.0}\"\n")),
        "{text}"
    );
    assert!(text.contains("graph_width = 650\n"), "{text}");
    assert!(text.contains("graph_height = 230\n"), "{text}");
    assert!(text.contains("image_width = "), "{text}");
    assert!(text.contains("legend[0] = \"  Total traffic\"\n"), "{text}");
    assert!(out.exists());
}

#[test]
fn check_emit_and_to_rust() {
    // The recipe's exact argument list emits identically.
    let args: Vec<String> = rrdgraph::TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let mut check = vec!["--check".to_owned()];
    check.extend(args.iter().cloned());
    let o = opskit(&check);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "OK\n");

    let mut emit = vec!["--emit".to_owned()];
    emit.extend(args.iter().cloned());
    let o = opskit(&emit);
    assert!(o.status.success());
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines, args);

    let mut rust = vec!["--to-rust".to_owned()];
    rust.extend(args.iter().cloned());
    let o = opskit(&rust);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("GraphSpec::builder()"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn invalid_graphs_exit_1_with_the_argument_and_field() {
    let o = opskit(&[
        "--check".into(),
        "x.png".into(),
        "DEF:a=x.rrd:in:AVERAGE".into(),
        "CDEF:b=a,+".into(),
        "LINE1:b#FF0000:b".into(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("CDEF"), "{err}");
    let o = opskit(&[
        "x.png".into(),
        "DEF:a=x.rrd:in:AVERAGE".into(),
        "LINE1:undefined#FF0000".into(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("undefined"), "{}", stderr(&o));
}

#[test]
fn librrd_errors_exit_1() {
    let o = opskit(&[
        "-".into(),
        "DEF:a=/nonexistent/opskit/x.rrd:in:AVERAGE".into(),
        "LINE1:a#FF0000".into(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/opskit/x.rrd"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_refuses_what_crashes_librrd() {
    // Each of these crashed or exhausted librrd 1.7.2 before validation bounded it.
    for (bad, field) in [
        ("GPRINT:a:AVERAGE:%2147483648lf", "width"),
        ("PRINT:a:AVERAGE:%2147483647lf", "width"),
        ("GPRINT:a:AVERAGE:%.2147483647lf", "precision"),
        ("CDEF:t=a,1e12,TREND", "window"),
        ("CDEF:t=86400,-2,1e12,a,PREDICT", "window"),
        ("CDEF:t=a,2147483647,TREND", "window"),
        ("CDEF:t=a,a,0,1,-,SORT,POP", "count"),
        ("--zoom=100", "pixels"),
    ] {
        let o = opskit(&strings(&[
            "--check",
            "x.png",
            "DEF:a=x.rrd:a:AVERAGE",
            bad,
        ]));
        assert_eq!(o.status.code(), Some(1), "{bad}");
        assert!(stderr(&o).contains(field), "{bad}: {}", stderr(&o));
    }
    let o = opskit(&strings(&[
        "--check",
        "x.png",
        "DEF:a=x.rrd:a:AVERAGE",
        "CDEF:t=a,4194304,TREND",
        "GPRINT:a:AVERAGE:%255.255lf",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn emit_refuses_a_line_break_in_text() {
    for bad in [
        "--title=a\nb",
        "COMMENT:x\n--foo",
        "LINE1:a#ff0000:l\r\n--foo",
    ] {
        let o = opskit(&strings(&["--emit", "x.png", "DEF:a=x.rrd:a:AVERAGE", bad]));
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
        assert!(stdout(&o).is_empty(), "{bad:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("not allowed"),
            "{bad:?}: {}",
            stderr(&o)
        );
    }
}

/// A small RRD with two values, and the arguments that graph it over its range.
fn small_rrd(dir: &std::path::Path) -> (String, Vec<String>) {
    let file = dir.join("s.rrd").to_str().unwrap().to_owned();
    let ok = |args: &[&str]| {
        let o = Command::new("rrdtool")
            .args(args)
            .output()
            .expect("rrdtool");
        assert!(o.status.success(), "{}", stdout(&o));
    };
    let mut create = vec!["create", file.as_str()];
    create.extend(crate::SMALL_RRD_LAYOUT);
    ok(&create);
    ok(&["update", &file, "1767225300:1", "1767225600:3"]);
    let base = strings(&[
        "--start",
        "1767225000",
        "--end",
        "1767225600",
        &format!("DEF:a={file}:v:AVERAGE"),
        "VDEF:m=a,AVERAGE",
        "LINE1:a#FF0000:a",
    ]);
    (file, base)
}

/// `opskit graph` and `rrdtool graph` of `out` and `args`: their standard outputs.
fn both(out: &str, args: &[String]) -> (String, String) {
    let mut full = vec![out.to_owned()];
    full.extend_from_slice(args);
    let ours = opskit(&full);
    assert!(ours.status.success(), "{args:?}: {}", stderr(&ours));
    let real = Command::new("rrdtool")
        .arg("graph")
        .args(&full)
        .output()
        .expect("rrdtool is installed");
    (stdout(&ours), stdout(&real))
}

#[test]
fn print_formats_with_backslashes_match_rrdtool() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base) = small_rrd(dir.path());
    for format in [
        "%lf\\",
        "%lf\\t",
        "a\\tb %lf\\l",
        "%lf\\.",
        "%lf\\\\",
        "%lf \\x",
    ] {
        let mut args = base.clone();
        args.push(format!("PRINT:m:{format}"));
        let (ours, real) = both("/dev/null", &args);
        assert_eq!(ours, real, "PRINT:m:{format}");
        assert!(ours.contains("2.000000"), "{ours}");
    }
    // GPRINT reads `\t` as a tab, at the end too.
    for format in ["%lf\\t", "x\\ty %lf", "%lf\\"] {
        let mut args = base.clone();
        args.push(format!("GPRINT:m:{format}"));
        let mut full = vec!["--info".to_owned(), "/dev/null".to_owned()];
        full.extend_from_slice(&args);
        let ours = opskit(&full);
        assert!(ours.status.success(), "{format}: {}", stderr(&ours));
        let real = Command::new("rrdtool")
            .arg("graphv")
            .arg("/dev/null")
            .args(&args)
            .output()
            .unwrap();
        let legends = |t: String| -> Vec<String> {
            t.lines()
                .filter(|l| l.starts_with("legend["))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            legends(stdout(&ours)),
            legends(stdout(&real)),
            "GPRINT:m:{format}"
        );
    }
}

#[test]
fn imginfo_replaces_the_size_line_like_rrdtool() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base) = small_rrd(dir.path());
    let info = "<IMG SRC=\"%s\" WIDTH=\"%lu\" HEIGHT=\"%lu\">";
    let forms = [
        vec!["--imginfo".to_owned(), info.to_owned()],
        vec![format!("--imginfo={info}")],
        vec!["-f".to_owned(), info.to_owned()],
        vec![format!("-f{info}")],
    ];
    for (i, form) in forms.iter().enumerate() {
        let mut args = form.clone();
        args.extend_from_slice(&base);
        args.push("PRINT:m:%lf".into());
        // Both write g.png (the line names the file), each in a directory of its own.
        let ours_dir = dir.path().join(format!("ours{i}"));
        let real_dir = dir.path().join(format!("real{i}"));
        std::fs::create_dir_all(&ours_dir).unwrap();
        std::fs::create_dir_all(&real_dir).unwrap();
        let mut full = vec![ours_dir.join("g.png").to_str().unwrap().to_owned()];
        full.extend_from_slice(&args);
        let ours = opskit(&full);
        assert!(ours.status.success(), "{form:?}: {}", stderr(&ours));
        full[0] = real_dir.join("g.png").to_str().unwrap().to_owned();
        let real = Command::new("rrdtool")
            .arg("graph")
            .args(&full)
            .output()
            .unwrap();
        assert_eq!(stdout(&ours), stdout(&real), "{form:?}");
        assert!(
            stdout(&ours).contains("<IMG SRC=\"g.png\" WIDTH="),
            "{}",
            stdout(&ours)
        );
    }
}

/// `rrdtool graph OUT ARGS` and `opskit graph OUT ARGS` (different files in `dir`): status,
/// stdout, stderr's first word and whether the file was written.
fn rrdtool_and_ours(dir: &std::path::Path, args: &[String]) -> [(Option<i32>, String, bool); 2] {
    let run = |name: &str, mut cmd: Command| {
        let out = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&out);
        let o = cmd
            .arg(&out)
            .args(args)
            .env_remove("RRDCACHED_ADDRESS")
            .output()
            .unwrap();
        (o.status.code(), stdout(&o), out.exists())
    };
    let mut rrdtool = Command::new("rrdtool");
    rrdtool.arg("graph");
    let mut ours = Command::new(env!("CARGO_BIN_EXE_opskit"));
    ours.arg("graph");
    [run("rrdtool", rrdtool), run("opskit", ours)]
}

#[test]
fn reads_real_scripts_the_way_rrdtool_does() {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let def = format!("DEF:x={}:eth0_in:AVERAGE", rrd.path().display());
    let range = [
        "--start".to_owned(),
        (DEFAULT_END - 7200).to_string(),
        "--end".into(),
        DEFAULT_END.to_string(),
    ];
    let with = |rest: &[&str]| {
        let mut a = range.to_vec();
        a.push(def.clone());
        a.extend(rest.iter().map(|s| (*s).to_owned()));
        a
    };
    for args in [
        // A short option and its value in one argument, as PHP's exec() builds it.
        with(&["-h 200", "-w 300", "-t my title", "LINE1:x#FF0000:in"]),
        // Numbers drawn by LINE, AREA, STACK and TICK.
        with(&[
            "LINE1:100#FF0000",
            "AREA:1#0000FF:one",
            "STACK:2#00FF00",
            "TICK:x:0.5",
        ]),
        // Options after the elements.
        with(&["LINE1:x#FF0000", "--width", "300", "-h 120"]),
        // PRINT-only: the size line is 0x0.
        with(&["VDEF:m=x,MAXIMUM", "PRINT:m:%.0lf"]),
        // No elements, only a DEF, only a COMMENT: nothing drawn, nothing printed.
        Vec::new(),
        with(&[]),
        vec!["COMMENT:hello".to_owned()],
    ] {
        let [theirs, ours] = rrdtool_and_ours(dir.path(), &args);
        assert_eq!(theirs.0, Some(0), "{args:?}");
        assert_eq!(ours, theirs, "{args:?}");
    }
}

#[test]
fn errors_exit_1_like_rrdtool() {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let def = format!("DEF:x={}:eth0_in:AVERAGE", rrd.path().display());
    for bad in [
        "--bogus",
        // rrdtool's getopt refuses a long option and its value in one argument.
        "--height 200",
        "-a PNG",
        "LINE1:5x#FF0000",
        "LINE1:undefined#FF0000",
    ] {
        let args = strings(&[&def, "LINE1:x#FF0000", bad]);
        let [theirs, ours] = rrdtool_and_ours(dir.path(), &args);
        assert_eq!((theirs.0, theirs.2), (Some(1), false), "{bad}");
        assert_eq!((ours.0, ours.2), (Some(1), false), "{bad}");
    }
    // A usage error of our own command line exits 1 too.
    let o = opskit(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn mode_flags_may_stand_anywhere() {
    let args = strings(&["x.png", "DEF:x=a.rrd:v:AVERAGE", "LINE1:x#FF0000"]);
    let emit = |at: usize| {
        let mut a = args.clone();
        a.insert(at, "--emit".to_owned());
        let o = opskit(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let first = emit(0);
    assert_eq!(first.lines().collect::<Vec<_>>(), args);
    assert_eq!(emit(1), first);
    assert_eq!(emit(3), first);
    // The value of an option stays a value, as getopt reads it: this is a title.
    let o = opskit(&strings(&[
        "x.png",
        "--title",
        "--check",
        "--emit",
        "COMMENT:x",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "x.png\n--title\n--check\nCOMMENT:x\n");
    // Two modes exclude each other.
    let o = opskit(&strings(&["--check", "x.png", "COMMENT:x", "--emit"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("exclude each other"), "{}", stderr(&o));
}

#[test]
fn check_reports_every_problem_with_its_argument_index() {
    let o = opskit(&strings(&[
        "x.png",
        "--width",
        "5",
        "LINE1:nope#FF0000",
        "COMMENT:a:b",
        "--check",
        "-h 3",
        "--height 200",
        "DEF:x=a.rrd:v:AVERAGE",
        "TICK:x#FF0000:2",
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    // The indexes count the graph's arguments (0 is OUTPUT), without our own flag.
    let want = [
        "argument 1 (\"--width\")",
        "argument 3:",
        "argument 4 (\"COMMENT:a:b\")",
        "argument 5 (\"-h 3\")",
        "argument 6 (\"--height 200\")",
        "argument 8:",
    ];
    assert_eq!(lines.len(), want.len(), "{err}");
    for (line, want) in lines.iter().zip(want) {
        assert!(
            line.starts_with(&format!("error: {want}")),
            "{line} / {want}"
        );
    }
}

/// The JSON value of a sample: a number, `null` for UNKN, `"inf"`/`"-inf"`.
fn sample(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Null => f64::NAN,
        serde_json::Value::String(s) if s == "inf" => f64::INFINITY,
        serde_json::Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        v => v.as_f64().expect("a number"),
    }
}

/// `--data` on the recipe: the series equal librrd's xport of them (same grid, same values),
/// the GPRINT texts librrd's legends, the VDEF values librrd's PRINTs, all computed without
/// librrd.
#[test]
fn data_is_what_librrd_computes_for_the_recipe() {
    let rrd = TrafficRrd::create().unwrap();
    let path = rrd.path().to_str().unwrap();
    let mut args = recipe("-", path);
    args.push("VDEF:peak=inbits,MAXIMUM".to_owned());
    args.push("VDEF:p95=outbits,95,PERCENT".to_owned());
    args.push("PRINT:peak:%.17le".to_owned());
    args.push("PRINT:p95:%6.2lf %S".to_owned());
    let mut with_mode = vec!["--data".to_owned()];
    with_mode.extend(args.iter().cloned());
    let o = opskit(&with_mode);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");

    // librrd's computation of the same definitions, in this process.
    let options_and_data: Vec<String> = args[1..]
        .iter()
        .filter(|a| {
            !["LINE", "AREA", "HRULE", "COMMENT"]
                .iter()
                .any(|k| a.starts_with(k))
        })
        .cloned()
        .collect();
    let mut xport_args: Vec<String> = vec![
        "--start".into(),
        (DEFAULT_END - 86_400).to_string(),
        "--end".into(),
        DEFAULT_END.to_string(),
        "--maxrows".into(),
        "650".into(),
    ];
    xport_args.extend(
        options_and_data
            .iter()
            .filter(|a| a.starts_with("DEF") || a.starts_with("CDEF"))
            .cloned(),
    );
    let names = ["inoctets", "outoctets", "total", "inbits", "outbits"];
    for n in names {
        xport_args.push(format!("XPORT:{n}:{n}"));
    }
    let theirs = rrdgraph::xport(&xport_args).expect("librrd xport");
    assert_eq!(doc["start"].as_i64(), Some(theirs.start()));
    assert_eq!(doc["step"].as_u64(), Some(theirs.step()));
    for n in names {
        let ours: Vec<f64> = doc["series"][n]
            .as_array()
            .unwrap_or_else(|| panic!("series {n}"))
            .iter()
            .map(sample)
            .collect();
        let t = theirs.column(n).unwrap();
        assert_eq!(ours.len(), t.len(), "{n}");
        for (i, (x, y)) in t.iter().zip(&ours).enumerate() {
            assert!(
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                "{n} row {i}: librrd {x}, ours {y}"
            );
        }
    }

    let mut graph_args = vec!["-".to_owned()];
    graph_args.extend(options_and_data);
    let rendered = rrdgraph::render_raw_args(&graph_args).expect("librrd graph");
    let texts = |key: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts("gprints"), rendered.legends());
    assert_eq!(texts("prints"), rendered.prints());
    assert_eq!(texts("gprints").len(), 6);
    let peak: f64 = rendered.prints()[0].parse().unwrap();
    assert_eq!(doc["vdefs"]["peak"]["value"].as_f64(), Some(peak));
    assert!(doc["vdefs"]["peak"]["time"].as_u64().unwrap() > DEFAULT_END - 86_400);
}

/// Under `TZ`, `--data` reads local time as rrdtool does under the same `TZ`: a calendar
/// `--start` across Berlin's spring change (a 23-hour day), `:strftime` with `%Z` before and
/// after it, and `LTIME`.
#[test]
fn data_reads_local_time_from_tz_as_rrdtool_does() {
    let rrd = TrafficRrd::create().unwrap();
    let path = rrd.path().to_str().unwrap();
    let args: Vec<String> = [
        "-",
        "--start",
        "00:00 20260329",
        "--end",
        "00:00 20260330",
        &format!("DEF:a={path}:eth0_in:AVERAGE"),
        "CDEF:t=a,POP,TIME",
        "CDEF:l=a,POP,LTIME",
        "VDEF:first=t,FIRST",
        "VDEF:last=t,LAST",
        "VDEF:lfirst=l,FIRST",
        "PRINT:first:%F %T %Z:strftime",
        "PRINT:last:%F %T %Z:strftime",
        "PRINT:lfirst:%.0lf",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let mut with_mode = vec!["--data".to_owned()];
    with_mode.extend(args.iter().cloned());
    let o = Command::new(env!("CARGO_BIN_EXE_opskit"))
        .arg("graph")
        .args(&with_mode)
        .env("TZ", "Europe/Berlin")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let theirs = Command::new("rrdtool")
        .arg("graphv")
        .args(&args)
        .env("TZ", "Europe/Berlin")
        .env("LC_ALL", "C")
        .output()
        .expect("rrdtool is installed");
    assert!(theirs.status.success(), "{theirs:?}");
    let text = String::from_utf8_lossy(&theirs.stdout);
    let prints: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            Some(
                l.strip_prefix("print[")?
                    .split_once("] = ")?
                    .1
                    .trim_matches('"'),
            )
        })
        .collect();
    let ours: Vec<&str> = doc["prints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(prints, ours);
    assert!(
        ours[0].ends_with("CET") && ours[1].ends_with("CEST"),
        "{ours:?}"
    );
    // 2026-03-28 23:00 UTC to 2026-03-29 22:00 UTC: 23 hours.
    assert_eq!(doc["start"].as_i64(), Some(1_774_738_800));
    assert_eq!(doc["end"].as_i64(), Some(1_774_738_800 + 23 * 3600));
}

#[test]
fn data_refuses_what_librrd_refuses_with_exit_1() {
    let o = opskit(&[
        "--data".into(),
        "-".into(),
        "--start".into(),
        "end-1d".into(),
        "--end".into(),
        "start+1d".into(),
        "DEF:a=x.rrd:a:AVERAGE".into(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("relative to each other"),
        "{}",
        stderr(&o)
    );
}
