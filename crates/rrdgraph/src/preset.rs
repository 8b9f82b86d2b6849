//! The `traffic` preset: the recipe's interface traffic graph in one call.

use crate::element::{Area, CDef, Def, HRule, Line, Print};
use crate::error::{Error, Result};
use crate::op::Op;
use crate::options::GraphOption;
use crate::rpn::Rpn;
use crate::spec::{ArgForm, GraphSpec};
use crate::value::{AtTime, Cf, Color, ControlCode, DsName, Legend, PrintFormat, VName, XGrid};

/// The recipe's argument list (Python ops recipes, section 3.2, `rrdtool.graph("Flow.png", …)`)
/// with ASCII punctuation and its title filled in. [`traffic`] emits exactly this.
pub const TRAFFIC_RECIPE_ARGS: &[&str] = &[
    "Flow.png",
    "--start",
    "-1d",
    "--vertical-label=Bytes/s",
    "--x-grid",
    "MINUTE:12:HOUR:1:HOUR:1:0:%H",
    "--width",
    "650",
    "--height",
    "230",
    "--title",
    "Server network traffic flow",
    "DEF:inoctets=Flow.rrd:eth0_in:AVERAGE",
    "DEF:outoctets=Flow.rrd:eth0_out:AVERAGE",
    "CDEF:total=inoctets,outoctets,+",
    "LINE1:total#FF8833:Total traffic",
    "AREA:inoctets#00FF00:In traffic",
    "LINE1:outoctets#0000FF:Out traffic",
    "HRULE:6144#FF0000:Alarm value\\r",
    "CDEF:inbits=inoctets,8,*",
    "CDEF:outbits=outoctets,8,*",
    "COMMENT:\\r",
    "COMMENT:\\r",
    "GPRINT:inbits:AVERAGE:Avg In traffic\\: %6.2lf %Sbps",
    "COMMENT: ",
    "GPRINT:inbits:MAX:Max In traffic\\: %6.2lf %Sbps",
    "COMMENT: ",
    "GPRINT:inbits:MIN:MIN In traffic\\: %6.2lf %Sbps\\r",
    "COMMENT: ",
    "GPRINT:outbits:AVERAGE:Avg Out traffic\\: %6.2lf %Sbps",
    "COMMENT: ",
    "GPRINT:outbits:MAX:Max Out traffic\\: %6.2lf %Sbps",
    "COMMENT: ",
    "GPRINT:outbits:MIN:MIN Out traffic\\: %6.2lf %Sbps\\r",
];

/// The recipe's traffic graph with every part adjustable: in and out octets from one RRD, the
/// total, the bits conversion, an alarm HRULE, and the average/maximum/minimum GPRINT block.
///
/// ```
/// use rrdgraph::Traffic;
/// let spec = Traffic::new("eth1.png", "/var/lib/rrd/eth1.rrd").alarm(Some(1e6)).width(800).build()?;
/// assert!(spec.to_args().contains(&"HRULE:1000000#FF0000:Alarm value\\r".to_owned()));
/// # Ok::<(), rrdgraph::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Traffic {
    output: String,
    rrd: String,
    ds_in: String,
    ds_out: String,
    start: String,
    title: String,
    vertical_label: String,
    width: u32,
    height: u32,
    x_grid: String,
    alarm: Option<f64>,
}

impl Traffic {
    /// The recipe's graph of `rrd` (data sources `eth0_in` and `eth0_out`), written to `output`.
    pub fn new(output: impl Into<String>, rrd: impl Into<String>) -> Self {
        Traffic {
            output: output.into(),
            rrd: rrd.into(),
            ds_in: "eth0_in".into(),
            ds_out: "eth0_out".into(),
            start: "-1d".into(),
            title: "Server network traffic flow".into(),
            vertical_label: "Bytes/s".into(),
            width: 650,
            height: 230,
            x_grid: "MINUTE:12:HOUR:1:HOUR:1:0:%H".into(),
            alarm: Some(6144.0),
        }
    }

    /// The data sources for incoming and outgoing octets per second.
    pub fn data_sources(mut self, ds_in: impl Into<String>, ds_out: impl Into<String>) -> Self {
        self.ds_in = ds_in.into();
        self.ds_out = ds_out.into();
        self
    }

    /// The at-style start time (`-1d`).
    pub fn start(mut self, start: impl Into<String>) -> Self {
        self.start = start.into();
        self
    }

    /// The title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The vertical label (`Bytes/s`).
    pub fn vertical_label(mut self, label: impl Into<String>) -> Self {
        self.vertical_label = label.into();
        self
    }

    /// The canvas width (650).
    pub fn width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    /// The canvas height (230).
    pub fn height(mut self, height: u32) -> Self {
        self.height = height;
        self
    }

    /// The `--x-grid` spec (`MINUTE:12:HOUR:1:HOUR:1:0:%H`).
    pub fn x_grid(mut self, spec: impl Into<String>) -> Self {
        self.x_grid = spec.into();
        self
    }

