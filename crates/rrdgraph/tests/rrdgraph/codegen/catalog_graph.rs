#[allow(unused_imports, clippy::wildcard_imports)]
use rrdgraph::*;

/// The graph, migrated from an rrdtool argument list.
#[allow(non_snake_case, clippy::unreadable_literal)]
pub(crate) fn graph() -> Result<GraphSpec, Box<dyn std::error::Error>> {
    let x = VName::new("x")?;
    let y = VName::new("y")?;
    let w = VName::new("w")?;
    let z = VName::new("z")?;
    let avg = VName::new("avg")?;
    let first = VName::new("first")?;
    let last = VName::new("last")?;
    let f0 = VName::new("f0")?;
    let f1 = VName::new("f1")?;
    let f2 = VName::new("f2")?;
    let f3 = VName::new("f3")?;
    let f4 = VName::new("f4")?;
    let f5 = VName::new("f5")?;
    let f6 = VName::new("f6")?;
    let f7 = VName::new("f7")?;
    let f8 = VName::new("f8")?;
    let f9 = VName::new("f9")?;
    let f10 = VName::new("f10")?;
    let f11 = VName::new("f11")?;
    let spec = GraphSpec::builder()
        .output("out.png")
        .def(Def::new(&x, "/srv/rrd/host:eth0.rrd", DsName::new("value")?, Cf::Average))
        .def(Def::new(&y, "/srv/rrd/host:eth0.rrd", DsName::new("value")?, Cf::Max).step(300).start(AtTime::new("end-1h")?).reduce(Cf::Max))
        .def(Def::new(&w, "/srv/rrd/host:eth0.rrd", DsName::new("value")?, Cf::Last).end(AtTime::new("now")?))
        .cdef(CDef::new(&z, "x,y,+,2,/,PREV(x),ADDNAN,1,2,2,AVG,+".parse::<Rpn>()?))
        .vdef(VDef::new(&avg, VDefExpr::new(x.clone(), VDefFunc::Average)))
        .vdef(VDef::new(&first, VDefExpr::new(x.clone(), VDefFunc::First)))
        .vdef(VDef::new(&last, VDefExpr::new(x.clone(), VDefFunc::Last)))
        .vdef(VDef::new(&f0, VDefExpr::new(z.clone(), VDefFunc::Maximum)))
        .vdef(VDef::new(&f1, VDefExpr::new(z.clone(), VDefFunc::Minimum)))
        .vdef(VDef::new(&f2, VDefExpr::new(z.clone(), VDefFunc::Average)))
        .vdef(VDef::new(&f3, VDefExpr::new(z.clone(), VDefFunc::Stdev)))
        .vdef(VDef::new(&f4, VDefExpr::new(z.clone(), VDefFunc::Last)))
        .vdef(VDef::new(&f5, VDefExpr::new(z.clone(), VDefFunc::First)))
        .vdef(VDef::new(&f6, VDefExpr::new(z.clone(), VDefFunc::Total)))
        .vdef(VDef::new(&f7, VDefExpr::new(z.clone(), VDefFunc::Percent(95.0))))
        .vdef(VDef::new(&f8, VDefExpr::new(z.clone(), VDefFunc::PercentNan(95.0))))
        .vdef(VDef::new(&f9, VDefExpr::new(z.clone(), VDefFunc::LslSlope)))
        .vdef(VDef::new(&f10, VDefExpr::new(z.clone(), VDefFunc::LslInt)))
        .vdef(VDef::new(&f11, VDefExpr::new(z.clone(), VDefFunc::LslCorrel)))
        .text_align(TextAlign::Left)
        .line(Line::new(&x).color(Color::parse("#FF0000")?).legend(Legend::new("x: plain")?))
        .line(Line::new(&y).width(2.5).color(Color::parse("#00F8")?).legend(Legend::new("y=dashed")?).stack().skipscale().dashes(vec![5.0, 3.0]).dash_offset(1.0))
        .line(Line::new(&z).width(None).dashes(vec![]))
        .area(Area::new(&x).color(Color::parse("#FF0000")?).gradient(Color::parse("#00F8")?).legend(Legend::new("area")?).stack().gradheight(-20.0))
        .area(Area::new(&y).color(Color::parse("#00F8")?).skipscale().gradheight(0.0))
        .stack(Stack::new(&z).color(Color::parse("#FF0000")?).legend(Legend::new("stacked")?))
        .tick(Tick::new(&x).color(Color::parse("#FF0000")?).fraction(-0.2).legend(Legend::new("tick")?))
        .line(Line::new(2.5).color(Color::parse("#00F8")?).legend(Legend::new("a constant")?))
        .tick(Tick::new(&y).color(Color::parse("#00F8")?).fraction(0.3))
        .text_align(TextAlign::Center)
        .hrule(HRule::new(1.5).color(Color::parse("#FF0000")?).legend(Legend::new("rule\\")?).dashes(vec![2.0]))
        .hrule(HRule::new(&avg).color(Color::parse("#00F8")?))
        .vrule(VRule::new(&first).color(Color::parse("#FF0000")?).legend(Legend::new("first")?).dashes(vec![]).dash_offset(2.0))
        .vrule(VRule::new(1700000000.0).color(Color::parse("#00F8")?))
        .comment(Legend::code_only(ControlCode::Space))
        .comment(Legend::new("code l")?.with_code(ControlCode::Left))
        .comment(Legend::new("code n")?.with_code(ControlCode::NewLine))
        .comment(Legend::new("code r")?.with_code(ControlCode::Right))
        .comment(Legend::new("code c")?.with_code(ControlCode::Center))
        .comment(Legend::new("code j")?.with_code(ControlCode::Justify))
        .comment(Legend::new("code g")?.with_code(ControlCode::Glue))
        .comment(Legend::new("code s")?.with_code(ControlCode::Space))
        .comment(Legend::new("code u")?.with_code(ControlCode::Up))
        .comment(Legend::new("code .")?.with_code(ControlCode::Nop))
        .comment(Legend::new("colon: and = and STACK and a\\l")?)
        .print(Print::new(&avg, PrintFormat::new("%lf")?))
        .print(Print::with_cf(&z, Cf::Last, PrintFormat::new("last %6.2lf %s")?))
        .gprint(Print::with_format(&first, Format::Strftime(Legend::new("%Y-%m-%d %H:%M")?)))
        .gprint(Print::with_format(&last, Format::ValStrftime(Legend::new("%H:%M")?)))
        .gprint(Print::with_format(&avg, Format::ValStrfduration(Legend::new("%H:%02M:%02s")?)))
        .gprint(Print::new(&avg, PrintFormat::new("avg=%5.1le%%\\")?.with_code(ControlCode::Justify)))
        .shift(Shift { value: x.clone(), offset: ShiftOffset::Seconds(3600) })
        .shift(Shift { value: y.clone(), offset: ShiftOffset::VName(avg.clone()) })
        .build()?;
    Ok(spec)
}
