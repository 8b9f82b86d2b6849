#[allow(unused_imports, clippy::wildcard_imports)]
use rrdgraph::*;

/// The graph, migrated from an rrdtool argument list.
#[allow(non_snake_case, clippy::unreadable_literal)]
pub(crate) fn graph() -> Result<GraphSpec, Box<dyn std::error::Error>> {
    let inoctets = VName::new("inoctets")?;
    let outoctets = VName::new("outoctets")?;
    let total = VName::new("total")?;
    let inbits = VName::new("inbits")?;
    let outbits = VName::new("outbits")?;
    let spec = GraphSpec::builder()
        .output("Flow.png")
        .start("-1d")
        .vertical_label("Bytes/s")
        .option(GraphOption::XGrid("MINUTE:12:HOUR:1:HOUR:1:0:%H".parse()?))
        .width(650)
        .height(230)
        .title("Server network traffic flow")
        .def(Def::new(&inoctets, "Flow.rrd", DsName::new("eth0_in")?, Cf::Average))
        .def(Def::new(&outoctets, "Flow.rrd", DsName::new("eth0_out")?, Cf::Average))
        .cdef(CDef::new(&total, "inoctets,outoctets,+".parse::<Rpn>()?))
        .line(Line::new(&total).color(Color::parse("#FF8833")?).legend(Legend::new("Total traffic")?))
        .area(Area::new(&inoctets).color(Color::parse("#00FF00")?).legend(Legend::new("In traffic")?))
        .line(Line::new(&outoctets).color(Color::parse("#0000FF")?).legend(Legend::new("Out traffic")?))
        .hrule(HRule::new(6144.0).color(Color::parse("#FF0000")?).legend(Legend::new("Alarm value")?.with_code(ControlCode::Right)))
        .cdef(CDef::new(&inbits, "inoctets,8,*".parse::<Rpn>()?))
        .cdef(CDef::new(&outbits, "outoctets,8,*".parse::<Rpn>()?))
        .comment(Legend::code_only(ControlCode::Right))
        .comment(Legend::code_only(ControlCode::Right))
        .gprint(Print::with_cf(&inbits, Cf::Average, PrintFormat::new("Avg In traffic: %6.2lf %Sbps")?))
        .comment(Legend::new(" ")?)
        .gprint(Print::with_cf(&inbits, Cf::Max, PrintFormat::new("Max In traffic: %6.2lf %Sbps")?))
        .comment(Legend::new(" ")?)
        .gprint(Print::with_cf(&inbits, Cf::Min, PrintFormat::new("MIN In traffic: %6.2lf %Sbps")?.with_code(ControlCode::Right)))
        .comment(Legend::new(" ")?)
        .gprint(Print::with_cf(&outbits, Cf::Average, PrintFormat::new("Avg Out traffic: %6.2lf %Sbps")?))
        .comment(Legend::new(" ")?)
        .gprint(Print::with_cf(&outbits, Cf::Max, PrintFormat::new("Max Out traffic: %6.2lf %Sbps")?))
        .comment(Legend::new(" ")?)
        .gprint(Print::with_cf(&outbits, Cf::Min, PrintFormat::new("MIN Out traffic: %6.2lf %Sbps")?.with_code(ControlCode::Right)))
        .build()?;
    Ok(spec)
}
