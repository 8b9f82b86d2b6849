//! Each kind of invalid input gives its typed error, naming the argument, field and reason.
#![expect(
    clippy::many_single_char_names,
    reason = "index, field, reason, error, value"
)]

use rrdgraph::{ElementKind, Error, GraphSpec, ParseReason, RpnError, VName, ValueError};
use test_case::test_case;

const DEF_A: &str = "DEF:a=x.rrd:v:AVERAGE";

fn parse_err(args: &[&str]) -> Error {
    GraphSpec::parse_args(args).expect_err("must be rejected")
}

/// `(argument index, field, reason)` of a parse error.
fn parse_parts(e: &Error) -> (usize, &'static str, &ParseReason) {
    match e {
        Error::Parse {
            index,
            field,
            reason,
            ..
        } => (*index, *field, reason),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test_case(&["x.png", "--width"], 1, "width"; "missing option value")]
#[test_case(&["x.png", "--bogus", "1"], 1, "option"; "unknown long option")]
#[test_case(&["x.png", "-q"], 1, "option"; "unknown short option")]
#[test_case(&["x.png", "--alt-autoscale-max=1"], 1, "alt-autoscale-max"; "flag with a value")]
#[test_case(&["x.png", "BOGUS:x"], 1, "element"; "unknown element")]
#[test_case(&["x.png", "DEF:a=x.rrd:v"], 1, "cf"; "missing field")]
#[test_case(&["x.png", DEF_A, "COMMENT:a:b"], 2, "fields"; "unused field")]
fn syntax_errors(args: &[&str], index: usize, field: &str) {
    let e = parse_err(args);
    let (i, f, _) = parse_parts(&e);
    assert_eq!((i, f), (index, field), "{e}");
}

#[test_case("DEF:a b=x.rrd:v:AVERAGE", "vname", |r| matches!(r, ValueError::BadChar { ch: ' ', .. }); "vname with a space")]
#[test_case("DEF:MAX=x.rrd:v:AVERAGE", "vname", |r| matches!(r, ValueError::Reserved(_)); "vname is an operator")]
#[test_case("DEF:a=x.rrd:in-octets:AVERAGE", "ds", |r| matches!(r, ValueError::BadChar { ch: '-', .. }); "bad data source")]
#[test_case("DEF:a=x.rrd:v:AVG", "cf", |r| matches!(r, ValueError::Keyword { .. }); "bad consolidation function")]
#[test_case("LINE1:a#12345:x", "color", |r| matches!(r, ValueError::Color(_)); "five digit color")]
#[test_case("LINE1:a#FF0000:x\\q", "legend", |r| *r == ValueError::ControlCode('q'); "unknown control code")]
#[test_case("GPRINT:a:AVERAGE:%lf %lf", "format", |r| matches!(r, ValueError::Format(_)); "two value conversions")]
#[test_case("GPRINT:a:AVERAGE:%d", "format", |r| matches!(r, ValueError::Format(_)); "integer conversion")]
#[test_case("GPRINT:a:AVERAGE:%s %lf", "format", |r| matches!(r, ValueError::Format(_)); "unit before value")]
#[test_case("CDEF:b=a,+", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::Underflow { pos: 1, .. })); "stack underflow")]
#[test_case("CDEF:b=a,a", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::Leftover { depth: 2 })); "leftover values")]
#[test_case("CDEF:b=a,1", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::TrailingNumber { pos: 1 })); "a number last")]
#[test_case("CDEF:b=a,,+", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::EmptyToken { pos: 1 })); "empty token")]
#[test_case("VDEF:b=a,5,AVERAGE", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::VDefShape(_))); "VDEF parameter on AVERAGE")]
#[test_case("VDEF:b=a,101,PERCENT", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::Percentile(_))); "percentile out of range")]
#[test_case("VDEF:b=a,8,*", "rpn", |r| matches!(r, ValueError::Rpn(RpnError::VDefShape(_))); "VDEF with CDEF math")]
#[test_case("SHIFT:a:1.5", "offset", |r| matches!(r, ValueError::Number { .. }); "fractional shift")]
#[test_case("TEXTALIGN:middle", "align", |r| matches!(r, ValueError::Keyword { .. }); "bad alignment")]
#[test_case("LINEx:a#FF0000", "width", |r| matches!(r, ValueError::Number { .. }); "bad line width")]
fn field_errors(arg: &str, field: &str, reason: fn(&ValueError) -> bool) {
    let e = parse_err(&["x.png", DEF_A, arg]);
    let (i, f, r) = parse_parts(&e);
    assert_eq!((i, f), (2, field), "{e}");
    let ParseReason::Invalid(v) = r else {
        panic!("expected an invalid value, got {r:?}")
    };
    assert!(reason(v), "{e}");
}

#[test_case("--x-grid", "MINUTE:12:HOUR", |r| matches!(r, ValueError::Shape { .. }); "short x-grid")]
#[test_case("--y-grid", "0:2", |r| matches!(r, ValueError::Shape { .. }); "zero y-grid step")]
#[test_case("--start", "-1dy", |r| matches!(r, ValueError::Time { .. }); "bad at-style time")]
#[test_case("--color", "FOO#FFFFFF", |r| matches!(r, ValueError::Keyword { .. }); "bad color tag")]
#[test_case("--imgformat", "GIF", |r| matches!(r, ValueError::Keyword { .. }); "bad image format")]
#[test_case("--base", "999", |r| matches!(r, ValueError::Number { .. }); "bad base")]
#[test_case("--width", "9", |r| matches!(r, ValueError::Number { .. }); "too narrow")]
#[test_case("--units-exponent", "4", |r| matches!(r, ValueError::Number { .. }); "exponent not a multiple of 3")]
#[test_case("--imginfo", "%s %d", |r| matches!(r, ValueError::Format(_)); "bad imginfo")]
fn option_errors(option: &str, value: &str, reason: fn(&ValueError) -> bool) {
    let e = parse_err(&["x.png", option, value, DEF_A, "LINE1:a#FF0000"]);
    let (i, f, r) = parse_parts(&e);
    assert_eq!((i, f), (1, option.trim_start_matches('-')), "{e}");
    let ParseReason::Invalid(v) = r else {
        panic!("expected an invalid value, got {r:?}")
    };
    assert!(reason(v), "{e}");
}

fn spec_err(args: &[&str]) -> (usize, Error) {
    match parse_err(args) {
        Error::ParsedSpec { index, source } => (index, *source),
        other => panic!("expected a spec error, got {other:?}"),
    }
}

#[test]
fn undefined_vname_names_element_and_field() {
    let (arg, e) = spec_err(&["x.png", "LINE1:a#FF0000"]);
    assert_eq!(arg, 1);
    assert!(
        matches!(e, Error::Undefined { index: 0, kind: ElementKind::Line, field: "value", ref name } if name.as_str() == "a"),
        "{e}"
    );
}

#[test]
fn vname_used_before_definition() {
    let (arg, e) = spec_err(&["x.png", "CDEF:b=a,8,*", DEF_A, "LINE1:b#FF0000"]);
    assert_eq!(arg, 1);
    assert!(
        matches!(
            e,
            Error::Undefined {
                kind: ElementKind::CDef,
                field: "rpn",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn duplicate_vname() {
    let (arg, e) = spec_err(&["x.png", DEF_A, DEF_A, "LINE1:a#FF0000"]);
    assert_eq!(arg, 2);
    assert!(
        matches!(
            e,
            Error::Duplicate {
                index: 1,
                first: 0,
                ..
            }
        ),
        "{e}"
    );
}

#[test_case(&[DEF_A, "VDEF:m=a,MAXIMUM", "VDEF:n=m,MAXIMUM", "PRINT:n:%lf"], "rpn"; "VDEF over a VDEF")]
#[test_case(&[DEF_A, "VDEF:m=a,MAXIMUM", "SHIFT:m:60", "PRINT:m:%lf"], "value"; "SHIFT of a VDEF")]
#[test_case(&[DEF_A, "CDEF:b=a,8,*", "SHIFT:a:b", "LINE1:a#FF0000"], "offset"; "SHIFT by a CDEF")]
#[test_case(&[DEF_A, "HRULE:a#FF0000"], "value"; "HRULE at a DEF")]
#[test_case(&[DEF_A, "GPRINT:a:%lf"], "vname"; "GPRINT of a DEF without CF")]
#[test_case(&[DEF_A, "VDEF:m=a,MAXIMUM", "GPRINT:m:MAX:%lf"], "vname"; "GPRINT with CF of a VDEF")]
fn wrong_reference_kinds(elements: &[&str], field: &str) {
    let mut args = vec!["x.png"];
    args.extend_from_slice(elements);
    let (_, e) = spec_err(&args);
    assert!(
        matches!(e, Error::WrongKind { field: f, .. } if f == field),
        "{e}"
    );
}

#[test]
fn a_stack_element_needs_something_below() {
    // As librrd 1.7.2 ("No previous LINE or AREA found for STACK"); a LINE or AREA with the
    // STACK flag needs nothing below (dropin::a_first_line_or_area_may_carry_the_stack_flag).
    let (arg, e) = spec_err(&["x.png", DEF_A, "STACK:a#FF0000"]);
    assert_eq!(arg, 2);
    assert!(
        matches!(
            e,
            Error::Element {
                kind: ElementKind::Stack,
                field: "value",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn empty_graph_and_missing_output() {
    // As in rrdtool, a graph may draw nothing (librrd reads its DEFs and writes no image).
    assert!(GraphSpec::parse_args(&["x.png", DEF_A]).is_ok());
    assert!(GraphSpec::parse_args(&["x.png"]).is_ok());
    assert!(matches!(
        parse_err(&[]),
        Error::Parse {
            reason: ParseReason::MissingOutput,
            ..
        }
    ));
    let e = GraphSpec::builder()
        .hrule(rrdgraph::HRule::new(1.0).color(rrdgraph::Color::rgb(0, 0, 0)))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::NoOutput));
    let e = GraphSpec::parse_args(&["-x.png", "COMMENT:x"]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Parse {
                index: 0,
                field: "x-grid",
                ..
            }
        ),
        "{e}"
    );
    let e = GraphSpec::builder()
        .output("-x.png")
        .comment(rrdgraph::Legend::new("x").unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Value {
                field: "output",
                ..
            }
        ),
        "{e}"
    );
    assert!(VName::new("in:octets").is_err());
}

#[test]
fn data_formats_need_an_exported_series() {
    let e = parse_err(&[
        "x.json",
        "--imgformat",
        "JSON",
        DEF_A,
        "VDEF:m=a,MAXIMUM",
        "PRINT:m:%lf",
    ]);
    assert!(
        matches!(
            e,
            Error::Option {
                option: "imgformat",
                ..
            } | Error::ParsedSpec { .. }
        ),
        "{e}"
    );
}

#[test]
fn print_only_graphs_are_valid() {
    let spec =
        GraphSpec::parse_args(&["/dev/null", DEF_A, "VDEF:m=a,MAXIMUM", "PRINT:m:%lf"]).unwrap();
    assert!(!spec.draws());
}

#[test]
fn shell_errors_and_nul_bytes() {
    let e = GraphSpec::parse_command_line("rrdtool graph 'x.png").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Parse {
                reason: ParseReason::Shell(_),
                ..
            }
        ),
        "{e}"
    );
    let e = parse_err(&["x.png", "COMMENT:a\0b"]);
    assert!(
        matches!(
            e,
            Error::Parse {
                index: 1,
                reason: ParseReason::Nul,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn builder_remembers_the_first_parse_error() {
    let e = GraphSpec::builder()
        .output("x.png")
        .args(&["--width", "nine"])
        .args(&[DEF_A, "LINE1:a#FF0000"])
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Parse {
                index: 0,
                field: "width",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn error_messages_name_element_and_field() {
    let e = parse_err(&["x.png", DEF_A, "GPRINT:a:AVERAGE:%lf %lf"]);
    let msg = e.to_string();
    assert!(
        msg.contains("argument 2") && msg.contains("format"),
        "{msg}"
    );
    let (_, e) = spec_err(&["x.png", "LINE1:nope#FF0000"]);
    let msg = e.to_string();
    assert!(
        msg.contains("element 0 (LINE)") && msg.contains("value") && msg.contains("nope"),
        "{msg}"
    );
}

#[test]
fn diagnose_reports_every_problem() {
    let args = [
        "x.png",
        "--width",
        "5",
        DEF_A,
        "--bogus",
        "LINE1:b#FF0000",
        "GPRINT:a:AVERAGE:%lf %lf",
        "CDEF:c=a,+",
        "LINE1:a#FF0000:fine",
    ];
    let problems = GraphSpec::diagnose(&args);
    let at: Vec<_> = problems.iter().map(Error::arg_index).collect();
    assert_eq!(
        at,
        [Some(1), Some(4), Some(6), Some(7), Some(5)],
        "{problems:#?}"
    );
    assert!(GraphSpec::diagnose(rrdgraph::TRAFFIC_RECIPE_ARGS).is_empty());
    assert!(matches!(
        GraphSpec::diagnose::<&str>(&[]).as_slice(),
        [Error::Parse {
            reason: ParseReason::MissingOutput,
            ..
        }]
    ));
}
