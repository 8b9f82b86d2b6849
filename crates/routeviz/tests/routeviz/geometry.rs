//! Geometry of the SVG as the renderer writes it and resvg lays out its text: edges keep clear
//! of AS box titles, RTT labels keep clear of the edges they do not label and of each other.
//! Text boxes are the ones resvg computes with the bundled font, not the layout's own estimate.

use std::sync::Arc;

use resvg::usvg;
use routeviz::{RenderOptions, RouteMap};
use tcptrace::{Hop, Reply, ReplyKind, StopReason, Trace, TraceReport};

use crate::common::{has_class, ip};

/// A box: x, y, width, height.
pub(crate) type Rect = (f64, f64, f64, f64);

/// A laid-out text: its class, the id of its nearest element with one, and its box.
pub(crate) type TextBox = (String, String, Rect);

/// Every `<text>` of `svg` with its class, id (own or that of the nearest group with one) and
/// the box resvg lays it out in.
pub(crate) fn text_boxes(svg: &str) -> Vec<TextBox> {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(include_bytes!("../../fonts/DejaVuSans.ttf").to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    let opt = usvg::Options {
        fontdb: Arc::new(db),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).expect("resvg reads the SVG");
    // usvg drops classes: take them from the source, in document order, which usvg keeps.
    let doc = roxmltree::Document::parse(svg).unwrap();
    let classes: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && n.text().is_some_and(|t| !t.is_empty()))
        .map(|n| {
            let id = n
                .ancestors()
                .find_map(|a| a.attribute("id"))
                .unwrap_or_default();
            (
                n.attribute("class").unwrap_or_default().to_owned(),
                id.to_owned(),
            )
        })
        .collect();
    let mut boxes = Vec::new();
    collect_texts(tree.root(), &mut boxes);
    assert_eq!(boxes.len(), classes.len(), "every text laid out");
    classes
        .into_iter()
        .zip(boxes)
        .map(|((c, id), b)| (c, id, b))
        .collect()
}

fn collect_texts(g: &usvg::Group, out: &mut Vec<Rect>) {
    for n in g.children() {
        match n {
            usvg::Node::Group(g) => collect_texts(g, out),
            usvg::Node::Text(t) => {
                let b = t.abs_bounding_box();
                out.push((
                    f64::from(b.x()),
                    f64::from(b.y()),
                    f64::from(b.width()),
                    f64::from(b.height()),
                ));
            }
            usvg::Node::Path(_) | usvg::Node::Image(_) => {}
        }
    }
}

/// A drawn edge: the ids of the nodes it joins and its curve as a fine polyline.
pub(crate) struct DrawnEdge {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) line: Vec<(f64, f64)>,
}

/// Every edge path of the SVG, its cubic pieces sampled at 32 steps.
pub(crate) fn drawn_edges(svg: &str) -> Vec<DrawnEdge> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut out = Vec::new();
    for g in doc.descendants().filter(|n| has_class(*n, "edge-bundle")) {
        let from = g.attribute("data-from").unwrap().to_owned();
        let to = g.attribute("data-to").unwrap().to_owned();
        for p in g.children().filter(|c| c.tag_name().name() == "path") {
            let mut line: Vec<(f64, f64)> = Vec::new();
            let d = p.attribute("d").unwrap();
            // Commands M, L and C with absolute coordinates, as the writer emits them.
            let mut op = ' ';
            let mut nums: Vec<f64> = Vec::new();
            let flush = |op: char, nums: &mut Vec<f64>, line: &mut Vec<(f64, f64)>| {
                let pts: Vec<(f64, f64)> = nums.chunks(2).map(|c| (c[0], c[1])).collect();
                match op {
                    'M' | 'L' => line.extend(pts),
                    'C' => {
                        for seg in pts.chunks(3) {
                            let p0 = *line.last().unwrap();
                            for k in 1..=32 {
                                let t = f64::from(k) / 32.0;
                                let u = 1.0 - t;
                                let b = |a: f64, b: f64, c: f64, d: f64| {
                                    u * u * u * a
                                        + 3.0 * u * u * t * b
                                        + 3.0 * u * t * t * c
                                        + t * t * t * d
                                };
                                line.push((
                                    b(p0.0, seg[0].0, seg[1].0, seg[2].0),
                                    b(p0.1, seg[0].1, seg[1].1, seg[2].1),
                                ));
                            }
                        }
                    }
                    ' ' => {}
                    other => panic!("path command {other} in {d}"),
                }
                nums.clear();
            };
            for tok in d.split([' ', ',']).filter(|s| !s.is_empty()) {
                let (head, rest) = tok.split_at(usize::from(
                    tok.starts_with(|c: char| c.is_ascii_alphabetic()),
                ));
                if let Some(c) = head.chars().next() {
                    flush(op, &mut nums, &mut line);
                    op = c;
                }
                nums.push(rest.parse().unwrap());
            }
            flush(op, &mut nums, &mut line);
            out.push(DrawnEdge {
                from: from.clone(),
                to: to.clone(),
                line,
            });
        }
    }
    out
}

