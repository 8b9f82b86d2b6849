//! Our own layered layout: one row per TTL, AS members kept together, Brandes–Köpf-style x.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::many_single_char_names,
    clippy::too_many_lines,
    reason = "geometry: layer sizes and positions are small counts turned into coordinates, \
              and the layout steps read best as one function each"
)]

mod item;
mod order;
mod place;

use std::collections::HashMap;

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::graph::{EdgeId, NodeId, NodeKind, RouteGraph};
use crate::text;

pub(crate) use item::{
    ANNOTATED_H, ANNOTATION_FONT, AS_FONT, AS_LINE_H, AS_LINES, AS_WRAP_W, BLACKHOLE_H, BOX_GAP,
    BOX_LABEL_BAND, BOX_PAD, CELL_PAD, DUMMY_W, Item, ItemKind, NODE_FONT, NODE_GAP, NODE_H,
    ROW_PITCH, TITLE_PAD,
};

/// A node occurrence with its place on the map.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct PlacedNode {
    /// The graph node.
    pub node: NodeId,
    /// The TTL (row) of this occurrence.
    pub ttl: u16,
    /// Whether this is the node's first occurrence (the lowest TTL it was seen at).
    pub first: bool,
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// An AS box: the members of one AS on a run of consecutive rows.
///
/// `x`, `y`, `w` and `h` are its bounding box; the drawn shape is [`AsBox::outline`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AsBox {
    /// The AS number.
    pub asn: u32,
    /// Which run of this AS, counted from the top (an AS that leaves and comes back has
    /// several).
    pub run: usize,
    /// The first TTL of the run.
    pub first_ttl: u16,
    /// The last TTL of the run.
    pub last_ttl: u16,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// The label of the box (`AS64500 NAME`), whole: the box's tooltip.
    pub label: String,
    /// The label as drawn: wrapped into lines, cut only past the last one. Empty for the
    /// pieces of a run after the one that holds its title.
    pub label_lines: Vec<String>,
    /// The top-left corner of the drawn label's lines: in a slot of its own on the run's first
    /// row, beside the members, where no edge passes. `None` where `label_lines` is empty.
    pub label_at: Option<(f64, f64)>,
    /// The graph nodes inside the box.
    pub members: Vec<NodeId>,
    /// The outline, clockwise from the top-left corner: a rectangle, or a staircase of one
    /// strip per row where the neighbours on a row leave less room.
    pub outline: Vec<(f64, f64)>,
}

/// A computed layout of a [`RouteGraph`]: rows, node places, edge routes and AS boxes, with the
/// drawing's top-left corner at (0, 0).
#[derive(Clone, Debug)]
pub struct Layout {
    pub(crate) items: Vec<Item>,
    pub(crate) layers: Vec<Vec<usize>>,
    pub(crate) min_ttl: u16,
    /// Per graph edge: the items it passes through, top to bottom.
    pub(crate) edge_paths: Vec<Vec<usize>>,
    pub(crate) boxes: Vec<AsBox>,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) crossings: usize,
    /// Room above the first row for the extra lines of the AS labels there.
    pub(crate) top: f64,
}

impl Layout {
    /// Lays out `graph`. Deterministic: the same graph gives the same layout.
    pub fn new(graph: &RouteGraph) -> Self {
        build(graph)
    }

