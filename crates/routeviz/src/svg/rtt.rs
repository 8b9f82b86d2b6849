//! Where the RTT labels go: beside the edges they label, in the band above their node, at the
//! first spot (nearest first) where they touch no other edge, no node, no AS title and no
//! other label.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "geometry: coordinates bucketed by height"
)]

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use super::curve::bundle_offset;
use super::curve::{Route, x_at};
use super::style::{AS_BASELINE, LEGEND_GAP, RTT_FONT, esc, format_rtt};
use crate::graph::RouteGraph;
use crate::layout::{AS_FONT, AS_LINE_H, BLACKHOLE_H, Layout, ROW_PITCH};
use crate::text;

/// A box: x, y, width, height.
type Rect = (f64, f64, f64, f64);

/// Height of the buckets that edge segments are filed in by height.
const BUCKET: f64 = 8.0;
/// Steps per curve when edges are tested against label spots.
const CURVE_STEPS: u32 = 12;
/// Gap between a label and the edges it labels.
const BESIDE: f64 = 3.0;
/// How far each further try moves a label sideways.
const STEP_OUT: f64 = 12.0;
/// Tries sideways, per side and height, before a label is left out.
const TRIES_OUT: usize = 6;
/// The text box of a label around its baseline: ascent and descent of the font, in ems.
const ASCENT: f64 = 1.0;
const DESCENT: f64 = 0.32;

/// A straight piece of a drawn edge, with the item its edge ends at.
type Segment = (usize, (f64, f64), (f64, f64));

/// Edge segments filed by height.
struct Segments {
    buckets: HashMap<i64, Vec<Segment>>,
}

impl Segments {
    fn new() -> Self {
        Self {
            buckets: HashMap::new(),
        }
    }

    fn add(&mut self, target: usize, line: &[(f64, f64)]) {
        for w in line.windows(2) {
            let (lo, hi) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
            for b in bucket(lo)..=bucket(hi) {
                self.buckets
                    .entry(b)
                    .or_default()
                    .push((target, w[0], w[1]));
            }
        }
    }

    /// Whether an edge that does not end at `own` meets `r`.
    fn hit(&self, r: Rect, own: usize) -> bool {
        (bucket(r.1)..=bucket(r.1 + r.3)).any(|b| {
            self.buckets.get(&b).is_some_and(|segs| {
                segs.iter()
                    .any(|&(t, a, c)| t != own && segment_meets(a, c, r))
            })
        })
    }
}

fn bucket(y: f64) -> i64 {
    (y / BUCKET).floor() as i64
}

/// Whether segment a-c meets `r` (Liang–Barsky clipping).
fn segment_meets(a: (f64, f64), c: (f64, f64), r: Rect) -> bool {
    let (dx, dy) = (c.0 - a.0, c.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.0),
        (dx, r.0 + r.2 - a.0),
        (-dy, a.1 - r.1),
        (dy, r.1 + r.3 - a.1),
    ] {
        if p.abs() < 1e-12 {
            if q < 0.0 {
                return false;
            }
            continue;
        }
        let t = q / p;
        if p < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 > t1 {
            return false;
        }
    }
    true
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// The `lo–hi ms` text of a node's incoming RTTs, `None` without any.
fn label_text(graph: &RouteGraph, edges: &[usize]) -> Option<String> {
    let g = graph.graph();
    let rs = edges.iter().filter_map(|&j| g[EdgeIndex::new(j)].rtt_ms);
    let (lo, hi) = rs.fold(None, |acc: Option<(f64, f64)>, r| {
        Some(acc.map_or((r, r), |(lo, hi)| (lo.min(r), hi.max(r))))
    })?;
    Some(if format_rtt(lo) == format_rtt(hi) {
        format_rtt(lo)
    } else {
        format!(
            "{}–{}",
            format_rtt(lo).trim_end_matches(" ms"),
            format_rtt(hi)
        )
    })
}