/// Whether the segment a-b meets the rectangle: an end inside it, or a proper crossing of
/// one of its sides (independent of the clipping the library uses to place labels).
pub(crate) fn segment_hits(a: (f64, f64), b: (f64, f64), r: Rect) -> bool {
    let inside = |p: (f64, f64)| p.0 >= r.0 && p.0 <= r.0 + r.2 && p.1 >= r.1 && p.1 <= r.1 + r.3;
    if inside(a) || inside(b) {
        return true;
    }
    let side = |p: (f64, f64), q: (f64, f64), s: (f64, f64)| {
        ((q.0 - p.0) * (s.1 - p.1) - (q.1 - p.1) * (s.0 - p.0)).signum()
    };
    let corners = [
        (r.0, r.1),
        (r.0 + r.2, r.1),
        (r.0 + r.2, r.1 + r.3),
        (r.0, r.1 + r.3),
    ];
    (0..4).any(|k| {
        let (c, d) = (corners[k], corners[(k + 1) % 4]);
        side(a, b, c) * side(a, b, d) <= 0.0 && side(c, d, a) * side(c, d, b) <= 0.0
    })
}

pub(crate) fn line_hits(line: &[(f64, f64)], r: Rect) -> bool {
    line.windows(2).any(|w| segment_hits(w[0], w[1], r))
}

/// `r` grown by `d` on every side.
pub(crate) fn grow(r: Rect, d: f64) -> Rect {
    (r.0 - d, r.1 - d, r.2 + 2.0 * d, r.3 + 2.0 * d)
}

/// Half the edges' stroke width: an edge touches a box when its centre line comes this close.
const HALF_STROKE: f64 = 0.8;

