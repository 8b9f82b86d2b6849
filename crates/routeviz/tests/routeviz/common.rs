//! Fixtures and SVG helpers shared by the tests.

use std::net::IpAddr;

use tcptrace::{Hop, Reply, ReplyKind, Trace};

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(crate) fn te(addr: &str, asn: Option<(u32, &str)>) -> Reply {
    let r = reply(ip(addr), ReplyKind::TimeExceeded).with_rtt_ms(1.5);
    match asn {
        Some((a, n)) => r.with_asn(a, Some(n)),
        None => r,
    }
}

/// Three traces: two ports on one target through an ECMP pair and a silent hop, and one target
/// that is never reached.
pub(crate) fn sample() -> Vec<Trace> {
    let lab = Some((64496, "LAB"));
    let transit = Some((64500, "TRANSIT"));
    let host = Some((64510, "HOSTING"));
    let path = |port: u16, kind: ReplyKind| {
        let mut t = trace("www.example.test", port);
        t.addr = ip("198.19.10.20");
        t.hops = vec![
            Hop::new(1, vec![te("198.18.0.1", lab)]),
            Hop::new(
                2,
                vec![te("198.18.16.1", transit), te("198.18.16.5", transit)],
            ),
            Hop::new(3, vec![te("198.18.17.1", transit)]),
            Hop::new(5, vec![te("198.19.10.1", host)]),
            Hop::new(
                6,
                vec![
                    reply(ip("198.19.10.20"), kind)
                        .with_rtt_ms(8.25)
                        .with_asn(64510, Some("HOSTING")),
                ],
            ),
        ];
        t
    };
    let mut dark = trace("198.18.200.9", 8443);
    dark.hops = vec![
        Hop::new(1, vec![te("198.18.0.1", lab)]),
        Hop::new(2, vec![te("198.18.64.1", None)]),
    ];
    vec![path(80, ReplyKind::SynAck), path(22, ReplyKind::Rst), dark]
}

/// A node group of the SVG: id, classes, TTL and bounding box.
#[derive(Debug, Clone)]
pub(crate) struct SvgNode {
    pub(crate) id: String,
    pub(crate) class: String,
    pub(crate) ttl: u16,
    pub(crate) bbox: (f64, f64, f64, f64),
    pub(crate) texts: Vec<String>,
}

fn num(n: roxmltree::Node<'_, '_>, a: &str) -> f64 {
    n.attribute(a)
        .unwrap_or_else(|| panic!("{a} missing on {n:?}"))
        .parse()
        .unwrap()
}

pub(crate) fn shape_bbox(n: roxmltree::Node<'_, '_>) -> Option<(f64, f64, f64, f64)> {
    match n.tag_name().name() {
        "rect" => Some((num(n, "x"), num(n, "y"), num(n, "width"), num(n, "height"))),
        "ellipse" => {
            let (cx, cy, rx, ry) = (num(n, "cx"), num(n, "cy"), num(n, "rx"), num(n, "ry"));
            Some((cx - rx, cy - ry, 2.0 * rx, 2.0 * ry))
        }
        "polygon" => {
            let pts: Vec<(f64, f64)> = n
                .attribute("points")?
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            let x0 = pts.iter().map(|p| p.0).fold(f64::MAX, f64::min);
            let x1 = pts.iter().map(|p| p.0).fold(f64::MIN, f64::max);
            let y0 = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
            let y1 = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
            Some((x0, y0, x1 - x0, y1 - y0))
        }
        _ => None,
    }
}

pub(crate) fn has_class(n: roxmltree::Node<'_, '_>, c: &str) -> bool {
    n.attribute("class")
        .is_some_and(|cl| cl.split_whitespace().any(|x| x == c))
}

