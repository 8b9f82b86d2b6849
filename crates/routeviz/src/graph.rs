//! The route graph: one node per distinct address, built with petgraph (kept private).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::IpAddr;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

use tcptrace::{Reply, ReplyKind, Trace};

use crate::ids;
use crate::input::Traces;
use crate::port::PortState;
use crate::text::clean;
use crate::visit::Visit;
use crate::{Error, Result};

/// The most traces one map takes.
pub const MAX_TRACES: usize = 4096;
/// The most distinct addresses one hop of one trace may have (ECMP branches).
pub const MAX_ECMP: usize = 32;
/// The most edges one map takes.
pub const MAX_EDGES: usize = 200_000;

/// RTTs above this (about three hours) are treated as unknown.
const MAX_RTT_MS: f64 = 1e7;

/// The longest target shown, in characters.
pub(crate) const TARGET_CHARS: usize = 40;
/// The longest AS name kept, in characters: generous, so that real names (the longest in
/// the registries are about 90) are drawn whole, wrapped over lines; only longer ones are cut.
pub(crate) const AS_NAME_CHARS: usize = 120;
/// The most ports listed in the label of an unreached host; the rest are counted (`+3`).
const BLACKHOLE_PORTS: usize = 6;
/// The most rewrites listed in one node's annotation; the rest are counted (`+2`) and all
/// are in its tooltip.
const REWRITES_SHOWN: usize = 2;
/// The most MPLS label stacks listed in one node's annotation; more are shown as `…`.
const MPLS_STACKS: usize = 2;
/// The longest PTR name kept, in characters (a DNS name has at most 253).
pub(crate) const NAME_CHARS: usize = 253;

/// What a node of the route graph stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeKind {
    /// An address that answered with time exceeded (a router on the way).
    Router,
    /// A destination that answered; drawn as a record of its port states.
    Endpoint,
    /// Hops that did not answer (`unk` in scapy's graphs): one node per gap, at its first TTL,
    /// labelled `?` or `?×N` for N silent TTLs in a row.
    Unknown,
    /// A target that was never reached (a red octagon).
    Blackhole,
}

/// One node of the route graph.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Node {
    /// What the node stands for.
    pub kind: NodeKind,
    /// The address, for routers and endpoints.
    pub addr: Option<IpAddr>,
    /// The text drawn in the node: the address, `?`, or `target port/tcp` for a blackhole
    /// (cleaned and bounded).
    pub label: String,
    /// The port states of an endpoint, in the order the traces came.
    pub ports: Vec<(u16, PortState)>,
    /// The origin AS of the address, when known.
    pub asn: Option<u32>,
    /// Every TTL at which the node was seen, ascending. More than one means the address appears
    /// at several TTLs (asymmetric paths or a loop); the layout draws one occurrence per TTL.
    pub ttls: Vec<u16>,
    /// For a blackhole, the ports of the unreached host whose traces end there, in trace
    /// order (one blackhole per unreached host, however many of its ports were traced).
    pub unreached_ports: Vec<u16>,
    /// The distinct MPLS label stacks quoted in the address's replies (RFC 4950), each
    /// outermost first, in the order they came.
    pub mpls: Vec<Vec<u32>>,
    /// traceroute's marks (`!N`, `!H`, `!P`, `!X`...) of the ICMP unreachables the address
    /// sent, distinct, in the order they came.
    pub marks: Vec<String>,
    /// The worst loss, in percent, of the hops the address answered at, among hops with
    /// statistics measured over rounds ([`tcptrace::Hop::measured`]); `None` without them.
    pub loss_pct: Option<f64>,
    /// The middleboxes whose rewrites first show in this address's replies
    /// ([`tcptrace::Trace::middleboxes`]), distinct, in the order they came.
    pub middleboxes: Vec<tcptrace::Middlebox>,
    /// The name of the address (its PTR record, [`tcptrace::Reply::name`]), the first one
    /// its replies carried (cleaned and bounded).
    pub name: Option<String>,
    /// What each trace saw of the address: one [`Visit`] per trace and TTL it answered at,
    /// in trace order.
    pub visits: Vec<Visit>,
    /// Where a geography database places the address ([`tcptrace::Reply::geo`] of its first
    /// reply that has one).
    pub geo: Option<tcptrace::Geo>,
}

impl Node {
    fn new(kind: NodeKind, addr: Option<IpAddr>, label: String) -> Self {
        Self {
            kind,
            addr,
            label,
            ports: Vec::new(),
            asn: None,
            ttls: Vec::new(),
            unreached_ports: Vec::new(),
            mpls: Vec::new(),
            marks: Vec::new(),
            loss_pct: None,
            middleboxes: Vec::new(),
            name: None,
            visits: Vec::new(),
            geo: None,
        }
    }