    /// The drawing's width.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// The drawing's height.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// The TTLs of the rows, top to bottom (consecutive, one row per TTL).
    pub fn ttls(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.layers.len()).map(|l| self.min_ttl + l as u16)
    }

    /// The y of the row of `ttl`'s node centres.
    pub fn row_y(&self, ttl: u16) -> f64 {
        self.top + row_y(usize::from(ttl.saturating_sub(self.min_ttl)))
    }

    /// Every node occurrence with its place.
    pub fn nodes(&self) -> Vec<PlacedNode> {
        let mut seen = vec![false; self.items.len()];
        let mut out = Vec::new();
        for layer in &self.layers {
            for &i in layer {
                let it = &self.items[i];
                if let ItemKind::Node(n) = it.kind {
                    let first = !seen.get(n.index()).copied().unwrap_or(false);
                    if let Some(s) = seen.get_mut(n.index()) {
                        *s = true;
                    }
                    out.push(PlacedNode {
                        node: NodeId(n),
                        ttl: self.min_ttl + it.layer as u16,
                        first,
                        x: it.x,
                        y: self.top + row_y(it.layer),
                        w: it.w,
                        h: it.h,
                    });
                }
            }
        }
        out
    }

    /// The AS boxes.
    pub fn boxes(&self) -> &[AsBox] {
        &self.boxes
    }

    /// The route of graph edge `edge` as points from the bottom of its upper node to the top of
    /// its lower node, through the bend points of the rows it crosses.
    /// Empty for an edge this layout does not have.
    pub fn edge_points(&self, edge: EdgeId) -> Vec<(f64, f64)> {
        self.edge_points_at(edge.index())
    }

    /// [`Layout::edge_points`] of the edge at `index`.
    pub(crate) fn edge_points_at(&self, index: usize) -> Vec<(f64, f64)> {
        let Some(path) = self.edge_paths.get(index) else {
            return Vec::new();
        };
        let mut pts = Vec::with_capacity(path.len());
        for (k, &i) in path.iter().enumerate() {
            let it = &self.items[i];
            let y = self.top + row_y(it.layer);
            let y = if k == 0 {
                y + it.h / 2.0
            } else if k + 1 == path.len() {
                y - it.h / 2.0
            } else {
                y
            };
            pts.push((it.x, y));
        }
        pts
    }

    /// The y of the row centre of each point of [`Layout::edge_points_at`].
    pub(crate) fn edge_rows_at(&self, index: usize) -> Vec<f64> {
        self.edge_paths.get(index).map_or_else(Vec::new, |path| {
            path.iter()
                .map(|&i| self.top + row_y(self.items[i].layer))
                .collect()
        })
    }

    /// The drawn edges as straight polylines through their node centres and bend points, one
    /// per pair of connected node occurrences (parallel edges of several traces count once), for
    /// crossing counts.
    pub fn polylines(&self) -> Vec<Vec<(f64, f64)>> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for path in &self.edge_paths {
            if path.len() < 2 || !seen.insert((path[0], path[path.len() - 1])) {
                continue;
            }
            out.push(
                path.iter()
                    .map(|&i| (self.items[i].x, self.top + row_y(self.items[i].layer)))
                    .collect(),
            );
        }
        out
    }

    /// The number of edge crossings between consecutive rows of this layout.
    pub fn crossings(&self) -> usize {
        self.crossings
    }
}

/// The left and right edges of the members of a run on one layer, padded (the title is one
/// of them).
fn natural_strip(items: &[Item], members: &[usize]) -> (f64, f64) {
    let left = members
        .iter()
        .map(|&i| items[i].x - items[i].w / 2.0)
        .fold(f64::MAX, f64::min);
    let right = members
        .iter()
        .map(|&i| items[i].x + items[i].w / 2.0)
        .fold(f64::MIN, f64::max);
    (left - BOX_PAD, right + BOX_PAD)
}

/// The AS boxes: a rectangle over the run's overall extent where that is free of everything
/// else on all its rows, else per row a tight strip around the members, split where two
/// consecutive strips do not overlap.
/// Splits a layer into its stretches: each maximal stretch of consecutive members of one AS
/// run, with that run, and each item outside any run on its own, with `None`.
fn segments<'a>(
    layer: &'a [usize],
    run_of: &HashMap<usize, usize>,
) -> Vec<(Option<usize>, &'a [usize])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < layer.len() {
        let run = run_of.get(&layer[i]).copied();
        let mut j = i;
        if run.is_some() {
            while j + 1 < layer.len() && run_of.get(&layer[j + 1]).copied() == run {
                j += 1;
            }
        }
        out.push((run, &layer[i..=j]));
        i = j + 1;
    }
    out
}

