//! What the map says about each hop and how a platform addresses it: content-keyed ids with
//! their data attributes, MPLS labels, unreachable marks, loss from rounds, unreached hosts
//! with their ports grouped, and AS names wrapped whole. Every check reads the real SVG or DOT.

use tcptrace::{Hop, HopStats, MplsLabel, ReplyKind, Trace};

use routeviz::{RenderOptions, RouteMap};

use crate::common::{check_svg_invariants, has_class, ip, reply, sample, te, trace};

/// The node group with id `id`, and the texts in it.
fn node<'a>(doc: &'a roxmltree::Document<'a>, id: &str) -> roxmltree::Node<'a, 'a> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no element {id}"))
}

fn texts_of(n: roxmltree::Node<'_, '_>) -> Vec<String> {
    n.descendants()
        .filter(|t| t.tag_name().name() == "text")
        .map(|t| t.text().unwrap_or_default().to_owned())
        .collect()
}

fn title_of(n: roxmltree::Node<'_, '_>) -> String {
    n.children()
        .find(|t| t.tag_name().name() == "title")
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_owned()
}

const HOSTILE_AS: &str = "<script>alert(1)</script>";

#[test]
fn ids_are_keyed_by_content_with_data_attributes_and_escaped() {
    let mut set = sample();
    // A v6 hop, and a hostile AS name on the first router.
    set[0].hops[0].replies[0].as_name = Some(HOSTILE_AS.into());
    set[2].hops[1].replies[0] = te("2001:db8::7", Some((64501, "V6NET")));
    let map = RouteMap::new(&set).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    assert!(!svg.contains("<script"), "markup got through");
    let doc = roxmltree::Document::parse(&svg).unwrap();

    let r = node(&doc, "node-198-18-0-1");
    assert!(has_class(r, "router"));
    assert_eq!(r.attribute("data-addr"), Some("198.18.0.1"));
    assert_eq!(r.attribute("data-asn"), Some("64496"));
    assert_eq!(r.attribute("data-ttl"), Some("1"));
    assert!(
        title_of(r).contains(HOSTILE_AS),
        "the parsed tooltip holds the name as text: {}",
        title_of(r)
    );
    let v6 = node(&doc, "node-2001-db8--7");
    assert_eq!(v6.attribute("data-addr"), Some("2001:db8::7"));
    assert_eq!(v6.attribute("data-asn"), Some("64501"));
    assert_eq!(v6.attribute("data-ttl"), Some("2"));
    let ep = node(&doc, "node-198-19-10-20");
    assert!(has_class(ep, "endpoint"));
    assert_eq!(ep.attribute("data-ttl"), Some("6"));
    let gap = node(&doc, "node-gap-ttl4");
    assert!(has_class(gap, "unknown") && gap.attribute("data-addr").is_none());
    assert!(has_class(
        node(&doc, "node-unreached-198-18-200-9"),
        "blackhole"
    ));

    // Edges: one group per pair of occurrences, one line per trace in it.
    let bundle = node(&doc, "edge-198-18-0-1-198-18-16-1");
    assert_eq!(bundle.attribute("data-from"), Some("node-198-18-0-1"));
    assert_eq!(bundle.attribute("data-to"), Some("node-198-18-16-1"));
    let lines: Vec<&str> = bundle
        .children()
        .filter(|c| c.tag_name().name() == "path")
        .filter_map(|c| c.attribute("id"))
        .collect();
    assert_eq!(
        lines,
        [
            "edge-198-18-0-1-198-18-16-1-trace-0",
            "edge-198-18-0-1-198-18-16-1-trace-1"
        ]
    );
    node(&doc, "edge-198-18-0-1-2001-db8--7");

    // Every id is unique; every edge group names nodes that exist.
    check_svg_invariants(&svg);
}

#[test]
fn ids_stay_when_other_traces_come_first() {
    let set = sample();
    let reversed: Vec<Trace> = set.iter().rev().cloned().collect();
    let ids = |set: &[Trace]| {
        let svg = RouteMap::new(set)
            .unwrap()
            .to_svg(&RenderOptions::default());
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let mut v: Vec<String> = doc
            .descendants()
            .filter(|n| has_class(*n, "node") || has_class(*n, "edge-bundle"))
            .map(|n| n.attribute("id").unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&set), ids(&reversed));
}

