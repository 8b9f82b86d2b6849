//! Structural checks of the SVG, parsed with roxmltree.

use routeviz::{NodeKind, RenderOptions, RouteMap};

use crate::common::{check_svg_invariants, has_class, sample, svg_boxes, svg_nodes, unique_ids};

fn render(rtt: bool) -> (RouteMap, String) {
    let map = RouteMap::new(&sample()).unwrap();
    let opts = RenderOptions::builder()
        .title("Sample & <title>")
        .rtt_labels(rtt)
        .build()
        .unwrap();
    let svg = map.to_svg(&opts);
    (map, svg)
}

#[test]
fn node_and_edge_counts() {
    let (map, svg) = render(false);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let nodes = svg_nodes(&doc);
    assert_eq!(nodes.len(), map.layout().nodes().len());
    // 0.1, 16.1, 16.5, 17.1, ?, 10.1, endpoint 10.20, 64.1, blackhole.
    assert_eq!(map.graph().node_count(), 9);
    assert_eq!(map.graph().nodes().count(), 9);
    assert_eq!(nodes.len(), 9, "no address repeats across TTLs here");
    let count = |c: &str| {
        nodes
            .iter()
            .filter(|n| n.class.split_whitespace().any(|x| x == c))
            .count()
    };
    assert_eq!(count("router"), 6);
    assert_eq!(count("unknown"), 1);
    assert_eq!(count("endpoint"), 1);
    assert_eq!(count("blackhole"), 1);
    let edges = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "path" && has_class(*n, "edge"))
        .count();
    // Per reached trace: 0.1->16.1, 0.1->16.5, 16.1->17.1, 16.5->17.1, 17.1->?, ?->10.1,
    // 10.1->10.20 = 7; the dark trace: 0.1->64.1, 64.1->blackhole = 2.
    assert_eq!(map.graph().edge_count(), 16);
    assert_eq!(map.graph().edges().count(), 16);
    assert_eq!(edges, 16);
    let ids = unique_ids(&doc);
    // Ids are keyed by content (addresses), not by build order.
    for id in [
        "node-198-18-0-1",
        "node-198-19-10-20",
        "node-unreached-198-18-200-9",
        "edge-198-18-0-1-198-18-16-1",
        "edge-198-18-0-1-198-18-16-1-trace-0",
        "edge-198-18-0-1-198-18-16-1-trace-1",
        "as-64500-0",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn every_label_present() {
    let (map, svg) = render(true);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|t| t.text().unwrap_or_default().to_owned())
        .collect();
    for n in map.graph().nodes() {
        // A blackhole draws its host and its ports on two lines.
        let drawn = match n.label.rsplit_once(' ') {
            Some((host, ports)) if n.kind == NodeKind::Blackhole => {
                texts.iter().any(|t| t == host) && texts.iter().any(|t| t == ports)
            }
            _ => texts.contains(&n.label),
        };
        assert!(drawn, "label {} missing", n.label);
    }
    for want in [
        "80 SA",
        "22 RA",
        "198.18.200.9",
        "8443/tcp",
        "AS64496 LAB",
        "AS64500 TRANSIT",
        "AS64510 HOSTING",
        // The legend: each target, its ports under it.
        "www.example.test",
        ":80",
        ":22",
        ":8443 ✗",
        "Sample & <title>",
        "TTL 1",
        "TTL 6",
        "8.2 ms",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "{want} missing from {texts:?}"
        );
    }
    assert!(svg.contains("Sample &amp; &lt;title&gt;"));
    assert!(svg.contains("font-family=\"DejaVu Sans\""));
}