fn as_boxes(
    graph: &RouteGraph,
    items: &[Item],
    layers: &[Vec<usize>],
    runs: &[place::Run],
    label_lines: &HashMap<u32, Vec<String>>,
    min_ttl: u16,
) -> Vec<AsBox> {
    let mut run_of: HashMap<usize, usize> = HashMap::new();
    for (r, run) in runs.iter().enumerate() {
        for &m in &run.members {
            run_of.insert(m, r);
        }
    }
    // The run's overall extent from its natural strips.
    let mut extent = vec![(f64::MAX, f64::MIN); runs.len()];
    for l in layers {
        for (run, seg) in segments(l, &run_of) {
            let Some(r) = run else { continue };
            let (a, b) = natural_strip(items, seg);
            extent[r] = (extent[r].0.min(a), extent[r].1.max(b));
        }
    }
    // Natural strips, and per layer the obstacles in x order: items outside runs and the
    // natural strips of runs.
    let mut strips: HashMap<(usize, usize), (f64, f64)> = HashMap::new();
    let mut obstacles: Vec<Vec<(f64, f64, Option<usize>)>> = vec![Vec::new(); layers.len()];
    for (li, l) in layers.iter().enumerate() {
        for (run, seg) in segments(l, &run_of) {
            let Some(r) = run else {
                let it = &items[seg[0]];
                obstacles[li].push((it.x - it.w / 2.0, it.x + it.w / 2.0, None));
                continue;
            };
            let (a, b) = natural_strip(items, seg);
            strips.insert((r, li), (a, b));
            obstacles[li].push((a, b, Some(r)));
        }
    }
    // A run whose overall extent is free on all its rows becomes a rectangle (first come,
    // first served); the others keep their tight per-row strips.
    let mut widened: Vec<Vec<(f64, f64)>> = vec![Vec::new(); layers.len()];
    for (r, run) in runs.iter().enumerate() {
        let (lo, hi) = extent[r];
        let fits = (run.first..=run.last).all(|li| {
            let obs = &obstacles[li];
            let start = obs.partition_point(|o| o.1 + BOX_GAP <= lo);
            obs[start..]
                .iter()
                .take_while(|o| o.0 - BOX_GAP < hi)
                .all(|o| o.2 == Some(r))
                && widened[li]
                    .iter()
                    .all(|&(a, b)| b + BOX_GAP <= lo || a - BOX_GAP >= hi)
        });
        if fits {
            for (li, w) in widened
                .iter_mut()
                .enumerate()
                .take(run.last + 1)
                .skip(run.first)
            {
                strips.insert((r, li), (lo, hi));
                w.push((lo, hi));
            }
        }
    }
    let mut boxes = Vec::new();
    let mut count: HashMap<u32, usize> = HashMap::new();
    for (r, run) in runs.iter().enumerate() {
        // Split where consecutive strips do not overlap enough to read as one box.
        let mut pieces: Vec<Vec<usize>> = vec![vec![run.first]];
        for l in run.first + 1..=run.last {
            let (a0, b0) = strips[&(r, l - 1)];
            let (a1, b1) = strips[&(r, l)];
            if a1.max(a0) + 2.0 * BOX_PAD > b1.min(b0) {
                pieces.push(vec![l]);
            } else if let Some(p) = pieces.last_mut() {
                p.push(l);
            }
        }
        for piece in pieces {
            let first = piece[0];
            let last = piece[piece.len() - 1];
            let title = run
                .members
                .iter()
                .map(|&i| &items[i])
                .find(|it| it.kind == ItemKind::Title && piece.contains(&it.layer));
            let (lines, label_at) = match title {
                Some(t) => (
                    label_lines.get(&run.asn).cloned().unwrap_or_default(),
                    Some((t.x - t.w / 2.0 + TITLE_PAD, row_y(t.layer) - t.h / 2.0)),
                ),
                None => (Vec::new(), None),
            };
            let mut bounds = vec![row_y(first) - BLACKHOLE_H / 2.0 - BOX_LABEL_BAND];
            for &l in &piece[1..] {
                bounds.push(row_y(l) - ROW_PITCH / 2.0);
            }
            bounds.push(row_y(last) + BLACKHOLE_H / 2.0 + BOX_PAD / 2.0);
            let sx: Vec<(f64, f64)> = piece.iter().map(|&l| strips[&(r, l)]).collect();
            let mut outline = vec![(sx[0].0, bounds[0])];
            for (k, &(_, b)) in sx.iter().enumerate() {
                outline.push((b, bounds[k]));
                outline.push((b, bounds[k + 1]));
            }
            for (k, &(a, _)) in sx.iter().enumerate().rev() {
                outline.push((a, bounds[k + 1]));
                outline.push((a, bounds[k]));
            }
            outline.dedup_by(|p, q| (p.0 - q.0).abs() < 1e-9 && (p.1 - q.1).abs() < 1e-9);
            // Drop points in the middle of straight runs.
            let mut clean: Vec<(f64, f64)> = Vec::with_capacity(outline.len());
            for p in outline {
                if clean.len() >= 2 {
                    let (a, b) = (clean[clean.len() - 2], clean[clean.len() - 1]);
                    let collinear = ((a.0 - b.0).abs() < 1e-9 && (b.0 - p.0).abs() < 1e-9)
                        || ((a.1 - b.1).abs() < 1e-9 && (b.1 - p.1).abs() < 1e-9);
                    if collinear {
                        clean.pop();
                    }
                }
                clean.push(p);
            }
            if clean.len() > 2 && clean[0] == clean[clean.len() - 1] {
                clean.pop();
            }
            let x0 = sx.iter().map(|s| s.0).fold(f64::MAX, f64::min);
            let x1 = sx.iter().map(|s| s.1).fold(f64::MIN, f64::max);
            let mut nodes: Vec<NodeIndex> = Vec::new();
            for &i in &run.members {
                if piece.contains(&items[i].layer)
                    && let ItemKind::Node(n) = items[i].kind
                    && !nodes.contains(&n)
                {
                    nodes.push(n);
                }
            }
            let k = count.entry(run.asn).or_insert(0);
            boxes.push(AsBox {
                asn: run.asn,
                run: *k,
                first_ttl: min_ttl + first as u16,
                last_ttl: min_ttl + last as u16,
                x: x0,
                y: bounds[0],
                w: x1 - x0,
                h: bounds[bounds.len() - 1] - bounds[0],
                label: graph.as_label(run.asn),
                label_lines: lines,
                label_at,
                members: nodes.into_iter().map(NodeId).collect(),
                outline: clean,
            });
            *k += 1;
        }
    }
    boxes
}