pub(crate) fn svg_nodes(doc: &roxmltree::Document<'_>) -> Vec<SvgNode> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == "g" && has_class(*n, "node"))
        .map(|g| {
            let shape = g.children().find_map(shape_bbox).expect("node has a shape");
            SvgNode {
                id: g.attribute("id").unwrap().to_owned(),
                class: g.attribute("class").unwrap().to_owned(),
                ttl: g.attribute("data-ttl").unwrap().parse().unwrap(),
                bbox: shape,
                texts: g
                    .children()
                    .filter(|c| c.tag_name().name() == "text")
                    .map(|t| t.text().unwrap_or_default().to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// An AS box of the SVG: asn, first TTL, last TTL and outline polygon.
pub(crate) type SvgBox = (u32, u16, u16, Vec<(f64, f64)>);

/// The AS boxes.
pub(crate) fn svg_boxes(doc: &roxmltree::Document<'_>) -> Vec<SvgBox> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == "path" && has_class(*n, "as-box"))
        .map(|r| {
            let id = r.attribute("id").unwrap();
            let asn = id.split('-').nth(1).unwrap().parse().unwrap();
            let pts: Vec<(f64, f64)> = r
                .attribute("d")
                .unwrap()
                .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
                .filter(|s| !s.is_empty())
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (
                asn,
                r.attribute("data-ttl-first").unwrap().parse().unwrap(),
                r.attribute("data-ttl-last").unwrap().parse().unwrap(),
                pts,
            )
        })
        .collect()
}

/// Whether `p` lies inside the polygon (ray casting).
pub(crate) fn in_polygon(p: (f64, f64), poly: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The corners of a box pulled in by `inset`, and its centre.
pub(crate) fn probe_points(b: (f64, f64, f64, f64), inset: f64) -> [(f64, f64); 5] {
    [
        (b.0 + inset, b.1 + inset),
        (b.0 + b.2 - inset, b.1 + inset),
        (b.0 + inset, b.1 + b.3 - inset),
        (b.0 + b.2 - inset, b.1 + b.3 - inset),
        (b.0 + b.2 / 2.0, b.1 + b.3 / 2.0),
    ]
}

pub(crate) fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

pub(crate) fn inside(inner: (f64, f64, f64, f64), outer: (f64, f64, f64, f64)) -> bool {
    inner.0 >= outer.0 - 1e-6
        && inner.1 >= outer.1 - 1e-6
        && inner.0 + inner.2 <= outer.0 + outer.2 + 1e-6
        && inner.1 + inner.3 <= outer.1 + outer.3 + 1e-6
}

/// The root's `viewBox`: x, y, width, height.
pub(crate) fn view_box(doc: &roxmltree::Document) -> (f64, f64, f64, f64) {
    let vb: Vec<f64> = doc
        .root_element()
        .attribute("viewBox")
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    (vb[0], vb[1], vb[2], vb[3])
}

/// Checks the invariants every map must keep; panics with a message otherwise.
pub(crate) fn check_svg_invariants(svg: &str) {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let view = view_box(&doc);
    let nodes = svg_nodes(&doc);
    for n in &nodes {
        assert!(inside(n.bbox, view), "{} outside the viewBox", n.id);
    }
    // Ids are unique, and every edge group joins two drawn nodes.
    let ids = unique_ids(&doc);
    for g in doc.descendants().filter(|n| has_class(*n, "edge-bundle")) {
        for end in ["data-from", "data-to"] {
            let id = g.attribute(end).unwrap_or_default();
            assert!(
                ids.contains(&id) && nodes.iter().any(|n| n.id == id),
                "{end} {id} names no node"
            );
        }
    }
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            assert!(!overlaps(a.bbox, b.bbox), "{} overlaps {}", a.id, b.id);
            if a.ttl < b.ttl {
                assert!(
                    a.bbox.1 + a.bbox.3 < b.bbox.1,
                    "{} (TTL {}) not above {}",
                    a.id,
                    a.ttl,
                    b.id
                );
            } else if a.ttl == b.ttl {
                assert!(
                    (a.bbox.1 + a.bbox.3 / 2.0 - b.bbox.1 - b.bbox.3 / 2.0).abs() < 0.11,
                    "{} and {} on one row",
                    a.id,
                    b.id
                );
            }
        }
    }
    let boxes = svg_boxes(&doc);
    for (asn, first, last, poly) in &boxes {
        for p in poly {
            assert!(
                inside((p.0, p.1, 0.0, 0.0), view),
                "AS box {asn} outside the viewBox"
            );
        }
        for n in &nodes {
            let member = n.class.split_whitespace().any(|c| c == format!("as-{asn}"))
                && (*first..=*last).contains(&n.ttl);
            let probes = probe_points(n.bbox, 0.5);
            if member {
                assert!(
                    probes.iter().all(|p| in_polygon(*p, poly)),
                    "{} not inside its AS box {asn}",
                    n.id
                );
            } else {
                assert!(
                    !probes.iter().any(|p| in_polygon(*p, poly)),
                    "{} inside the box of AS {asn}",
                    n.id
                );
                let b = n.bbox;
                assert!(
                    !poly
                        .iter()
                        .any(|p| p.0 > b.0 && p.0 < b.0 + b.2 && p.1 > b.1 && p.1 < b.1 + b.3),
                    "the box of AS {asn} cuts into {}",
                    n.id
                );
            }
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let strictly_in = |p: &(f64, f64), poly: &[(f64, f64)]| {
                probe_points((p.0 - 0.5, p.1 - 0.5, 1.0, 1.0), 0.0)
                    .iter()
                    .all(|q| in_polygon(*q, poly))
            };
            assert!(
                !a.3.iter().any(|p| strictly_in(p, &b.3)),
                "AS boxes {} and {} overlap",
                a.0,
                b.0
            );
            assert!(
                !b.3.iter().any(|p| strictly_in(p, &a.3)),
                "AS boxes {} and {} overlap",
                b.0,
                a.0
            );
        }
    }
    // Every coordinate of edges inside the view.
    for p in doc.descendants().filter(|n| n.tag_name().name() == "path") {
        let d = p.attribute("d").unwrap();
        let nums: Vec<f64> = d
            .split(|c: char| c == ' ' || c == ',' || c.is_ascii_alphabetic())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        for xy in nums.chunks(2) {
            assert!(
                xy[0] >= 0.0 && xy[0] <= view.2 && xy[1] >= 0.0 && xy[1] <= view.3,
                "edge point {xy:?} outside"
            );
        }
    }
    for t in doc.descendants().filter(|n| n.tag_name().name() == "text") {
        let (x, y) = (num(t, "x"), num(t, "y"));
        assert!(
            x >= 0.0 && x <= view.2 && y >= 0.0 && y <= view.3,
            "text {:?} outside",
            t.text()
        );
    }
}

/// `traces` traces, each through `hops` routers that no other trace shares: the widest map a
/// hop count can make, for the size-budget tests.
pub(crate) fn distinct_routes(traces: u32, hops: u8) -> Vec<Trace> {
    (0..traces)
        .map(|t| {
            let mut tr = trace(format!("198.18.{}.{}", t / 256, t % 256), 80);
            tr.hops = (1..=hops)
                .map(|ttl| {
                    let a = IpAddr::V4(std::net::Ipv4Addr::from(
                        0x0a00_0000 + t * 32 + u32::from(ttl),
                    ));
                    Hop::new(ttl, vec![reply(a, ReplyKind::TimeExceeded)])
                })
                .collect();
            tr
        })
        .collect()
}

/// The width and height attributes of an SVG document.
pub(crate) fn svg_size(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let r = doc.root_element();
    (
        r.attribute("width").unwrap().parse().unwrap(),
        r.attribute("height").unwrap().parse().unwrap(),
    )
}

/// The width and height in a PNG's IHDR chunk.
pub(crate) fn ihdr(png: &[u8]) -> (u64, u64) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR");
    let be = |b: &[u8]| u64::from(u32::from_be_bytes(b.try_into().unwrap()));
    (be(&png[16..20]), be(&png[20..24]))
}

/// The address that no test network answers from: a trace's address when its target is a
/// name (traces of tcptrace's model always carry the address they went to).
pub(crate) const SILENT: &str = "192.0.2.255";

/// A trace of `target`, at its address when it is one and otherwise at [`SILENT`].
pub(crate) fn trace(target: impl Into<String>, port: u16) -> Trace {
    let target = target.into();
    let addr = target.parse().unwrap_or(ip(SILENT));
    Trace::new(target, addr, port, tcptrace::StopReason::MaxTtl)
}

/// A reply of `kind` from `addr` with a zero RTT (set one with `with_rtt_ms`).
pub(crate) fn reply(addr: IpAddr, kind: ReplyKind) -> Reply {
    Reply::new(addr, std::time::Duration::ZERO, kind)
}

/// Every id of the document, checked unique.
pub(crate) fn unique_ids<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<&'a str> {
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are unique: {ids:?}");
    ids
}