#[test]
fn unreached_host_is_one_node_with_its_ports_grouped() {
    let mut a = trace("dark.example", 80);
    a.addr = ip("198.18.250.1");
    a.hops = vec![Hop::new(1, vec![te("198.18.0.1", None)])];
    let mut b = trace("dark.example", 443);
    b.addr = ip("198.18.250.1");
    b.hops = vec![
        Hop::new(1, vec![te("198.18.0.1", None)]),
        Hop::new(2, vec![te("198.18.0.2", None)]),
    ];
    let map = RouteMap::new(&[a, b]).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let holes: Vec<_> = doc
        .descendants()
        .filter(|n| has_class(*n, "blackhole"))
        .collect();
    assert_eq!(holes.len(), 1, "one node for the host");
    assert_eq!(
        holes[0].attribute("id"),
        Some("node-unreached-dark-example")
    );
    assert_eq!(texts_of(holes[0]), ["dark.example", "80,443/tcp"]);
    assert_eq!(title_of(holes[0]), "dark.example 80,443/tcp");
    assert_eq!(
        holes[0].attribute("data-ttl"),
        Some("3"),
        "below the deepest answer of its traces"
    );
    // Both traces end in it.
    let into: Vec<&str> = doc
        .descendants()
        .filter(|n| has_class(*n, "edge-bundle"))
        .filter(|n| n.attribute("data-to") == Some("node-unreached-dark-example"))
        .filter_map(|n| n.attribute("data-from"))
        .collect();
    assert_eq!(into, ["node-198-18-0-1", "node-198-18-0-2"]);
}

/// A trace through a labelling router, a router that measured 25% loss over 4 rounds, and a
/// filter that answers `!X`.
fn marked() -> Vec<Trace> {
    let mut t = trace("198.18.99.9", 443);
    let mut labelled = te("198.18.0.1", None);
    labelled.mpls = vec![
        MplsLabel::new(24000, 0, false, 1).unwrap(),
        MplsLabel::new(16, 0, true, 1).unwrap(),
    ];
    let mut plain = te("198.18.0.2", None);
    plain.mpls = vec![MplsLabel::new(24001, 0, true, 1).unwrap()];
    let lossy = te("198.18.0.3", None);
    let stats = HopStats::from_rtts(4, &[1.5, 1.5, 1.5]);
    t.hops = vec![
        Hop::new(1, vec![labelled]),
        Hop::new(2, vec![plain]),
        Hop::measured(3, 4, vec![lossy.clone(), lossy.clone(), lossy], stats),
        Hop::new(
            4,
            vec![reply(ip("198.18.0.4"), ReplyKind::Unreachable(13)).with_rtt_ms(2.0)],
        ),
    ];
    vec![t]
}

#[test]
fn mpls_unreachable_marks_and_loss_are_in_the_map() {
    let map = RouteMap::new(&marked()).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let annotation = |id: &str| {
        let n = node(&doc, id);
        let a: Vec<String> = n
            .descendants()
            .filter(|t| has_class(*t, "annotation"))
            .map(|t| t.text().unwrap_or_default().to_owned())
            .collect();
        (a, title_of(n))
    };
    let (a, tip) = annotation("node-198-18-0-1");
    assert_eq!(a, ["MPLS 24000/16"], "the stack, outermost first");
    assert!(tip.contains("MPLS 24000/16"), "{tip}");
    assert_eq!(annotation("node-198-18-0-2").0, ["MPLS 24001"]);
    assert_eq!(annotation("node-198-18-0-3").0, ["loss 25%"]);
    let (a, tip) = annotation("node-198-18-0-4");
    assert_eq!(a, ["!X"], "the mark at the hop that sent it");
    assert!(tip.contains("!X"), "{tip}");
    // The annotation sits inside its node, under the label.
    for id in ["node-198-18-0-1", "node-198-18-0-4"] {
        let n = node(&doc, id);
        let rect = n
            .children()
            .find(|c| c.tag_name().name() == "rect")
            .unwrap();
        let y0: f64 = rect.attribute("y").unwrap().parse().unwrap();
        let h: f64 = rect.attribute("height").unwrap().parse().unwrap();
        let t = n
            .descendants()
            .find(|t| has_class(*t, "annotation"))
            .unwrap();
        let ty: f64 = t.attribute("y").unwrap().parse().unwrap();
        assert!(ty > y0 + h / 2.0 && ty < y0 + h, "{id}: {ty} in {y0}+{h}");
    }
    // Nothing to say, nothing drawn: no loss measured, no labels, no mark.
    let plain = RouteMap::new(&sample())
        .unwrap()
        .to_svg(&RenderOptions::default());
    assert!(!plain.contains("class=\"annotation\""));
}

#[test]
fn no_loss_drawn_at_zero_or_without_rounds() {
    let mut t = trace("198.18.99.9", 443);
    let r = te("198.18.0.1", None);
    t.hops = vec![
        Hop::measured(
            1,
            2,
            vec![r.clone(), r],
            HopStats::from_rtts(2, &[1.5, 1.5]),
        ),
        // Unanswered probes of a hand-built hop, with no measured stats.
        Hop::new(2, vec![te("198.18.0.2", None)]),
    ];
    t.hops[1].probes = 4;
    let svg = RouteMap::new(&[t])
        .unwrap()
        .to_svg(&RenderOptions::default());
    assert!(!svg.contains("loss"), "{svg}");
}

