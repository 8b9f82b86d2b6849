//! graphviz DOT in the style of scapy's `TracerouteResult.graph()`.

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::graph::{EdgeId, NodeId, NodeKind, RouteGraph};
use crate::ids;
use crate::options::RenderOptions;
use crate::palette::TraceColors;
use crate::svg::{as_colors, format_rtt};

/// Text for a DOT double-quoted string: quotes and backslashes escaped, control characters
/// left out.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a DOT double-quoted string.
fn quoted(s: &str) -> String {
    format!("\"{}\"", escaped(s))
}

/// Escapes text for a field of a record label.
fn record_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// The DOT name of a node: its address, `unkN` or `bhN` like scapy.
fn names(graph: &RouteGraph) -> HashMap<NodeIndex, String> {
    let mut unk = 0;
    let mut bh = 0;
    let mut out = HashMap::new();
    for n in graph.graph().node_indices() {
        let node = &graph.graph()[n];
        let name = match node.kind {
            NodeKind::Router | NodeKind::Endpoint => node
                .addr
                .map_or_else(|| format!("n{}", n.index()), |a| a.to_string()),
            NodeKind::Unknown => {
                unk += 1;
                format!("unk{}", unk - 1)
            }
            NodeKind::Blackhole => {
                bh += 1;
                format!("bh{}", bh - 1)
            }
        };
        out.insert(n, name);
    }
    out
}

/// Writes the edges of every trace, each with its id (and its RTT with `--rtt`).
fn write_edges(
    graph: &RouteGraph,
    opts: &RenderOptions,
    names: &HashMap<NodeIndex, String>,
    s: &mut String,
) {
    let g = graph.graph();
    s.push_str("\n\tnode [shape=ellipse,color=black,style=solid];\n\n");
    let colors = TraceColors::new(graph.traces());
    for (ti, t) in graph.traces().iter().enumerate() {
        let _ = writeln!(s, "#---[{}", t.label().replace(['\n', '\r'], " "));
        let _ = writeln!(s, "\t\tedge [color=\"{}\"];", colors.color(ti));
        for e in g.edge_references().filter(|e| e.weight().trace == ti) {
            let mut attrs = String::new();
            if let Some((from, to)) = graph.edge_keys(EdgeId(e.id())) {
                let bundle = ids::edge_bundle(&from, &to);
                let _ = write!(
                    attrs,
                    "id={},class={}",
                    quoted(&format!("{bundle}-trace-{ti}")),
                    quoted(&format!("{bundle} trace-{ti}"))
                );
            }
            if opts.rtt_labels
                && let Some(rtt) = e.weight().rtt_ms
            {
                let _ = write!(attrs, ",label={}", quoted(&format_rtt(rtt)));
            }
            let _ = writeln!(
                s,
                "\t{} -> {} [{attrs}];",
                quoted(&names[&e.source()]),
                quoted(&names[&e.target()])
            );
        }
    }
}

/// The `id` attribute of node `n`: the SVG's id of the node's first occurrence.
fn id_attr(graph: &RouteGraph, n: NodeIndex) -> String {
    format!(
        "id={}",
        quoted(&format!("node-{}", graph.node_key(NodeId(n))))
    )
}

/// A router's attributes: its id and, when it has an annotation (its place, unreachable marks,
/// middlebox rewrites, MPLS labels), a label of its address over that line, as the SVG draws
/// it. Without one, dot labels the node with its name, the address, as scapy's graph does.
fn router_attrs(graph: &RouteGraph, n: NodeIndex) -> String {
    let mut attrs = id_attr(graph, n);
    let node = &graph.graph()[n];
    if let Some(note) = node.annotation() {
        let _ = write!(
            attrs,
            ",label=\"{}\\n{}\"",
            escaped(&node.label),
            escaped(&note)
        );
    }
    attrs
}

