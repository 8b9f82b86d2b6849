//! The data island of the HTML report: what the page shows of each node, serialized from
//! types and escaped for a `<script type="application/json">` element.
//!
//! Every string in it is text for `textContent`: the script never parses it as markup. A
//! node's detail is a list of labelled [`Field`]s, so a new fact about a hop (its country and
//! city, say) is one more `fields.push` in [`node_fields`], and the page shows it unchanged.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use crate::graph::{NodeKind, RouteGraph};
use crate::layout::Layout;
use crate::palette::TraceColors;
use crate::port::PortState;
use crate::svg::format_rtt;
use crate::{Node, NodeId};

/// The whole island.
#[derive(Serialize)]
pub(crate) struct Data {
    /// The traces, in legend order (indexes of `Visit::trace` and `Entry::traces`).
    pub(crate) traces: Vec<TraceEntry>,
    /// One entry per graph node, then one per folded AS.
    pub(crate) nodes: Vec<Entry>,
}

/// A trace as the legend shows it.
#[derive(Serialize)]
pub(crate) struct TraceEntry {
    /// `target:port`.
    pub(crate) label: String,
    /// Its colour on the map.
    pub(crate) color: String,
    /// Whether its destination answered.
    pub(crate) reached: bool,
    /// The vantage point it was measured from.
    pub(crate) vantage: Option<String>,
}

/// What the page shows of one node (or folded AS).
#[derive(Serialize)]
pub(crate) struct Entry {
    /// The SVG ids of its drawn occurrences (`node-198-51-100-7`, `node-198-51-100-7-ttl5`)
    /// or of its folded node (`as-node-64500`).
    pub(crate) ids: Vec<String>,
    /// `router`, `endpoint`, `unknown`, `blackhole` or `as`.
    pub(crate) kind: &'static str,
    /// The heading of its detail.
    pub(crate) title: String,
    /// Its facts, in display order.
    pub(crate) fields: Vec<Field>,
    /// What each trace saw of it (routers and endpoints).
    pub(crate) visits: Vec<VisitEntry>,
    /// The traces through it, ascending.
    pub(crate) traces: Vec<usize>,
    /// What the search box matches, lower case: address, name, `as64500`, AS name, target.
    pub(crate) terms: Vec<String>,
}

/// One labelled fact of a node.
#[derive(Serialize)]
pub(crate) struct Field {
    pub(crate) label: &'static str,
    pub(crate) value: String,
}

impl Field {
    fn new(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
        }
    }
}

/// One row of a node's per-trace table.
#[derive(Serialize)]
pub(crate) struct VisitEntry {
    pub(crate) trace: usize,
    pub(crate) ttl: u16,
    pub(crate) replies: u32,
    /// `0.31 / 0.40 / 0.52 ms` (min / avg / max), or `-` without a timely reply.
    pub(crate) rtt: String,
    /// `25%`, or `-` when unknown.
    pub(crate) loss: String,
}

/// The id of the folded node of `asn` in the AS-level view.
pub(crate) fn as_node_id(asn: u32) -> String {
    format!("as-node-{asn}")
}