    /// The compact line the map draws under the node's label, or `None` when there is
    /// nothing to say: the place (`Frankfurt am Main, DE`, [`tcptrace::Geo::short`]), the
    /// unreachable marks, a middlebox's rewrites first seen here as the
    /// table marks them (`* mss 1460→1300`, the first two and `+N`), the MPLS
    /// labels (`MPLS 24000`, a stack as `MPLS 24000/16`), and a loss above zero (`loss 25%`),
    /// joined by ` · `.
    pub fn annotation(&self) -> Option<String> {
        let mut parts: Vec<String> = self.geo.iter().map(tcptrace::Geo::short).collect();
        parts.extend(self.marks.iter().cloned());
        let rewrites: Vec<String> = self
            .middleboxes
            .iter()
            .flat_map(|m| m.rewrites.iter().map(ToString::to_string))
            .collect();
        if !rewrites.is_empty() {
            let mut shown = rewrites[..rewrites.len().min(REWRITES_SHOWN)].join(", ");
            if rewrites.len() > REWRITES_SHOWN {
                let _ = write!(shown, " +{}", rewrites.len() - REWRITES_SHOWN);
            }
            parts.push(format!("* {shown}"));
        }
        if !self.mpls.is_empty() {
            let mut stacks: Vec<String> = self
                .mpls
                .iter()
                .take(MPLS_STACKS)
                .map(|st| st.iter().map(u32::to_string).collect::<Vec<_>>().join("/"))
                .collect();
            if self.mpls.len() > MPLS_STACKS {
                stacks.push("…".to_owned());
            }
            parts.push(format!("MPLS {}", stacks.join(", ")));
        }
        if let Some(loss) = self.loss_pct.filter(|l| *l > 0.0) {
            parts.push(format!("loss {}%", format_pct(loss)));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// The most characters of a region or city name drawn (the model keeps up to 128).
const PLACE_CHARS: usize = 40;

/// A place as the map draws it: its names cleaned and bounded, since a report read back from
/// JSON may carry any text there.
fn clean_geo(g: &tcptrace::Geo) -> tcptrace::Geo {
    let name = |t: &Option<String>| {
        t.as_deref()
            .map(|t| clean(t, PLACE_CHARS))
            .filter(|t| !t.is_empty())
    };
    let mut out = g.clone();
    out.city = name(&g.city);
    out.region = name(&g.region);
    out
}

/// `25`, `33.3`, `100`: a percentage with one decimal only where it has one.
fn format_pct(p: f64) -> String {
    let r = (p * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// One edge of the route graph: a step of one trace from one TTL to the next.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Edge {
    /// The index of the trace in [`RouteGraph::traces`].
    pub trace: usize,
    /// The TTL of the upper end.
    pub from_ttl: u16,
    /// The TTL of the lower end.
    pub to_ttl: u16,
    /// The round-trip time to the lower end, in milliseconds, when known.
    pub rtt_ms: Option<f64>,
}

/// The id of a node of one [`RouteGraph`]: what [`PlacedNode::node`](crate::PlacedNode::node)
/// and [`AsBox::members`](crate::AsBox::members) name, looked up with [`RouteGraph::node`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) NodeIndex);

impl NodeId {
    /// The node's position in [`RouteGraph::nodes`] (insertion order).
    pub fn index(self) -> usize {
        self.0.index()
    }
}

/// The id of an edge of one [`RouteGraph`], for [`RouteGraph::edge`] and
/// [`Layout::edge_points`](crate::Layout::edge_points).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(pub(crate) EdgeIndex);

impl EdgeId {
    /// The edge's position in [`RouteGraph::edges`] (insertion order).
    pub fn index(self) -> usize {
        self.0.index()
    }
}

/// A trace as the map labels it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceInfo {
    /// The target (cleaned and bounded).
    pub target: String,
    /// The TCP port.
    pub port: u16,
    /// Whether the destination answered.
    pub reached: bool,
    /// The vantage point the trace was measured from, when it was imported (cleaned and
    /// bounded): its legend section and colour group.
    pub vantage: Option<String>,
}

impl TraceInfo {
    /// The legend text, `target:port`, or the target alone for port 0 (imported traces of
    /// tools that record no port).
    pub fn label(&self) -> String {
        if self.port == 0 {
            return self.target.clone();
        }
        format!("{}:{}", self.target, self.port)
    }
}

/// The graph of some [`Traces`], ready to lay out.
///
/// Built once from the traces: addresses become nodes (one per distinct address), each gap of
/// silent hops becomes one unknown node (shared by traces with the same gap between the same
/// answered neighbours), reached
/// destinations become endpoint nodes with their port states and unreached targets become
/// blackholes one TTL below the last answer.
#[derive(Clone, Debug)]
pub struct RouteGraph {
    graph: DiGraph<Node, Edge>,
    traces: Vec<TraceInfo>,
    as_names: BTreeMap<u32, Option<String>>,
    /// Per node, its content key ([`RouteGraph::node_key`]).
    keys: Vec<String>,
}

impl RouteGraph {
    /// Builds the graph of `traces`: a [`tcptrace::TraceReport`], a slice of
    /// [`tcptrace::Trace`]s or a [`Traces`] view.
    ///
    /// # Errors
    ///
    /// Returns [`Error::TooLarge`] when the input exceeds [`MAX_TRACES`], [`MAX_ECMP`] or
    /// [`MAX_EDGES`].
    pub fn new<'a>(traces: impl Into<Traces<'a>>) -> Result<Self> {
        let traces = traces.into();
        Self::of_first(traces, traces.traces.len())
    }

    /// The graph of the first `k` traces (all of them when `k` is larger).
    pub(crate) fn of_first(input: Traces<'_>, k: usize) -> Result<Self> {
        let Traces { traces, min_ttl } = input.first(k);
        if traces.len() > MAX_TRACES {
            return Err(Error::TooLarge {
                what: "traces",
                got: traces.len(),
                limit: MAX_TRACES,
            });
        }
        let mut b = Builder::default();
        for (ti, trace) in traces.iter().enumerate() {
            b.add_trace(ti, trace, min_ttl)?;
        }
        let Builder {
            mut graph,
            traces,
            as_names,
            blackholes,
            ..
        } = b;
        let blackhole_targets: HashMap<NodeIndex, String> =
            blackholes.into_iter().map(|((t, _), n)| (n, t)).collect();
        for n in graph.node_weights_mut() {
            n.ttls.sort_unstable();
            n.ttls.dedup();
        }
        sink_blackholes(&mut graph);
        let keys = node_keys(&graph, &blackhole_targets);
        Ok(Self {
            graph,
            traces,
            as_names,
            keys,
        })
    }

    /// An upper bound on the items the layout places: one per node occurrence (a node per TTL
    /// it was seen at) and one per row an edge passes through without a node there.
    pub(crate) fn layout_items(&self) -> usize {
        let occurrences: usize = self.graph.node_weights().map(|n| n.ttls.len()).sum();
        let bends: usize = self
            .graph
            .edge_weights()
            .map(|e| usize::from(e.to_ttl.saturating_sub(e.from_ttl)).saturating_sub(1))
            .sum();
        occurrences + bends
    }

    /// The petgraph graph, for the crate's own passes; the public API names [`NodeId`] and
    /// [`EdgeId`] instead so that petgraph stays an implementation detail.
    pub(crate) fn graph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// How many nodes the graph has.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// How many edges the graph has.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The nodes, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.graph.node_weights()
    }

    /// The node ids with their nodes, in insertion order.
    pub fn node_ids(&self) -> impl Iterator<Item = (NodeId, &Node)> + '_ {
        self.graph
            .node_indices()
            .map(|n| (NodeId(n), &self.graph[n]))
    }

