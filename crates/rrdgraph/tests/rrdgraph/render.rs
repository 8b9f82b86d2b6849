//! In-process rendering through the real librrd.

use rrdgraph::{PINNED_OPTIONS, Rendered, RrdError, render_raw_args};
use testbed::rrd::{DEFAULT_END, TrafficRrd};

/// Renders raw arguments (options and elements, no output file) into memory: the tests that
/// probe librrd itself pass it exactly what they write.
pub(crate) fn render_to_memory<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
) -> Result<Rendered, RrdError> {
    let mut full: Vec<&std::ffi::OsStr> = vec!["-".as_ref()];
    full.extend(args.iter().map(AsRef::as_ref));
    render_raw_args(&full)
}

/// The recipe's graph (`graph.py`), over the fixture's last day.
pub(crate) fn flow_args(rrd: &std::path::Path, out: &str) -> Vec<String> {
    let rrd = rrd.display();
    let end = DEFAULT_END;
    [
        out.to_owned(),
        "--start".into(),
        format!("{}", end - 86_400),
        "--end".into(),
        format!("{end}"),
        "--vertical-label=Bytes/s".into(),
        "--x-grid".into(),
        "MINUTE:12:HOUR:1:HOUR:1:0:%H".into(),
        "--width".into(),
        "650".into(),
        "--height".into(),
        "230".into(),
        "--title".into(),
        "Server network traffic flow (2026-01-01)".into(),
        format!("DEF:inoctets={rrd}:eth0_in:AVERAGE"),
        format!("DEF:outoctets={rrd}:eth0_out:AVERAGE"),
        "CDEF:total=inoctets,outoctets,+".into(),
        "LINE1:total#FF8833:Total traffic".into(),
        "AREA:inoctets#00FF00:In traffic".into(),
        "LINE1:outoctets#0000FF:Out traffic".into(),
        "HRULE:6144#FF0000:Alarm value\\r".into(),
        "CDEF:inbits=inoctets,8,*".into(),
        "CDEF:outbits=outoctets,8,*".into(),
        "COMMENT:\\r".into(),
        "COMMENT:\\r".into(),
        "GPRINT:inbits:AVERAGE:Avg In traffic\\: %6.2lf %Sbps".into(),
        "COMMENT: ".into(),
        "GPRINT:inbits:MAX:Max In traffic\\: %6.2lf %Sbps".into(),
        "COMMENT: ".into(),
        "GPRINT:inbits:MIN:MIN In traffic\\: %6.2lf %Sbps\\r".into(),
        "COMMENT: ".into(),
        "GPRINT:outbits:AVERAGE:Avg Out traffic\\: %6.2lf %Sbps".into(),
        "COMMENT: ".into(),
        "GPRINT:outbits:MAX:Max Out traffic\\: %6.2lf %Sbps".into(),
        "COMMENT: ".into(),
        "GPRINT:outbits:MIN:MIN Out traffic\\: %6.2lf %Sbps\\r".into(),
    ]
    .into()
}

#[test]
fn flow_graph_renders_to_png_in_memory() {
    let rrd = TrafficRrd::create().unwrap();
    let r = render_raw_args(&flow_args(rrd.path(), "-")).unwrap();
    let png = r.image().expect("an image");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let m = r.meta().expect("geometry");
    assert_eq!((m.graph_width, m.graph_height), (650, 230));
    assert!(m.image_width > 650 && m.image_height > 230, "{m:?}");
    assert_eq!(m.graph_end, i64::try_from(DEFAULT_END).unwrap());
    // The y axis covers the traffic: the total peaks above 9000 B/s.
    assert!(m.value_max > 9000.0, "{m:?}");
    assert!(r.prints().is_empty());
    let legends = r.legends();
    assert!(
        legends.iter().any(|l| l.contains("Total traffic")),
        "{legends:?}"
    );
    assert!(
        legends.iter().any(|l| l.contains("Alarm value")),
        "{legends:?}"
    );
    let avg_in = legends
        .iter()
        .find(|l| l.starts_with("Avg In traffic:"))
        .expect("the average GPRINT");
    assert!(avg_in.ends_with("kbps"), "{avg_in}");
    let text = r.to_graphv_text();
    assert!(text.contains("graph_width = 650\n"), "{text}");
    assert!(text.ends_with(&format!("image = BLOB_SIZE:{}\n", png.len())));
}

#[test]
fn gprint_values_match_the_fixture_rates() {
    // The same statistics, as PRINTs over the rates the fixture reports.
    let rrd = TrafficRrd::builder().hours(24).create().unwrap();
    let rates = rrd.rates();
    let max_in = rates.iter().map(|r| r.eth0_in).fold(f64::MIN, f64::max);
    let min_out = rates.iter().map(|r| r.eth0_out).fold(f64::MAX, f64::min);
    let p = rrd.path().display();
    let r = render_to_memory(&[
        "--start".to_owned(),
        (rrd.first_rate_time() - 300).to_string(),
        "--end".into(),
        rrd.last_update().to_string(),
        format!("DEF:i={p}:eth0_in:AVERAGE"),
        format!("DEF:o={p}:eth0_out:AVERAGE"),
        "VDEF:imax=i,MAXIMUM".into(),
        "VDEF:omin=o,MINIMUM".into(),
        "PRINT:imax:%.0lf".into(),
        "PRINT:omin:%.0lf".into(),
    ])
    .unwrap();
    assert_eq!(
        r.prints(),
        [format!("{max_in:.0}"), format!("{min_out:.0}")]
    );
}

