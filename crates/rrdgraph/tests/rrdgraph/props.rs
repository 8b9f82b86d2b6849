//! Properties: `parse(emit(spec)) == spec` over generated specs, emitted text never changes
//! fields, and no input makes the parsers panic.
#![expect(
    clippy::many_single_char_names,
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    reason = "generators read best with short names in one place; test values stay below 2^52"
)]

use proptest::prelude::*;
use rrdgraph::{
    Area, AtTime, CDef, Cf, Color, ColorTag, ControlCode, Def, DsName, Element, Font, FontTag,
    Format, GraphOption, GraphSpec, HRule, Legend, Line, Op, Position, Print, PrintFormat, Rpn,
    Shift, ShiftOffset, Stack, TextAlign, Tick, VDef, VDefExpr, VDefFunc, VName, VRule,
};
use testbed::rrdgraph::option_samples;

/// Text with the characters that matter to librrd's parser (`:`, `=`, `\`, `%`, `#`, `,`),
/// plus any printable Unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 :=\\\\%#.,\\-]{0,30}",
        "\\PC{0,20}",
        Just("STACK".to_owned()),
        Just("legend=x".to_owned()),
        Just("dashes".to_owned()),
    ]
}

fn legend() -> impl Strategy<Value = Option<Legend>> {
    (
        text(),
        proptest::option::of(proptest::sample::select(ControlCode::ALL.to_vec())),
    )
        .prop_map(|(t, c)| {
            let l = Legend::new(t).ok()?;
            Some(match c {
                Some(c) => l.with_code(c),
                None => l,
            })
            .filter(|l| !l.is_empty())
        })
}

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![
        any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Color::rgb(r, g, b)),
        any::<(u8, u8, u8, u8)>().prop_map(|(r, g, b, a)| Color::rgba(r, g, b, a)),
        "#[0-9a-fA-F]{3,4}".prop_map(|s| Color::parse(&s).unwrap()),
    ]
}

fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|v| v as f64),
        (-1e6f64..1e6),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

fn option() -> impl Strategy<Value = GraphOption> {
    prop_oneof![
        proptest::sample::select(option_samples()),
        "\\PC{0,30}".prop_map(GraphOption::Title),
        "\\PC{0,30}".prop_map(GraphOption::VerticalLabel),
        (10u32..5000).prop_map(GraphOption::Width),
        (-1e9f64..1e9).prop_map(GraphOption::UpperLimit),
        (proptest::sample::select(ColorTag::ALL.to_vec()), color())
            .prop_map(|(t, c)| GraphOption::Color(t, c)),
        (
            proptest::sample::select(FontTag::ALL.to_vec()),
            0f64..40.0,
            proptest::option::of("[a-zA-Z :,]{0,20}")
        )
            .prop_map(|(tag, size, name)| GraphOption::Font(Font { tag, size, name })),
        proptest::sample::select(vec![
            "-1d",
            "now-2h",
            "end-1w",
            "1700000000",
            "noon yesterday"
        ])
        .prop_map(|t| GraphOption::Start(AtTime::new(t).unwrap())),
    ]
}

#[derive(Debug, Clone)]
enum Seed {
    Line(
        u8,
        Option<f64>,
        Option<Color>,
        Option<Legend>,
        bool,
        bool,
        Option<Vec<f64>>,
    ),
    Area(
        u8,
        Option<Color>,
        Option<Color>,
        Option<Legend>,
        bool,
        Option<f64>,
    ),
    Stack(u8, Option<Color>, Option<Legend>),
    Tick(u8, Color, f64, Option<Legend>),
    /// A LINE, AREA, STACK or TICK (by the `u8`) drawing a number.
    Constant(u8, f64, Option<Color>, Option<Legend>),
    HRule(Option<f64>, Color, Option<Legend>),
    VRule(Option<i64>, Color, Option<Legend>),
    Comment(Option<Legend>),
    GPrint(u8, bool, String, Option<ControlCode>),
    Styled(u8, String),
    Shift(u8, Option<i64>),
    Align(u8),
}