/// The island of a laid-out graph.
pub(crate) fn build(graph: &RouteGraph, layout: &Layout) -> Data {
    let colors = TraceColors::new(graph.traces());
    let traces = graph
        .traces()
        .iter()
        .enumerate()
        .map(|(i, t)| TraceEntry {
            label: t.label(),
            color: colors.color(i).to_owned(),
            reached: t.reached,
            vantage: t.vantage.clone(),
        })
        .collect();
    // The traces of each node, from the edges at either end.
    let mut through: HashMap<NodeId, BTreeSet<usize>> = HashMap::new();
    for (e, a, b) in graph.edge_ids() {
        if let Some(edge) = graph.edge(e) {
            through.entry(a).or_default().insert(edge.trace);
            through.entry(b).or_default().insert(edge.trace);
        }
    }
    // The drawn occurrences of each node, in row order.
    let mut occurrences: HashMap<NodeId, Vec<String>> = HashMap::new();
    for p in layout.nodes() {
        occurrences
            .entry(p.node)
            .or_default()
            .push(format!("node-{}", graph.occurrence_key(p.node, p.ttl)));
    }
    let mut nodes = Vec::with_capacity(graph.node_count());
    let mut by_as: BTreeMap<u32, Vec<(NodeId, &Node)>> = BTreeMap::new();
    for (id, node) in graph.node_ids() {
        let mut traces: Vec<usize> = through
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .collect();
        traces.extend(node.visits.iter().map(|v| v.trace));
        traces.sort_unstable();
        traces.dedup();
        if let Some(asn) = node.asn {
            by_as.entry(asn).or_default().push((id, node));
        }
        nodes.push(Entry {
            ids: occurrences.remove(&id).unwrap_or_default(),
            kind: kind_name(node.kind),
            title: node.label.clone(),
            fields: node_fields(graph, node),
            visits: node
                .visits
                .iter()
                .map(|v| VisitEntry {
                    trace: v.trace,
                    ttl: v.ttl,
                    replies: v.replies,
                    rtt: rtt_text(v.rtt_min_ms, v.rtt_avg_ms(), v.rtt_max_ms),
                    loss: v.loss_pct.map_or_else(|| "-".to_owned(), pct),
                })
                .collect(),
            traces,
            terms: terms(graph, node),
        });
    }
    for (asn, members) in by_as {
        nodes.push(as_entry(graph, asn, &members, &nodes));
    }
    Data { traces, nodes }
}

/// The detail of a folded AS: its name, members and the traces through it.
fn as_entry(graph: &RouteGraph, asn: u32, members: &[(NodeId, &Node)], nodes: &[Entry]) -> Entry {
    let mut traces: Vec<usize> = members
        .iter()
        .flat_map(|(id, _)| nodes[id.index()].traces.iter().copied())
        .collect();
    traces.sort_unstable();
    traces.dedup();
    let addrs: Vec<String> = members
        .iter()
        .filter_map(|(_, n)| n.addr.map(|a| a.to_string()))
        .collect();
    let mut fields = vec![Field::new("AS", graph.as_label(asn))];
    fields.push(Field::new("Hops", addrs.len().to_string()));
    fields.push(Field::new("Addresses", addrs.join(", ")));
    let mut terms = vec![format!("as{asn}")];
    if let Some(Some(name)) = graph.as_names().get(&asn) {
        terms.push(name.to_lowercase());
    }
    Entry {
        ids: vec![as_node_id(asn)],
        kind: "as",
        title: graph.as_label(asn),
        fields,
        visits: Vec::new(),
        traces,
        terms,
    }
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Router => "router",
        NodeKind::Endpoint => "endpoint",
        NodeKind::Unknown => "unknown",
        NodeKind::Blackhole => "blackhole",
    }
}

/// The facts of a node, in display order. Add a new fact of a hop here.
fn node_fields(graph: &RouteGraph, node: &Node) -> Vec<Field> {
    let mut fields = Vec::new();
    match node.kind {
        NodeKind::Router | NodeKind::Endpoint => {
            if let Some(a) = node.addr {
                fields.push(Field::new("Address", a.to_string()));
            }
            fields.push(Field::new(
                "Name",
                node.name.clone().unwrap_or_else(|| "-".to_owned()),
            ));
            fields.push(Field::new(
                "AS",
                node.asn
                    .map_or_else(|| "-".to_owned(), |a| graph.as_label(a)),
            ));
            // The recipe's "IDC location": country and city, with what else the database had.
            if let Some(g) = &node.geo {
                fields.push(Field::new("Location", g.to_string()));
            }
        }
        NodeKind::Unknown => {
            fields.push(Field::new("Silent", "no reply at these TTLs"));
        }
        NodeKind::Blackhole => {
            fields.push(Field::new("Not reached", node.label.clone()));
        }
    }
    fields.push(Field::new("TTL", ttls(&node.ttls)));
    if !node.ports.is_empty() {
        let ports: Vec<String> = node
            .ports
            .iter()
            .map(|(p, st)| format!("{p} {}", port_state(*st)))
            .collect();
        fields.push(Field::new("Ports", ports.join(", ")));
    }
    if let Some(l) = node.loss_pct {
        fields.push(Field::new("Loss", pct(l)));
    }
    if !node.mpls.is_empty() {
        let stacks: Vec<String> = node
            .mpls
            .iter()
            .map(|st| st.iter().map(u32::to_string).collect::<Vec<_>>().join("/"))
            .collect();
        fields.push(Field::new("MPLS", stacks.join(", ")));
    }
    if !node.marks.is_empty() {
        fields.push(Field::new("Unreachable", node.marks.join(" ")));
    }
    for m in &node.middleboxes {
        fields.push(Field::new("Middlebox", m.to_string()));
    }
    fields
}