    /// The edge ids with the ids of their upper and lower nodes, in insertion order.
    pub fn edge_ids(&self) -> impl Iterator<Item = (EdgeId, NodeId, NodeId)> + '_ {
        self.graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e).map(|(a, b)| (e, a, b)))
            .map(|(e, a, b)| (EdgeId(e), NodeId(a), NodeId(b)))
    }

    /// The edges, in insertion order, each with its source and target nodes.
    pub fn edges(&self) -> impl Iterator<Item = (&Node, &Node, &Edge)> + '_ {
        self.graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e).map(|(a, b)| (e, a, b)))
            .map(|(e, a, b)| (&self.graph[a], &self.graph[b], &self.graph[e]))
    }

    /// The traces, in input order; [`Edge::trace`] indexes this.
    pub fn traces(&self) -> &[TraceInfo] {
        &self.traces
    }

    /// Every AS seen, with its name when one was given (cleaned and bounded).
    pub fn as_names(&self) -> &BTreeMap<u32, Option<String>> {
        &self.as_names
    }

    /// The label of an AS box: `AS64500 NAME` or `AS64500`.
    pub fn as_label(&self, asn: u32) -> String {
        match self.as_names.get(&asn) {
            Some(Some(name)) => format!("AS{asn} {name}"),
            _ => format!("AS{asn}"),
        }
    }

    /// The content key of node `id`, or `""` for an id of another graph past this one's
    /// nodes. The SVG and DOT ids are built from it: `node-<key>`.
    ///
    /// A router or endpoint's key is its address with `.` and `:` as `-` (`198-51-100-7`,
    /// `2001-db8--1`); an unreached host's is `unreached-<target>`, every character of the
    /// target other than an ASCII letter or digit as `-`; a gap of silent hops is
    /// `gap-ttl<TTL>` at its first TTL. A key an earlier node already has gets `-2`, `-3`…
    /// (the first unused, in the order nodes were built), so keys are unique. An address drawn
    /// at several TTLs has its key at the lowest TTL and `<key>-ttl<TTL>` at the others; the
    /// edges between two drawn occurrences are `edge-<from>-<to>` and each trace's line in
    /// that bundle `edge-<from>-<to>-trace-<N>`, N the trace's place in the legend.
    pub fn node_key(&self, id: NodeId) -> &str {
        self.keys.get(id.index()).map_or("", String::as_str)
    }

    /// The node `id`, or `None` for an id of another graph past this one's nodes.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.graph.node_weight(id.0)
    }

    /// The keys of the two drawn occurrences edge `id` joins (`node-<key>` in the SVG), or
    /// `None` for an id of another graph.
    pub fn edge_keys(&self, id: EdgeId) -> Option<(String, String)> {
        let (a, b) = self.graph.edge_endpoints(id.0)?;
        let w = &self.graph[id.0];
        Some((
            self.occurrence_key(NodeId(a), w.from_ttl),
            self.occurrence_key(NodeId(b), w.to_ttl),
        ))
    }

    /// The key of node `id`'s occurrence at `ttl`: [`RouteGraph::node_key`] at its lowest
    /// TTL, `<key>-ttl<TTL>` at the others.
    pub fn occurrence_key(&self, id: NodeId, ttl: u16) -> String {
        ids::occurrence(
            self.node_key(id),
            self.node(id).and_then(|n| n.ttls.first().copied()),
            ttl,
        )
    }

    /// The edge `id`, or `None` for an id of another graph past this one's edges.
    pub fn edge(&self, id: EdgeId) -> Option<&Edge> {
        self.graph.edge_weight(id.0)
    }
}