/// splitmix64, so the generated maps are the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Traces over a tree-shaped network shared near the source: long AS names that wrap, ASes that
/// continue along paths, ECMP siblings, silent hops and unreached targets with several ports.
pub(crate) fn shared_tree(seed: u64, n_targets: usize, hops: u8) -> Vec<Trace> {
    let mut rng = Rng(seed);
    // Per router: its address, AS and children.
    let mut routers: Vec<(u32, Option<u32>, Vec<usize>)> = vec![(1, Some(64496), Vec::new())];
    let names = [
        "LAB",
        "TRANSIT-BACKBONE Example Carrier Networks Inc.",
        "AS Number for New Zealand Government Communications Security Bureau",
        "EDGE",
        "HOSTING Example Cloud Services GmbH",
    ];
    let mut out = Vec::new();
    for t in 0..n_targets {
        let target = format!("198.51.100.{}", 10 + t);
        let reached = rng.chance(75);
        let last = if reached {
            hops
        } else {
            hops - 1 - rng.below(3) as u8
        };
        let mut path = Vec::new();
        let mut cur = 0usize;
        path.push(vec![cur]);
        for _ in 2..last {
            let kids = routers[cur].2.clone();
            cur = if !kids.is_empty() && rng.chance(70) {
                kids[rng.below(kids.len() as u64) as usize]
            } else {
                let asn = if rng.chance(8) {
                    None
                } else if rng.chance(80) {
                    routers[cur].1
                } else {
                    Some(64_496 + rng.below(names.len() as u64) as u32)
                };
                routers.push((routers.len() as u32 + 1, asn, Vec::new()));
                let id = routers.len() - 1;
                routers[cur].2.push(id);
                id
            };
            let mut hop = vec![cur];
            if rng.chance(8) {
                let asn = routers[cur].1;
                routers.push((routers.len() as u32 + 1, asn, Vec::new()));
                hop.push(routers.len() - 1);
            }
            path.push(hop);
        }
        let ports: &[u16] = if rng.chance(30) { &[80, 443] } else { &[80] };
        for &port in ports {
            let stop = if reached {
                StopReason::Reached
            } else {
                StopReason::GapLimit
            };
            let mut tr = Trace::new(target.clone(), ip(&target), port, stop);
            tr.reached = reached;
            for (i, hop) in path.iter().enumerate() {
                if i > 0 && i % 5 == 3 && t % 3 == 0 {
                    continue; // silent
                }
                let replies = hop
                    .iter()
                    .map(|&r| {
                        let (a, asn, _) = &routers[r];
                        let addr = std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + a));
                        let rep =
                            Reply::new(addr, std::time::Duration::ZERO, ReplyKind::TimeExceeded)
                                .with_rtt_ms(0.4 + i as f64 * 2.3 + f64::from(port % 7) * 0.1);
                        match asn {
                            Some(n) => rep.with_asn(*n, Some(names[(n - 64_496) as usize])),
                            None => rep,
                        }
                    })
                    .collect();
                tr.hops.push(Hop::new(i as u8 + 1, replies));
            }
            if reached {
                tr.hops.push(Hop::new(
                    last,
                    vec![
                        Reply::new(ip(&target), std::time::Duration::ZERO, ReplyKind::SynAck)
                            .with_rtt_ms(f64::from(last) * 2.5),
                    ],
                ));
            }
            out.push(tr);
        }
    }
    out
}

