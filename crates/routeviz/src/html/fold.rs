//! The AS-level view of the HTML report: each AS folded into one node, drawn over the map's
//! own layout (the layout algorithm is not run again).
//!
//! A folded AS sits on the row nearest the centre of its members' occurrences, sized to its
//! label, as near their centre as the row leaves room for (nodes outside any AS and folded
//! ASes placed before it are never overlapped: it moves right of them); nodes outside any AS
//! (silent hops, unreached hosts, addresses without an AS) keep their place. One line joins two of these groups when some trace steps from one to
//! the other, carrying every such trace in `data-traces`. The page hides the per-address map
//! and shows this group when the view is switched.

#![allow(
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    reason = "counts of hops turned into line widths; the writer reads best top to bottom"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::graph::RouteGraph;
use crate::html::data::as_node_id;
use crate::layout::Layout;
use crate::palette::TraceColors;
use crate::svg::{as_colors, as_ranks};
use crate::text::{self, xml_escape};

/// The folded node's label font and the widest label drawn before it is cut (the full name
/// is in the node's tooltip and detail).
const FONT: f64 = 12.0;
const MAX_LABEL_W: f64 = 280.0;
const NODE_H: f64 = 38.0;
/// The least room between two nodes of a row.
const GAP: f64 = 12.0;

/// A group's centre and half height.
#[derive(Clone, Copy)]
struct Place {
    x: f64,
    y: f64,
    half_h: f64,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape(s, &mut out);
    out
}

/// The index of the row in `rows` nearest `y` (0 without rows).
fn nearest(rows: &[f64], y: f64) -> usize {
    rows.iter()
        .enumerate()
        .min_by(|a, b| (a.1 - y).abs().total_cmp(&(b.1 - y).abs()))
        .map_or(0, |(i, _)| i)
}