#[derive(Default)]
struct Builder {
    graph: DiGraph<Node, Edge>,
    traces: Vec<TraceInfo>,
    as_names: BTreeMap<u32, Option<String>>,
    by_addr: HashMap<IpAddr, NodeIndex>,
    blackholes: HashMap<(String, IpAddr), NodeIndex>,
    unknowns: HashMap<(Vec<NodeIndex>, Vec<NodeIndex>, u16, usize), NodeIndex>,
}

/// One TTL of one trace: the nodes that answered (empty while unresolved silent).
struct Step {
    ttl: u16,
    nodes: Vec<(NodeIndex, Option<f64>)>,
}

fn is_final_from_dest(r: &Reply, dest: IpAddr, reached: bool) -> bool {
    match r.kind {
        ReplyKind::SynAck | ReplyKind::Rst => true,
        ReplyKind::Unreachable(_) | ReplyKind::EchoReply => r.from == dest,
        ReplyKind::TimeExceeded => reached && r.from == dest,
    }
}

impl Builder {
    fn add_trace(&mut self, ti: usize, trace: &Trace, min_ttl: Option<u8>) -> Result<()> {
        let dest = trace.addr;
        // Replies per TTL, in TTL order; duplicate TTL entries merge.
        let mut by_ttl: BTreeMap<u8, Vec<&Reply>> = BTreeMap::new();
        // The worst measured loss per TTL, for the nodes that answered there.
        let mut loss: BTreeMap<u8, f64> = BTreeMap::new();
        let hop_loss = visit_loss(trace);
        for hop in &trace.hops {
            let e = by_ttl.entry(hop.ttl).or_default();
            e.extend(hop.replies.iter());
            if let Some(st) = &hop.measured
                && st.loss_pct.is_finite()
            {
                let l = loss.entry(hop.ttl).or_insert(0.0);
                *l = l.max(st.loss_pct.clamp(0.0, 100.0));
            }
        }
        by_ttl.retain(|_, v| !v.is_empty());
        let dest_ttl = by_ttl
            .iter()
            .find(|(_, rs)| {
                rs.iter()
                    .any(|r| is_final_from_dest(r, dest, trace.reached))
            })
            .map(|(t, _)| *t);
        let reached = dest_ttl.is_some();
        self.traces.push(TraceInfo {
            target: clean(&trace.target, TARGET_CHARS),
            port: trace.port,
            reached,
            vantage: trace.vantage().map(|v| clean(v, TARGET_CHARS)),
        });

        let last = dest_ttl.or_else(|| by_ttl.keys().next_back().copied());
        let mut steps: Vec<Step> = Vec::new();
        if let Some(last) = last {
            let first = by_ttl.keys().next().copied().unwrap_or(last);
            let start = match min_ttl {
                Some(m) if m <= first => m,
                _ => first,
            };
            for ttl in start..=last {
                let ttl16 = u16::from(ttl);
                let mut nodes: Vec<(NodeIndex, Option<f64>)> = Vec::new();
                if let Some(replies) = by_ttl.get(&ttl) {
                    let at_dest = Some(ttl) == dest_ttl;
                    for r in replies {
                        let final_reply = at_dest && is_final_from_dest(r, dest, trace.reached);
                        let n = self.addr_node(r, final_reply.then_some(trace.port));
                        visit(
                            &mut self.graph[n],
                            ti,
                            ttl16,
                            hop_loss.get(&ttl).copied(),
                            r,
                        );
                        if let Some(&l) = loss.get(&ttl) {
                            let slot = &mut self.graph[n].loss_pct;
                            *slot = Some(slot.map_or(l, |v| v.max(l)));
                        }
                        let rtt = Some(r.rtt_ms).filter(|v| (0.0..=MAX_RTT_MS).contains(v));
                        if let Some(slot) = nodes.iter_mut().find(|(m, _)| *m == n) {
                            slot.1 = match (slot.1, rtt) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                        } else {
                            if nodes.len() == MAX_ECMP {
                                return Err(Error::TooLarge {
                                    what: "addresses at one hop",
                                    got: MAX_ECMP + 1,
                                    limit: MAX_ECMP,
                                });
                            }
                            nodes.push((n, rtt));
                        }
                    }
                }
                for m in trace.middleboxes.iter().filter(|m| m.ttl == ttl) {
                    for (n, _) in &nodes {
                        let node = &mut self.graph[*n];
                        if !node.middleboxes.contains(m) {
                            node.middleboxes.push(m.clone());
                        }
                    }
                }
                steps.push(Step { ttl: ttl16, nodes });
            }
            self.fill_gaps(&mut steps);
        }
        if !reached {
            let ttl = last.map_or_else(|| u16::from(min_ttl.unwrap_or(1)), |t| u16::from(t) + 1);
            let n = self.blackhole(trace);
            steps.push(Step {
                ttl,
                nodes: vec![(n, None)],
            });
        }
        for step in &steps {
            for (n, _) in &step.nodes {
                self.graph[*n].ttls.push(step.ttl);
            }
        }
        self.add_edges(ti, &steps, &trace.links)
    }