/// The y of the node centres of layer `l`.
pub(crate) fn row_y(l: usize) -> f64 {
    BOX_LABEL_BAND + BOX_PAD + BLACKHOLE_H / 2.0 + l as f64 * ROW_PITCH
}

/// A cheap lower bound on the drawn size, from the graph alone: the widest layer's nodes side
/// by side and every layer's row. The layout can only be larger (it adds dummies and boxes), so
/// a graph whose bound is over budget is refused before the costly layout runs.
pub(crate) fn size_lower_bound(graph: &RouteGraph) -> (f64, f64) {
    let mut layers: HashMap<u16, (f64, usize)> = HashMap::new();
    for n in graph.graph().node_indices() {
        let (w, _) = node_size(graph, n);
        for &t in &graph.graph()[n].ttls {
            let e = layers.entry(t).or_insert((0.0, 0));
            e.0 += w;
            e.1 += 1;
        }
    }
    let width = layers
        .values()
        .map(|&(w, k)| w + k.saturating_sub(1) as f64 * NODE_GAP)
        .fold(0.0, f64::max);
    let (lo, hi) = (layers.keys().min(), layers.keys().max());
    let height = match (lo, hi) {
        (Some(&lo), Some(&hi)) => row_y(usize::from(hi - lo)) + BLACKHOLE_H / 2.0,
        _ => 0.0,
    };
    (width, height)
}