    /// The alarm line in bytes/s (6144), or `None` for no alarm line.
    pub fn alarm(mut self, bytes_per_sec: Option<f64>) -> Self {
        self.alarm = bytes_per_sec;
        self
    }

    /// Builds the spec.
    ///
    /// # Errors
    /// [`Error::Value`] for an invalid data source name, start time or x-grid spec, and the
    /// errors of [`GraphSpecBuilder::build`](crate::GraphSpecBuilder::build).
    pub fn build(self) -> Result<GraphSpec> {
        let v = |s: &str| VName::new(s).expect("preset vnames are valid");
        let (inoctets, outoctets, total) = (v("inoctets"), v("outoctets"), v("total"));
        let (inbits, outbits) = (v("inbits"), v("outbits"));
        let ds_in = DsName::new(self.ds_in).map_err(|e| Error::value("ds_in", e))?;
        let ds_out = DsName::new(self.ds_out).map_err(|e| Error::value("ds_out", e))?;
        let start = AtTime::new(self.start).map_err(|e| Error::value("--start", e))?;
        let x_grid: XGrid = self
            .x_grid
            .parse()
            .map_err(|e| Error::value("--x-grid", e))?;
        let legend = |s: &str| Legend::new(s).map_err(|e| Error::value("legend", e));
        let fmt = |s: &str, code: Option<ControlCode>| {
            PrintFormat::new(s)
                .map(|f| match code {
                    Some(c) => f.with_code(c),
                    None => f,
                })
                .map_err(|e| Error::value("format", e))
        };
        let space = legend(" ")?;

        let mut b = GraphSpec::builder()
            .output(self.output)
            .option_with_form(GraphOption::Start(start), ArgForm::Long)
            .option_with_form(
                GraphOption::VerticalLabel(self.vertical_label),
                ArgForm::LongEq,
            )
            .option(GraphOption::XGrid(x_grid))
            .width(self.width)
            .height(self.height)
            .title(self.title)
            .def(Def::new(&inoctets, self.rrd.clone(), ds_in, Cf::Average))
            .def(Def::new(&outoctets, self.rrd, ds_out, Cf::Average))
            .cdef(CDef::new(
                &total,
                Rpn::var(&inoctets).push_var(&outoctets).op(Op::Add),
            ))
            .line(
                Line::new(&total)
                    .color(Color::rgb(0xFF, 0x88, 0x33))
                    .legend(legend("Total traffic")?),
            )
            .area(
                Area::new(&inoctets)
                    .color(Color::rgb(0, 0xFF, 0))
                    .legend(legend("In traffic")?),
            )
            .line(
                Line::new(&outoctets)
                    .color(Color::rgb(0, 0, 0xFF))
                    .legend(legend("Out traffic")?),
            );
        if let Some(alarm) = self.alarm {
            b = b.hrule(
                HRule::new(alarm)
                    .color(Color::rgb(0xFF, 0, 0))
                    .legend(legend("Alarm value")?.with_code(ControlCode::Right)),
            );
        }
        b = b
            .cdef(CDef::new(
                &inbits,
                Rpn::var(&inoctets).push_num(8.0).op(Op::Mul),
            ))
            .cdef(CDef::new(
                &outbits,
                Rpn::var(&outoctets).push_num(8.0).op(Op::Mul),
            ))
            .comment(Legend::code_only(ControlCode::Right))
            .comment(Legend::code_only(ControlCode::Right));
        for (i, (name, bits)) in [("In", &inbits), ("Out", &outbits)].into_iter().enumerate() {
            if i > 0 {
                b = b.comment(space.clone());
            }
            let stats = [
                (Cf::Average, "Avg", None),
                (Cf::Max, "Max", None),
                (Cf::Min, "MIN", Some(ControlCode::Right)),
            ];
            for (j, (cf, label, code)) in stats.into_iter().enumerate() {
                if j > 0 {
                    b = b.comment(space.clone());
                }
                b = b.gprint(Print::with_cf(
                    bits,
                    cf,
                    fmt(&format!("{label} {name} traffic: %6.2lf %Sbps"), code)?,
                ));
            }
        }
        b.build()
    }
}

/// The recipe's traffic graph of `rrd` written to `output`, in one call (see [`Traffic`] to
/// adjust it).
///
/// # Errors
/// As [`Traffic::build`].
pub fn traffic(output: impl Into<String>, rrd: impl Into<String>) -> Result<GraphSpec> {
    Traffic::new(output, rrd).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_emits_the_recipe() {
        assert_eq!(
            traffic("Flow.png", "Flow.rrd").unwrap().to_args(),
            TRAFFIC_RECIPE_ARGS
        );
    }

    #[test]
    fn preset_without_alarm() {
        let args = Traffic::new("a.png", "a.rrd")
            .alarm(None)
            .build()
            .unwrap()
            .to_args();
        assert!(!args.iter().any(|a| a.starts_with("HRULE")));
    }

    #[test]
    fn preset_rejects_bad_data_source() {
        let e = Traffic::new("a.png", "a.rrd")
            .data_sources("eth0:in", "x")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Value { field: "ds_in", .. }));
    }
}
