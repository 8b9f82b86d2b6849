//! The SVG writer: deterministic, every text escaped, stable ids and classes.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::many_single_char_names,
    clippy::too_many_lines,
    reason = "geometry: layer sizes and positions are small counts turned into coordinates, \
              and the writer reads best top to bottom"
)]

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::visit::EdgeRef;

use crate::graph::{NodeKind, RouteGraph};
use crate::ids;
use crate::layout::{
    self, ANNOTATION_FONT, AS_FONT, AS_LINE_H, BLACKHOLE_H, BOX_LABEL_BAND, Layout, NODE_FONT,
    ROW_PITCH,
};
use crate::options::RenderOptions;
use crate::palette::TraceColors;
use crate::port::PortState;
use crate::text::{self, FONT_FAMILY};

mod curve;
mod legend;
mod rtt;
mod style;

use curve::bundle_offset;
pub(crate) use style::format_rtt;
use style::{AS_BASELINE, LEGEND_GAP, esc};

const MARGIN: f64 = 16.0;
const GUTTER: f64 = 58.0;
const TITLE_H: f64 = 34.0;
const TITLE_FONT: f64 = 16.0;
/// Font size and band height of the note on what a map leaves out.
const NOTE_FONT: f64 = 13.0;
const NOTE_H: f64 = 34.0;

/// Pastel fill and matching stroke for AS boxes.
const AS_COLORS: [(&str, &str); 8] = [
    ("#e8f1fb", "#6b9bd1"),
    ("#fdf1e3", "#d9a35b"),
    ("#eaf6ea", "#72b372"),
    ("#f4ecf8", "#a582c0"),
    ("#fbeaea", "#d88080"),
    ("#e9f7f7", "#5fb3b3"),
    ("#f8f6e3", "#bdb257"),
    ("#f0f0f0", "#9a9a9a"),
];

/// The rank of each AS among the map's ASes, which picks its colours.
pub(crate) fn as_ranks(graph: &RouteGraph) -> HashMap<u32, usize> {
    graph
        .as_names()
        .keys()
        .enumerate()
        .map(|(i, a)| (*a, i))
        .collect()
}

/// The fill and stroke of the AS with rank `i` among the map's ASes.
pub(crate) fn as_colors(i: usize) -> (&'static str, &'static str) {
    AS_COLORS[i % AS_COLORS.len()]
}

/// Where the drawing and the legend go on the canvas.
struct Frame {
    ox: f64,
    oy: f64,
    width: f64,
    height: f64,
    legend_x: f64,
    legend_y: f64,
    legend: Option<legend::Legend>,
}

fn frame(graph: &RouteGraph, layout: &Layout, opts: &RenderOptions, note: Option<&str>) -> Frame {
    let oy = MARGIN
        + if opts.title.is_some() { TITLE_H } else { 0.0 }
        + if note.is_some() { NOTE_H } else { 0.0 };
    let ox = MARGIN + GUTTER;
    let colors = TraceColors::new(graph.traces());
    // Beside the map; under it when the map is wide and the legend would need columns there
    // (so a wide map does not grow wider for its legend).
    let legend = opts.legend.then(|| {
        let beside = legend::Legend::new(
            graph.traces(),
            &colors,
            legend::Room::Beside(layout.height()),
        );
        if beside.wrapped() && layout.width() > 2.0 * layout.height() {
            legend::Legend::new(graph.traces(), &colors, legend::Room::Below(layout.width()))
        } else {
            beside
        }
    });
    let below = legend
        .as_ref()
        .is_some_and(|l| matches!(l.room, legend::Room::Below(_)));
    let (legend_x, legend_y) = if below {
        (ox, oy + layout.height() + LEGEND_GAP / 2.0)
    } else {
        (ox + layout.width() + LEGEND_GAP, oy + 4.0)
    };
    let (lw, lh) = legend.as_ref().map_or((0.0, 0.0), |l| (l.width, l.height));
    let mut width = (ox + layout.width() + MARGIN).max(if legend.is_some() {
        legend_x + lw + MARGIN
    } else {
        0.0
    });
    if let Some(t) = &opts.title {
        width = width.max(MARGIN * 2.0 + text::width(t, TITLE_FONT));
    }
    if let Some(n) = note {
        width = width.max(MARGIN * 2.0 + text::width(n, NOTE_FONT));
    }
    let height = (oy + layout.height() + MARGIN).max(legend_y + lh + MARGIN);
    Frame {
        ox,
        oy,
        width: width.ceil(),
        height: height.ceil(),
        legend_x,
        legend_y,
        legend,
    }
}