/// Writes the DOT of `graph`.
pub(crate) fn write(graph: &RouteGraph, opts: &RenderOptions) -> String {
    let g = graph.graph();
    let names = names(graph);
    let mut s = String::with_capacity(1024 + g.edge_count() * 48);
    s.push_str("digraph trace {\n");
    if let Some(t) = &opts.title {
        let _ = writeln!(s, "\tlabel = {};\n\tlabelloc = t;", quoted(t));
    }
    s.push_str("\n\tnode [shape=ellipse,color=black,style=solid];\n");

    s.push_str("\n#ASN clustering\n");
    for (rank, (&asn, name)) in graph.as_names().iter().enumerate() {
        let (fill, stroke) = as_colors(rank);
        let members: Vec<NodeIndex> = g
            .node_indices()
            .filter(|&n| g[n].asn == Some(asn))
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\tsubgraph cluster_{asn} {{");
        let _ = writeln!(s, "\t\tcolor=\"{stroke}\";");
        let _ = writeln!(s, "\t\tnode [fillcolor=\"{fill}\",style=filled];");
        s.push_str("\t\tfontsize = 10;\n");
        let label = match name {
            Some(n) => format!("{asn}\\n[{}]", escaped(n)),
            None => format!("{asn}"),
        };
        let _ = writeln!(s, "\t\tlabel = \"{label}\";");
        for n in members {
            // Endpoints carry their id where they are drawn, with their record.
            if g[n].kind == NodeKind::Endpoint {
                let _ = writeln!(s, "\t\t{};", quoted(&names[&n]));
            } else {
                let _ = writeln!(
                    s,
                    "\t\t{} [{}];",
                    quoted(&names[&n]),
                    router_attrs(graph, n)
                );
            }
        }
        s.push_str("\t}\n");
    }

    s.push_str("\n#routers\n");
    for n in g
        .node_indices()
        .filter(|&n| g[n].kind == NodeKind::Router && g[n].asn.is_none())
    {
        let _ = writeln!(s, "\t{} [{}];", quoted(&names[&n]), router_attrs(graph, n));
    }

    s.push_str("\n#endpoints\n");
    for n in g
        .node_indices()
        .filter(|&n| g[n].kind == NodeKind::Endpoint)
    {
        let node = &g[n];
        let mut label = record_field(&node.label);
        for (p, st) in &node.ports {
            let _ = write!(label, "|<T{p}> {p} {}", st.flags());
        }
        let _ = writeln!(
            s,
            "\t{} [{},shape=record,color=black,fillcolor=green,style=filled,label={}];",
            quoted(&names[&n]),
            id_attr(graph, n),
            quoted(&label)
        );
    }

    s.push_str("\n#Blackholes\n");
    for n in g
        .node_indices()
        .filter(|&n| g[n].kind == NodeKind::Blackhole)
    {
        let _ = writeln!(
            s,
            "\t{} [{},shape=octagon,color=black,fillcolor=red,style=filled,label={}];",
            quoted(&names[&n]),
            id_attr(graph, n),
            quoted(&g[n].label)
        );
    }

    s.push_str("\n#Unknowns\n");
    for n in g.node_indices().filter(|&n| g[n].kind == NodeKind::Unknown) {
        let _ = writeln!(
            s,
            "\t{} [{},label={},style=dashed];",
            quoted(&names[&n]),
            id_attr(graph, n),
            quoted(&g[n].label)
        );
    }

    write_edges(graph, opts, &names, &mut s);
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_router_with_a_place_is_labelled_with_it_as_in_the_svg() {
        use std::time::Duration;
        use tcptrace::{CountryCode, Geo, Hop, Reply, ReplyKind, StopReason, Trace};
        let te = |a: &str| {
            Reply::new(
                a.parse().unwrap(),
                Duration::from_millis(1),
                ReplyKind::TimeExceeded,
            )
        };
        let de = CountryCode::new("DE").unwrap();
        let mut t = Trace::new(
            "198.18.9.1",
            "198.18.9.1".parse().unwrap(),
            80,
            StopReason::MaxTtl,
        );
        t.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(
                2,
                vec![te("198.18.0.2").with_geo(Some(Geo::new(de).with_city(Some("Berlin \"x\""))))],
            ),
        ];
        let dot = write(
            &RouteGraph::new(&vec![t]).unwrap(),
            &RenderOptions::default(),
        );
        let line = |addr: &str| {
            dot.lines()
                .find(|l| l.trim_start().starts_with(&format!("\"{addr}\" [")))
                .unwrap_or_else(|| panic!("{addr} in {dot}"))
                .to_owned()
        };
        assert!(
            line("198.18.0.2").ends_with(r#",label="198.18.0.2\nBerlin \"x\", DE"];"#),
            "{dot}"
        );
        assert!(!line("198.18.0.1").contains("label="), "{dot}");
    }

    #[test]
    fn escapes() {
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\cd\"");
        assert_eq!(record_field("a|b{c}<d>"), "a\\|b\\{c\\}\\<d\\>");
    }
}