    /// The blackhole of `trace`'s host, with the trace's port added: one per unreached host,
    /// its ports grouped in one label.
    fn blackhole(&mut self, trace: &Trace) -> NodeIndex {
        let target = clean(&trace.target, TARGET_CHARS);
        let graph = &mut self.graph;
        let n = *self
            .blackholes
            .entry((target.clone(), trace.addr))
            .or_insert_with(|| graph.add_node(Node::new(NodeKind::Blackhole, None, String::new())));
        let node = &mut self.graph[n];
        if !node.unreached_ports.contains(&trace.port) {
            node.unreached_ports.push(trace.port);
        }
        let protocol = trace.source.as_ref().and_then(|s| s.protocol);
        node.label = blackhole_label(&target, &node.unreached_ports, protocol);
        n
    }

    /// Adds the edges of trace `ti` between consecutive steps: every address of one step to
    /// every address of the next, or, where a multipath trace found the links from a step's
    /// TTL (`--mda`), those links only, so that a diamond is drawn as one.
    fn add_edges(&mut self, ti: usize, steps: &[Step], links: &[tcptrace::Link]) -> Result<()> {
        for pair in steps.windows(2) {
            let known = links.iter().any(|l| u16::from(l.ttl) == pair[0].ttl);
            for (a, _) in &pair[0].nodes {
                for (b, rtt) in &pair[1].nodes {
                    if known
                        && !matches!((self.graph[*a].addr, self.graph[*b].addr), (Some(x), Some(y))
                        if links.iter().any(|l| {
                            u16::from(l.ttl) == pair[0].ttl && l.from == x && l.to == y
                        }))
                    {
                        continue;
                    }
                    if self.graph.edge_count() >= MAX_EDGES {
                        return Err(Error::TooLarge {
                            what: "edges",
                            got: MAX_EDGES + 1,
                            limit: MAX_EDGES,
                        });
                    }
                    let edge = Edge {
                        trace: ti,
                        from_ttl: pair[0].ttl,
                        to_ttl: pair[1].ttl,
                        rtt_ms: *rtt,
                    };
                    self.graph.add_edge(*a, *b, edge);
                }
            }
        }
        Ok(())
    }

    fn addr_node(&mut self, r: &Reply, port: Option<u16>) -> NodeIndex {
        if let Some(asn) = r.asn {
            let name = r
                .as_name
                .as_deref()
                .map(|n| clean(n, AS_NAME_CHARS))
                .filter(|n| !n.is_empty());
            let slot = self.as_names.entry(asn).or_insert(None);
            if slot.is_none() {
                *slot = name;
            }
        }
        let n = *self.by_addr.entry(r.from).or_insert_with(|| {
            self.graph.add_node(Node::new(
                NodeKind::Router,
                Some(r.from),
                r.from.to_string(),
            ))
        });
        let node = &mut self.graph[n];
        if node.asn.is_none() {
            node.asn = r.asn;
        }
        if node.name.is_none() {
            node.name = r
                .name
                .as_deref()
                .map(|n| clean(n, NAME_CHARS))
                .filter(|n| !n.is_empty());
        }
        if node.geo.is_none() {
            node.geo = r.geo.as_deref().map(clean_geo);
        }
        if !r.mpls.is_empty() {
            let stack: Vec<u32> = r.mpls.iter().map(|l| l.label).collect();
            if !node.mpls.contains(&stack) {
                node.mpls.push(stack);
            }
        }
        if let (Some(u), ReplyKind::Unreachable(code)) = (r.unreachable, r.kind) {
            let mark = u.mark(code);
            if !mark.is_empty() && !node.marks.contains(&mark) {
                node.marks.push(mark);
            }
        }
        if let Some(port) = port {
            node.kind = NodeKind::Endpoint;
            if let Some(state) = PortState::from_kind(r.kind)
                && !node.ports.iter().any(|(p, _)| *p == port)
            {
                node.ports.push((port, state));
            }
        }
        n
    }

