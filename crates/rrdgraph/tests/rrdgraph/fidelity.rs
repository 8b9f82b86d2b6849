//! Fidelity: for real `rrdtool graph` argument lists, librrd renders `emit(parse(args))`
//! exactly as it renders `args` (the same `print[]`, `legend[]`, geometry and image bytes);
//! and any legend text comes back unchanged in librrd's `legend[]`.

use proptest::prelude::*;
use rrdgraph::{Element, GraphSpec, Legend, Line, VName, render_args};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

use crate::ops::speed_rrd;

fn real_argument_lists(flow: &str, speed: &str) -> Vec<(&'static str, Vec<String>)> {
    let recipe: Vec<String> = rrdgraph::TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| a.replace("Flow.rrd", flow))
        .map(|a| if a == "-1d" { format!("{}", DEFAULT_END - 86_400) } else { a })
        .chain(["--end".to_owned(), DEFAULT_END.to_string()])
        .collect();
    let s = |v: &[&str]| -> Vec<String> {
        v.iter()
            .map(|a| a.replace("FLOW", flow).replace("SPEED", speed))
            .collect()
    };
    vec![
        ("the recipe's graph.py", recipe),
        (
            "rrdtool tests/rpn1",
            s(&[
                "rpn1.png",
                "--start",
                "920804400",
                "--end",
                "920808000",
                "DEF:my-speed=SPEED:speed:AVERAGE",
                "CDEF:nonans01=my-speed,UN,0,my-speed,IF",
                "CDEF:kmh=nonans01,3600,*",
                "CDEF:fast=kmh,100,GT,100,0,IF",
                "CDEF:over=kmh,100,GT,kmh,100,-,0,IF",
                "CDEF:good=kmh,100,GT,0,kmh,IF",
                "VDEF:f=fast,AVERAGE",
                "VDEF:g=good,MAXIMUM",
                "VDEF:o=over,MINIMUM",
                "VRULE:920806500#000000:foo",
                "PRINT:f:%lf",
                "PRINT:g:%lf",
                "PRINT:o:%lf",
            ]),
        ),
        (
            "rrdtool tests/graph1 (PRINT only)",
            s(&[
                "graph1.png",
                "--start",
                "920804400",
                "--end",
                "920808000",
                "DEF:my-speed=SPEED:speed:AVERAGE",
                "VDEF:o=my-speed,MAXIMUM",
                "PRINT:o:%lf",
            ]),
        ),
        (
            "munin-style interface graph",
            s(&[
                "if_eth0-day.png",
                "--title",
                "eth0 traffic - by day",
                "--base",
                "1000",
                "-l",
                "0",
                "--vertical-label",
                "bits in (-) / out (+) per ${graph_period}",
                "--slope-mode",
                "--height",
                "175",
                "--width",
                "400",
                "--font",
                "DEFAULT:0:DejaVuSans,DejaVu Sans,DejaVu LGC Sans,Bitstream Vera Sans",
                "--font",
                "LEGEND:7:DejaVuSansMono,DejaVu Sans Mono,DejaVu LGC Sans Mono,Bitstream Vera Sans Mono,monospace",
                "-W",
                "Munin 2.0.67",
                "--border",
                "0",
                "--color",
                "BACK#F0F0F0",
                "--color",
                "FRAME#F0F0F0",
                "--color",
                "CANVAS#FFFFFF",
                "--color",
                "FONT#666666",
                "--color",
                "AXIS#CFD6F8",
                "--color",
                "ARROW#CFD6F8",
                "--start",
                "1767139200",
                "--end",
                "1767225600",
                "DEF:adown=FLOW:eth0_in:AVERAGE",
                "DEF:aup=FLOW:eth0_out:AVERAGE",
                "DEF:mup=FLOW:eth0_out:MAX",
                "CDEF:down=adown,8,*",
                "CDEF:up=aup,8,*",
                "CDEF:cup=mup,8,*",
                "CDEF:negdown=down,-1,*",
                "COMMENT:                    ",
                "COMMENT:Cur\\:",
                "COMMENT:Min\\:",
                "COMMENT:Avg\\:",
                "COMMENT:Max\\:  \\j",
                "LINE1:negdown#00CC00",
                "LINE1:up#00CC00:bps",
                "GPRINT:down:LAST:%6.2lf%s/",
                "GPRINT:up:LAST:%6.2lf%s",
                "GPRINT:down:MIN:%6.2lf%s/",
                "GPRINT:up:MIN:%6.2lf%s",
                "GPRINT:down:AVERAGE:%6.2lf%s/",
                "GPRINT:up:AVERAGE:%6.2lf%s",
                "GPRINT:cup:MAX:%6.2lf%s\\j",
                "VRULE:1767200000#999999:Last update\\: 2026-01-01 00\\:00\\:00 UTC\\r",
            ]),
        ),
        (
            "cacti-style graph with short options",
            s(&[
                "-",
                "--imgformat=PNG",
                "-s",
                "1767139200",
                "-e",
                "1767225600",
                "-t",
                "Localhost - Traffic - eth0",
                "--rigid",
                "--base=1000",
                "-h",
                "120",
                "-w",
                "500",
                "--alt-autoscale-max",
                "--lower-limit=0",
                "-v",
                "bits per second",
                "--slope-mode",
                "DEF:a=FLOW:eth0_in:AVERAGE",
                "DEF:b=FLOW:eth0_out:AVERAGE",
                "CDEF:cdefa=a,8,*",
                "CDEF:cdefe=b,8,*",
                "AREA:cdefa#00CF00FF:Inbound",
                "GPRINT:cdefa:LAST: Current\\:%8.2lf %s",
                "GPRINT:cdefa:AVERAGE:Average\\:%8.2lf %s",
                "GPRINT:cdefa:MAX:Maximum\\:%8.2lf %s\\n",
                "LINE1:cdefe#002A97FF:Outbound",
                "GPRINT:cdefe:LAST:Current\\:%8.2lf %s",
                "GPRINT:cdefe:AVERAGE:Average\\:%8.2lf %s",
                "GPRINT:cdefe:MAX:Maximum\\:%8.2lf %s\\n",
                "TEXTALIGN:left",
                "HRULE:40000#FF0000:Alarm at 40 kb/s",
            ]),
        ),
        (
            "stacked areas, ticks, shifts and trends",
            s(&[
                "-",
                "--start",
                "1767139200",
                "--end",
                "1767225600",
                "--x-grid",
                "HOUR:1:HOUR:6:HOUR:6:0:%H:%M",
                "--y-grid",
                "1000:2",
                "--legend-position=east",
                "--right-axis",
                "8:0",
                "--right-axis-label",
                "bits/s",
                "DEF:i=FLOW:eth0_in:AVERAGE",
                "DEF:o=FLOW:eth0_out:AVERAGE",
                "DEF:iy=FLOW:eth0_in:AVERAGE:start=1767052800:end=1767139200",
                "SHIFT:iy:86400",
                "CDEF:trend=i,3600,TREND",
                "VDEF:peak=i,MAXIMUM",
                "VDEF:p95=i,95,PERCENT",
                "AREA:i#00FF0080:in",
                "STACK:o#0000FF80:out",
                "LINE2:trend#FF000080:one-hour trend:dashes=4,2",
                "LINE1:iy#888888:yesterday",
                "TICK:i#FF000040:0.1:ticks",
                "HRULE:p95#000000:95th percentile\\l",
                "VRULE:peak#FF0000:peak",
                "GPRINT:peak:%6.1lf B/s at",
                "GPRINT:peak:%H\\:%M:strftime",
                "PRINT:p95:%.2lf",
            ]),
        ),
    ]
}

