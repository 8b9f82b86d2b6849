//! Refusals agree with librrd: every invalid option value or element that the spec refuses,
//! `rrdtool` (librrd 1.7, in its own process) refuses too — except the listed cases where the
//! spec is deliberately stricter, which librrd accepts (and then misdraws, loops or ignores).

use rrdgraph::{Cf, CreateSpec, DataSource, GraphSpec, Rra, Rrd, Update};

const START: i64 = 1_700_000_000;

fn rrd(dir: &std::path::Path) -> String {
    let path = dir.join("agree.rrd");
    let rrd = Rrd::new(&path);
    rrd.create(
        &CreateSpec::new()
            .step(300)
            .start(START)
            .data_source(DataSource::gauge("v", 600))
            .archive(Rra::new(Cf::Average, 0.5, 1, 100)),
    )
    .unwrap();
    let updates: Vec<Update> = (1..=8)
        .map(|i| Update::at(START + 300 * i, [2.0]))
        .collect();
    rrd.update(&updates).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A graph of `v` with `extra` options before the elements and `element` after the DEF.
fn graph(path: &str, extra: &[&str], element: &str) -> Vec<String> {
    let mut a = vec![
        "-".to_owned(),
        "--start".into(),
        START.to_string(),
        "--end".into(),
    ];
    a.push((START + 2400).to_string());
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a.push(format!("DEF:x={path}:v:AVERAGE"));
    a.push("VDEF:m=x,MAXIMUM".into());
    a.push(element.to_owned());
    a
}

fn rrdtool_accepts(args: &[String]) -> bool {
    let out = std::process::Command::new("rrdtool")
        .arg("graphv")
        .args(args)
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("ERROR")
}

const OK_ELEMENT: &str = "LINE1:x#FF0000:x";

#[test]
fn invalid_options_are_refused_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    let control = graph(&path, &[], OK_ELEMENT);
    assert!(GraphSpec::parse_args(&control).is_ok() && rrdtool_accepts(&control));
    for option in [
        ["--width", "9"],
        ["--height", "9"],
        ["--base", "999"],
        ["--zoom", "0"],
        ["--right-axis", "0:1"],
        ["--y-grid", "0:1"],
        ["--font", "FOO:3"],
        ["--font", "TITLE"],
        ["--color", "FOO#FFFFFF"],
        ["--units", "foo"],
        ["--upper-limit", "abc"],
        ["--imginfo", " %s"],
        ["--graph-type", "GRAPH"],
        ["--imgformat", "GIF"],
        ["--legend-position", "up"],
        ["--start", "now-"],
        ["--left-axis-format", "%5.1lf %s"],
        ["--right-axis-format", "%d"],
    ] {
        let args = graph(&path, &option, OK_ELEMENT);
        assert!(
            GraphSpec::parse_args(&args).is_err(),
            "spec accepted {option:?}"
        );
        assert!(!rrdtool_accepts(&args), "librrd accepted {option:?}");
    }
}

#[test]
fn invalid_elements_are_refused_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for element in [
        "LINE1:x#FF0000:x\\q",
        "GPRINT:x:AVERAGE:%lf %lf",
        "GPRINT:x:AVERAGE:%d",
        "GPRINT:x:AVERAGE:%s %lf",
        "SHIFT:x:1.5",
        "TEXTALIGN:middle",
        "VDEF:n=x,5,AVERAGE",
        "VDEF:n=x,101,PERCENT",
        "VDEF:n=x,PERCENT",
        "VDEF:n=m,MAXIMUM",
        "SHIFT:m:60",
        "CDEF:y=x,+",
        "CDEF:y=x,1,2",
        "CDEF:y=x,ROUND",
        "CDEF:y=x,POP,1.5", // a number as the last token: "don't understand '1.5'"
        "LINE1:nope#FF0000",
        "COMMENT:a:b",
        "HRULE:x#FF0000",
        "LINEx:x#FF0000",
    ] {
        let args = graph(&path, &[], element);
        assert!(
            GraphSpec::parse_args(&args).is_err(),
            "spec accepted {element}"
        );
        assert!(!rrdtool_accepts(&args), "librrd accepted {element}");
    }
}

#[test]
fn where_the_spec_is_stricter_than_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    // librrd takes these without a word; the spec refuses them with a reason.
    for (option, element) in [
        (&["--units-exponent", "4"][..], OK_ELEMENT), // documented as a multiple of 3
        (&[][..], "LINE1:x#FF000:x"), // a five-digit color (librrd drops the legend)
        (&["--width", "100001"][..], "COMMENT:x"), // an image too large to be meant
        (&[][..], "PRINT:x:AVERAGE:%lf:strftime"), // strftime of a consolidated DEF
    ] {
        let args = graph(&path, option, element);
        assert!(
            GraphSpec::parse_args(&args).is_err(),
            "spec accepted {option:?} {element}"
        );
        assert!(
            rrdtool_accepts(&args),
            "librrd refused {option:?} {element}"
        );
    }
}