    /// Replaces each gap of silent steps by one unknown node at the gap's first TTL (shared
    /// between traces with the same gap between the same answered neighbours); the edge from
    /// it to the next answer spans the rest of the gap.
    fn fill_gaps(&mut self, steps: &mut Vec<Step>) {
        let mut out: Vec<Step> = Vec::with_capacity(steps.len());
        let mut i = 0;
        while i < steps.len() {
            if !steps[i].nodes.is_empty() {
                out.push(Step {
                    ttl: steps[i].ttl,
                    nodes: std::mem::take(&mut steps[i].nodes),
                });
                i += 1;
                continue;
            }
            let start = i;
            while i < steps.len() && steps[i].nodes.is_empty() {
                i += 1;
            }
            let prev: Vec<NodeIndex> = out
                .last()
                .map(|s| s.nodes.iter().map(|(n, _)| *n).collect())
                .unwrap_or_default();
            let next: Vec<NodeIndex> = steps
                .get(i)
                .map(|s| s.nodes.iter().map(|(n, _)| *n).collect())
                .unwrap_or_default();
            let ttl = steps[start].ttl;
            let len = i - start;
            let key = (prev, next, ttl, len);
            let graph = &mut self.graph;
            let n = *self.unknowns.entry(key).or_insert_with(|| {
                let label = if len == 1 {
                    "?".to_owned()
                } else {
                    format!("?×{len}")
                };
                graph.add_node(Node::new(NodeKind::Unknown, None, label))
            });
            out.push(Step {
                ttl,
                nodes: vec![(n, None)],
            });
        }
        *steps = out;
    }
}

/// The loss per TTL of `trace` for the detail of each visit, in percent: measured over
/// rounds, or else from the probe count when it is known.
fn visit_loss(trace: &Trace) -> BTreeMap<u8, f64> {
    let mut out: BTreeMap<u8, f64> = BTreeMap::new();
    for hop in &trace.hops {
        let l = hop
            .measured
            .map(|st| st.loss_pct)
            .or_else(|| hop.loss().map(|f| f * 100.0))
            .filter(|l| l.is_finite());
        if let Some(l) = l {
            let slot = out.entry(hop.ttl).or_insert(0.0);
            *slot = slot.max(l.clamp(0.0, 100.0));
        }
    }
    out
}

/// Counts reply `r` of trace `ti` at `ttl` in `node`'s visits.
fn visit(node: &mut Node, ti: usize, ttl: u16, loss: Option<f64>, r: &Reply) {
    if !node
        .visits
        .last()
        .is_some_and(|v| v.trace == ti && v.ttl == ttl)
    {
        node.visits.push(Visit::new(ti, ttl, loss));
    }
    if let Some(v) = node.visits.last_mut() {
        v.add(r);
    }
}

/// `host 80,443/tcp`: the target and the ports traced to it, the first [`BLACKHOLE_PORTS`]
/// listed and the rest counted; imported traces of tools that record no port (port 0) name
/// their protocol instead, or nothing.
fn blackhole_label(target: &str, ports: &[u16], protocol: Option<tcptrace::Protocol>) -> String {
    let ports: Vec<u16> = ports.iter().copied().filter(|&p| p != 0).collect();
    if ports.is_empty() {
        return match protocol {
            Some(p) => format!("{target} {p}"),
            None => target.to_owned(),
        };
    }
    let mut list: Vec<String> = ports
        .iter()
        .take(BLACKHOLE_PORTS)
        .map(u16::to_string)
        .collect();
    if ports.len() > BLACKHOLE_PORTS {
        list.push(format!("+{}", ports.len() - BLACKHOLE_PORTS));
    }
    format!("{target} {}/tcp", list.join(","))
}

/// The content key of every node, in node order, unique in the graph (the rule is on
/// [`RouteGraph::node_key`]).
fn node_keys(graph: &DiGraph<Node, Edge>, targets: &HashMap<NodeIndex, String>) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    graph
        .node_indices()
        .map(|i| {
            let n = &graph[i];
            let base = match (n.kind, n.addr, targets.get(&i)) {
                (NodeKind::Router | NodeKind::Endpoint, Some(a), _) => ids::address(a),
                (NodeKind::Blackhole, _, Some(t)) => ids::unreached(t),
                _ => ids::gap(n.ttls.first().copied().unwrap_or(0)),
            };
            ids::unique(&base, &mut taken)
        })
        .collect()
}