#[test]
fn print_only_graph_has_prints_and_no_image() {
    let rrd = TrafficRrd::builder().hours(2).create().unwrap();
    let p = rrd.path().display();
    let r = render_to_memory(&[
        "--start".to_owned(),
        (DEFAULT_END - 3600).to_string(),
        "--end".into(),
        DEFAULT_END.to_string(),
        format!("DEF:i={p}:eth0_in:AVERAGE"),
        "VDEF:m=i,MAXIMUM".into(),
        "PRINT:m:%lf".into(),
    ])
    .unwrap();
    assert_eq!(r.prints().len(), 1);
    assert!(r.prints()[0].parse::<f64>().unwrap() > 0.0);
    assert!(r.image().is_none());
    assert!(r.meta().is_none());
}

#[test]
fn librrd_errors_keep_rrdtools_message() {
    let err = render_to_memory(&[
        "DEF:x=/nonexistent/opskit/none.rrd:a:AVERAGE",
        "LINE1:x#ff0000",
    ])
    .unwrap_err();
    let RrdError::Librrd { op, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*op, "graph");
    assert!(
        message.contains("/nonexistent/opskit/none.rrd") && message.contains("No such file"),
        "{message}"
    );
    // A bad element keeps librrd's words too.
    let err = render_to_memory(&["CDEF:x=1,+", "LINE1:x#ff0000"]).unwrap_err();
    assert!(matches!(err, RrdError::Librrd { .. }), "{err:?}");
    // The lock and the error context are fine after a failure.
    let rrd = TrafficRrd::builder().hours(1).create().unwrap();
    let ok = render_to_memory(&[
        format!("DEF:i={}:eth0_in:AVERAGE", rrd.path().display()),
        "LINE1:i#ff0000".into(),
    ]);
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn nul_bytes_are_refused_before_librrd() {
    let err = render_to_memory(&["COMMENT:a\0b"]).unwrap_err();
    assert!(
        matches!(err, RrdError::NulByte { op: "graph", .. }),
        "{err:?}"
    );
}

#[test]
fn named_output_file_is_written_by_librrd() {
    let rrd = TrafficRrd::create().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("Flow.png");
    let r = render_raw_args(&flow_args(rrd.path(), out.to_str().unwrap())).unwrap();
    assert!(r.image().is_none());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");
    assert_eq!(r.meta().unwrap().graph_width, 650);
}

#[test]
fn image_formats() {
    let rrd = TrafficRrd::builder().hours(2).create().unwrap();
    let def = format!("DEF:i={}:eth0_in:AVERAGE", rrd.path().display());
    let fmt = |f: &str| {
        render_to_memory(&["--imgformat", f, &def, "LINE1:i#ff0000:in"])
            .unwrap()
            .into_image()
            .unwrap()
    };
    assert!(fmt("SVG").starts_with(b"<?xml"));
    assert!(fmt("PDF").starts_with(b"%PDF"));
    assert!(fmt("EPS").starts_with(b"%!PS"));
    assert!(fmt("PNG").starts_with(b"\x89PNG"));
}

#[test]
fn week_format_does_not_leak_between_renders() {
    let rrd = TrafficRrd::builder().hours(1).create().unwrap();
    let def = format!("DEF:i={}:eth0_in:AVERAGE", rrd.path().display());
    // Six weeks: the x axis is labelled with the week format.
    let span = |extra: &[&str]| {
        let mut args = vec!["--start", "1763596800", "--end", "1767225600"];
        args.extend_from_slice(extra);
        args.extend([def.as_str(), "LINE1:i#ff0000"]);
        render_to_memory(&args).unwrap().into_image().unwrap()
    };
    // PNG: byte-stable within a process (cairo numbers SVG surfaces per process).
    let plain = span(&[]);
    let custom = span(&["--week-fmt", "Wk%V"]);
    let again = span(&[]);
    assert_ne!(plain, custom, "the week format must show on the axis");
    assert_eq!(
        plain, again,
        "the custom week format leaked into the next graph"
    );
    assert_eq!(PINNED_OPTIONS[0], "--week-fmt");
}

#[test]
fn renders_from_many_threads_are_serialised() {
    let rrd = TrafficRrd::builder().hours(4).create().unwrap();
    let p = rrd.path().display().to_string();
    let expected = render_to_memory(&[
        format!("DEF:i={p}:eth0_in:AVERAGE"),
        "VDEF:m=i,AVERAGE".into(),
        "PRINT:m:%.3lf".into(),
        "LINE1:i#ff0000:in".into(),
    ])
    .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5 {
                    let r = render_to_memory(&[
                        format!("DEF:i={p}:eth0_in:AVERAGE"),
                        "VDEF:m=i,AVERAGE".into(),
                        "PRINT:m:%.3lf".into(),
                        "LINE1:i#ff0000:in".into(),
                    ])
                    .unwrap();
                    assert_eq!(r.prints(), expected.prints());
                    assert_eq!(r.image(), expected.image());
                }
            });
        }
    });
}