/// `rrdtool graphv args` under valgrind reads memory it must not, or is killed by a signal: a
/// bad read crashes only when the memory happens to be unmapped, so the signal alone is luck.
fn librrd_misbehaves(args: &[String]) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    const VALGRIND_FOUND_ERRORS: i32 = 97;
    let out = std::process::Command::new("valgrind")
        .args([
            "-q",
            &format!("--error-exitcode={VALGRIND_FOUND_ERRORS}"),
            "rrdtool",
            "graphv",
        ])
        .args(args)
        .output()
        .expect("valgrind and rrdtool are installed (cargo xtask setup)");
    out.status.signal().is_some() || out.status.code() == Some(VALGRIND_FOUND_ERRORS)
}

#[test]
fn a_tick_of_a_number_is_refused_as_librrd_reads_freed_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    let args = graph(&path, &[], "TICK:1.5#FF0000:0.3:at 1.5");
    let e = GraphSpec::parse_args(&args).unwrap_err();
    let rrdgraph::Error::ParsedSpec { index: 7, source } = &e else {
        panic!("{e}")
    };
    assert!(
        matches!(**source, rrdgraph::Error::Element { field: "value", .. }),
        "{e}"
    );
    assert!(
        librrd_misbehaves(&args),
        "librrd ran a TICK of a number cleanly"
    );
    // The same tick of a CDEF is fine for both, under valgrind too.
    let mut args = graph(&path, &[], "CDEF:c=x,POP,1.5,0,+");
    args.push("TICK:c#FF0000:0.3:at 1.5".into());
    assert!(GraphSpec::parse_args(&args).is_ok());
    assert!(!librrd_misbehaves(&args), "librrd misread a TICK of a CDEF");
}

#[test]
fn a_roll_past_what_the_expression_wrote_is_refused_as_librrd_reads_uninitialised_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    // librrd 1.7.2's ROLL rotates the slots from the new top upwards: a count of 4 over
    // `x,x,5,7` reaches one slot past anything the expression wrote.
    let mut args = graph(&path, &[], "CDEF:c=x,x,5,7,4,-1,ROLL,-,-,-");
    args.push("LINE1:c#FF0000".into());
    let e = GraphSpec::parse_args(&args).unwrap_err();
    assert!(e.to_string().contains("ROLL"), "{e}");
    assert!(
        librrd_misbehaves(&args),
        "librrd ran a ROLL past the written stack cleanly"
    );
    // A count of 3 stays within what was written: fine for both, under valgrind too.
    let mut args = graph(&path, &[], "CDEF:c=x,x,5,7,3,-1,ROLL,-,-,-");
    args.push("LINE1:c#FF0000".into());
    assert!(GraphSpec::parse_args(&args).is_ok());
    assert!(!librrd_misbehaves(&args), "librrd misread a ROLL of 3");
}

#[test]
fn refused_before_librrd_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    // librrd 1.7.2 divides by zero (SIGFPE) on a zero x-grid step, and reads an uninitialised
    // offset (fixed in rrdtool 1.11) on a spec without the label format field, which crashes
    // or not by what the memory holds.
    for spec in ["MINUTE:0:HOUR:1:HOUR:1:0:%H", "MINUTE:10:HOUR:1:HOUR:4:0"] {
        let args = graph(&path, &["--x-grid", spec], OK_ELEMENT);
        let e = GraphSpec::parse_args(&args).unwrap_err();
        assert!(
            matches!(
                e,
                rrdgraph::Error::Parse {
                    index: 5,
                    field: "x-grid",
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            librrd_misbehaves(&args),
            "librrd ran --x-grid {spec} cleanly"
        );
    }
    // An empty label format is fine for both.
    let args = graph(
        &path,
        &["--x-grid", "MINUTE:10:HOUR:1:HOUR:4:0:"],
        OK_ELEMENT,
    );
    assert!(GraphSpec::parse_args(&args).is_ok() && rrdtool_accepts(&args));
}

#[test]
fn tick_without_fraction_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    // librrd 1.7.2 refuses a TICK without its fraction; the spec writes the default one.
    let args = graph(&path, &[], "TICK:x#FF0000");
    assert!(!rrdtool_accepts(&args));
    let emitted = GraphSpec::parse_args(&args).unwrap().to_args();
    assert_eq!(emitted.last().unwrap(), "TICK:x#FF0000:0.1");
    assert!(rrdtool_accepts(&emitted));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

    /// The print-format rule is librrd's own: a format is valid for the spec exactly when
    /// librrd accepts it.
    #[test]
    fn print_format_rule_matches_librrd(format in proptest::prop_oneof![
        "[a-z %.0-9lfeEgGsSd#+-]{0,10}",
        "[a-z ]{0,3}%[-+ 0#]{0,2}[0-9]{0,2}(\\.[0-9]{0,2})?l?[eEfFgGd][a-z ]{0,3}(%[sSd%l])?[a-z %]{0,2}",
    ]) {
        let dir = tempfile::tempdir().unwrap();
        let path = rrd(dir.path());
        let ours = rrdgraph::PrintFormat::new(format.clone()).is_ok();
        let args = graph(&path, &[], &format!("GPRINT:x:AVERAGE:{format}"));
        let mut with_line = args.clone();
        with_line.push(OK_ELEMENT.to_owned());
        proptest::prop_assert_eq!(ours, rrdtool_accepts(&with_line), "{:?}", format);
        proptest::prop_assert_eq!(ours, GraphSpec::parse_args(&with_line).is_ok(), "{:?}", format);
    }
}