/// The size of a graph node as drawn.
pub(crate) fn node_size(graph: &RouteGraph, n: NodeIndex) -> (f64, f64) {
    let node = &graph.graph()[n];
    let h = if node.annotation().is_some() {
        ANNOTATED_H
    } else {
        NODE_H
    };
    match node.kind {
        NodeKind::Router => (
            text::width(&node.label, NODE_FONT).max(annotation_width(node)) + 2.0 * CELL_PAD + 4.0,
            h,
        ),
        NodeKind::Endpoint => {
            let w: f64 = endpoint_cells(node)
                .iter()
                .enumerate()
                .map(|(i, c)| endpoint_cell_width(node, i, c))
                .sum();
            (w, h)
        }
        NodeKind::Unknown => (
            (text::width(&node.label, NODE_FONT) + 26.0).max(38.0),
            NODE_H,
        ),
        NodeKind::Blackhole => {
            let (host, ports) = blackhole_lines(node);
            (
                text::width(host, NODE_FONT).max(text::width(ports, ANNOTATION_FONT))
                    + 2.0 * CELL_PAD
                    + 20.0,
                BLACKHOLE_H,
            )
        }
    }
}

/// The cells of an endpoint record: the address, then `PORT FLAGS` per port.
pub(crate) fn endpoint_cells(node: &crate::Node) -> Vec<String> {
    let mut cells = vec![node.label.clone()];
    cells.extend(
        node.ports
            .iter()
            .take(MAX_PORT_CELLS)
            .map(|(p, s)| format!("{p} {}", s.flags())),
    );
    if node.ports.len() > MAX_PORT_CELLS {
        cells.push(format!("+{} more", node.ports.len() - MAX_PORT_CELLS));
    }
    cells
}

/// The two lines of a blackhole: the host, and under it its ports (`80,443/tcp`), so that
/// a row of many unreached hosts stays narrow.
pub(crate) fn blackhole_lines(node: &crate::Node) -> (&str, &str) {
    node.label
        .rsplit_once(' ')
        .unwrap_or((node.label.as_str(), ""))
}

/// The width of a node's annotation line, 0 without one.
fn annotation_width(node: &crate::Node) -> f64 {
    node.annotation()
        .map_or(0.0, |a| text::width(&a, ANNOTATION_FONT))
}

/// The width of cell `i` of an endpoint record: the first holds the address and the
/// annotation under it.
pub(crate) fn endpoint_cell_width(node: &crate::Node, i: usize, cell: &str) -> f64 {
    if i == 0 {
        text::width(cell, NODE_FONT).max(annotation_width(node)) + 2.0 * CELL_PAD
    } else {
        cell_width(cell)
    }
}

/// The most port cells drawn in one endpoint record; the rest are counted in a last cell.
pub(crate) const MAX_PORT_CELLS: usize = 12;

/// The width of one record cell.
pub(crate) fn cell_width(text: &str) -> f64 {
    text::width(text, NODE_FONT) + 2.0 * CELL_PAD
}

/// The work that crossing reduction may spend on starts after the first, in units of one
/// layout item times one layout edge: about what one start costs per unit (its sweeps,
/// transpositions and sifting touch every edge of every layer a bounded number of times).
/// Deterministic, unlike a clock, so the same graph keeps the same layout. Maps of up to a
/// hundred or so items take every extra start; a 10-trace × 25-hop map (about 240 items
/// and 260 edges) takes none, which keeps its layout near its time before multiple starts
/// (about 6 ms in a release build, against 15 ms with all of them).
const START_BUDGET: usize = 60_000;

/// The starts tried after the first, most useful first: the sweeps keep the group order of
/// their start, and barycenters alone rarely undo it, so shuffled depth-first walks are what
/// most often finds an order with fewer crossings.
const EXTRA_STARTS: [Start; 6] = [
    Start::Shuffled(0x9E37_79B9_7F4A_7C15 ^ 1),
    Start::Shuffled(0x9E37_79B9_7F4A_7C15 ^ 2),
    Start::Shuffled(0x9E37_79B9_7F4A_7C15 ^ 3),
    Start::Shuffled(0x9E37_79B9_7F4A_7C15 ^ 4),
    Start::DepthFirstReversed,
    Start::BreadthFirst,
];

