//! The `rrd` crate's known graph-API defects, each checked not to be inherited.

use rrdgraph::{
    Color, ColorTag, ControlCode, Def, DsName, Element, Font, FontTag, GraphOption, GraphSpec,
    Legend, Line, Shift, ShiftOffset, Tick, VName,
};

fn x() -> VName {
    VName::new("x").unwrap()
}

/// A builder with one DEF of `x`.
fn base() -> rrdgraph::GraphSpecBuilder {
    GraphSpec::builder().output("o.png").def(Def::new(
        &x(),
        "a.rrd",
        DsName::new("v").unwrap(),
        rrdgraph::Cf::Average,
    ))
}

#[test]
fn alt_autoscale_min_and_max_take_no_argument() {
    let spec = base()
        .option(GraphOption::AltAutoscaleMin)
        .option(GraphOption::AltAutoscaleMax)
        .line(Line::new(x()))
        .build()
        .unwrap();
    let args = spec.to_args();
    assert_eq!(args[1..3], ["--alt-autoscale-min", "--alt-autoscale-max"]);
    assert!(args[3].starts_with("DEF:"));
    // Parsing does not swallow the next argument, and a value is refused.
    let parsed = GraphSpec::parse_args(&["o.png", "--alt-autoscale-max", "COMMENT:x"]).unwrap();
    assert_eq!(parsed.elements().len(), 1);
    assert!(GraphSpec::parse_args(&["o.png", "--alt-autoscale-min=0", "COMMENT:x"]).is_err());
}

#[test]
fn backslashes_are_not_double_escaped() {
    let legend = Legend::new("In").unwrap().with_code(ControlCode::Left);
    let spec = base()
        .line(Line::new(x()).color(Color::rgb(0, 0, 0)).legend(legend))
        .build()
        .unwrap();
    assert_eq!(spec.to_args().last().unwrap(), "LINE1:x#000000:In\\l");
    let spec = base()
        .comment(Legend::code_only(ControlCode::Right))
        .build()
        .unwrap();
    assert_eq!(spec.to_args().last().unwrap(), "COMMENT:\\r");
}

#[test]
fn tick_always_carries_its_fraction() {
    let spec = base()
        .tick(Tick::new(x()).color(Color::rgb(0xFF, 0, 0)))
        .build()
        .unwrap();
    assert_eq!(spec.to_args().last().unwrap(), "TICK:x#FF0000:0.1");
    let parsed =
        GraphSpec::parse_args(&["o.png", "DEF:x=a.rrd:v:AVERAGE", "TICK:x#FF0000"]).unwrap();
    assert_eq!(parsed.to_args().last().unwrap(), "TICK:x#FF0000:0.1");
}

#[test]
fn shift_is_whole_seconds() {
    let spec = base()
        .shift(Shift {
            value: x(),
            offset: ShiftOffset::Seconds(-86_400),
        })
        .line(Line::new(x()))
        .build()
        .unwrap();
    assert!(spec.to_args().contains(&"SHIFT:x:-86400".to_owned()));
    for bad in ["SHIFT:x:1.5", "SHIFT:x:1e3", "SHIFT:x:86400.0"] {
        assert!(
            GraphSpec::parse_args(&["o.png", "DEF:x=a.rrd:v:AVERAGE", bad, "LINE1:x"]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn colors_and_fonts_keep_their_order() {
    let options = [
        GraphOption::Color(ColorTag::Back, Color::rgb(0, 0, 0)),
        GraphOption::Font(Font {
            tag: FontTag::Title,
            size: 12.0,
            name: None,
        }),
        GraphOption::Color(ColorTag::Canvas, Color::rgb(1, 1, 1)),
        GraphOption::Color(ColorTag::Back, Color::rgb(2, 2, 2)),
        GraphOption::Font(Font {
            tag: FontTag::Default,
            size: 0.0,
            name: Some("Courier".into()),
        }),
    ];
    let mut b = base();
    for o in options.clone() {
        b = b.option(o);
    }
    let spec = b.line(Line::new(x())).build().unwrap();
    assert_eq!(spec.options(), options);
    let values: Vec<String> = (0..options.len())
        .map(|i| spec.to_args()[2 + 2 * i].clone())
        .collect();
    assert_eq!(
        values,
        [
            "BACK#000000",
            "TITLE:12",
            "CANVAS#010101",
            "BACK#020202",
            "DEFAULT:0:Courier"
        ]
    );
}

#[test]
fn graphs_that_only_print_are_fine() {
    let m = VName::new("m").unwrap();
    let spec = GraphSpec::builder()
        .output("/dev/null")
        .def(Def::new(
            &x(),
            "a.rrd",
            DsName::new("v").unwrap(),
            rrdgraph::Cf::Average,
        ))
        .vdef(rrdgraph::VDef::new(&m, "x,MAXIMUM".parse().unwrap()))
        .print(rrdgraph::Print::new(
            &m,
            rrdgraph::PrintFormat::new("%lf").unwrap(),
        ))
        .build()
        .unwrap();
    assert!(!spec.draws());
    assert!(matches!(spec.elements().last(), Some(Element::Print(_))));
    assert_eq!(spec.to_args().last().unwrap(), "PRINT:m:%lf");
}