fn port_state(st: PortState) -> String {
    match st {
        PortState::Open => "open (SYN-ACK)".to_owned(),
        PortState::Closed => "closed (RST)".to_owned(),
        PortState::EchoReply => "echo reply".to_owned(),
        PortState::Unreachable(c) => format!("unreachable (code {c})"),
    }
}

/// What the search box matches a node by.
fn terms(graph: &RouteGraph, node: &Node) -> Vec<String> {
    let mut t = vec![node.label.to_lowercase()];
    if let Some(a) = node.addr {
        t.push(a.to_string());
    }
    if let Some(n) = &node.name {
        t.push(n.to_lowercase());
    }
    if let Some(asn) = node.asn {
        t.push(format!("as{asn}"));
        if let Some(Some(name)) = graph.as_names().get(&asn) {
            t.push(name.to_lowercase());
        }
    }
    t.dedup();
    t
}

/// `3`, `3, 5`.
fn ttls(ttls: &[u16]) -> String {
    ttls.iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `0.31 / 0.40 / 0.52 ms`.
fn rtt_text(min: Option<f64>, avg: Option<f64>, max: Option<f64>) -> String {
    match (min, avg, max) {
        (Some(lo), Some(mean), Some(hi)) => {
            let mut s = String::new();
            for (k, v) in [lo, mean, hi].into_iter().enumerate() {
                let _ = write!(
                    s,
                    "{}{}",
                    if k > 0 { " / " } else { "" },
                    format_rtt(v).trim_end_matches(" ms")
                );
            }
            s.push_str(" ms");
            s
        }
        _ => "-".to_owned(),
    }
}

/// `25%`, `33.3%`.
fn pct(p: f64) -> String {
    let r = (p * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0}%")
    } else {
        format!("{r:.1}%")
    }
}

/// The island as the text of a `<script type="application/json">` element: JSON with `<`,
/// `>` and `&` as `\u003c`, `\u003e` and `\u0026`, so that no `</script>` or `<!--` can end or
/// change the element, whatever the strings hold. JSON.parse reads it back unchanged.
pub(crate) fn to_island(data: &Data) -> String {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    escape_island(&json)
}

fn escape_island(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn island_escapes_what_could_end_the_element() {
        let json =
            serde_json::to_string(&["</script><script>alert(1)</script>", "<!--", "a&b"]).unwrap();
        let island = escape_island(&json);
        assert!(!island.contains('<') && !island.contains('>') && !island.contains('&'));
        let back: Vec<String> = serde_json::from_str(&island).unwrap();
        assert_eq!(back[0], "</script><script>alert(1)</script>");
        assert_eq!(back[2], "a&b");
    }

    #[test]
    fn rtt_and_loss_texts() {
        assert_eq!(
            rtt_text(Some(0.31), Some(0.4), Some(12.34)),
            "0.31 / 0.40 / 12.3 ms"
        );
        assert_eq!(rtt_text(None, None, None), "-");
        assert_eq!(pct(25.0), "25%");
        assert_eq!(pct(100.0 / 3.0), "33.3%");
    }
}