/// How [`initial_order`] walks the graph.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    DepthFirst,
    DepthFirstReversed,
    BreadthFirst,
    /// Depth-first with the children of every item in an order drawn from this seed.
    Shuffled(u64),
}

/// A first order of every layer from a walk down the graph.
fn initial_order(
    items: &[Item],
    down: &[Vec<usize>],
    n_layers: usize,
    start: Start,
) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); n_layers];
    let mut placed = vec![false; items.len()];
    let mut roots: Vec<usize> = (0..items.len()).collect();
    if start == Start::DepthFirstReversed {
        roots.reverse();
    }
    let mut seed = match start {
        Start::Shuffled(s) => s,
        _ => 0,
    };
    let mut draw = move |n: usize| {
        // xorshift64: cheap, and the same every run.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    roots.sort_by_key(|&i| items[i].layer);
    let mut work: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for r in roots {
        if placed[r] {
            continue;
        }
        work.push_back(r);
        while let Some(v) = if start == Start::BreadthFirst {
            work.pop_front()
        } else {
            work.pop_back()
        } {
            if placed[v] {
                continue;
            }
            placed[v] = true;
            layers[items[v].layer].push(v);
            let next: Vec<usize> = match start {
                Start::DepthFirst => down[v].iter().rev().copied().collect(),
                Start::DepthFirstReversed | Start::BreadthFirst => down[v].clone(),
                Start::Shuffled(_) => {
                    let mut next = down[v].clone();
                    for i in (1..next.len()).rev() {
                        next.swap(i, draw(i + 1));
                    }
                    next
                }
            };
            for w in next {
                if !placed[w] {
                    work.push_back(w);
                }
            }
        }
    }
    layers
}