#[test]
fn long_as_names_wrap_whole_with_the_full_name_in_the_tooltip() {
    let name = "AS Number for New Zealand Government Communications Security Bureau";
    let mut set = sample();
    for h in &mut set[0].hops {
        for r in &mut h.replies {
            if r.asn == Some(64500) {
                r.as_name = Some(name.into());
            }
        }
    }
    let map = RouteMap::new(&set).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let lines: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && has_class(*n, "as-label"))
        .filter(|n| has_class(*n, "as-64500"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    assert!(lines.len() > 1, "wrapped: {lines:?}");
    assert_eq!(lines.join(" "), format!("AS64500 {name}"), "nothing cut");
    assert!(!lines.iter().any(|l| l.contains('…')));
    let b = node(&doc, "as-64500-0");
    assert_eq!(title_of(b), format!("AS64500 {name}"));

    // Past the generous limit, the label is cut, and the tooltip still has all that is kept.
    let huge = format!("{name} {}", "X".repeat(400));
    set[0].hops[1].replies[0].as_name = Some(huge);
    let svg = RouteMap::new(&set)
        .unwrap()
        .to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let lines: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && has_class(*n, "as-64500"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[2].ends_with('…'));
    let tip = title_of(node(&doc, "as-64500-0"));
    assert!(tip.starts_with(&format!("AS64500 {name} XXX")) && tip.chars().count() > 100);
}

#[test]
fn dot_carries_the_ids_and_rtt_labels() {
    let map = RouteMap::new(&marked()).unwrap();
    let plain = map.to_dot(&RenderOptions::default());
    let rtt = map.to_dot(&RenderOptions::builder().rtt_labels(true).build().unwrap());
    // The router carries its id and, as it has marks, a label of its address over them.
    assert!(
        plain.contains("\"198.18.0.1\" [id=\"node-198-18-0-1\",label=\"198.18.0.1\\n"),
        "{plain}"
    );
    let edge = "\"198.18.0.1\" -> \"198.18.0.2\" [id=\"edge-198-18-0-1-198-18-0-2-trace-0\",class=\"edge-198-18-0-1-198-18-0-2 trace-0\"";
    assert!(plain.contains(&format!("{edge}];")), "{plain}");
    assert!(rtt.contains(&format!("{edge},label=\"1.5 ms\"];")), "{rtt}");
    assert!(rtt.contains("label=\"2.0 ms\""), "{rtt}");
}

#[test]
fn a_middlebox_is_marked_where_its_rewrite_first_shows() {
    use tcptrace::{FieldValue, Middlebox, Rewrite, RewriteField};
    let mut t = trace("198.18.99.9", 443);
    let clamp = Rewrite::new(
        RewriteField::Mss,
        FieldValue::Number(1460),
        FieldValue::Number(1300),
    );
    let remark = Rewrite::new(
        RewriteField::Dscp,
        FieldValue::Number(0),
        FieldValue::Number(10),
    );
    let ecn = Rewrite::new(
        RewriteField::Ecn,
        FieldValue::Number(0),
        FieldValue::Number(2),
    );
    let mut seen = te("198.18.0.2", None);
    seen.rewrites = vec![clamp.clone(), remark.clone(), ecn.clone()];
    let mut after = te("198.18.0.3", None);
    after.rewrites = vec![clamp.clone()];
    t.hops = vec![
        Hop::new(1, vec![te("198.18.0.1", None)]),
        Hop::new(2, vec![seen]),
        Hop::new(3, vec![after]),
    ];
    t.middleboxes = vec![Middlebox::new(2, Some(1), vec![clamp, remark, ecn])];
    let map = RouteMap::new(&[t]).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    // The marks' glyphs (`*`, `→`, `·`) are in the bundled font: the PNG draws every text.
    map.to_png(&RenderOptions::default()).unwrap();
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let n = node(&doc, "node-198-18-0-2");
    assert!(has_class(n, "middlebox"));
    let a: Vec<String> = n
        .descendants()
        .filter(|t| has_class(*t, "annotation"))
        .map(|t| t.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(a, ["* mss 1460→1300, dscp 0→10 +1"]);
    let tip = title_of(n);
    assert!(
        tip.contains("middlebox before TTL 2: mss 1460→1300, dscp 0→10, ecn 0→2"),
        "every rewrite in the tooltip: {tip}"
    );
    // Only where it first shows: the next hop still sees the change but is no middlebox.
    for id in ["node-198-18-0-1", "node-198-18-0-3"] {
        assert!(!has_class(node(&doc, id), "middlebox"), "{id}");
    }
}