fn load_report(name: &str) -> TraceReport {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    TraceReport::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The maps the geometry tests draw: generated ones of several sizes and real-shaped ones
/// (trace reports, the published Atlas results, a dark scan).
pub(crate) fn maps() -> Vec<(String, Vec<Trace>)> {
    let mut out = Vec::new();
    for (seed, n, hops) in [
        (1u64, 4usize, 8u8),
        (2, 10, 10),
        (3, 25, 12),
        (4, 40, 9),
        (5, 16, 14),
    ] {
        out.push((
            format!("tree {seed} {n}x{hops}"),
            shared_tree(seed, n, hops),
        ));
    }
    out.push(("sample".into(), crate::common::sample()));
    out.push(("dark scan".into(), crate::scale::dark_scan()));
    for r in ["report-reached.json", "report-every-field.json"] {
        out.push((r.into(), load_report(r).traces));
    }
    let atlas = std::fs::read_to_string(format!(
        "{}/tests/resources/import/atlas-sagan-tests.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    out.push((
        "atlas".into(),
        routeviz::import::import(&atlas, None).unwrap().traces,
    ));
    out
}

fn render(set: &[Trace]) -> String {
    let map = RouteMap::new(set).unwrap();
    let opts = RenderOptions::builder().rtt_labels(true).build().unwrap();
    let svg = map.to_svg(&opts);
    // With ROUTEVIZ_TEST_DEBUG=DIR, each map as SVG and PNG, to look at.
    if let Some(dir) = std::env::var_os("ROUTEVIZ_TEST_DEBUG") {
        let base = std::path::Path::new(&dir).join(format!("map-{}", set.len()));
        let _ = std::fs::write(base.with_extension("svg"), &svg);
        let _ = std::fs::write(base.with_extension("png"), map.to_png(&opts).unwrap());
    }
    svg
}

/// Checks that no edge of `svg` runs through an AS title of `texts`; returns how many titles.
pub(crate) fn check_titles(name: &str, svg: &str, texts: &[TextBox]) -> usize {
    let edges = drawn_edges(svg);
    let mut titles = 0;
    for (class, id, b) in texts {
        if !class.split_whitespace().any(|c| c == "as-label") {
            continue;
        }
        titles += 1;
        let b = grow(*b, HALF_STROKE);
        for e in &edges {
            assert!(
                !line_hits(&e.line, b),
                "{name}: edge {}→{} runs through the title {id} at {b:?}",
                e.from,
                e.to
            );
        }
    }
    titles
}

#[test]
fn edges_never_run_through_as_titles() {
    let mut titles = 0;
    for (name, set) in maps() {
        let svg = render(&set);
        titles += check_titles(&name, &svg, &text_boxes(&svg));
    }
    assert!(titles > 20, "the maps have titles to check: {titles}");
}

/// Checks that each RTT label of `texts` keeps clear of the edges of `svg` it does not label,
/// of the other labels and of AS titles; returns how many labels.
pub(crate) fn check_rtt_labels(name: &str, svg: &str, texts: &[TextBox]) -> usize {
    let edges = drawn_edges(svg);
    let has = |t: &TextBox, class: &str| t.0.split_whitespace().any(|c| c == class);
    let others: Vec<&TextBox> = texts
        .iter()
        .filter(|t| has(t, "rtt") || has(t, "as-label"))
        .collect();
    let mut labels = 0;
    for (_, id, b) in texts.iter().filter(|t| has(t, "rtt")) {
        labels += 1;
        let own = format!("node-{}", id.trim_start_matches("rtt-"));
        let grown = grow(*b, HALF_STROKE);
        for e in edges.iter().filter(|e| e.to != own) {
            assert!(
                !line_hits(&e.line, grown),
                "{name}: edge {}→{} runs through the RTT label {id}",
                e.from,
                e.to
            );
        }
        for (_, other, ob) in &others {
            if other != id {
                assert!(
                    !crate::common::overlaps(*b, *ob),
                    "{name}: RTT label {id} overlaps {other}"
                );
            }
        }
    }
    labels
}

#[test]
fn rtt_labels_sit_clear_of_other_edges_and_labels() {
    let mut labels = 0;
    for (name, set) in maps() {
        let svg = render(&set);
        labels += check_rtt_labels(&name, &svg, &text_boxes(&svg));
    }
    assert!(labels > 50, "the maps have RTT labels to check: {labels}");
}

/// `n` targets of [`shared_tree`], some on two ports, measured from three vantage points.
pub(crate) fn many_traces(n: usize) -> Vec<Trace> {
    let mut set = shared_tree(7, n, 9);
    for (i, t) in set.iter_mut().enumerate() {
        t.source =
            Some(tcptrace::TraceSource::new("atlas").vantage(format!("probe {}", 6000 + i % 3)));
    }
    set
}

#[test]
fn the_legend_groups_traces_by_target_and_stays_readable() {
    for n in [60usize, 120] {
        let mut set = many_traces(n);
        // Give one trace per vantage point the same target and port, to be told apart.
        set[1].target = set[0].target.clone();
        set[1].addr = set[0].addr;
        let svg = render(&set);
        crate::common::check_svg_invariants(&svg);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let legend = doc
            .descendants()
            .find(|n| n.attribute("id") == Some("legend"))
            .expect("a legend");
        // Every trace once, under its target's heading.
        let mut seen = vec![0usize; set.len()];
        let mut heading: Option<String> = None;
        let mut section: Option<String> = None;
        let mut targets = Vec::new();
        for g in legend.children().filter(roxmltree::Node::is_element) {
            if has_class(g, "legend-vantage") {
                let text = g.children().find(|c| c.tag_name().name() == "text");
                section = text.and_then(|c| c.text()).map(str::to_owned);
                heading = None;
            } else if has_class(g, "legend-target") {
                // The whole name: the tooltip where the text is cut, else the text.
                let named = |tag: &str| {
                    g.children()
                        .find(|c| c.tag_name().name() == tag)
                        .and_then(|c| c.text())
                };
                let t = named("title").or_else(|| named("text")).unwrap().to_owned();
                let key = (section.clone(), t.clone());
                assert!(!targets.contains(&key), "{t} has one group in its section");
                targets.push(key);
                heading = Some(t);
            } else if has_class(g, "legend-entry") {
                let i: usize = g.attribute("id").unwrap()["legend-".len()..]
                    .parse()
                    .unwrap();
                seen[i] += 1;
                assert_eq!(
                    heading.as_deref(),
                    Some(set[i].target.as_str()),
                    "trace {i} under its target"
                );
                let text = g
                    .children()
                    .find(|c| c.tag_name().name() == "text")
                    .and_then(|c| c.text())
                    .unwrap();
                let vantage = format!("probe {}", 6000 + i % 3);
                assert!(text.contains(&format!(":{}", set[i].port)), "{text}");
                assert_eq!(section.as_deref(), Some(vantage.as_str()), "{text}");
            }
        }
        assert!(seen.iter().all(|&k| k == 1), "{seen:?}");
        let mut distinct: Vec<(String, &str)> = set
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("probe {}", 6000 + i % 3), t.target.as_str()))
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(targets.len(), distinct.len());
        check_legend_texts(&format!("{n}"), &svg, &text_boxes(&svg), set.len());
    }
}

