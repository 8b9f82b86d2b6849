//! The typed RPN against librrd itself: for every operator, a minimal expression that our
//! stack check accepts is accepted and computed by librrd, and the same expression one operand
//! short is refused by both.

use rrdgraph::{
    Cf, CreateSpec, DataSource, Effect, GraphSpec, Op, Rpn, RpnError, Rra, Rrd, Update,
    render_raw_args,
};

const START: i64 = 1_700_000_000;

/// A small RRD with one gauge `v` and a few known values.
fn rrd(dir: &std::path::Path) -> String {
    let path = dir.join("rpn.rrd");
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
        .map(|i| Update::at(START + 300 * i, [f64::from(i32::try_from(i).unwrap())]))
        .collect();
    rrd.update(&updates).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A minimal expression using `op` once that leaves exactly one value.
fn minimal(op: Op) -> String {
    let name = op.name();
    if matches!(op, Op::Trend | Op::TrendNan) {
        return format!("x,300,{name}");
    }
    match op.effect() {
        Effect::Fixed { pop, push } => {
            let mut t = vec!["x".to_owned()];
            t.extend(std::iter::repeat_n("2".to_owned(), pop));
            t.push(name.to_owned());
            t.extend(std::iter::repeat_n("+".to_owned(), push));
            t.join(",")
        }
        Effect::Reduce => format!("x,2,2,3,{name}"),
        Effect::Reorder => format!("x,2,2,3,{name},+,+"),
        Effect::Percent => format!("x,2,2,50,3,{name}"),
        Effect::Copy => format!("x,2,2,{name},+,+,+"),
        Effect::Index => format!("x,2,2,{name},+,+"),
        Effect::Roll => format!("x,2,3,2,1,{name},+,+"),
        Effect::Predict => format!("86400,-2,1800,x,{name}"),
        Effect::PredictPerc => format!("86400,-2,1800,95,x,{name}"),
    }
}

/// The same expression one operand short (still reading `x`, as librrd requires), or `None`
/// if `op` takes no operand.
fn one_short(op: Op) -> Option<String> {
    let name = op.name();
    if matches!(op, Op::Trend | Op::TrendNan) {
        return Some(format!("300,{name}"));
    }
    match op.effect() {
        Effect::Fixed { pop: 0, .. } => None,
        Effect::Fixed { pop: 1, .. } => Some(format!("x,POP,{name}")),
        Effect::Fixed { pop, .. } => {
            let mut t = vec!["x".to_owned()];
            t.extend(std::iter::repeat_n("2".to_owned(), pop - 2));
            t.push(name.to_owned());
            Some(t.join(","))
        }
        Effect::Reduce | Effect::Reorder => Some(format!("x,2,3,{name}")),
        Effect::Percent => Some(format!("x,50,3,{name}")),
        Effect::Copy | Effect::Index => Some(format!("x,3,{name}")),
        Effect::Roll => Some(format!("x,2,3,1,{name}")),
        Effect::Predict => Some(format!("-2,1800,x,{name}")),
        Effect::PredictPerc => Some(format!("-2,1800,95,x,{name}")),
    }
}

/// Whether the `rrdtool` program (librrd in its own process, so that a librrd crash on a bad
/// expression cannot take the test down) refuses the graph.
fn rrdtool_refuses(args: &[String]) -> bool {
    let out = std::process::Command::new("rrdtool")
        .arg("graphv")
        .args(args)
        .output()
        .expect("rrdtool is installed (cargo xtask setup)");
    !out.status.success()
}

fn graph(path: &str, expr: &str) -> Vec<String> {
    [
        "-".to_owned(),
        "--start".into(),
        START.to_string(),
        "--end".into(),
        (START + 2400).to_string(),
        format!("DEF:x={path}:v:AVERAGE"),
        format!("CDEF:y={expr}"),
        "VDEF:v=y,LAST".into(),
        "PRINT:v:%lf".into(),
    ]
    .to_vec()
}

#[test]
fn every_operator_agrees_with_librrd() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for op in Op::ALL {
        let expr = minimal(*op);
        let rpn: Rpn = expr.parse().unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(rpn.to_string(), expr);
        let args = graph(&path, &expr);
        let spec = GraphSpec::parse_args(&args).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let rendered = render_raw_args(&spec.to_args())
            .unwrap_or_else(|e| panic!("librrd refused {expr}: {e}"));
        assert_eq!(rendered.prints().len(), 1, "{expr}");

        if let Some(short) = one_short(*op) {
            let ours = short.parse::<Rpn>();
            assert!(
                matches!(
                    ours,
                    Err(RpnError::Underflow { .. } | RpnError::Malformed { .. })
                ),
                "{short}: expected an underflow, got {ours:?}"
            );
            assert!(
                rrdtool_refuses(&graph(&path, &short)),
                "librrd accepted {short}"
            );
        }
    }
}

#[test]
fn predict_without_its_shifts_is_refused_before_librrd_crashes() {
    // librrd 1.7.2 aborts ("double free or corruption") on these; the spec refuses them first.
    for expr in ["-2,1800,x,PREDICT", "-2,1800,95,x,PREDICTPERC"] {
        assert!(
            matches!(expr.parse::<Rpn>(), Err(RpnError::Underflow { .. })),
            "{expr}"
        );
        let dir = tempfile::tempdir().unwrap();
        let args = graph(&rrd(dir.path()), expr);
        assert!(matches!(
            GraphSpec::parse_args(&args),
            Err(rrdgraph::Error::Parse {
                index: 6,
                field: "rpn",
                ..
            })
        ));
        assert!(rrdtool_refuses(&args));
    }
}

#[test]
fn malformed_expressions_are_refused_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = rrd(dir.path());
    for expr in ["x,2,x", "x,DUP", "x,2,2,2,SORT"] {
        assert!(
            matches!(expr.parse::<Rpn>(), Err(RpnError::Leftover { .. })),
            "{expr}"
        );
        assert!(
            rrdtool_refuses(&graph(&path, expr)),
            "librrd accepted {expr}"
        );
    }
    // librrd reads a number only when a comma follows it ("don't understand '2'").
    for expr in ["x,2", "x,POP,1.5"] {
        assert!(
            matches!(expr.parse::<Rpn>(), Err(RpnError::TrailingNumber { .. })),
            "{expr}"
        );
        assert!(
            rrdtool_refuses(&graph(&path, expr)),
            "librrd accepted {expr}"
        );
    }
    for expr in ["x,2,+,300,TREND", "x,300,2,*,TRENDNAN"] {
        assert!(
            matches!(expr.parse::<Rpn>(), Err(RpnError::Malformed { .. })),
            "{expr}"
        );
        assert!(
            rrdtool_refuses(&graph(&path, expr)),
            "librrd accepted {expr}"
        );
    }
    // librrd refuses a CDEF that reads no DEF or CDEF; so does the spec.
    let constant = graph(&path, "2,3,+");
    assert!(rrdtool_refuses(&constant));
    assert!(GraphSpec::parse_args(&constant).is_err());
}
