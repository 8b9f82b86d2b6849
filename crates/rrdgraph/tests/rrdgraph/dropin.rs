//! `rrdtool graph` scripts as rrdtool 1.7.2 reads them: each accepted form is drawn by the real
//! `rrdtool graphv` and by `parse_args(..).render()`, and the two `graphv` answers (prints,
//! legends, geometry, coordinates) must be identical.

use std::process::Command;

use rrdgraph::{Error, GraphSpec, ParseReason};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

/// `OUTPUT --start --end DEF:x=...` then `rest`.
fn args(out: &str, rrd: &TrafficRrd, rest: &[&str]) -> Vec<String> {
    let mut a = vec![
        out.to_owned(),
        "--start".into(),
        (DEFAULT_END - 7200).to_string(),
        "--end".into(),
        DEFAULT_END.to_string(),
        format!("DEF:x={}:eth0_in:AVERAGE", rrd.path().display()),
    ];
    a.extend(rest.iter().map(|s| (*s).to_owned()));
    a
}

fn rrdtool_graphv(args: &[String]) -> (bool, String) {
    let out = Command::new("rrdtool")
        .arg("graphv")
        .args(args)
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let ok = out.status.success() && !text.contains("ERROR");
    if ok {
        return (true, text);
    }
    // A refusal says why: librrd's error, or the signal that ended rrdtool.
    let why = format!(
        "{text}{} ({})",
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
    (false, why)
}

/// Both draw `rest` and answer the same.
fn same_as_rrdtool(rest: &[&str]) {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let theirs = rrd.dir().join("theirs.png");
    let ours = rrd.dir().join("ours.png");
    let (ok, expected) = rrdtool_graphv(&args(theirs.to_str().unwrap(), &rrd, rest));
    assert!(ok, "rrdtool refused {rest:?}: {expected}");
    let spec = GraphSpec::parse_args(&args(ours.to_str().unwrap(), &rrd, rest))
        .unwrap_or_else(|e| panic!("{rest:?}: {e}"));
    let got = spec.render().unwrap().to_graphv_text();
    assert_eq!(got, expected, "{rest:?}");
    assert_eq!(ours.exists(), theirs.exists(), "{rest:?}");
}

#[test]
fn a_short_option_and_its_value_in_one_argument() {
    // PHP's exec() and shell scripts that build "-h 200" as one word: getopt reads the rest
    // of the argument, leading space included, as the value.
    same_as_rrdtool(&["-h 200", "-w 300", "-u 5", "-l 0", "LINE1:x#FF0000:in"]);
    same_as_rrdtool(&["-t my title", "-v bits s", "-W mark", "LINE1:x#FF0000"]);
    same_as_rrdtool(&["-rh 150", "-X 3", "-L 7", "-w 300 ", "AREA:x#00FF00"]);
}

#[test]
fn lines_areas_and_ticks_draw_numbers() {
    same_as_rrdtool(&["LINE1:100#FF0000", "LINE2:2.5#00FF00:two"]);
    same_as_rrdtool(&["AREA:1#0000FF:one", "STACK:2#00FF00:two", "LINE:+3#FF0000"]);
    // TICK takes a vname only: librrd 1.7.2 reads freed memory on a TICK of a number (see
    // agreement::a_tick_of_a_number_is_refused_as_librrd_reads_freed_memory).
    same_as_rrdtool(&["LINE1:x#FF0000", "TICK:x#FF0000:0.3:at x", "TICK:x:0.5"]);
    same_as_rrdtool(&["AREA:-1.5e3#0000FF", "LINE1:x#FF0000:in:STACK"]);
}

#[test]
fn a_first_line_or_area_may_carry_the_stack_flag() {
    // librrd 1.7.2 stacks it on zero; Observium's cras_sessions graph starts this way.
    same_as_rrdtool(&["AREA:x#AA0000:first:STACK", "AREA:x#999999:second:STACK"]);
    same_as_rrdtool(&["LINE1:x#FF0000::STACK", "LINE2:x#00FF00:two:STACK"]);
    same_as_rrdtool(&["HRULE:5#000000", "AREA:x#0000FF::STACK"]);
}

#[test]
fn options_may_follow_elements() {
    same_as_rrdtool(&[
        "LINE1:x#FF0000:in",
        "--width",
        "300",
        "-h 120",
        "--title=late",
    ]);
}

#[test]
fn a_graph_without_elements_draws_nothing() {
    // librrd answers nothing and writes no file, for no elements as for DEFs or COMMENTs only.
    same_as_rrdtool(&[]);
    same_as_rrdtool(&["COMMENT:hello"]);
    same_as_rrdtool(&["-h 200"]);
}

#[test]
fn what_rrdtool_refuses_we_refuse() {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let out = rrd.dir().join("x.png");
    let out = out.to_str().unwrap();
    for (rest, reason) in [
        // A long option and its value in one argument: rrdtool's getopt refuses it.
        (["--height 200"], "joined"),
        // A keyword value with getopt's leading space.
        (["-a PNG"], "keyword"),
        (["-c BACK#FF0000"], "keyword"),
        (["LINE1:0x10#FF0000"], "number"),
        (["LINE1:5x#FF0000"], "number"),
    ] {
        let a = args(out, &rrd, &rest);
        assert!(!rrdtool_graphv(&a).0, "rrdtool accepts {rest:?}");
        let e = GraphSpec::parse_args(&a).unwrap_err();
        assert_eq!(e.arg_index(), Some(6), "{rest:?}: {e}");
        if reason == "joined" {
            assert!(
                matches!(
                    e,
                    Error::Parse {
                        reason: ParseReason::JoinedLongValue(ref o),
                        ..
                    } if o == "height"
                ),
                "{e}"
            );
        }
    }
}

#[test]
fn check_reports_every_problem_with_its_argument() {
    let args = [
        "x.png",
        "--width",
        "5",
        "LINE1:nope#FF0000",
        "COMMENT:a:b",
        "-h 3",
        "--bogus",
        "--start",
        "end-1h",
        "--end",
        "start+1h",
        "DEF:x=a.rrd:v:AVERAGE",
        "TICK:x#FF0000:2",
    ];
    let problems = GraphSpec::diagnose(&args);
    let mut at: Vec<usize> = problems.iter().filter_map(Error::arg_index).collect();
    at.sort_unstable();
    assert_eq!(at, [1, 3, 4, 5, 6, 9, 12], "{problems:#?}");
}
