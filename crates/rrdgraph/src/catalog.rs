//! Samples of every option and element, for table tests against librrd and for benchmarks.

use crate::element::{
    Area, CDef, Def, Element, Format, HRule, Line, Position, Print, Shift, ShiftOffset, Stack,
    TextAlign, Tick, VDef, VRule,
};
use crate::error::Result;
use crate::options::{GraphOption, OPTIONS};
use crate::rpn::{Rpn, VDefExpr, VDefFunc};
use crate::spec::GraphSpec;
use crate::value::{AtTime, Cf, Color, ControlCode, DsName, Legend, PrintFormat, VName};

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
            .gradient(blue, Some(-20.0))
            .legend(l("area"))
            .stack()
            .into(),
        Area::new(&y).color(blue).skipscale().gradheight(0.0).into(),
        Element::Stack(Stack {
            value: z.clone(),
            color: Some(red),
            legend: Some(l("stacked")),
        }),
        Tick::new(&x, red).fraction(-0.2).legend(l("tick")).into(),
        Element::TextAlign(TextAlign::Center),
        HRule::new(Position::Num(1.5), red)
            .legend(l("rule\\"))
            .dashes(vec![2.0])
            .into(),
        HRule::new(Position::VName(avg.clone()), blue).into(),
        VRule::new(Position::VName(first.clone()), red)
            .legend(l("first"))
            .dashes(vec![])
            .dash_offset(2.0)
            .into(),
        VRule::new(Position::Num(1_700_000_000.0), blue).into(),
        Element::Comment(Legend::code_only(ControlCode::Space)),
    ]);
    for code in ControlCode::ALL {
        e.push(Element::Comment(
            Legend::with(format!("code {}", code.as_char()), Some(code)).expect("valid"),
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
            PrintFormat::with("avg=%5.1le%%\\", Some(ControlCode::Justify)).expect("valid"),
        )),
        Shift::new_seconds(&x, 3600).into(),
        Element::Shift(Shift {
            value: y,
            offset: ShiftOffset::VName(avg),
        }),
    ]);
    e
}

impl Shift {
    /// `SHIFT:vname:seconds`.
    pub fn new_seconds(value: &VName, secs: i64) -> Self {
        Shift {
            value: value.clone(),
            offset: ShiftOffset::Seconds(secs),
        }
    }
}

impl GraphSpec {
    /// Table-test specs: one graph per option (each with a DEF and a LINE of `ds` in `rrd`) and
    /// one graph with [`element_samples`]. All write to `output`.
    ///
    /// # Errors
    /// Only if `rrd` or `ds` make an invalid DEF.
    pub fn catalog(output: &str, rrd: &str, ds: &str) -> Result<Vec<GraphSpec>> {
        let x = VName::new("x").expect("valid");
        let dsn = DsName::new(ds).map_err(|e| crate::Error::value("ds", e))?;
        let mut specs = Vec::new();
        for o in option_samples() {
            specs.push(
                GraphSpec::builder()
                    .output(output)
                    .option(o)
                    .def(Def::new(&x, rrd, dsn.clone(), Cf::Average))
                    .line(
                        Line::new(&x)
                            .color(Color::rgb(0, 0, 0))
                            .legend(Legend::new("x").expect("valid")),
                    )
                    .build()?,
            );
        }
        let mut b = GraphSpec::builder().output(output);
        for e in element_samples(rrd, ds) {
            b = b.element(e);
        }
        specs.push(b.build()?);
        Ok(specs)
    }

    /// A corpus of varied graph definitions as argument lists (the recipe, the catalog, and
    /// generated variants), for benchmarking parse → validate → emit.
    pub fn corpus(n: usize) -> Vec<Vec<String>> {
        let mut base: Vec<Vec<String>> = vec![
            crate::TRAFFIC_RECIPE_ARGS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        ];
        if let Ok(specs) = GraphSpec::catalog("out.png", "data/host:1.rrd", "value") {
            base.extend(specs.iter().map(GraphSpec::to_args));
        }
        (0..n)
            .map(|i| {
                let mut a = base[i % base.len()].clone();
                a[0] = format!("graph-{i}.png");
                a
            })
            .collect()
    }

    /// Parses, validates and emits every argument list of a corpus (see [`GraphSpec::corpus`]);
    /// returns how many arguments were emitted. One call is the spec overhead the benchmark
    /// compares with a render.
    ///
    /// # Errors
    /// The first parse or validation error.
    pub fn round_trip_all(corpus: &[Vec<String>]) -> Result<usize> {
        let mut n = 0;
        for args in corpus {
            n += GraphSpec::parse_args(args)?.to_args().len();
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_builds_and_round_trips() {
        let specs = GraphSpec::catalog("out.png", "/tmp/a:b.rrd", "value").unwrap();
        assert_eq!(specs.len(), OPTIONS.len() + 1);
        for s in &specs {
            let back = GraphSpec::parse_args(&s.to_args()).unwrap();
            assert_eq!(&back, s);
            assert_eq!(back.to_args(), s.to_args());
        }
    }

    #[test]
    fn corpus_round_trips() {
        let c = GraphSpec::corpus(50);
        assert_eq!(c.len(), 50);
        assert!(GraphSpec::round_trip_all(&c).unwrap() > 50);
    }
}