/// Puts each blackhole on the lowest row any of its traces reached it at, so that an
/// unreached host is one node however its ports' traces ended; the edges into it are
/// lengthened to match.
fn sink_blackholes(graph: &mut DiGraph<Node, Edge>) {
    let sinks: Vec<(NodeIndex, u16)> = graph
        .node_indices()
        .filter(|&n| graph[n].kind == NodeKind::Blackhole && graph[n].ttls.len() > 1)
        .filter_map(|n| graph[n].ttls.last().map(|&t| (n, t)))
        .collect();
    for (n, ttl) in sinks {
        graph[n].ttls = vec![ttl];
        let incoming: Vec<EdgeIndex> = graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .map(|e| petgraph::visit::EdgeRef::id(&e))
            .collect();
        for e in incoming {
            graph[e].to_ttl = ttl;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use tcptrace::{Hop, StopReason};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn te(s: &str) -> Reply {
        Reply::new(ip(s), Duration::from_millis(1), ReplyKind::TimeExceeded)
    }

    fn reply(s: &str, kind: ReplyKind) -> Reply {
        Reply::new(ip(s), Duration::ZERO, kind)
    }

    /// A trace of `target`, at its address when it is one and otherwise at one that never
    /// answers in these tests.
    fn trace(target: &str, port: u16) -> Trace {
        let addr = target.parse().unwrap_or(ip("192.0.2.255"));
        Trace::new(target, addr, port, StopReason::MaxTtl)
    }

    #[test]
    fn a_multipath_trace_draws_its_links_so_a_diamond_is_a_diamond() {
        // gw, then two routers, then two more where each first-level router leads to one.
        let mut t = trace("198.18.9.1", 80);
        t.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(2, vec![te("198.18.1.1"), te("198.18.1.2")]),
            Hop::new(3, vec![te("198.18.2.1"), te("198.18.2.2")]),
            Hop::new(4, vec![reply("198.18.9.1", ReplyKind::SynAck)]),
        ];
        let l = |ttl, a: &str, b: &str| tcptrace::Link::new(ttl, ip(a), ip(b));
        t.links = vec![
            l(1, "198.18.0.1", "198.18.1.1"),
            l(1, "198.18.0.1", "198.18.1.2"),
            l(2, "198.18.1.1", "198.18.2.1"),
            l(2, "198.18.1.2", "198.18.2.2"),
            l(3, "198.18.2.1", "198.18.9.1"),
            l(3, "198.18.2.2", "198.18.9.1"),
        ];
        let g = RouteGraph::new(&vec![t.clone()]).unwrap();
        // Without links, TTL 2 to 3 would be all four pairs.
        assert_eq!(g.edge_count(), 6);
        let pairs: Vec<(Option<IpAddr>, Option<IpAddr>)> =
            g.edges().map(|(a, b, _)| (a.addr, b.addr)).collect();
        assert!(pairs.contains(&(Some(ip("198.18.1.1")), Some(ip("198.18.2.1")))));
        assert!(!pairs.contains(&(Some(ip("198.18.1.1")), Some(ip("198.18.2.2")))));
        t.links.clear();
        assert_eq!(RouteGraph::new(&vec![t]).unwrap().edge_count(), 8);
    }

    #[test]
    fn builds_nodes_gaps_endpoints_and_blackholes() {
        let mut a = trace("198.18.9.1", 80);
        a.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(3, vec![te("198.18.1.1"), te("198.18.1.2")]),
            Hop::new(4, vec![reply("198.18.9.1", ReplyKind::SynAck)]),
        ];
        let mut b = trace("198.18.9.1", 443);
        b.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(3, vec![te("198.18.1.1"), te("198.18.1.2")]),
            Hop::new(4, vec![reply("198.18.9.1", ReplyKind::Rst)]),
        ];
        let mut c = trace("unreached.example", 22);
        c.hops = vec![Hop::new(1, vec![te("198.18.0.1")])];
        let g = RouteGraph::new(&vec![a, b, c]).unwrap();
        let kinds: Vec<NodeKind> = g.graph().node_weights().map(|n| n.kind).collect();
        // 0.1, ?, 1.1, 1.2, 9.1 (endpoint), blackhole.
        assert_eq!(kinds.iter().filter(|k| **k == NodeKind::Router).count(), 3);
        assert_eq!(
            kinds.iter().filter(|k| **k == NodeKind::Unknown).count(),
            1,
            "gap shared"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == NodeKind::Blackhole).count(),
            1
        );
        let ep = g
            .graph()
            .node_weights()
            .find(|n| n.kind == NodeKind::Endpoint)
            .unwrap();
        assert_eq!(
            ep.ports,
            vec![(80, PortState::Open), (443, PortState::Closed)]
        );
        assert_eq!(ep.ttls, vec![4]);
        let bh = g
            .graph()
            .node_weights()
            .find(|n| n.kind == NodeKind::Blackhole)
            .unwrap();
        assert_eq!(bh.label, "unreached.example 22/tcp");
        assert_eq!(bh.ttls, vec![2]);
        // a: 0.1-?, ?-1.1, ?-1.2, 1.1-9.1, 1.2-9.1 = 5; b the same; c: 0.1-bh = 1.
        assert_eq!(g.graph().edge_count(), 11);
        assert!(g.traces()[0].reached && !g.traces()[2].reached);
    }

    #[test]
    fn a_node_carries_its_place_cleaned_first_in_its_annotation() {
        let de = tcptrace::CountryCode::new("DE").unwrap();
        let mut hostile = tcptrace::Geo::new(de);
        // As a report read back from JSON may have it: not made plain by the model's setters.
        hostile.city = Some(format!("Frank\u{1b}[31mfurt{}", "x".repeat(500)));
        let mut a = trace("198.18.9.1", 80);
        let mut mpls = te("198.18.0.1").with_geo(Some(hostile));
        mpls.mpls = vec![tcptrace::MplsLabel::new(24000, 0, true, 1).unwrap()];
        let plain =
            te("198.18.0.2").with_geo(Some(tcptrace::Geo::new(de).with_city(Some("Berlin"))));
        a.hops = vec![
            Hop::new(1, vec![mpls]),
            Hop::new(2, vec![plain, te("198.18.0.3")]),
        ];
        let g = RouteGraph::new(&vec![a]).unwrap();
        let node = |addr: &str| {
            g.graph()
                .node_weights()
                .find(|n| n.addr == Some(ip(addr)))
                .unwrap()
        };
        let first = node("198.18.0.1");
        let city = first.geo.as_ref().unwrap().city.clone().unwrap();
        assert!(
            !city.contains('\u{1b}') && city.chars().count() <= PLACE_CHARS,
            "{city}"
        );
        let note = first.annotation().unwrap();
        assert!(
            note.starts_with("Frank[31mfurt") && note.ends_with(", DE · MPLS 24000"),
            "{note}"
        );
        assert_eq!(
            node("198.18.0.2").annotation().as_deref(),
            Some("Berlin, DE")
        );
        assert_eq!(node("198.18.0.3").geo, None);
        assert_eq!(node("198.18.0.3").annotation(), None);
    }

    #[test]
    fn a_long_gap_is_one_unknown_node_with_a_long_edge() {
        let mut a = trace("x", 80);
        a.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(5, vec![te("198.18.0.5")]),
        ];
        let g = RouteGraph::new(&vec![a]).unwrap();
        let unk: Vec<&Node> = g
            .graph()
            .node_weights()
            .filter(|n| n.kind == NodeKind::Unknown)
            .collect();
        assert_eq!(unk.len(), 1);
        assert_eq!(
            (unk[0].label.as_str(), unk[0].ttls.as_slice()),
            ("?×3", &[2u16][..])
        );
        let long = g
            .graph()
            .edge_weights()
            .find(|e| e.to_ttl - e.from_ttl > 1)
            .unwrap();
        assert_eq!((long.from_ttl, long.to_ttl), (2, 5));
    }

    #[test]
    fn repeated_address_gets_all_ttls() {
        let mut a = trace("x", 80);
        a.hops = vec![
            Hop::new(1, vec![te("198.18.0.1")]),
            Hop::new(2, vec![te("198.18.0.2")]),
            Hop::new(3, vec![te("198.18.0.1")]),
        ];
        let g = RouteGraph::new(&vec![a]).unwrap();
        let n = g
            .graph()
            .node_weights()
            .find(|n| n.label == "198.18.0.1")
            .unwrap();
        assert_eq!(n.ttls, vec![1, 3]);
    }

    #[test]
    fn too_many_traces_is_an_error() {
        let set = vec![trace("x", 80); MAX_TRACES + 1];
        assert_eq!(
            RouteGraph::new(&set).unwrap_err(),
            Error::TooLarge {
                what: "traces",
                got: MAX_TRACES + 1,
                limit: MAX_TRACES
            }
        );
    }

    #[test]
    fn too_many_ecmp_is_an_error() {
        let mut a = trace("x", 80);
        let replies = (0..=MAX_ECMP)
            .map(|i| te(&format!("198.18.0.{i}")))
            .collect();
        a.hops = vec![Hop::new(1, replies)];
        assert!(matches!(
            RouteGraph::new(&vec![a]),
            Err(Error::TooLarge {
                what: "addresses at one hop",
                ..
            })
        ));
    }
}
