//! The recipe's graph (python-ops-recipes 3.2): its exact argument list parses and emits
//! identically, as a list, as a shell line, and as the `traffic` preset.

use rrdgraph::{ControlCode, Element, GraphSpec, TRAFFIC_RECIPE_ARGS, Traffic, traffic};

fn recipe_args() -> Vec<String> {
    include_str!("../resources/rrdgraph/flow_graph.args")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn recipe_argument_list_parses_and_emits_identically() {
    let args = recipe_args();
    assert_eq!(args.len(), 34);
    let spec = GraphSpec::parse_args(&args).unwrap();
    assert_eq!(spec.to_args(), args);
    assert_eq!(spec.output(), "Flow.png");
    assert_eq!(spec.options().len(), 6);
    assert_eq!(spec.elements().len(), 22);
}

#[test]
fn recipe_shell_line_parses_to_the_same_spec() {
    let line = include_str!("../resources/rrdgraph/flow_graph.sh");
    let from_line = GraphSpec::parse_command_line(line).unwrap();
    let from_args = GraphSpec::parse_args(&recipe_args()).unwrap();
    assert_eq!(from_line, from_args);
    assert_eq!(from_line.to_args(), recipe_args());
}

#[test]
fn preset_is_the_recipe() {
    let spec = traffic("Flow.png", "Flow.rrd").unwrap();
    assert_eq!(spec.to_args(), recipe_args());
    assert_eq!(TRAFFIC_RECIPE_ARGS, recipe_args().as_slice());
    assert_eq!(spec, GraphSpec::parse_args(TRAFFIC_RECIPE_ARGS).unwrap());
}

#[test]
fn recipe_legends_and_formats_are_typed() {
    let spec = GraphSpec::parse_args(&recipe_args()).unwrap();
    let Element::HRule(h) = &spec.elements()[6] else {
        panic!("element 6 is the alarm HRULE")
    };
    let legend = h.legend.as_ref().unwrap();
    assert_eq!(
        (legend.text(), legend.code()),
        ("Alarm value", Some(ControlCode::Right))
    );
    let Element::GPrint(g) = &spec.elements()[11] else {
        panic!("element 11 is a GPRINT")
    };
    assert_eq!(g.format.legend().text(), "Avg In traffic: %6.2lf %Sbps");
    assert_eq!(g.cf, Some(rrdgraph::Cf::Average));
}

#[test]
fn preset_is_adjustable() {
    let spec = Traffic::new("eth1.svg", "/var/lib/rrd/eth1.rrd")
        .data_sources("rx", "tx")
        .start("-1w")
        .title("eth1: a week")
        .alarm(None)
        .width(800)
        .build()
        .unwrap();
    let args = spec.to_args();
    assert!(args.contains(&"DEF:inoctets=/var/lib/rrd/eth1.rrd:rx:AVERAGE".to_owned()));
    assert!(args.contains(&"eth1: a week".to_owned()));
    assert!(args.contains(&"800".to_owned()));
    assert!(!args.iter().any(|a| a.starts_with("HRULE")));
    assert_eq!(GraphSpec::parse_args(&args).unwrap(), spec);
}

/// The command lines of `resources/rrdgraph/scripts.txt`.
fn scripts() -> Vec<&'static str> {
    include_str!("../resources/rrdgraph/scripts.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn old_scripts_parse_and_emit_their_own_arguments() {
    let scripts = scripts();
    assert_eq!(scripts.len(), 8);
    for line in scripts {
        let words = rrdgraph::split_command_line(line).unwrap();
        let spec = GraphSpec::parse_command_line(line).unwrap_or_else(|e| panic!("{line}\n{e}"));
        assert_eq!(spec.to_args(), words[2..], "{line}");
        let code = spec.to_rust();
        assert!(code.contains(".build()?"), "{code}");
    }
}