fn seed() -> impl Strategy<Value = Seed> {
    let pos = || (0.0f64..1000.0).prop_map(|v| (v * 8.0).round() / 8.0);
    prop_oneof![
        (
            any::<u8>(),
            proptest::option::of(pos()),
            proptest::option::of(color()),
            legend(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(proptest::collection::vec(1.0f64..20.0, 0..3).prop_map(
                |mut v| {
                    if v.len() == 1 {
                        v.push(2.0);
                    }
                    v
                }
            ))
        )
            .prop_map(|(v, w, c, l, s, k, d)| Seed::Line(v, w, c, l, s, k, d)),
        (
            any::<u8>(),
            proptest::option::of(color()),
            proptest::option::of(color()),
            legend(),
            any::<bool>(),
            proptest::option::of(-100.0f64..100.0)
        )
            .prop_map(|(v, c, g, l, s, h)| Seed::Area(v, c, g, l, s, h)),
        (any::<u8>(), proptest::option::of(color()), legend())
            .prop_map(|(v, c, l)| Seed::Stack(v, c, l)),
        (any::<u8>(), color(), -1.0f64..1.0, legend())
            .prop_map(|(v, c, f, l)| Seed::Tick(v, c, f, l)),
        (any::<u8>(), num(), proptest::option::of(color()), legend())
            .prop_map(|(k, n, c, l)| Seed::Constant(k, n, c, l)),
        (proptest::option::of(num()), color(), legend()).prop_map(|(n, c, l)| Seed::HRule(n, c, l)),
        (proptest::option::of(0i64..2_000_000_000), color(), legend())
            .prop_map(|(n, c, l)| Seed::VRule(n, c, l)),
        legend().prop_map(Seed::Comment),
        (
            any::<u8>(),
            any::<bool>(),
            "[a-zA-Z :=%]{0,10}%[-+ 0#]?[0-9]{0,2}(\\.[0-9]{1,2})?l[eEfFgG][a-z :=]{0,8}(%[sS])?",
            proptest::option::of(proptest::sample::select(ControlCode::ALL.to_vec()))
        )
            .prop_map(|(v, cf, f, c)| Seed::GPrint(v, cf, f, c)),
        (any::<u8>(), "[a-zA-Z%: ]{1,12}").prop_map(|(v, f)| Seed::Styled(v, f)),
        (any::<u8>(), proptest::option::of(-100_000i64..100_000))
            .prop_map(|(v, o)| Seed::Shift(v, o)),
        any::<u8>().prop_map(Seed::Align),
    ]
}

fn vn(s: &str) -> VName {
    VName::new(s).unwrap()
}

fn build(
    output: String,
    options: Vec<GraphOption>,
    path: String,
    seeds: Vec<Seed>,
) -> Option<GraphSpec> {
    let (d0, d1, c0, v0) = (vn("d0"), vn("in-octets_1"), vn("c0"), vn("v0"));
    let series = [d0.clone(), d1.clone(), c0.clone()];
    let pick = |i: u8| series[usize::from(i) % series.len()].clone();
    let mut b = GraphSpec::builder().output(output);
    for o in options {
        b = b.option(o);
    }
    b = b
        .def(Def::new(
            &d0,
            path.clone(),
            DsName::new("eth0_in").unwrap(),
            Cf::Average,
        ))
        .def(
            Def::new(&d1, path, DsName::new("v").unwrap(), Cf::Max)
                .step(60)
                .reduce(Cf::Min),
        )
        .cdef(CDef::new(
            &c0,
            Rpn::var(&d0)
                .push_var(&d1)
                .op(Op::AddNan)
                .push_num(8.0)
                .op(Op::Mul),
        ))
        .vdef(VDef::new(
            &v0,
            VDefExpr::new(c0.clone(), VDefFunc::Percent(95.0)),
        ));
    let mut drawn = false;
    for s in seeds {
        let e: Element = match s {
            Seed::Line(v, w, c, l, st, sk, d) => {
                let mut line = Line::new(pick(v)).width(w);
                line.color = c;
                line.legend = l;
                line.stack = st && drawn;
                line.skipscale = sk;
                line.dashes = d.map(rrdgraph::Dashes);
                drawn = true;
                line.into()
            }
            Seed::Area(v, c, g, l, st, h) => {
                let mut a = Area::new(pick(v));
                a.color = c.or(g.map(|_| Color::rgb(0, 0, 0)));
                a.gradient = g;
                a.legend = l;
                a.stack = st && drawn;
                a.gradheight = h;
                drawn = true;
                a.into()
            }
            Seed::Stack(v, c, l) if drawn => {
                let mut s = Stack::new(pick(v));
                s.color = c;
                s.legend = l;
                s.into()
            }
            Seed::Stack(..) => continue,
            Seed::Constant(kind, n, c, l) => {
                // No TICK of a number: librrd 1.7.2 reads freed memory on one (validation
                // refuses it).
                let mut e: Element = match kind % 3 {
                    0 => Line::new(n).into(),
                    2 if drawn => Stack::new(n).into(),
                    _ => Area::new(n).into(),
                };
                match &mut e {
                    Element::Line(x) => (x.color, x.legend) = (c, l),
                    Element::Area(x) => (x.color, x.legend) = (c, l),
                    Element::Stack(x) => (x.color, x.legend) = (c, l),
                    _ => unreachable!("a drawing element"),
                }
                drawn = true;
                e
            }
            Seed::Tick(v, c, f, l) => {
                let mut t = Tick::new(pick(v)).color(c).fraction(f);
                t.legend = l;
                t.into()
            }
            Seed::HRule(n, c, l) => {
                let mut h =
                    HRule::new(n.map_or(Position::VName(v0.clone()), Position::Num)).color(c);
                h.legend = l;
                h.into()
            }
            Seed::VRule(n, c, l) => {
                let mut r =
                    VRule::new(n.map_or(Position::VName(v0.clone()), |n| Position::Num(n as f64)))
                        .color(c);
                r.legend = l;
                r.into()
            }
            Seed::Comment(l) => {
                Element::Comment(l.unwrap_or(Legend::code_only(ControlCode::Space)))
            }
            Seed::GPrint(v, cf, f, c) => {
                let format = PrintFormat::new(f).ok()?;
                let format = match c {
                    Some(c) => format.with_code(c),
                    None => format,
                };
                if cf {
                    Element::GPrint(Print::with_cf(&pick(v), Cf::Last, format))
                } else {
                    Element::Print(Print::new(&v0, format))
                }
            }
            Seed::Styled(v, f) => {
                let l = Legend::new(f).ok()?;
                let format = match v % 3 {
                    0 => Format::Strftime(l),
                    1 => Format::ValStrftime(l),
                    _ => Format::ValStrfduration(Legend::new("%H:%02M").unwrap()),
                };
                Element::GPrint(Print::with_format(&v0, format))
            }
            Seed::Shift(v, o) => Element::Shift(Shift {
                value: series[usize::from(v) % 2].clone(),
                offset: o.map_or(ShiftOffset::VName(v0.clone()), ShiftOffset::Seconds),
            }),
            Seed::Align(a) => Element::TextAlign(
                [
                    TextAlign::Left,
                    TextAlign::Right,
                    TextAlign::Justified,
                    TextAlign::Center,
                ][usize::from(a % 4)],
            ),
        };
        b = b.element(e);
    }
    b.build().ok()
}

fn spec() -> impl Strategy<Value = GraphSpec> {
    (
        "[a-zA-Z0-9_/.:-]{1,20}",
        proptest::collection::vec(option(), 0..6),
        "[a-zA-Z0-9_/.: =-]{1,20}[a-z]",
        proptest::collection::vec(seed(), 1..12),
    )
        .prop_filter_map("valid spec", |(o, opts, p, seeds)| build(o, opts, p, seeds))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_emit_is_identity(spec in spec()) {
        let args = spec.to_args();
        let back = GraphSpec::parse_args(&args).map_err(|e| TestCaseError::fail(format!("{e}\n{args:#?}")))?;
        prop_assert_eq!(&back, &spec);
        prop_assert_eq!(back.to_args(), args);
    }

    #[test]
    fn command_line_round_trips(spec in spec()) {
        let back = GraphSpec::parse_command_line(&spec.to_command_line()).unwrap();
        prop_assert_eq!(back, spec);
    }

    #[test]
    fn legend_text_never_changes_fields(l in legend(), stack in any::<bool>()) {
        let Some(l) = l else { return Ok(()) };
        let x = vn("x");
        let mut line = Line::new(&x).color(Color::rgb(1, 2, 3)).legend(l.clone());
        line.stack = stack;
        let arg = rrdgraph::element_arg(&line.into());
        let Element::Line(back) = Element::parse(&arg).unwrap() else { panic!("not a LINE: {arg}") };
        prop_assert_eq!(back.legend, Some(l));
        prop_assert_eq!(back.stack, stack);
        prop_assert_eq!(back.color, Some(Color::rgb(1, 2, 3)));
    }

    /// `--emit` prints one argument per line: no accepted text may add a line.
    #[test]
    fn emitted_arguments_never_hold_a_line_break(
        text in "(\\PC|[\\x00-\\x1f\\x7f\\u{85}\\u{2028}])+",
        place in 0usize..5,
    ) {
        let arg = match place {
            0 => format!("COMMENT:{text}"),
            1 => format!("LINE1:a#ff0000:{text}"),
            2 => format!("--title={text}"),
            3 => format!("--vertical-label={text}"),
            _ => format!("GPRINT:a:AVERAGE:{text} %lf"),
        };
        let args = ["x.png".to_owned(), "DEF:a=x.rrd:a:AVERAGE".to_owned(), arg];
        if let Ok(spec) = GraphSpec::parse_args(&args) {
            let emitted = spec.to_args();
            let joined = emitted.join("\n");
            prop_assert_eq!(joined.lines().count(), emitted.len(), "{:?}", emitted);
        }
    }

    #[test]
    fn element_parser_never_panics(s in "\\PC{0,80}") {
        let _ = Element::parse(&s);
    }

    #[test]
    fn element_parser_never_panics_on_element_like_text(
        head in proptest::sample::select(vec!["DEF", "CDEF", "VDEF", "LINE", "LINE2", "AREA", "STACK", "TICK", "SHIFT", "HRULE", "VRULE", "TEXTALIGN", "COMMENT", "PRINT", "GPRINT"]),
        rest in "[a-zA-Z0-9:=#,%\\\\. +-]{0,60}",
    ) {
        let _ = Element::parse(&format!("{head}:{rest}"));
    }

    #[test]
    fn arg_parser_never_panics(args in proptest::collection::vec("[a-zA-Z0-9:=#,%\\\\. -]{0,20}", 0..10)) {
        let _ = GraphSpec::parse_args(&args);
    }

    #[test]
    fn command_line_parser_never_panics(s in "\\PC{0,120}") {
        let _ = GraphSpec::parse_command_line(&s);
    }

    #[test]
    fn rpn_text_round_trips(tokens in proptest::collection::vec(prop_oneof![
        Just("a".to_owned()), Just("b".to_owned()), (-100i32..100).prop_map(|n| n.to_string()),
        proptest::sample::select(Op::ALL.iter().map(|o| o.name().to_owned()).collect::<Vec<_>>()),
    ], 1..12)) {
        let text = tokens.join(",");
        if let Ok(r) = text.parse::<Rpn>() {
            prop_assert_eq!(r.to_string().parse::<Rpn>().unwrap(), r.clone());
            prop_assert!(r.check().is_ok());
        }
    }
}
