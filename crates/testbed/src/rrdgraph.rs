//! Samples of every rrdgraph option and element, for the table tests against librrd, the
//! snapshots and the benchmarks. Built through rrdgraph's public API only: they are test
//! fixtures, not part of rrdgraph.

use rrdgraph::{
    Area, AtTime, CDef, Cf, Color, ControlCode, Def, DsName, Element, Format, GraphOption,
    GraphSpec, HRule, Legend, Line, OPTIONS, Print, PrintFormat, Rpn, Shift, ShiftOffset, Stack,
    TRAFFIC_RECIPE_ARGS, TextAlign, Tick, VDef, VDefExpr, VDefFunc, VName, VRule,
};

/// One sample of every option librrd 1.7 knows, built from the catalog's example values.
pub fn option_samples() -> Vec<GraphOption> {
    OPTIONS
        .iter()
        .map(|o| {
            GraphOption::from_name_value(o.long, o.example).expect("catalog examples are valid")
        })
        .collect()
}

/// Elements that use every element kind and every element feature (step/start/end/reduce on
/// DEF, every VDEF function, LINE width/STACK/skipscale/dashes/dash-offset, AREA gradients,
/// TICK, SHIFT by seconds and by VDEF, rules by number and VDEF, TEXTALIGN, COMMENT control
/// codes, PRINT and GPRINT in every style), reading data source `ds` of `rrd`.
///
/// # Panics
/// If `ds` is not a valid data source name.
#[expect(
    clippy::many_single_char_names,
    reason = "short sample vnames read like the graph"
)]
#[expect(
    clippy::too_many_lines,
    reason = "one sample of every element kind and form, in one list"
)]
pub fn element_samples(rrd: &str, ds: &str) -> Vec<Element> {
    let v = |s: &str| VName::new(s).expect("sample vnames are valid");
    let (x, y, z, avg, first, last) = (v("x"), v("y"), v("z"), v("avg"), v("first"), v("last"));
    let ds = DsName::new(ds).expect("a valid data source name");
    let red = Color::rgb(0xFF, 0, 0);
    let blue = Color::parse("#00F8").expect("valid color");
    let l = |s: &str| Legend::new(s).expect("valid legend");
    let fmt = |s: &str| PrintFormat::new(s).expect("valid format");
    let mut e: Vec<Element> = vec![
        Def::new(&x, rrd, ds.clone(), Cf::Average).into(),
        Def::new(&y, rrd, ds.clone(), Cf::Max)
            .step(300)
            .start(AtTime::new("end-1h").expect("valid"))
            .reduce(Cf::Max)
            .into(),
        Def::new(&v("w"), rrd, ds, Cf::Last)
            .end(AtTime::now())
            .into(),
        CDef::new(
            &z,
            "x,y,+,2,/,PREV(x),ADDNAN,1,2,2,AVG,+"
                .parse::<Rpn>()
                .expect("valid"),
        )
        .into(),
        VDef::new(&avg, VDefExpr::new(x.clone(), VDefFunc::Average)).into(),
        VDef::new(&first, VDefExpr::new(x.clone(), VDefFunc::First)).into(),
        VDef::new(&last, VDefExpr::new(x.clone(), VDefFunc::Last)).into(),
    ];
    for (i, f) in VDefFunc::ALL.into_iter().enumerate() {
        e.push(VDef::new(&v(&format!("f{i}")), VDefExpr::new(z.clone(), f)).into());
    }
    e.extend([
        Element::TextAlign(TextAlign::Left),
        Line::new(&x).color(red).legend(l("x: plain")).into(),
        Line::new(&y)
            .width(2.5)
            .color(blue)
            .legend(l("y=dashed"))
            .stack()
            .skipscale()
            .dashes(vec![5.0, 3.0])
            .dash_offset(1.0)
            .into(),
        Line::new(&z).width(None).dashes(vec![]).into(),
        Area::new(&x)
            .color(red)
            .gradient(blue)
            .gradheight(-20.0)
            .legend(l("area"))
            .stack()
            .into(),
        Area::new(&y).color(blue).skipscale().gradheight(0.0).into(),
        Stack::new(&z).color(red).legend(l("stacked")).into(),
        Tick::new(&x)
            .color(red)
            .fraction(-0.2)
            .legend(l("tick"))
            .into(),
        Line::new(2.5).color(blue).legend(l("a constant")).into(),
        Tick::new(&y).color(blue).fraction(0.3).into(),
        Element::TextAlign(TextAlign::Center),
        HRule::new(1.5)
            .color(red)
            .legend(l("rule\\"))
            .dashes(vec![2.0])
            .into(),
        HRule::new(&avg).color(blue).into(),
        VRule::new(&first)
            .color(red)
            .legend(l("first"))
            .dashes(vec![])
            .dash_offset(2.0)
            .into(),
        VRule::new(1_700_000_000.0).color(blue).into(),
        Element::Comment(Legend::code_only(ControlCode::Space)),
    ]);
    for code in ControlCode::ALL {
        e.push(Element::Comment(
            Legend::new(format!("code {}", code.as_char()))
                .expect("valid")
                .with_code(code),
        ));
    }
    e.extend([
        Element::Comment(l("colon: and = and STACK and a\\l")),
        Element::Print(Print::new(&avg, fmt("%lf"))),
        Element::Print(Print::with_cf(&z, Cf::Last, fmt("last %6.2lf %s"))),
        Element::GPrint(Print::with_format(
            &first,
            Format::Strftime(l("%Y-%m-%d %H:%M")),
        )),
        Element::GPrint(Print::with_format(&last, Format::ValStrftime(l("%H:%M")))),
        Element::GPrint(Print::with_format(
            &avg,
            Format::ValStrfduration(l("%H:%02M:%02s")),
        )),
        Element::GPrint(Print::new(
            &avg,
            PrintFormat::new("avg=%5.1le%%\\")
                .expect("valid")
                .with_code(ControlCode::Justify),
        )),
        Shift::new_seconds(&x, 3600).into(),
        Element::Shift(Shift {
            value: y,
            offset: ShiftOffset::VName(avg),
        }),
    ]);
    e
}