/// The size of the SVG [`write`] would produce, in user units, without writing it, and where
/// the drawing's origin lies on it (layout coordinates plus the origin are SVG coordinates):
/// `(width, height, ox, oy)`.
pub(crate) fn placement(
    graph: &RouteGraph,
    layout: &Layout,
    opts: &RenderOptions,
    note: Option<&str>,
) -> (f64, f64, f64, f64) {
    let f = frame(graph, layout, opts, note);
    (f.width, f.height, f.ox, f.oy)
}

/// The map's own style sheet, the text of its `<style>` element (the HTML report allows it by
/// its hash).
pub(crate) const STYLE: &str =
    ".edge{fill:none;stroke-width:1.6;stroke-linecap:round}.node text{pointer-events:none}";

/// Writes the SVG of a laid-out graph, with `note` (what the map leaves out) under the title.
/// Returns the document and the number of `<text>` elements in it.
pub(crate) fn write(
    graph: &RouteGraph,
    layout: &Layout,
    opts: &RenderOptions,
    note: Option<&str>,
) -> (String, usize) {
    let g = graph.graph();
    let f = frame(graph, layout, opts, note);
    let (ox, oy) = (f.ox, f.oy);
    let colors = TraceColors::new(graph.traces());
    let mut s = String::with_capacity(4096 + g.node_count() * 400 + g.edge_count() * 200);
    let mut texts = 0usize;
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"{FONT_FAMILY}\" font-size=\"{NODE_FONT}\" class=\"routeviz\">",
        w = f.width,
        h = f.height
    );
    let _ = writeln!(s, "<style>{STYLE}</style>");
    let _ = writeln!(
        s,
        "<rect id=\"background\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        f.width, f.height
    );
    if let Some(t) = &opts.title {
        let _ = writeln!(
            s,
            "<text id=\"title\" class=\"title\" x=\"{MARGIN:.1}\" y=\"{:.1}\" font-size=\"{TITLE_FONT}\" fill=\"#222222\">{}</text>",
            MARGIN + TITLE_FONT,
            esc(t)
        );
        texts += 1;
    }
    if let Some(n) = note {
        let _ = writeln!(
            s,
            "<text id=\"omitted\" class=\"omitted\" x=\"{MARGIN:.1}\" y=\"{:.1}\" font-size=\"{NOTE_FONT}\" fill=\"#b00020\">{}</text>",
            // Clear of the first row's band, which starts 16 above the drawing.
            f.oy - NOTE_H + NOTE_FONT + 2.0,
            esc(n)
        );
        texts += 1;
    }

    // Rows: alternating bands with the TTL in the gutter.
    s.push_str("<g id=\"rows\">\n");
    let band_right = ox + layout.width() + LEGEND_GAP / 2.0;
    for (l, ttl) in layout.ttls().enumerate() {
        let y = oy + layout.row_y(ttl);
        let top = (y - ROW_PITCH / 2.0).max(oy - BOX_LABEL_BAND);
        let bottom = (y + ROW_PITCH / 2.0).min(oy + layout.height());
        if l % 2 == 0 {
            let _ = writeln!(
                s,
                "<rect class=\"row-band\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f5f6f8\"/>",
                MARGIN,
                band_right - MARGIN,
                bottom - top
            );
        }
        let _ = writeln!(
            s,
            "<text id=\"ttl-{ttl}\" class=\"ttl\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#666666\" text-anchor=\"end\">TTL {ttl}</text>",
            ox - 12.0,
            y + 4.0
        );
        texts += 1;
    }
    s.push_str("</g>\n");

    // AS boxes.
    let as_rank = as_ranks(graph);
    s.push_str("<g id=\"as-boxes\">\n");
    let mut as_labels = String::new();
    for b in layout.boxes() {
        let (fill, stroke) = as_colors(as_rank.get(&b.asn).copied().unwrap_or(0));
        let mut d = String::new();
        for (k, (x, y)) in b.outline.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if k == 0 { "M" } else { "L" },
                ox + x,
                oy + y
            );
        }
        d.push('Z');
        let _ = writeln!(
            s,
            "<path id=\"as-{}-{}\" class=\"as-box as-{}\" data-asn=\"{}\" data-ttl-first=\"{}\" data-ttl-last=\"{}\" d=\"{d}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.2\" stroke-linejoin=\"round\"><title>{}</title></path>",
            b.asn,
            b.run,
            b.asn,
            b.asn,
            b.first_ttl,
            b.last_ttl,
            esc(&b.label),
        );
        let Some((lx, ly)) = b.label_at else {
            continue;
        };
        for (k, line) in b.label_lines.iter().enumerate() {
            let id = if k == 0 {
                format!("as-{}-{}-label", b.asn, b.run)
            } else {
                format!("as-{}-{}-label-{}", b.asn, b.run, k + 1)
            };
            let _ = writeln!(
                as_labels,
                "<text id=\"{id}\" class=\"as-label as-{}\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{AS_FONT}\" fill=\"#333333\" stroke=\"{fill}\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
                b.asn,
                ox + lx,
                oy + ly + AS_BASELINE + k as f64 * AS_LINE_H,
                esc(line)
            );
            texts += 1;
        }
    }
    s.push_str("</g>\n");

    // Edges, with parallel edges of several traces side by side.
    s.push_str("<g id=\"edges\">\n");
    let mut bundles: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut bundle_of = vec![(0usize, 0usize); g.edge_count()];
    for e in g.edge_references() {
        let path = &layout.edge_paths[e.id().index()];
        if path.len() < 2 {
            continue;
        }
        let key = (path[0], path[path.len() - 1]);
        let v = bundles.entry(key).or_default();
        bundle_of[e.id().index()] = (v.len(), 0);
        v.push(e.id().index());
    }
    for e in g.edge_references() {
        let path = &layout.edge_paths[e.id().index()];
        if path.len() < 2 {
            continue;
        }
        let n = bundles[&(path[0], path[path.len() - 1])].len();
        bundle_of[e.id().index()].1 = n;
    }
    let mut rtts = String::new();
    // One group per pair of drawn occurrences, in the order of their first edge.
    let mut groups: Vec<(String, String, String, String)> = Vec::new();
    let mut group_of: HashMap<(String, String), usize> = HashMap::new();
    for e in g.edge_references() {
        let i = e.id().index();
        let pts = layout.edge_points_at(i);
        if pts.len() < 2 {
            continue;
        }
        let Some((from, to)) = graph.edge_keys(crate::EdgeId(e.id())) else {
            continue;
        };
        let (k, n) = bundle_of[i];
        let off = bundle_offset(layout, &layout.edge_paths[i], k, n);
        let w = e.weight();
        let color = colors.color(w.trace);
        let d = curve::Route::new(&pts, &layout.edge_rows_at(i), off).path_data((ox, oy));
        let gi = *group_of
            .entry((from.clone(), to.clone()))
            .or_insert_with(|| {
                groups.push((
                    ids::edge_bundle(&from, &to),
                    from.clone(),
                    to.clone(),
                    String::new(),
                ));
                groups.len() - 1
            });
        let bundle = &mut groups[gi];
        let _ = writeln!(
            bundle.3,
            "<path id=\"{}-trace-{}\" class=\"edge trace-{}\" data-trace=\"{}\" data-ttl=\"{}\" d=\"{d}\" stroke=\"{color}\"><title>{} TTL {}→{}</title></path>",
            esc(&bundle.0),
            w.trace,
            w.trace,
            w.trace,
            w.to_ttl,
            esc(&graph
                .traces()
                .get(w.trace)
                .map(crate::TraceInfo::label)
                .unwrap_or_default()),
            w.from_ttl,
            w.to_ttl
        );
    }
    for (id, from, to, paths) in &groups {
        let _ = write!(
            s,
            "<g id=\"{}\" class=\"edge-bundle\" data-from=\"node-{}\" data-to=\"node-{}\">\n{paths}</g>\n",
            esc(id),
            esc(from),
            esc(to)
        );
    }
    if opts.rtt_labels {
        rtt::rtt_labels(graph, layout, &bundle_of, (ox, oy), &mut rtts, &mut texts);
    }
    s.push_str("</g>\n");
    if !rtts.is_empty() {
        s.push_str("<g id=\"rtts\">\n");
        s.push_str(&rtts);
        s.push_str("</g>\n");
    }
    s.push_str("<g id=\"as-labels\">\n");
    s.push_str(&as_labels);
    s.push_str("</g>\n");

    // Nodes.
    s.push_str("<g id=\"nodes\">\n");
    for p in layout.nodes() {
        let node = &g[p.node.0];
        let id = format!("node-{}", graph.occurrence_key(p.node, p.ttl));
        let kind = match node.kind {
            NodeKind::Router => "router",
            NodeKind::Endpoint => "endpoint",
            NodeKind::Unknown => "unknown",
            NodeKind::Blackhole => "blackhole",
        };
        let as_class = node.asn.map(|a| format!(" as-{a}")).unwrap_or_default();
        let repeat = if node.ttls.len() > 1 { " repeat" } else { "" };
        let middlebox = if node.middleboxes.is_empty() {
            ""
        } else {
            " middlebox"
        };
        let (cx, cy) = (ox + p.x, oy + p.y);
        let (x0, y0) = (cx - p.w / 2.0, cy - p.h / 2.0);
        let annotation = node.annotation();
        let mut tip = match node.asn {
            Some(a) => format!("{} ({})", node.label, graph.as_label(a)),
            None => node.label.clone(),
        };
        if let Some(a) = &annotation {
            let _ = write!(tip, "\n{a}");
        }
        if let Some(g) = &node.geo {
            let _ = write!(tip, "\nlocation: {g}");
        }
        for m in &node.middleboxes {
            let _ = write!(tip, "\nmiddlebox before {m}");
        }
        let mut data = String::new();
        if let Some(a) = node.addr {
            let _ = write!(data, " data-addr=\"{}\"", esc(&a.to_string()));
        }
        if let Some(a) = node.asn {
            let _ = write!(data, " data-asn=\"{a}\"");
        }
        let _ = write!(
            s,
            "<g id=\"{}\" class=\"node {kind}{as_class}{repeat}{middlebox}\"{data} data-ttl=\"{}\"><title>{}</title>",
            esc(&id),
            p.ttl,
            esc(&tip)
        );
        // An annotated node is taller: its label moves up and the annotation goes under it.
        let label_y = if annotation.is_some() {
            cy - 1.5
        } else {
            cy + 4.2
        };
        match node.kind {
            NodeKind::Router => {
                let stroke = if node.ttls.len() > 1 {
                    "#b35900"
                } else {
                    "#333333"
                };
                let _ = write!(
                    s,
                    "<rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"5\" fill=\"#ffffff\" stroke=\"{stroke}\" stroke-width=\"1.2\"/>\
                     <text x=\"{cx:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\" fill=\"#111111\">{}</text>",
                    p.w,
                    p.h,
                    esc(&node.label)
                );
                texts += 1;
                annotate(&mut s, &mut texts, annotation.as_deref(), cx, cy);
            }
            NodeKind::Endpoint => {
                let _ = write!(
                    s,
                    "<rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"#c8ecc8\" stroke=\"#2e7d32\" stroke-width=\"1.4\"/>",
                    p.w, p.h
                );
                let mut x = x0;
                for (c, cell) in layout::endpoint_cells(node).iter().enumerate() {
                    let cw = layout::endpoint_cell_width(node, c, cell);
                    if c > 0 {
                        let fill = match node
                            .ports
                            .get(c - 1)
                            .filter(|_| c - 1 < layout::MAX_PORT_CELLS)
                            .map(|(_, st)| *st)
                        {
                            Some(PortState::Open) => "#8fd18f",
                            Some(PortState::Closed) => "#f3b38a",
                            _ => "#d6d6d6",
                        };
                        let _ = write!(
                            s,
                            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{cw:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"#2e7d32\" stroke-width=\"1\"/>",
                            y0 + 0.7,
                            p.h - 1.4
                        );
                    }
                    let _ = write!(
                        s,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#0d3310\">{}</text>",
                        x + cw / 2.0,
                        if c == 0 { label_y } else { cy + 4.2 },
                        esc(cell)
                    );
                    texts += 1;
                    if c == 0 {
                        annotate(&mut s, &mut texts, annotation.as_deref(), x + cw / 2.0, cy);
                    }
                    x += cw;
                }
            }
            NodeKind::Unknown => {
                let _ = write!(
                    s,
                    "<ellipse cx=\"{cx:.1}\" cy=\"{cy:.1}\" rx=\"{:.1}\" ry=\"{:.1}\" fill=\"#eeeeee\" stroke=\"#888888\" stroke-dasharray=\"3 2\"/>\
                     <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555555\">{}</text>",
                    p.w / 2.0,
                    p.h / 2.0,
                    cy + 4.2,
                    esc(&node.label)
                );
                texts += 1;
            }
            NodeKind::Blackhole => {
                let (hw, hh) = (p.w / 2.0, BLACKHOLE_H / 2.0);
                let c = 9.0f64.min(hh);
                let pts = [
                    (cx - hw + c, cy - hh),
                    (cx + hw - c, cy - hh),
                    (cx + hw, cy - hh + c),
                    (cx + hw, cy + hh - c),
                    (cx + hw - c, cy + hh),
                    (cx - hw + c, cy + hh),
                    (cx - hw, cy + hh - c),
                    (cx - hw, cy - hh + c),
                ];
                let mut ps = String::new();
                for (i, (x, y)) in pts.iter().enumerate() {
                    let _ = write!(ps, "{}{x:.1},{y:.1}", if i > 0 { " " } else { "" });
                }
                let (host, ports) = layout::blackhole_lines(node);
                let _ = write!(
                    s,
                    "<polygon points=\"{ps}\" fill=\"#d32f2f\" stroke=\"#7f0000\" stroke-width=\"1.4\"/>\
                     <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#ffffff\">{}</text>\
                     <text class=\"ports\" x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{ANNOTATION_FONT}\" text-anchor=\"middle\" fill=\"#ffffff\">{}</text>",
                    cy - 1.5,
                    esc(host),
                    cy + 10.5,
                    esc(ports)
                );
                texts += 2;
            }
        }
        s.push_str("</g>\n");
    }
    s.push_str("</g>\n");

    if let Some(l) = &f.legend {
        texts += l.write(&mut s, graph.traces(), &colors, (f.legend_x, f.legend_y));
    }
    s.push_str("</svg>\n");
    (s, texts)
}

/// Writes a node's annotation (marks, MPLS labels, loss) under its label, centred on `cx`.
fn annotate(s: &mut String, texts: &mut usize, annotation: Option<&str>, cx: f64, cy: f64) {
    let Some(a) = annotation else { return };
    let _ = write!(
        s,
        "<text class=\"annotation\" x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"{ANNOTATION_FONT}\" text-anchor=\"middle\" fill=\"#8a1c00\">{}</text>",
        cy + 10.5,
        esc(a)
    );
    *texts += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_format() {
        assert_eq!(format_rtt(0.123), "0.12 ms");
        assert_eq!(format_rtt(12.34), "12.3 ms");
        assert_eq!(format_rtt(153.4), "153 ms");
    }
}
