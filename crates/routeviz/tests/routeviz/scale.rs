//! A map of many unreached hosts stays readable: 33 targets × 2 ports, 30 of them
//! black-holed behind one router, as a scan of a filtered network draws it.

use tcptrace::{Hop, ReplyKind, Trace};

use routeviz::{MAX_PNG_WIDTH, RenderOptions, RouteMap};

use crate::common::{
    check_svg_invariants, has_class, ihdr, ip, reply, svg_nodes, svg_size, te, trace,
};

/// 33 targets on ports 80 and 443: the first 3 answer, the other 30 go dark after hop 3.
pub(crate) fn dark_scan() -> Vec<Trace> {
    let mut out = Vec::new();
    for t in 0..33u8 {
        for port in [80u16, 443] {
            let addr = format!("198.51.100.{}", 10 + t);
            let mut tr = trace(addr.clone(), port);
            tr.hops = vec![
                Hop::new(1, vec![te("198.18.0.1", Some((64496, "LAB")))]),
                Hop::new(2, vec![te("198.18.1.1", Some((64500, "TRANSIT")))]),
                Hop::new(3, vec![te("198.18.2.1", Some((64500, "TRANSIT")))]),
            ];
            if t < 3 {
                tr.hops.push(Hop::new(
                    4,
                    vec![reply(ip(&addr), ReplyKind::SynAck).with_rtt_ms(3.0)],
                ));
            } else {
                tr.hops.push(Hop::new(4, vec![]));
                tr.hops.push(Hop::new(5, vec![]));
            }
            out.push(tr);
        }
    }
    out
}

#[test]
fn a_dark_scan_is_one_node_per_host_and_a_png_of_bounded_width() {
    let set = dark_scan();
    let map = RouteMap::new(&set).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let holes: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "g" && has_class(*n, "blackhole"))
        .collect();
    assert_eq!(
        holes.len(),
        30,
        "one octagon per unreached host, not per port"
    );
    for h in &holes {
        let texts: Vec<&str> = h
            .children()
            .filter(|c| c.tag_name().name() == "text")
            .filter_map(|c| c.text())
            .collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("198.51.100.") && texts[1] == "80,443/tcp");
    }
    // 66 traces share the first hops: their parallel lines stay on the nodes they join
    // instead of fanning out past them.
    let nodes = svg_nodes(&doc);
    let bbox = |id: &str| nodes.iter().find(|n| n.id == id).unwrap().bbox;
    let mut lines = 0;
    for g in doc.descendants().filter(|n| has_class(*n, "edge-bundle")) {
        let (from, to) = (
            bbox(g.attribute("data-from").unwrap()),
            bbox(g.attribute("data-to").unwrap()),
        );
        for p in g.children().filter(|c| c.tag_name().name() == "path") {
            let nums: Vec<f64> = p
                .attribute("d")
                .unwrap()
                .split(|c: char| c == ' ' || c == ',' || c.is_ascii_alphabetic())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let (x0, x1) = (nums[0], nums[nums.len() - 2]);
            assert!(x0 > from.0 && x0 < from.0 + from.2, "{x0} off {from:?}");
            assert!(x1 > to.0 && x1 < to.0 + to.2, "{x1} off {to:?}");
            lines += 1;
        }
    }
    assert_eq!(lines, 66 * 3, "every step of every trace is drawn");

    // Each host is two short lines: the layout is narrower than one line per port (7,318
    // with `host 80,443/tcp` on one line, 9,132 with one octagon per port).
    let (w, h) = svg_size(&svg);
    assert!(w < 5_500.0, "{w}");

    // The PNG is drawn smaller to stay within the width bound, and no smaller than that.
    let png = map.to_png(&RenderOptions::default()).unwrap();
    let (pw, ph) = ihdr(&png);
    assert!(pw <= MAX_PNG_WIDTH, "{pw}");
    assert!(
        pw + 8 >= MAX_PNG_WIDTH,
        "scaled to the bound, not below: {pw}"
    );
    let scale = pw as f64 / w;
    assert!(
        (ph as f64 - h * scale).abs() <= 2.0,
        "aspect kept: {pw}x{ph} of {w}x{h}"
    );

    // A map within the bound keeps the scale asked for.
    let small = RouteMap::new(&set[..6]).unwrap();
    let opts = RenderOptions::builder().scale(1.5).build().unwrap();
    let (sw, _) = svg_size(&small.to_svg(&opts));
    let (spw, _) = ihdr(&small.to_png(&opts).unwrap());
    assert_eq!(spw, (sw * 1.5).ceil() as u64);
}
