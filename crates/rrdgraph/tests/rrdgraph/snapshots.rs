//! Snapshots of emitted argument vectors and generated Rust code.

use rrdgraph::{GraphSpec, traffic};
use testbed::rrdgraph::{catalog, option_samples};

#[test]
fn recipe_args_snapshot() {
    insta::assert_debug_snapshot!(traffic("Flow.png", "Flow.rrd").unwrap().to_args());
}

#[test]
fn element_catalog_args_snapshot() {
    let specs = catalog("out.png", "/srv/rrd/host:eth0.rrd", "value");
    insta::assert_debug_snapshot!(specs.last().unwrap().to_args());
}

#[test]
fn option_catalog_args_snapshot() {
    let args: Vec<Vec<String>> = option_samples()
        .into_iter()
        .map(|o| {
            let spec = GraphSpec::builder()
                .output("o.png")
                .option(o)
                .comment(rrdgraph::Legend::new("x").unwrap())
                .build()
                .unwrap();
            spec.to_args()[1..spec.to_args().len() - 1].to_vec()
        })
        .collect();
    insta::assert_debug_snapshot!(args);
}

#[test]
fn recipe_rust_snapshot() {
    insta::assert_snapshot!(traffic("Flow.png", "Flow.rrd").unwrap().to_rust());
}

#[test]
fn color_and_font_order_is_kept() {
    let args = [
        "o.png",
        "--color",
        "BACK#000000",
        "--font",
        "TITLE:12:",
        "--color",
        "CANVAS#111",
        "--color",
        "BACK#FFFFFF",
        "--font",
        "DEFAULT:0:Courier",
        "COMMENT:x",
    ];
    let spec = GraphSpec::parse_args(&args).unwrap();
    for _ in 0..10 {
        assert_eq!(spec.clone().to_args(), args);
    }
}

#[test]
fn diagnostics_snapshot() {
    let args = [
        "x.png",
        "--width",
        "5",
        "--start",
        "now-",
        "DEF:in=x.rrd:eth0_in:AVERAGE",
        "DEF:in=x.rrd:eth0_in:AVERAGE",
        "CDEF:bits=in,8,*,*",
        "VDEF:top=in,MAXIMUM",
        "VDEF:toptop=top,MAXIMUM",
        "LINE1:bits#FF000",
        "AREA:out#00FF00:Out",
        "GPRINT:in:%lf",
        "GPRINT:in:AVERAGE:%lf %lf",
        "HRULE:in#FF0000:Alarm",
        "SHIFT:in:1.5",
        "COMMENT:Ends\\x",
        "TICK:in#FF0000:0.1:a:b",
    ];
    let text: Vec<String> = GraphSpec::diagnose(&args)
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!(text.join("\n"));
}

/// The samples the table test and the benchmark use parse back to themselves, so a sample
/// that the emitter or parser mangles fails here, not as a confusing librrd error.
#[test]
fn catalog_and_corpus_round_trip() {
    let specs = catalog("out.png", "/tmp/a:b.rrd", "value");
    assert_eq!(specs.len(), rrdgraph::OPTIONS.len() + 1);
    for s in &specs {
        let back = GraphSpec::parse_args(&s.to_args()).unwrap();
        assert_eq!(&back, s);
        assert_eq!(back.to_args(), s.to_args());
    }
    let corpus = testbed::rrdgraph::corpus(50);
    assert_eq!(corpus.len(), 50);
    for args in &corpus {
        assert_eq!(&GraphSpec::parse_args(args).unwrap().to_args(), args);
    }
}