/// Table-test specs: one graph per option of [`option_samples`] (each with a DEF and a LINE of
/// `ds` in `rrd`), then one graph with [`element_samples`]. All write to `output`.
///
/// # Panics
/// If `ds` is not a valid data source name or `rrd` makes an invalid DEF.
pub fn catalog(output: &str, rrd: &str, ds: &str) -> Vec<GraphSpec> {
    let x = VName::new("x").expect("valid");
    let dsn = DsName::new(ds).expect("a valid data source name");
    let mut specs: Vec<GraphSpec> = option_samples()
        .into_iter()
        .map(|o| {
            GraphSpec::builder()
                .output(output)
                .option(o)
                .def(Def::new(&x, rrd, dsn.clone(), Cf::Average))
                .line(
                    Line::new(&x)
                        .color(Color::rgb(0, 0, 0))
                        .legend(Legend::new("x").expect("valid")),
                )
                .build()
                .expect("a valid DEF")
        })
        .collect();
    let mut b = GraphSpec::builder().output(output);
    for e in element_samples(rrd, ds) {
        b = b.element(e);
    }
    specs.push(b.build().expect("the element samples make a valid graph"));
    specs
}

/// `n` varied graph definitions as argument lists (the recipe and the [`catalog`], each
/// writing to its own file), for benchmarking parse, validate and emit.
pub fn corpus(n: usize) -> Vec<Vec<String>> {
    let mut base: Vec<Vec<String>> = vec![
        TRAFFIC_RECIPE_ARGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    ];
    base.extend(
        catalog("out.png", "data/host:1.rrd", "value")
            .iter()
            .map(GraphSpec::to_args),
    );
    (0..n)
        .map(|i| {
            let mut a = base[i % base.len()].clone();
            a[0] = format!("graph-{i}.png");
            a
        })
        .collect()
}