#[test]
fn boxes_rows_and_view() {
    let (map, svg) = render(true);
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let boxes = svg_boxes(&doc);
    // LAB at TTL 1, TRANSIT at 2-3, HOSTING at 5-6.
    let spans: Vec<(u32, u16, u16)> = boxes.iter().map(|b| (b.0, b.1, b.2)).collect();
    assert!(spans.contains(&(64496, 1, 1)), "{spans:?}");
    assert!(spans.contains(&(64500, 2, 3)), "{spans:?}");
    assert!(spans.contains(&(64510, 5, 6)), "{spans:?}");
    assert_eq!(map.layout().boxes().len(), boxes.len());
    // y grows with TTL, row by row.
    let ys: Vec<f64> = map.layout().ttls().map(|t| map.layout().row_y(t)).collect();
    assert!(ys.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        map.layout().ttls().collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
    for p in map.layout().nodes() {
        assert!((p.y - map.layout().row_y(p.ttl)).abs() < 1e-9);
    }
    let bh = map
        .graph()
        .nodes()
        .find(|n| n.kind == NodeKind::Blackhole)
        .unwrap();
    assert_eq!(bh.ttls, vec![3]);
}

#[test]
fn long_edges_bend_through_every_row() {
    use tcptrace::Hop;
    let mut a = crate::common::trace("198.18.9.9", 80);
    a.hops = vec![
        Hop::new(1, vec![crate::common::te("198.18.0.1", None)]),
        Hop::new(6, vec![crate::common::te("198.18.0.6", None)]),
    ];
    let mut b = crate::common::trace("198.18.9.8", 80);
    b.hops = (1..=6)
        .map(|t| Hop::new(t, vec![crate::common::te(&format!("198.18.1.{t}"), None)]))
        .collect();
    let map = RouteMap::new(&[a, b]).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    let g = map.graph();
    let (long, _, _) = g
        .edge_ids()
        .find(|&(e, _, _)| g.edge(e).is_some_and(|e| e.to_ttl - e.from_ttl > 1))
        .unwrap();
    let pts = map.layout().edge_points(long);
    // From ?×4 at TTL 2 down to TTL 6: bend points on rows 3, 4 and 5.
    assert_eq!(pts.len(), 5, "{pts:?}");
    assert!(pts.windows(2).all(|w| w[0].1 < w[1].1));
    assert!(svg.contains(">?×4<"));
    assert_eq!(map.layout().crossings(), 0);
}

#[test]
fn repeated_address_is_drawn_per_ttl() {
    use tcptrace::Hop;
    let mut t = crate::common::trace("198.18.9.9", 80);
    t.hops = vec![
        Hop::new(1, vec![crate::common::te("198.18.0.1", None)]),
        Hop::new(2, vec![crate::common::te("198.18.0.2", None)]),
        Hop::new(3, vec![crate::common::te("198.18.0.1", None)]),
        Hop::new(4, vec![crate::common::te("198.18.0.2", None)]),
    ];
    let map = RouteMap::new(&[t]).unwrap();
    let svg = map.to_svg(&RenderOptions::default());
    check_svg_invariants(&svg);
    assert_eq!(map.graph().node_count(), 3, "two addresses and a blackhole");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let nodes = svg_nodes(&doc);
    assert_eq!(
        nodes.len(),
        5,
        "each address once per TTL, plus the blackhole"
    );
    assert!(
        nodes.iter().any(|n| n.id == "node-198-18-0-1")
            && nodes.iter().any(|n| n.id == "node-198-18-0-1-ttl3"),
        "the lowest TTL has the address's id, the others add -ttl<TTL>"
    );
    assert!(
        svg.contains("id=\"edge-198-18-0-2-198-18-0-1-ttl3\""),
        "edges name the occurrences they join"
    );
    assert!(nodes.iter().filter(|n| n.class.contains("repeat")).count() == 4);
    assert_eq!(map.layout().crossings(), 0);
}

#[test]
fn many_ports_and_absurd_rtts_stay_bounded() {
    use tcptrace::{Hop, ReplyKind, Trace};
    let traces: Vec<Trace> = (0..20u16)
        .map(|p| {
            let mut t = crate::common::trace("198.18.9.9", 1000 + p);
            t.hops = vec![
                Hop::new(1, vec![crate::common::te("198.18.0.1", None)]),
                Hop::new(
                    2,
                    vec![crate::common::te("198.18.0.2", None).with_rtt_ms(f64::NAN)],
                ),
                Hop::new(
                    3,
                    vec![
                        crate::common::reply("198.18.9.9".parse().unwrap(), ReplyKind::SynAck)
                            .with_rtt_ms(1e300),
                    ],
                ),
            ];
            t
        })
        .collect();
    let map = RouteMap::new(&traces).unwrap();
    let svg = map.to_svg(&RenderOptions::builder().rtt_labels(true).build().unwrap());
    check_svg_invariants(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let ep = svg_nodes(&doc)
        .into_iter()
        .find(|n| n.class.contains("endpoint"))
        .unwrap();
    assert_eq!(
        ep.texts.len(),
        1 + 12 + 1,
        "address, 12 ports, and a count of the rest"
    );
    assert_eq!(ep.texts.last().unwrap(), "+8 more");
    assert!(
        !svg.contains("class=\"rtt\""),
        "no RTT label from absurd or missing values"
    );
}

#[test]
fn ids_name_the_nodes_and_edges_they_came_from() {
    let (map, _) = render(false);
    let g = map.graph();
    let ids: Vec<_> = g.node_ids().collect();
    assert_eq!(ids.len(), g.node_count());
    for (k, (id, node)) in ids.iter().enumerate() {
        assert_eq!(id.index(), k);
        assert_eq!(g.node(*id), Some(*node));
    }
    let by_ids: Vec<_> = g
        .edge_ids()
        .map(|(e, a, b)| (g.node(a).unwrap(), g.node(b).unwrap(), g.edge(e).unwrap()))
        .collect();
    assert_eq!(by_ids, g.edges().collect::<Vec<_>>());
    for p in map.layout().nodes() {
        assert!(g.node(p.node).unwrap().ttls.contains(&p.ttl));
    }
    for b in map.layout().boxes() {
        assert!(
            b.members
                .iter()
                .all(|&m| g.node(m).unwrap().asn == Some(b.asn))
        );
    }
    // An id of a larger graph is not in a smaller one: `None`, not a panic.
    let (last, _) = ids[ids.len() - 1];
    let small = RouteMap::new(&sample()[..1]).unwrap();
    assert!(small.graph().node_count() <= last.index());
    assert_eq!(small.graph().node(last), None);
}
