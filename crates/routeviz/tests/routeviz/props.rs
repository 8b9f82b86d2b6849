//! Properties of random multi-trace inputs: gaps, repeated addresses, loops, ECMP and missing AS
//! data.

use proptest::prelude::*;
use routeviz::{RenderOptions, RouteMap};
use tcptrace::{Hop, ReplyKind, Trace};

use crate::common::check_svg_invariants;

/// A hop: silent, or 1–3 addresses from a small pool (so addresses repeat across TTLs and
/// traces), each with or without an AS.
fn hop_strategy() -> impl Strategy<Value = Option<Vec<(u8, bool)>>> {
    prop_oneof![
        1 => Just(None),
        5 => prop::collection::vec((0u8..14, any::<bool>()), 1..=3).prop_map(Some),
    ]
}

fn trace_strategy() -> impl Strategy<Value = (Vec<Option<Vec<(u8, bool)>>>, u8, u16)> {
    (
        prop::collection::vec(hop_strategy(), 0..10),
        0u8..4,
        prop::sample::select(vec![22u16, 80, 443]),
    )
}

fn build(spec: &[(Vec<Option<Vec<(u8, bool)>>>, u8, u16)]) -> Vec<Trace> {
    spec.iter()
        .enumerate()
        .map(|(i, (hops, end, port))| {
            let target = format!("198.19.0.{}", i % 3);
            let mut t = crate::common::trace(target.clone(), *port);
            let mut ttl = 1u8;
            for h in hops {
                if let Some(addrs) = h {
                    let replies = addrs
                        .iter()
                        .map(|(a, with_as)| {
                            let r = crate::common::reply(
                                format!("198.18.0.{a}").parse().unwrap(),
                                ReplyKind::TimeExceeded,
                            )
                            .with_rtt_ms(f64::from(ttl));
                            if *with_as {
                                r.with_asn(64500 + u32::from(a / 4), Some("AS"))
                            } else {
                                r
                            }
                        })
                        .collect();
                    t.hops.push(Hop::new(ttl, replies));
                }
                ttl += 1;
            }
            let kind = match end {
                0 => Some(ReplyKind::SynAck),
                1 => Some(ReplyKind::Rst),
                2 => Some(ReplyKind::Unreachable(3)),
                _ => None,
            };
            if let Some(kind) = kind {
                t.hops.push(Hop::new(
                    ttl,
                    vec![crate::common::reply(target.parse().unwrap(), kind)],
                ));
            }
            t
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_maps_keep_their_invariants(spec in prop::collection::vec(trace_strategy(), 1..6)) {
        let set = build(&spec);
        let map = RouteMap::new(&set).unwrap();
        let opts = RenderOptions::builder().rtt_labels(true).title("p").build().unwrap();
        let svg = map.to_svg(&opts);
        check_svg_invariants(&svg);
        // Rows equal TTLs: every occurrence sits on its TTL's row, at a TTL of its node.
        let layout = map.layout();
        for p in layout.nodes() {
            prop_assert!((p.y - layout.row_y(p.ttl)).abs() < 1e-9);
            prop_assert!(map.graph().node(p.node).is_some_and(|n| n.ttls.contains(&p.ttl)));
        }
        let ttls: Vec<u16> = layout.ttls().collect();
        prop_assert!(ttls.windows(2).all(|w| w[1] == w[0] + 1));
        // No two occurrences overlap.
        let nodes = layout.nodes();
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                if a.ttl == b.ttl {
                    prop_assert!((a.x - b.x).abs() >= f64::midpoint(a.w, b.w) - 1e-6);
                }
            }
        }
        // The same input gives byte-identical output.
        let again = RouteMap::new(&set).unwrap();
        prop_assert_eq!(&svg, &again.to_svg(&opts));
        prop_assert_eq!(map.to_dot(&opts), again.to_dot(&opts));
    }

    #[test]
    fn random_reports_are_whole_pages(spec in prop::collection::vec(trace_strategy(), 1..6)) {
        let set = build(&spec);
        let opts = RenderOptions::default();
        let html = RouteMap::new(&set).unwrap().to_html(&opts);
        prop_assert_eq!(&html, &RouteMap::new(&set).unwrap().to_html(&opts));
        prop_assert_eq!(html.matches("<script").count(), 2);
        let start = html.find("<svg ").unwrap();
        let end = html.find("</svg>").unwrap() + "</svg>".len();
        let doc = roxmltree::Document::parse(&html[start..end]).unwrap();
        crate::common::unique_ids(&doc);
        // A folded AS overlaps neither another nor a node outside any AS.
        let boxes: Vec<(bool, (f64, f64, f64, f64))> = crate::common::svg_nodes(&doc)
            .into_iter()
            .filter(|n| n.class.contains("as-node") || !n.class.contains(" as-"))
            .map(|n| (n.class.contains("as-node"), n.bbox))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                if a.0 || b.0 {
                    prop_assert!(!crate::common::overlaps(a.1, b.1), "{:?} overlaps {:?}", a, b);
                }
            }
        }
    }

    #[test]
    fn json_never_panics(s in ".{0,200}") {
        let _ = tcptrace::TraceReport::from_json(&s);
    }
}

/// A larger map than proptest draws: 40 traces of up to 24 hops over a shared tree.
#[test]
fn a_large_map_keeps_its_invariants() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let spec: Vec<(Vec<Option<Vec<(u8, bool)>>>, u8, u16)> = (0..40)
        .map(|_| {
            let hops = (0..next(24))
                .map(|_| {
                    (next(8) != 0).then(|| {
                        (0..=next(2))
                            .map(|_| (next(14) as u8, next(5) != 0))
                            .collect()
                    })
                })
                .collect();
            (hops, next(4) as u8, [22u16, 80, 443][next(3) as usize])
        })
        .collect();
    let set = build(&spec);
    let map = RouteMap::new(&set).unwrap();
    let opts = RenderOptions::builder().rtt_labels(true).build().unwrap();
    let svg = map.to_svg(&opts);
    check_svg_invariants(&svg);
    assert!(map.layout().nodes().len() > 40);
    assert_eq!(svg, RouteMap::new(&set).unwrap().to_svg(&opts));
    for (e, _, _) in map.graph().edge_ids() {
        let pts = map.layout().edge_points(e);
        assert!(
            pts.windows(2).all(|w| w[0].1 < w[1].1),
            "edges run downwards"
        );
    }
}
