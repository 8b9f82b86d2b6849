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

#[test]
fn refused_before_librrd_crashes() {
    use std::os::unix::process::ExitStatusExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    // librrd 1.7.2 divides by zero (SIGFPE) on a zero x-grid step.
    let args = graph(
        &path,
        &["--x-grid", "MINUTE:0:HOUR:1:HOUR:1:0:%H"],
        OK_ELEMENT,
    );
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
    let status = std::process::Command::new("rrdtool")
        .arg("graphv")
        .args(&args)
        .output()
        .expect("rrdtool is installed")
        .status;
    assert!(
        status.signal().is_some(),
        "librrd survived a zero x-grid step: {status}"
    );
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