#[test]
fn a_graph_with_nothing_to_draw_succeeds_empty() {
    // rrdtool graphv prints nothing and succeeds for a graph of comments only.
    let r = render_to_memory(&[
        "--start",
        "920804400",
        "--end",
        "920808000",
        "COMMENT:hello",
    ])
    .unwrap();
    assert!(r.image().is_none() && r.meta().is_none());
    assert!(r.prints().is_empty() && r.legends().is_empty());
}

#[test]
fn traffic_preset_renders_the_recipe_graph() {
    let rrd = TrafficRrd::create().unwrap();
    let spec = rrdgraph::Traffic::new("-", rrd.path().to_str().unwrap())
        .start((DEFAULT_END - 86_400).to_string())
        .build()
        .unwrap();
    let r = spec.render().unwrap();
    assert_eq!(&r.image().unwrap()[..4], b"\x89PNG");
    let m = r.meta().unwrap();
    assert_eq!((m.graph_width, m.graph_height), (650, 230));
    for want in ["Total traffic", "In traffic", "Out traffic", "Alarm value"] {
        assert!(
            r.legends().iter().any(|l| l.trim() == want),
            "{want} in {:?}",
            r.legends()
        );
    }
    for stat in ["Avg In traffic:", "Max In traffic:", "MIN Out traffic:"] {
        assert!(
            r.legends()
                .iter()
                .any(|l| l.starts_with(stat) && l.ends_with("bps")),
            "{stat} in {:?}",
            r.legends()
        );
    }
    // With a path as the output, the same render lets librrd write the file, as `rrdtool
    // graph` does, and gives the same graph without the bytes.
    let png = rrd.dir().join("Flow.png");
    let to_file = spec.with_output(png.to_str().unwrap()).render().unwrap();
    assert!(to_file.image().is_none());
    // Without `--end` the graph ends "now", so only the geometry is compared.
    let size = |m: Option<&rrdgraph::GraphMeta>| m.map(|m| (m.image_width, m.image_height));
    assert_eq!(size(to_file.meta()), size(r.meta()));
    assert_eq!(to_file.legends(), r.legends());
    // The file is the same picture's PNG: its header gives the same size. (Its bytes may
    // differ: a second may pass between the two renders, which moves the graph's end.)
    let file = std::fs::read(&png).unwrap();
    assert_eq!(&file[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&file[12..16], b"IHDR");
    let be = |b: &[u8]| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let m = r.meta().unwrap();
    assert_eq!(
        (be(&file[16..20]), be(&file[20..24])),
        (m.image_width, m.image_height)
    );
}

/// No option leaks into the next graph: for every option of the catalog, a plain graph drawn
/// after a graph with that option is byte-identical to the plain graph drawn before it. (This
/// is what found `--week-fmt`, which librrd keeps in a global; see `PINNED_OPTIONS`.)
#[test]
fn no_option_leaks_into_the_next_graph() {
    let cached = testbed::rrd::Rrdcached::start().unwrap();
    let rrd = TrafficRrd::builder()
        .hours(1)
        .create_in(cached.base_dir())
        .unwrap();
    let def = format!("DEF:i={}:eth0_in:AVERAGE", rrd.path().display());
    // Six weeks, so that the x axis shows week labels.
    let plain: Vec<String> = [
        "-",
        "--start",
        "1763596800",
        "--end",
        "1767225600",
        &def,
        "LINE1:i#ff0000:in",
        "GPRINT:i:AVERAGE:%6.2lf %S",
    ]
    .map(str::to_owned)
    .to_vec();
    let reference = render_raw_args(&plain).unwrap();
    let mut leaks = Vec::new();
    // (The time range options are the graph's own and are set by `plain`.)
    for info in rrdgraph::OPTIONS
        .iter()
        .filter(|o| !matches!(o.long, "start" | "end"))
    {
        let mut with = plain.clone();
        with.push(format!("--{}", info.long));
        if let Some(example) = info.example {
            with.push(match info.long {
                "daemon" => cached.address(),
                // The catalog's example is librrd's default, which would hide a leak.
                "week-fmt" => "Wk%V".to_owned(),
                _ => example.to_owned(),
            });
        }
        if let Err(e) = render_raw_args(&with) {
            leaks.push(format!("--{}: {e}", info.long));
            continue;
        }
        let after = render_raw_args(&plain).unwrap();
        if after != reference {
            leaks.push(format!("--{} changed the next graph", info.long));
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}