/// The `<g id="as-view">` group of the map, in SVG coordinates (`origin` is the drawing's).
pub(crate) fn write(graph: &RouteGraph, layout: &Layout, (ox, oy): (f64, f64)) -> String {
    let placed = layout.nodes();
    // Each occurrence's group: its AS's folded node, or itself.
    let mut group_of: HashMap<String, String> = HashMap::new();
    let mut places: HashMap<String, Place> = HashMap::new();
    // What is taken on each row (by the row's index): the nodes outside any AS stay put.
    let ttls: Vec<u16> = layout.ttls().collect();
    let rows: Vec<f64> = ttls.iter().map(|&t| oy + layout.row_y(t)).collect();
    let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(); rows.len()];
    // Per AS: the bounding box of its members and its addresses.
    let mut extent: BTreeMap<u32, (f64, f64, f64, f64, BTreeSet<usize>)> = BTreeMap::new();
    for p in &placed {
        let id = format!("node-{}", graph.occurrence_key(p.node, p.ttl));
        let (x, y) = (ox + p.x, oy + p.y);
        if let Some(asn) = graph.node(p.node).and_then(|n| n.asn) {
            let e = extent.entry(asn).or_insert((
                f64::MAX,
                f64::MAX,
                f64::MIN,
                f64::MIN,
                BTreeSet::new(),
            ));
            e.0 = e.0.min(x - p.w / 2.0);
            e.1 = e.1.min(y - p.h / 2.0);
            e.2 = e.2.max(x + p.w / 2.0);
            e.3 = e.3.max(y + p.h / 2.0);
            e.4.insert(p.node.index());
            group_of.insert(id, as_node_id(asn));
        } else {
            taken[nearest(&rows, y)].push((x - p.w / 2.0, x + p.w / 2.0));
            places.insert(
                id.clone(),
                Place {
                    x,
                    y,
                    half_h: p.h / 2.0,
                },
            );
            group_of.insert(id.clone(), id);
        }
    }
    let as_rank = as_ranks(graph);
    // The folded nodes, left to right as their members lie.
    let mut folded: Vec<(u32, f64, f64, usize)> = extent
        .iter()
        .map(|(asn, (x0, y0, x1, y1, members))| {
            (
                *asn,
                f64::midpoint(*x0, *x1),
                f64::midpoint(*y0, *y1),
                members.len(),
            )
        })
        .collect();
    folded.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut nodes = String::new();
    for (asn, want_x, want_y, members) in folded {
        let label = graph.as_label(asn);
        let shown = text::fit(&label, FONT, MAX_LABEL_W);
        let count = format!("{members} address{}", if members == 1 { "" } else { "es" });
        let w = text::width(&shown, FONT).max(text::width(&count, FONT - 1.0)) + 20.0;
        // On the row nearest the centre of its members, right of whatever is in the way.
        let row = nearest(&rows, want_y);
        let cy = rows.get(row).copied().unwrap_or(want_y);
        let mut cx = want_x;
        while let Some(&(_, right)) = taken.get(row).and_then(|t| {
            t.iter()
                .find(|(l, r)| cx - w / 2.0 - GAP < *r && cx + w / 2.0 + GAP > *l)
        }) {
            cx = right + GAP + w / 2.0;
        }
        if let Some(t) = taken.get_mut(row) {
            t.push((cx - w / 2.0, cx + w / 2.0));
        }
        let id = as_node_id(asn);
        places.insert(
            id.clone(),
            Place {
                x: cx,
                y: cy,
                half_h: NODE_H / 2.0,
            },
        );
        let (fill, stroke) = as_colors(as_rank.get(&asn).copied().unwrap_or(0));
        let _ = writeln!(
            nodes,
            "<g id=\"{id}\" class=\"node as-node as-{asn}\" data-asn=\"{asn}\" data-ttl=\"{}\"><title>{}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{NODE_H:.1}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.6\"/>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\" fill=\"#222222\">{}</text>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{}\" text-anchor=\"middle\" fill=\"#555555\">{count}</text></g>",
            ttls.get(row).copied().unwrap_or(0),
            esc(&label),
            cx - w / 2.0,
            cy - NODE_H / 2.0,
            cy - 3.0,
            esc(&shown),
            cy + 12.0,
            FONT - 1.0,
        );
    }
    // One line per pair of groups, with the traces that step between them.
    let colors = TraceColors::new(graph.traces());
    let mut pairs: Vec<((String, String), BTreeSet<usize>)> = Vec::new();
    let mut slot: HashMap<(String, String), usize> = HashMap::new();
    for (e, _, _) in graph.edge_ids() {
        let (Some((from, to)), Some(edge)) = (graph.edge_keys(e), graph.edge(e)) else {
            continue;
        };
        let (Some(a), Some(b)) = (
            group_of.get(&format!("node-{from}")),
            group_of.get(&format!("node-{to}")),
        ) else {
            continue;
        };
        if a == b {
            continue;
        }
        let key = (a.clone(), b.clone());
        let k = *slot.entry(key.clone()).or_insert_with(|| {
            pairs.push((key, BTreeSet::new()));
            pairs.len() - 1
        });
        pairs[k].1.insert(edge.trace);
    }
    let mut edges = String::new();
    for ((a, b), traces) in &pairs {
        let (Some(pa), Some(pb)) = (places.get(a), places.get(b)) else {
            continue;
        };
        let (top, bottom) = if pa.y <= pb.y { (pa, pb) } else { (pb, pa) };
        let (x0, y0) = (top.x, top.y + top.half_h);
        let (x1, y1) = (bottom.x, bottom.y - bottom.half_h);
        let ym = f64::midpoint(y0, y1);
        let list: Vec<String> = traces.iter().map(usize::to_string).collect();
        let first = traces.iter().next().copied().unwrap_or(0);
        let width = 1.6 + 0.5 * (traces.len().min(8) as f64 - 1.0);
        let _ = writeln!(
            edges,
            "<path id=\"as-edge-{}-{}\" class=\"as-edge\" data-traces=\"{}\" d=\"M{x0:.1},{y0:.1} C{x0:.1},{ym:.1} {x1:.1},{ym:.1} {x1:.1},{y1:.1}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width:.1}\"/>",
            esc(a.trim_start_matches("node-")),
            esc(b.trim_start_matches("node-")),
            list.join(" "),
            colors.color(first),
        );
    }
    format!(
        "<g id=\"as-view\">\n<g id=\"as-view-edges\">\n{edges}</g>\n<g id=\"as-view-nodes\">\n{nodes}</g>\n</g>\n"
    )
}