fn build(graph: &RouteGraph) -> Layout {
    let g = graph.graph();
    let min_ttl = g
        .node_weights()
        .flat_map(|n| n.ttls.iter().copied())
        .min()
        .unwrap_or(1);
    let max_ttl = g
        .node_weights()
        .flat_map(|n| n.ttls.iter().copied())
        .max()
        .unwrap_or(min_ttl);
    let n_layers = usize::from(max_ttl - min_ttl) + 1;

    // One item per (node, ttl) occurrence, created in node order then TTL order.
    let mut items: Vec<Item> = Vec::new();
    let mut occ: HashMap<(NodeIndex, u16), usize> = HashMap::new();
    for n in g.node_indices() {
        let (w, h) = node_size(graph, n);
        for &t in &g[n].ttls {
            occ.insert((n, t), items.len());
            items.push(Item {
                kind: ItemKind::Node(n),
                layer: usize::from(t - min_ttl),
                group: g[n].asn,
                w,
                h,
                x: 0.0,
            });
        }
    }

    // Layout edges between consecutive layers, with dummies for longer spans.
    let mut chains: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut edge_paths = vec![Vec::new(); g.edge_count()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for e in g.edge_references() {
        let w = e.weight();
        let (Some(&a), Some(&b)) = (
            occ.get(&(e.source(), w.from_ttl)),
            occ.get(&(e.target(), w.to_ttl)),
        ) else {
            continue;
        };
        if items[b].layer <= items[a].layer {
            // Not produced by the graph builder; drawn straight, kept out of the layout.
            edge_paths[e.id().index()] = vec![a, b];
            continue;
        }
        let path = chains
            .entry((a, b))
            .or_insert_with(|| {
                let mut path = vec![a];
                for l in items[a].layer + 1..items[b].layer {
                    path.push(items.len());
                    items.push(Item {
                        kind: ItemKind::Dummy,
                        layer: l,
                        group: None,
                        w: DUMMY_W,
                        h: 0.0,
                        x: 0.0,
                    });
                    down.push(Vec::new());
                }
                path.push(b);
                for w in path.windows(2) {
                    down[w[0]].push(w[1]);
                }
                path
            })
            .clone();
        edge_paths[e.id().index()] = path;
    }
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for (u, vs) in down.iter().enumerate() {
        for &v in vs {
            up[v].push(u);
        }
    }

    // Crossing reduction from a depth-first walk from the top (which keeps traces together),
    // then from as many other starts as the budget allows, keeping the best.
    let groups: Vec<Option<u32>> = items.iter().map(|i| i.group).collect();
    let mut best: Option<(Vec<Vec<usize>>, usize)> = None;
    let edges: usize = down.iter().map(Vec::len).sum();
    let extra = START_BUDGET / (items.len() * edges).max(1);
    let mut starts = vec![Start::DepthFirst];
    starts.extend(EXTRA_STARTS.iter().take(extra));
    for start in starts {
        let initial = initial_order(&items, &down, n_layers, start);
        let (layers, c) = order::order(initial, &groups, &up, &down);
        if best.as_ref().is_none_or(|(_, bc)| c < *bc) {
            best = Some((layers, c));
        }
        if c == 0 {
            break;
        }
    }
    let (mut layers, crossings) = best.unwrap_or_default();

    let label_lines: HashMap<u32, Vec<String>> = graph
        .as_names()
        .keys()
        .map(|&asn| {
            (
                asn,
                text::wrap(&graph.as_label(asn), AS_FONT, AS_WRAP_W, AS_LINES),
            )
        })
        .collect();
    // Each run's title takes a slot on its first row, after the run's first stretch there.
    let mut groups = groups;
    for run in place::runs(&layers, &groups) {
        let Some(lines) = label_lines.get(&run.asn).filter(|l| !l.is_empty()) else {
            continue;
        };
        let layer = &mut layers[run.first];
        let Some(start) = layer.iter().position(|&v| groups[v] == Some(run.asn)) else {
            continue;
        };
        let mut end = start;
        while end + 1 < layer.len() && groups[layer[end + 1]] == Some(run.asn) {
            end += 1;
        }
        let w = lines
            .iter()
            .map(|l| text::width(l, AS_FONT))
            .fold(0.0, f64::max);
        layer.insert(end + 1, items.len());
        items.push(Item {
            kind: ItemKind::Title,
            layer: run.first,
            group: Some(run.asn),
            w: w + 2.0 * TITLE_PAD,
            h: lines.len() as f64 * AS_LINE_H,
            x: 0.0,
        });
        up.push(Vec::new());
        down.push(Vec::new());
        groups.push(Some(run.asn));
    }
    let runs = place::runs(&layers, &groups);
    let xs = place::place(&layers, &items, &up, &down, &runs);
    for (it, x) in items.iter_mut().zip(xs) {
        it.x = x;
    }

    let mut boxes = as_boxes(graph, &items, &layers, &runs, &label_lines, min_ttl);
    // Wrapped labels of boxes on the first row reach above it: make room.
    let top = boxes.iter().map(|b| -b.y).fold(0.0, f64::max);
    for b in &mut boxes {
        b.y += top;
        if let Some(p) = &mut b.label_at {
            p.1 += top;
        }
        for p in &mut b.outline {
            p.1 += top;
        }
    }

    // Shift so the drawing starts at x = 0.
    let min_x = items
        .iter()
        .map(|i| i.x - i.w / 2.0)
        .chain(boxes.iter().map(|b| b.x))
        .fold(f64::MAX, f64::min);
    let min_x = if min_x.is_finite() { min_x } else { 0.0 };
    for it in &mut items {
        it.x -= min_x;
    }
    for b in &mut boxes {
        b.x -= min_x;
        if let Some(p) = &mut b.label_at {
            p.0 -= min_x;
        }
        for p in &mut b.outline {
            p.0 -= min_x;
        }
    }
    let width = items
        .iter()
        .map(|i| i.x + i.w / 2.0)
        .chain(boxes.iter().map(|b| b.x + b.w))
        .fold(0.0, f64::max);
    let height = top + row_y(n_layers - 1) + BLACKHOLE_H / 2.0 + BOX_PAD;
    Layout {
        items,
        layers,
        min_ttl,
        edge_paths,
        boxes,
        width,
        height,
        crossings,
        top,
    }
}