#[test]
fn emit_of_parse_renders_like_the_original() {
    let flow = TrafficRrd::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let speed = speed_rrd(dir.path());
    let flow_path = flow.path().to_str().unwrap();
    let speed_path = speed.path().to_str().unwrap();
    for (name, mut args) in real_argument_lists(flow_path, speed_path) {
        let spec = GraphSpec::parse_args(&args)
            .unwrap_or_else(|e| panic!("{name}: the argument list does not parse: {e}"));
        let mut emitted = spec.to_args();
        // Both into memory.
        "-".clone_into(&mut args[0]);
        "-".clone_into(&mut emitted[0]);
        let original = render_args(&args).unwrap_or_else(|e| panic!("{name}: original: {e}"));
        let ours = render_args(&emitted).unwrap_or_else(|e| panic!("{name}: emitted: {e}"));
        assert_eq!(ours.prints(), original.prints(), "{name}: print[]");
        assert_eq!(ours.legends(), original.legends(), "{name}: legend[]");
        assert_eq!(ours.meta(), original.meta(), "{name}: geometry");
        assert_eq!(
            ours.image().map(<[u8]>::len),
            original.image().map(<[u8]>::len),
            "{name}: image size"
        );
        assert!(ours.image() == original.image(), "{name}: image bytes differ");
        // And the round trip is stable.
        assert_eq!(GraphSpec::parse_args(&spec.to_args()).unwrap(), spec, "{name}");
    }
}

/// librrd's legend[] for a drawn element starts with two spaces (room for the color box).
fn legend_of(spec: &GraphSpec) -> Vec<String> {
    spec.render().unwrap().legends().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_legend_text_comes_back_unchanged(
        text in "[ -~\t\u{e9}\u{6f22}]{1,40}",
    ) {
        let Ok(legend) = Legend::new(text.clone()) else {
            // Refused texts are covered by the spec half's tests.
            return Ok(());
        };
        let x = VName::new("x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let speed = speed_rrd(dir.path());
        let def = format!("DEF:x={}:speed:AVERAGE", speed.path().display());
        // A line without legend (no legend[] entry), then the comment.
        let comment = GraphSpec::builder()
            .output("-")
            .args(&["--start", "920804400", "--end", "920808000", &def, "LINE1:x#000000"])
            .element(Element::Comment(legend.clone()))
            .build()
            .unwrap();
        prop_assert_eq!(legend_of(&comment), vec![text.clone()]);
        let line = GraphSpec::builder()
            .output("-")
            .args(&[
                "--start".to_owned(),
                "920804400".into(),
                "--end".into(),
                "920808000".into(),
                def,
            ])
            .element(Line::new(&x).color(rrdgraph::Color::rgb(0, 0, 0)).legend(legend))
            .build()
            .unwrap();
        prop_assert_eq!(legend_of(&line), vec![format!("  {text}")]);
    }
}