/// One RTT label per node occurrence reached by edges: the fastest and slowest RTT of the
/// replies that reached it. A label with no free spot near its edges is left out (the node's
/// detail still has the RTTs).
pub(super) fn rtt_labels(
    graph: &RouteGraph,
    layout: &Layout,
    bundle_of: &[(usize, usize)],
    (ox, oy): (f64, f64),
    out: &mut String,
    texts: &mut usize,
) {
    let g = graph.graph();
    // Incoming edges per lower item, in edge order, and every edge's drawn line.
    let mut by_target: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    let mut lines: HashMap<usize, Vec<(f64, f64)>> = HashMap::new();
    let mut segments = Segments::new();
    for e in g.edge_references() {
        let j = e.id().index();
        let path = &layout.edge_paths[j];
        if path.len() < 2 {
            continue;
        }
        let t = path[path.len() - 1];
        let k = *slot.entry(t).or_insert_with(|| {
            by_target.push((t, Vec::new()));
            by_target.len() - 1
        });
        by_target[k].1.push(j);
        let (b, n) = bundle_of[j];
        let route = Route::new(
            &layout.edge_points_at(j),
            &layout.edge_rows_at(j),
            bundle_offset(layout, path, b, n),
        );
        let line = route.polyline(CURVE_STEPS);
        segments.add(t, &line);
        lines.insert(j, line);
    }
    // Nodes and AS titles are in the way too, and each label placed.
    let mut boxes: Vec<Rect> = layout
        .nodes()
        .iter()
        .map(|p| (p.x - p.w / 2.0, p.y - p.h / 2.0, p.w, p.h))
        .collect();
    for b in layout.boxes() {
        let Some((lx, ly)) = b.label_at else { continue };
        let w = b
            .label_lines
            .iter()
            .map(|l| text::width(l, AS_FONT))
            .fold(0.0, f64::max);
        let top = ly + AS_BASELINE - ASCENT * AS_FONT;
        let bottom =
            ly + AS_BASELINE + (b.label_lines.len() as f64 - 1.0) * AS_LINE_H + DESCENT * AS_FONT;
        boxes.push((lx - 1.0, top - 1.0, w + 2.0, bottom - top + 2.0));
    }
    let right_end = layout.width() + LEGEND_GAP / 2.0;
    for (t, edges) in &by_target {
        let Some(label) = label_text(graph, edges) else {
            continue;
        };
        let Some(&(_, top_y)) = edges.first().and_then(|&j| lines.get(&j)?.last()) else {
            continue;
        };
        let w = text::width(&label, RTT_FONT) + 2.0;
        let h = (ASCENT + DESCENT) * RTT_FONT + 1.0;
        let below = top_y - 2.0;
        // Heights from just above the node up to just under the row above.
        let highest = top_y - ROW_PITCH + BLACKHOLE_H + h + 2.0;
        let steps = ((below - highest) / 4.0).max(0.0) as u32;
        let heights: Vec<f64> = (0..=steps).map(|k| below - f64::from(k) * 4.0).collect();
        let own: Vec<&Vec<(f64, f64)>> = edges.iter().filter_map(|j| lines.get(j)).collect();
        let span = |lo: f64, hi: f64| {
            let xs = own
                .iter()
                .flat_map(|l| [lo, f64::midpoint(lo, hi), hi].map(|y| x_at(l, y)))
                .flatten();
            xs.fold(None, |acc: Option<(f64, f64)>, x| {
                Some(acc.map_or((x, x), |(a, b)| (a.min(x), b.max(x))))
            })
        };
        let mut spot = None;
        'search: for k in 0..TRIES_OUT {
            for &bottom in &heights {
                let top = bottom - h;
                let Some((min_x, max_x)) = span(top, bottom) else {
                    continue;
                };
                let out_by = BESIDE + k as f64 * STEP_OUT;
                for x in [max_x + out_by, min_x - out_by - w] {
                    let r = (x, top, w, h);
                    if x >= 0.0
                        && x + w <= right_end
                        && !segments.hit(r, *t)
                        && !boxes.iter().any(|b| overlaps(*b, r))
                    {
                        spot = Some(r);
                        break 'search;
                    }
                }
            }
        }
        let Some(r) = spot else { continue };
        boxes.push(r);
        let id = graph
            .edge_keys(crate::EdgeId(EdgeIndex::new(edges[0])))
            .map_or_else(|| edges[0].to_string(), |(_, to)| to);
        let _ = writeln!(
            out,
            "<text id=\"rtt-{}\" class=\"rtt\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{RTT_FONT}\" fill=\"#444444\" stroke=\"#ffffff\" stroke-width=\"2.5\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
            esc(&id),
            ox + r.0 + 1.0,
            oy + r.1 + r.3 - DESCENT * RTT_FONT - 0.5,
            esc(&label)
        );
        *texts += 1;
    }
}