/// Whether the element `id` is the legend or one of its parts.
fn in_legend(id: &str) -> bool {
    id == "legend" || id.starts_with("legend-")
}

/// Checks the legend of a map of `traces` traces: no two of its texts overlap, it wraps into
/// columns of bounded width beside the map (or under a wide one), it stays inside the map's
/// view, and it overlaps no other text.
pub(crate) fn check_legend_texts(name: &str, svg: &str, all: &[TextBox], traces: usize) {
    let boxes: Vec<&TextBox> = all.iter().filter(|t| in_legend(&t.1)).collect();
    let texts: Vec<Rect> = boxes.iter().map(|t| t.2).collect();
    assert!(texts.len() > traces, "{name}: {} legend texts", texts.len());
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            assert!(
                !crate::common::overlaps(*a, *b),
                "{name}: legend texts {a:?} and {b:?} overlap"
            );
        }
    }
    let x0 = texts.iter().map(|b| b.0).fold(f64::MAX, f64::min);
    let x1 = texts.iter().map(|b| b.0 + b.2).fold(f64::MIN, f64::max);
    let y1 = texts.iter().map(|b| b.1 + b.3).fold(f64::MIN, f64::max);
    let columns: std::collections::BTreeSet<i64> = boxes
        .iter()
        .filter(|t| {
            t.0.split_whitespace()
                .any(|c| c == "legend-section" || c == "legend-target-name")
        })
        .map(|t| t.2.0.round() as i64)
        .collect();
    let vb = crate::common::view_box(&roxmltree::Document::parse(svg).unwrap());
    let (w, h) = (vb.0 + vb.2, vb.1 + vb.3);
    // Four columns beside the map at most, or under a wide map no wider than it.
    let map_w = w - x0.min(w);
    assert!(
        x1 - x0 <= (4.0 * 300.0 + 3.0 * 20.0f64).max(map_w),
        "{name}: legend {} wide",
        x1 - x0
    );
    assert!(columns.len() >= 2, "{name}: wrapped into columns");
    assert!(x1 <= w && y1 <= h, "{name}: inside the map");
    for (_, id, b) in all.iter().filter(|t| !in_legend(&t.1)) {
        for a in &texts {
            assert!(
                !crate::common::overlaps(*a, *b),
                "{name}: legend text {a:?} overlaps {id}"
            );
        }
    }
}

/// Checks that every legend text of `texts` lies inside the view of `svg`.
pub(crate) fn check_legend_inside(name: &str, svg: &str, texts: &[TextBox]) {
    let view = crate::common::view_box(&roxmltree::Document::parse(svg).unwrap());
    for (_, id, b) in texts {
        if in_legend(id) {
            assert!(
                crate::common::inside(*b, view),
                "{name}: legend text {id} at {b:?} leaves the view {view:?}"
            );
        }
    }
}
