//! Trace JSON (untrusted: it may come from anywhere) read into tcptrace's trace model, as
//! `opskit routemap` reads it, and through the whole route map: graph, layout, SVG and DOT. Must never panic, and the SVG must stay well-formed XML.

#![no_main]

use libfuzzer_sys::fuzz_target;
use routeviz::{RenderOptions, RouteMap};
use tcptrace::TraceReport;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = TraceReport::from_json(text) else {
        return;
    };
    // Keep each run fast; the limits themselves are tested by the crate.
    if set.traces.len() > 64 {
        return;
    }
    let Ok(map) = RouteMap::new(&set) else { return };
    let opts = RenderOptions::builder()
        .rtt_labels(true)
        .title("fuzz")
        .build()
        .unwrap();
    let svg = map.to_svg(&opts);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    assert!(!svg.contains("<script"));
    let dot = map.to_dot(&opts);
    assert!(dot.starts_with("digraph trace {"));
});