#[test]
fn every_vdef_function_agrees_with_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for f in rrdgraph::VDefFunc::ALL {
        let expr = rrdgraph::VDefExpr::new(rrdgraph::VName::new("x").unwrap(), f);
        let args = graph(&path, &[], &format!("VDEF:f={expr}"));
        let mut args = args;
        args.push("PRINT:f:%lf".to_owned());
        let spec = GraphSpec::parse_args(&args).unwrap();
        let rendered =
            rrdgraph::render_raw_args(&spec.to_args()).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(rendered.prints().len(), 1, "{expr}");
    }
}

#[test]
fn axis_formats_follow_their_formatter_like_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for (options, ok) in [
        (&["--left-axis-format", "%5.1lf"][..], true),
        (
            &[
                "--left-axis-formatter",
                "timestamp",
                "--left-axis-format",
                "%H:%M",
            ][..],
            true,
        ),
        (
            &[
                "--left-axis-formatter",
                "duration",
                "--left-axis-format",
                "%H:%02M",
            ][..],
            true,
        ),
        (&["--left-axis-format", "%H:%M"][..], false),
        (
            &["--right-axis", "1:0", "--right-axis-format", "%5.1lf %S"][..],
            false,
        ),
    ] {
        let args = graph(&path, options, OK_ELEMENT);
        assert_eq!(GraphSpec::parse_args(&args).is_ok(), ok, "{options:?}");
        assert_eq!(rrdtool_accepts(&args), ok, "{options:?}");
    }
}

/// Plausible at-style times, valid and not: a reference, maybe a day, and offsets.
fn at_time() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let reference = prop_oneof![
        Just(String::new()),
        Just("now".to_owned()),
        Just("n".to_owned()),
        Just("midnight".to_owned()),
        Just("noon".to_owned()),
        Just("teatime".to_owned()),
        "[0-9]{1,2}(:[0-9]{1,2})?( ?(am|pm))?",
        "[0-9]{1,2}\\.[0-9]{1,2}",
        "(Jan|Feb|March|dec) [0-9]{1,2}( 20[0-2][0-9])?",
        "1[67][0-9]{8}",
        "[1-9][0-9]{6,8}",
    ];
    let day = prop_oneof![
        Just(String::new()),
        " (yesterday|today|tomorrow|mon|friday|sun)",
        " [0-9]{1,2}/[0-9]{1,2}/20[0-2][0-9]",
        " [0-9]{1,2}\\.[0-9]{1,2}\\.20[0-2][0-9]",
        " 20[0-2][0-9][01][0-9][0-3][0-9]",
    ];
    let offsets =
        proptest::collection::vec("[+-][1-9] ?(s|min|h|d|w|mon|y|days|weeks|hours|x)", 0..3);
    (reference, day, offsets).prop_map(|(r, d, o)| format!("{r}{d}{}", o.concat()))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

    /// Whatever at-style time the spec accepts, librrd accepts too.
    #[test]
    fn accepted_at_times_are_accepted_by_librrd(t in at_time()) {
        let dir = tempfile::tempdir().unwrap();
        let path = rrd(dir.path());
        if rrdgraph::AtTime::new(t.clone()).is_ok() {
            let args = vec![
                // The end follows the start, wherever it is: a fixed end (now+40y) fell
                // before a generated 21000101.
                "-".to_owned(), "--start".into(), t.clone(), "--end".into(), "start+1d".into(),
                format!("DEF:x={path}:v:AVERAGE"), "VDEF:m=x,MAXIMUM".into(), "PRINT:m:%lf".into(),
            ];
            proptest::prop_assert!(rrdtool_accepts(&args), "librrd refused --start {:?}", t);
        }
    }
}

#[test]
fn start_and_end_references_agree_with_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for (start, end, ok) in [
        ("end-1h", "now", true),
        ("now-1d", "start+1h", true),
        ("start-1h", "now", false),
        ("-1d", "end+1h", false),
        ("end-1h", "start+1h", false),
    ] {
        let mut args = vec![
            "-".to_owned(),
            "--start".into(),
            start.into(),
            "--end".into(),
            end.into(),
        ];
        args.extend([
            format!("DEF:x={path}:v:AVERAGE"),
            "VDEF:m=x,MAXIMUM".into(),
            "PRINT:m:%lf".into(),
        ]);
        assert_eq!(GraphSpec::parse_args(&args).is_ok(), ok, "{start} {end}");
        assert_eq!(rrdtool_accepts(&args), ok, "{start} {end}");
    }
}
