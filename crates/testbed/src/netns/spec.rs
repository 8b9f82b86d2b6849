//! The declarative description of a test network, and the pure plan computed from it: names,
//! addresses, routes and the ground truth. Nothing here touches the kernel.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::destination::{Destination, Family};
use super::error::{Error, Result};
use super::truth::{ExpectedHop, GroundTruth, HopCandidate};

/// Most links a topology may have: each link gets one `/24` of `198.18.0.0/16`.
pub(crate) const MAX_LINKS: usize = 256;
/// Most destinations a topology may have: each gets a `/64` of `2001:db8:1::/48`.
pub(crate) const MAX_DESTINATIONS: usize = 256;
/// IPv4 service addresses per `/24` of `198.19.0.0/16` (`.1` to `.254`).
pub(crate) const ADDRESSES_PER_BLOCK: u16 = 254;
/// The `/24`s of `198.19.0.0/16` that all destinations share.
pub(crate) const MAX_BLOCKS: usize = 256;
/// Longest node name.
pub(crate) const MAX_NAME: usize = 24;

/// The role of one node of the test network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Source,
    Router { silent: bool },
    Destination(Destination),
}

#[derive(Clone, Debug)]
pub(crate) struct NodeSpec {
    pub(crate) name: String,
    pub(crate) role: Role,
}

#[derive(Clone, Debug)]
pub(crate) struct LinkSpec {
    pub(crate) a: String,
    pub(crate) b: String,
    pub(crate) loss: u8,
}

/// The description of a test network: a source host, routers, destinations and the links
/// between them. [`build`](Self::build) creates it in the kernel.
///
/// Every node is a network namespace with forwarding on and ICMP rate limits off (routers may
/// keep Linux's, see [`linux_icmp_rate_limits`](Self::linux_icmp_rate_limits)); every link is
/// a veth pair carrying a `/24` of `198.18.0.0/16` and a `/64` of `2001:db8::/48`. Routes are
/// computed from the graph: each node gets shortest-path routes to every address of every
/// other node (host routes to link addresses, a `/24` and a `/64` to each destination's
/// service addresses), with a multipath route (ECMP, L4 hash) where several next hops tie.
/// Neighbours are entered permanently, so no probe waits for ARP or neighbour discovery.
///
/// Setters record the first error they meet and `build` reports it.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TopologyBuilder {
    pub(crate) nodes: Vec<NodeSpec>,
    pub(crate) links: Vec<LinkSpec>,
    pub(crate) linux_icmp_rate_limits: bool,
    pub(crate) source_pool: u16,
    pub(crate) error: Option<Error>,
}

impl TopologyBuilder {
    /// An empty description.
    pub fn new() -> Self {
        Self::default()
    }

    fn add_node(mut self, name: &str, role: Role) -> Self {
        if self.error.is_some() {
            return self;
        }
        if let Err(e) = check_name(name) {
            self.error = Some(e);
        } else if self.nodes.iter().any(|n| n.name == name) {
            self.error = Some(Error::InvalidSpec(format!("node {name:?} declared twice")));
        } else {
            self.nodes.push(NodeSpec {
                name: name.to_owned(),
                role,
            });
        }
        self
    }

    /// Declares the source host, where probes start. A topology has exactly one.
    pub fn source(self, name: &str) -> Self {
        self.add_node(name, Role::Source)
    }

    /// Declares a router that answers expiring packets with ICMP time-exceeded.
    pub fn router(self, name: &str) -> Self {
        self.add_node(name, Role::Router { silent: false })
    }

    /// Declares several routers at once.
    pub fn routers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for n in names {
            self = self.router(n.as_ref());
        }
        self
    }

    /// Declares a router that forwards but drops the ICMP time-exceeded it would send (an
    /// nftables output rule), so it shows as `-` in a trace.
    pub fn silent_router(self, name: &str) -> Self {
        self.add_node(name, Role::Router { silent: true })
    }

    /// Declares a destination host.
    pub fn destination(mut self, name: &str, dest: Destination) -> Self {
        if let Some(e) = &dest.error {
            self.error.get_or_insert_with(|| e.clone());
        }
        self.add_node(name, Role::Destination(dest))
    }

    /// Joins two declared nodes with a veth pair.
    pub fn link(self, a: &str, b: &str) -> Self {
        self.lossy_link(a, b, 0)
    }

    /// Joins two declared nodes with a veth pair that drops `percent` of the packets in each
    /// direction at random (nftables `numgen random mod 100 < percent drop` at both ends).
    pub fn lossy_link(mut self, a: &str, b: &str, percent: u8) -> Self {
        if self.error.is_some() {
            return self;
        }
        if percent > 100 {
            self.error = Some(Error::InvalidSpec(format!(
                "loss on {a}-{b} is {percent}%, more than 100%"
            )));
        } else if a == b {
            self.error = Some(Error::InvalidSpec(format!("link from {a:?} to itself")));
        } else if self
            .links
            .iter()
            .any(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a))
        {
            self.error = Some(Error::InvalidSpec(format!("link {a}-{b} declared twice")));
        } else {
            self.links.push(LinkSpec {
                a: a.to_owned(),
                b: b.to_owned(),
                loss: percent,
            });
        }
        self
    }

    /// Keeps Linux's default ICMP rate limits in the routers instead of turning them off, so
    /// that they answer as routers in the wild do: per destination host a token bucket of
    /// one ICMP error per 1000 ms with a burst of 6 (`net.ipv4.icmp_ratelimit = 1000`,
    /// `net.ipv6.icmp.ratelimit = 1000`), over all destinations 1000 per second with a burst
    /// of 50 (`icmp_msgs_per_sec = 1000`, `icmp_msgs_burst = 50`), applied to time exceeded,
    /// unreachable, source quench and parameter problem (`icmp_ratemask = 6168`) and, for
    /// IPv6, to every error type (`icmp/ratemask = 0-1,3-127`). Since every time exceeded
    /// goes to the one source host, a router then answers about one probe per second and
    /// stays silent for the rest. The source and the destinations keep the limits off.
    pub fn linux_icmp_rate_limits(mut self) -> Self {
        self.linux_icmp_rate_limits = true;
        self
    }

    /// Gives the source `count` more IPv4 addresses to send from (0 to 65,024, none by
    /// default), in the `/24`s of `198.19.0.0/16` after the destinations', 254 to a `/24`:
    /// one local route per `/24` on the source's loopback (so the kernel takes in whatever is
    /// sent to them) and one route per `/24` back to the source in every other node; and as
    /// many IPv6 addresses, `2001:db8:2::1` on, each on the source's loopback (IPv6 sockets
    /// bind only to addresses the host has), with a route to `2001:db8:2::/64` back to the
    /// source in every other node. Linux
    /// rate-limits the ICMP errors it sends per destination host, so probes spread over many
    /// source addresses get answers from a rate-limited router that one address would not.
    /// See [`Topology::source_pool`](super::Topology::source_pool).
    pub fn source_addresses(mut self, count: u16) -> Self {
        self.source_pool = count;
        self
    }

    /// Links each node of `names` to the next one: `chain(["src", "r1", "r2", "dst"])`.
    pub fn chain<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let names: Vec<String> = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
        for w in names.windows(2) {
            self = self.link(&w[0], &w[1]);
        }
        self
    }

    /// Checks the description and computes its plan without touching the kernel.
    pub(crate) fn plan(&self) -> Result<Plan> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut plan = Plan::new(&self.nodes, &self.links, self.source_pool)?;
        plan.linux_icmp_rate_limits = self.linux_icmp_rate_limits;
        Ok(plan)
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSpec(format!(
            "node name {name:?} must be 1 to {MAX_NAME} of [A-Za-z0-9_-]"
        )))
    }
}

/// One end of a link in a node: its interface and addresses.
#[derive(Clone, Debug)]
pub(crate) struct Port {
    pub(crate) link: usize,
    pub(crate) ifname: String,
    pub(crate) peer: usize,
    pub(crate) v4: Ipv4Addr,
    pub(crate) v6: Ipv6Addr,
    /// Which end of the link this is: 1 (first named) or 2.
    pub(crate) end: u8,
    pub(crate) loss: u8,
}

impl Port {
    /// This end's MAC address: fixed, so that neighbours can be entered permanently.
    pub(crate) fn mac(&self) -> String {
        link_mac(self.link, self.end)
    }

    /// The other end's MAC address.
    pub(crate) fn peer_mac(&self) -> String {
        link_mac(self.link, 3 - self.end)
    }

    /// The other end's addresses.
    pub(crate) fn peer_v4(&self) -> Ipv4Addr {
        link_v4(self.link, 3 - self.end)
    }

    /// The other end's IPv6 address.
    pub(crate) fn peer_v6(&self) -> Ipv6Addr {
        link_v6(self.link, 3 - self.end)
    }
}

/// A locally administered unicast MAC: `02:74:62:<link>:00:<end>`.
fn link_mac(link: usize, end: u8) -> String {
    format!("02:74:62:{:02x}:00:{end:02x}", link as u8)
}

/// Prefixes of one family that route to the same node.
type Prefixes = Vec<String>;

/// A route of one node: a prefix and its next hops (several for ECMP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) prefix: String,
    /// (next hop address, interface)
    pub(crate) via: Vec<(IpAddr, String)>,
}

#[derive(Clone, Debug)]
pub(crate) struct PlannedNode {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) ports: Vec<Port>,
    /// Service addresses on the loopback (destinations only).
    pub(crate) service_v4: Vec<Ipv4Addr>,
    pub(crate) service_v6: Vec<Ipv6Addr>,
    /// The source's extra IPv4 addresses to send from (the source only), whole `/24`s of
    /// which are routed to it.
    pub(crate) pool_v4: Vec<Ipv4Addr>,
    /// As many IPv6 addresses to send from (the source only), in [`POOL_V6`], each on the
    /// loopback: Linux binds IPv6 sockets only to addresses it has, not to a local route's.
    pub(crate) pool_v6: Vec<Ipv6Addr>,
    pub(crate) routes: Vec<Route>,
}

/// Everything computed from a description: per node, its interfaces, addresses and routes.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<PlannedNode>,
    pub(crate) links: Vec<(usize, usize, u8)>,
    pub(crate) source: usize,
    /// Whether routers keep Linux's default ICMP rate limits.
    pub(crate) linux_icmp_rate_limits: bool,
    /// `adj[n]` = (neighbor, link index)
    adj: Vec<Vec<(usize, usize)>>,
}

fn link_v4(link: usize, end: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, link as u8, end)
}

fn link_v6(link: usize, end: u8) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, link as u16, 0, 0, 0, u16::from(end))
}

/// The `i`-th (from 0) IPv4 service address of a destination whose `/24`s start at `block`.
fn service_v4(block: usize, i: u16) -> Ipv4Addr {
    let block = block + usize::from(i / ADDRESSES_PER_BLOCK);
    Ipv4Addr::new(198, 19, block as u8, (i % ADDRESSES_PER_BLOCK + 1) as u8)
}

/// The `/64` of the source's IPv6 pool, routed back to the source by every other node.
pub(crate) const POOL_V6: &str = "2001:db8:2::/64";

/// The `i`-th (from 0) address of the source's IPv6 pool.
fn pool_v6(i: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, i + 1)
}

fn service_v6(dest: usize, i: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 1, dest as u16, 0, 0, 0, i)
}

/// Gives each destination its service addresses: a `/64` of `2001:db8:1::/48` each, and
/// consecutive `/24`s of `198.19.0.0/16`, 254 addresses to a `/24`.
fn assign_service_addresses(nodes: &mut [PlannedNode], pool: u16) -> Result<()> {
    let too_many = || {
        Error::InvalidSpec(format!(
            "the destinations' IPv4 service addresses and the source's pool need more than \
             the {MAX_BLOCKS} /24s of 198.19.0.0/16 ({ADDRESSES_PER_BLOCK} to a /24)"
        ))
    };
    let mut dest_index = 0usize;
    let mut block = 0usize;
    for n in nodes.iter_mut() {
        if let Role::Destination(d) = &n.role {
            if dest_index >= MAX_DESTINATIONS {
                return Err(Error::InvalidSpec(format!(
                    "at most {MAX_DESTINATIONS} destinations"
                )));
            }
            let blocks = usize::from(d.addresses.div_ceil(ADDRESSES_PER_BLOCK));
            if block + blocks > MAX_BLOCKS {
                return Err(too_many());
            }
            n.service_v4 = (0..d.addresses).map(|i| service_v4(block, i)).collect();
            block += blocks;
            n.service_v6 = (1..=d.addresses)
                .map(|i| service_v6(dest_index, i))
                .collect();
            dest_index += 1;
        }
        if n.ports.is_empty() {
            return Err(Error::InvalidSpec(format!("node {:?} has no link", n.name)));
        }
    }
    if pool > 0 {
        if block + usize::from(pool.div_ceil(ADDRESSES_PER_BLOCK)) > MAX_BLOCKS {
            return Err(too_many());
        }
        if let Some(src) = nodes.iter_mut().find(|n| n.role == Role::Source) {
            src.pool_v4 = (0..pool).map(|i| service_v4(block, i)).collect();
            src.pool_v6 = (0..pool).map(pool_v6).collect();
        }
    }
    Ok(())
}

/// The `/24`s that hold `addrs`, in order, each once.
pub(crate) fn blocks_of(addrs: &[Ipv4Addr]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in addrs {
        let [_, _, c, _] = a.octets();
        let p = format!("198.19.{c}.0/24");
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

impl Plan {
    fn new(specs: &[NodeSpec], links: &[LinkSpec], pool: u16) -> Result<Self> {
        let sources: Vec<usize> = specs
            .iter()
            .enumerate()
            .filter(|(_, n)| n.role == Role::Source)
            .map(|(i, _)| i)
            .collect();
        let [source] = sources[..] else {
            return Err(Error::InvalidSpec(format!(
                "a topology has exactly one source, this one has {}",
                sources.len()
            )));
        };
        if links.len() > MAX_LINKS {
            return Err(Error::InvalidSpec(format!(
                "at most {MAX_LINKS} links, not {}",
                links.len()
            )));
        }
        let index = |name: &str| {
            specs
                .iter()
                .position(|n| n.name == name)
                .ok_or_else(|| Error::UnknownNode(name.to_owned()))
        };
        let mut nodes: Vec<PlannedNode> = specs
            .iter()
            .map(|s| PlannedNode {
                name: s.name.clone(),
                role: s.role.clone(),
                ports: Vec::new(),
                service_v4: Vec::new(),
                service_v6: Vec::new(),
                pool_v4: Vec::new(),
                pool_v6: Vec::new(),
                routes: Vec::new(),
            })
            .collect();
        let mut adj = vec![Vec::new(); nodes.len()];
        let mut plan_links = Vec::new();
        for (li, l) in links.iter().enumerate() {
            let (a, b) = (index(&l.a)?, index(&l.b)?);
            let ifname = format!("v{li}");
            nodes[a].ports.push(Port {
                link: li,
                ifname: ifname.clone(),
                peer: b,
                v4: link_v4(li, 1),
                v6: link_v6(li, 1),
                end: 1,
                loss: l.loss,
            });
            nodes[b].ports.push(Port {
                link: li,
                ifname,
                peer: a,
                v4: link_v4(li, 2),
                v6: link_v6(li, 2),
                end: 2,
                loss: l.loss,
            });
            adj[a].push((b, li));
            adj[b].push((a, li));
            plan_links.push((a, b, l.loss));
        }
        assign_service_addresses(&mut nodes, pool)?;
        let mut plan = Self {
            nodes,
            links: plan_links,
            source,
            linux_icmp_rate_limits: false,
            adj,
        };
        let from_source = plan.distances(&[source]);
        if let Some(n) = from_source.iter().position(Option::is_none) {
            return Err(Error::InvalidSpec(format!(
                "node {:?} is not connected to the source",
                plan.nodes[n].name
            )));
        }
        plan.compute_routes();
        Ok(plan)
    }

    /// Hop counts from the nearest of `targets` to every node (BFS).
    fn distances(&self, targets: &[usize]) -> Vec<Option<usize>> {
        let mut dist = vec![None; self.nodes.len()];
        let mut queue = VecDeque::new();
        for &t in targets {
            dist[t] = Some(0);
            queue.push_back(t);
        }
        while let Some(u) = queue.pop_front() {
            let d = dist[u].unwrap_or(0);
            for &(v, _) in &self.adj[u] {
                if dist[v].is_none() {
                    dist[v] = Some(d + 1);
                    queue.push_back(v);
                }
            }
        }
        dist
    }

    /// Next hops of `u` toward the nodes at distance 0 of `dist`: (neighbor, link).
    fn next_hops(&self, u: usize, dist: &[Option<usize>]) -> Vec<(usize, usize)> {
        let Some(du) = dist[u] else { return Vec::new() };
        self.adj[u]
            .iter()
            .copied()
            .filter(|&(v, _)| du > 0 && dist[v] == Some(du - 1))
            .collect()
    }

    fn compute_routes(&mut self) {
        // Every destination of a route: (owner, nodes that need no route, IPv4, IPv6).
        // Link addresses get host routes towards their owner, not a /24 towards the nearer
        // end: that way a packet to a router's far-side address takes a shortest path to that
        // router, as the ground truth says. The link's two ends reach each other directly.
        // Each entry: (owner, nodes that need no route, IPv4 prefixes, IPv6 prefixes).
        let mut prefixes: Vec<(usize, [usize; 2], Prefixes, Prefixes)> = Vec::new();
        for (li, &(a, b, _)) in self.links.iter().enumerate() {
            for (owner, end) in [(a, 1), (b, 2)] {
                prefixes.push((
                    owner,
                    [a, b],
                    vec![format!("{}/32", link_v4(li, end))],
                    vec![format!("{}/128", link_v6(li, end))],
                ));
            }
        }
        let mut di = 0usize;
        for (n, node) in self.nodes.iter().enumerate() {
            if matches!(node.role, Role::Destination(_)) {
                // One /24 per block of service addresses, in order.
                let v4 = blocks_of(&node.service_v4);
                prefixes.push((n, [n, n], v4, vec![format!("2001:db8:1:{di:x}::/64")]));
                di += 1;
            }
            if !node.pool_v4.is_empty() {
                let v6 = vec![POOL_V6.to_owned()];
                prefixes.push((n, [n, n], blocks_of(&node.pool_v4), v6));
            }
        }
        let mut all_routes = vec![Vec::new(); self.nodes.len()];
        for (owner, skip, p4, p6) in &prefixes {
            let dist = self.distances(&[*owner]);
            for (u, routes) in all_routes.iter_mut().enumerate() {
                if skip.contains(&u) {
                    continue;
                }
                let hops = self.next_hops(u, &dist);
                let v4 = hops
                    .iter()
                    .map(|&(v, li)| (IpAddr::V4(self.port_of(v, li).v4), format!("v{li}")))
                    .collect();
                let v6 = hops
                    .iter()
                    .map(|&(v, li)| (IpAddr::V6(self.port_of(v, li).v6), format!("v{li}")))
                    .collect();
                for p in p4 {
                    routes.push(Route {
                        prefix: p.clone(),
                        via: Vec::clone(&v4),
                    });
                }
                for p in p6 {
                    routes.push(Route {
                        prefix: p.clone(),
                        via: Vec::clone(&v6),
                    });
                }
            }
        }
        for (node, routes) in self.nodes.iter_mut().zip(all_routes) {
            node.routes = routes;
        }
    }

    fn port_of(&self, node: usize, link: usize) -> &Port {
        self.nodes[node]
            .ports
            .iter()
            .find(|p| p.link == link)
            .expect("adjacency and ports agree")
    }

    pub(crate) fn index(&self, name: &str) -> Result<usize> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or_else(|| Error::UnknownNode(name.to_owned()))
    }

    /// The node that holds `addr`, if any.
    pub(crate) fn owner(&self, addr: IpAddr) -> Option<usize> {
        self.nodes.iter().position(|n| {
            n.ports
                .iter()
                .any(|p| IpAddr::V4(p.v4) == addr || IpAddr::V6(p.v6) == addr)
                || n.service_v4.iter().any(|a| IpAddr::V4(*a) == addr)
                || n.service_v6.iter().any(|a| IpAddr::V6(*a) == addr)
                || n.pool_v4.iter().any(|a| IpAddr::V4(*a) == addr)
                || n.pool_v6.iter().any(|a| IpAddr::V6(*a) == addr)
        })
    }

    /// The expected trace from the source to `target`.
    pub(crate) fn ground_truth(&self, target: IpAddr) -> Result<GroundTruth> {
        let dest = self.owner(target).ok_or(Error::UnknownAddress(target))?;
        let family = Family::of(target);
        let from_src = self.distances(&[self.source]);
        let to_dest = self.distances(&[dest]);
        let total = to_dest[self.source].unwrap_or(0);
        let on_path = |n: usize, k: usize| from_src[n] == Some(k) && to_dest[n] == Some(total - k);
        let mut hops = Vec::new();
        for k in 1..total {
            let mut candidates = Vec::new();
            for w in (0..self.nodes.len()).filter(|&w| on_path(w, k)) {
                for &(v, li) in &self.adj[w] {
                    if on_path(v, k - 1) {
                        let port = self.port_of(w, li);
                        let address = match family {
                            Family::V4 => IpAddr::V4(port.v4),
                            Family::V6 => IpAddr::V6(port.v6),
                        };
                        let silent = matches!(self.nodes[w].role, Role::Router { silent: true });
                        candidates.push(HopCandidate {
                            node: self.nodes[w].name.clone(),
                            address,
                            previous: self.nodes[v].name.clone(),
                            silent,
                        });
                    }
                }
            }
            candidates.sort_by_key(|c| c.address);
            hops.push(ExpectedHop {
                ttl: k as u8,
                candidates,
            });
        }
        let dest_node = &self.nodes[dest];
        let behaviour = match &dest_node.role {
            Role::Destination(d) => d.clone(),
            // Routers and the source listen on nothing: every port is closed.
            _ => Destination::new(),
        };
        Ok(GroundTruth {
            target,
            destination: dest_node.name.clone(),
            family,
            hops,
            destination_ttl: total as u8,
            behaviour,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::netns::destination::{MAX_ADDRESSES, Reply};

    fn chain(n: usize) -> TopologyBuilder {
        let routers: Vec<String> = (1..=n).map(|i| format!("r{i}")).collect();
        let mut names = vec!["src".to_owned()];
        names.extend(routers.iter().cloned());
        names.push("dst".into());
        TopologyBuilder::new()
            .source("src")
            .routers(&routers)
            .destination("dst", Destination::new().listen(80).addresses(3))
            .chain(&names)
    }

    #[test]
    fn chain_addresses_and_truth() {
        let plan = chain(3).plan().unwrap();
        let dst = plan.index("dst").unwrap();
        assert_eq!(
            plan.nodes[dst].service_v4,
            vec![
                Ipv4Addr::new(198, 19, 0, 1),
                Ipv4Addr::new(198, 19, 0, 2),
                Ipv4Addr::new(198, 19, 0, 3)
            ]
        );
        let gt = plan.ground_truth("198.19.0.2".parse().unwrap()).unwrap();
        assert_eq!(gt.destination_ttl, 4);
        let hops: Vec<Vec<IpAddr>> = gt.hops.iter().map(ExpectedHop::addresses).collect();
        assert_eq!(
            hops,
            vec![
                vec!["198.18.0.2".parse::<IpAddr>().unwrap()],
                vec!["198.18.1.2".parse().unwrap()],
                vec!["198.18.2.2".parse().unwrap()],
            ]
        );
        assert_eq!(gt.reply(80), Reply::SynAck);
        assert_eq!(gt.reply(81), Reply::Rst);
        let gt6 = plan
            .ground_truth("2001:db8:1:0::3".parse().unwrap())
            .unwrap();
        assert_eq!(
            gt6.hops[2].addresses(),
            vec!["2001:db8:0:2::2".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn chain_routes() {
        let plan = chain(2).plan().unwrap();
        let src = &plan.nodes[plan.index("src").unwrap()];
        let to_dest = src
            .routes
            .iter()
            .find(|r| r.prefix == "198.19.0.0/24")
            .unwrap();
        assert_eq!(
            to_dest.via,
            vec![("198.18.0.2".parse().unwrap(), "v0".to_owned())]
        );
        let r2 = &plan.nodes[plan.index("r2").unwrap()];
        let back = r2
            .routes
            .iter()
            .find(|r| r.prefix == "2001:db8::1/128")
            .unwrap();
        assert_eq!(
            back.via,
            vec![("2001:db8:0:1::1".parse().unwrap(), "v1".to_owned())]
        );
        // No route to the node's own links: they are connected.
        assert!(!r2.routes.iter().any(|r| r.prefix.starts_with("198.18.1.")));
        assert!(r2.routes.iter().any(|r| r.prefix == "198.18.0.2/32"));
    }

    #[test]
    fn diamond_is_multipath() {
        let plan = TopologyBuilder::new()
            .source("src")
            .routers(["a", "b", "c", "d"])
            .destination("dst", Destination::new())
            .chain(["src", "a", "b", "d", "dst"])
            .link("a", "c")
            .link("c", "d")
            .plan()
            .unwrap();
        let a = &plan.nodes[plan.index("a").unwrap()];
        let r = a
            .routes
            .iter()
            .find(|r| r.prefix == "198.19.0.0/24")
            .unwrap();
        assert_eq!(r.via.len(), 2);
        let gt = plan.ground_truth("198.19.0.1".parse().unwrap()).unwrap();
        assert_eq!(gt.hops.len(), 3);
        let names: Vec<&str> = gt.hops[1]
            .candidates
            .iter()
            .map(|c| c.node.as_str())
            .collect();
        assert_eq!(names, ["b", "c"]);
        // d is entered from b or from c.
        assert_eq!(gt.hops[2].candidates.len(), 2);
        let addr = |ttl: usize, prev: &str| {
            gt.hops[ttl]
                .candidates
                .iter()
                .find(|c| c.previous == prev)
                .map(|c| c.address)
        };
        let via_b = [addr(0, "src")];
        // TTL 2's candidates are b and c, both entered from a.
        let b_addr = gt.hops[1]
            .candidates
            .iter()
            .find(|c| c.node == "b")
            .unwrap()
            .address;
        let c_addr = gt.hops[1]
            .candidates
            .iter()
            .find(|c| c.node == "c")
            .unwrap()
            .address;
        assert!(gt.is_one_path(&[via_b[0], Some(b_addr), addr(2, "b")]));
        assert!(gt.is_one_path(&[via_b[0], Some(c_addr), addr(2, "c")]));
        // Entered d from c after b at TTL 2: two paths mixed.
        assert!(!gt.is_one_path(&[via_b[0], Some(b_addr), addr(2, "c")]));
        // A gap breaks no chain.
        assert!(gt.is_one_path(&[via_b[0], None, addr(2, "c")]));
    }

    #[test]
    fn silent_router_marked() {
        let plan = TopologyBuilder::new()
            .source("s")
            .router("r1")
            .silent_router("r2")
            .router("r3")
            .destination("d", Destination::new().blackhole())
            .chain(["s", "r1", "r2", "r3", "d"])
            .plan()
            .unwrap();
        let gt = plan.ground_truth("198.19.0.1".parse().unwrap()).unwrap();
        let silent: Vec<bool> = gt.hops.iter().map(ExpectedHop::is_silent).collect();
        assert_eq!(silent, [false, true, false]);
        assert_eq!(gt.reply(80), Reply::Nothing);
    }

    #[test]
    fn many_addresses_fill_consecutive_blocks() {
        let plan = TopologyBuilder::new()
            .source("s")
            .router("r")
            .destination("a", Destination::new().addresses(600))
            .destination("b", Destination::new().addresses(2))
            .chain(["s", "r", "a"])
            .link("r", "b")
            .linux_icmp_rate_limits()
            .plan()
            .unwrap();
        assert!(plan.linux_icmp_rate_limits);
        let a = &plan.nodes[plan.index("a").unwrap()];
        assert_eq!(a.service_v4.len(), 600);
        assert_eq!(a.service_v4[253], Ipv4Addr::new(198, 19, 0, 254));
        assert_eq!(a.service_v4[254], Ipv4Addr::new(198, 19, 1, 1));
        assert_eq!(a.service_v4[599], Ipv4Addr::new(198, 19, 2, 92));
        assert_eq!(
            a.service_v6[599],
            "2001:db8:1::258".parse::<Ipv6Addr>().unwrap()
        );
        // b takes the next /24 after a's three.
        let b = &plan.nodes[plan.index("b").unwrap()];
        assert_eq!(b.service_v4[0], Ipv4Addr::new(198, 19, 3, 1));
        let r = &plan.nodes[plan.index("r").unwrap()];
        let prefixes: Vec<&str> = r
            .routes
            .iter()
            .map(|r| r.prefix.as_str())
            .filter(|p| p.starts_with("198.19."))
            .collect();
        assert_eq!(
            prefixes,
            [
                "198.19.0.0/24",
                "198.19.1.0/24",
                "198.19.2.0/24",
                "198.19.3.0/24"
            ]
        );
        let gt = plan.ground_truth(IpAddr::V4(a.service_v4[599])).unwrap();
        assert_eq!(gt.destination, "a");
        // 256 /24s at most, over all destinations.
        let full = TopologyBuilder::new()
            .source("s")
            .destination("a", Destination::new().addresses(MAX_ADDRESSES))
            .destination("b", Destination::new())
            .link("s", "a")
            .link("s", "b")
            .plan();
        assert!(matches!(full, Err(Error::InvalidSpec(m)) if m.contains("256 /24s")));
        let too_many = Destination::new().addresses(MAX_ADDRESSES + 1);
        assert!(too_many.error.is_some());
    }

    #[test]
    fn source_pool_follows_the_destinations_and_is_routed_back() {
        let plan = TopologyBuilder::new()
            .source("s")
            .router("r")
            .destination("d", Destination::new().addresses(300))
            .chain(["s", "r", "d"])
            .source_addresses(260)
            .plan()
            .unwrap();
        let s = &plan.nodes[plan.index("s").unwrap()];
        assert!(s.service_v4.is_empty());
        assert_eq!(s.pool_v4.len(), 260);
        // d holds 198.19.0.* and 198.19.1.*: the pool starts at the third /24.
        assert_eq!(s.pool_v4[0], Ipv4Addr::new(198, 19, 2, 1));
        assert_eq!(s.pool_v4[259], Ipv4Addr::new(198, 19, 3, 6));
        assert_eq!(blocks_of(&s.pool_v4), ["198.19.2.0/24", "198.19.3.0/24"]);
        assert!(!s.routes.iter().any(|r| r.prefix.starts_with("198.19.2.")));
        for name in ["r", "d"] {
            let n = &plan.nodes[plan.index(name).unwrap()];
            let back = n
                .routes
                .iter()
                .find(|r| r.prefix == "198.19.3.0/24")
                .unwrap();
            assert_eq!(
                plan.owner(back.via[0].0),
                Some(plan.index(if name == "r" { "s" } else { "r" }).unwrap())
            );
        }
        assert_eq!(plan.owner(IpAddr::V4(s.pool_v4[7])), plan.index("s").ok());
        // As many IPv6 addresses, in one /64 that every other node routes back.
        assert_eq!(s.pool_v6.len(), 260);
        assert_eq!(s.pool_v6[0], "2001:db8:2::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(plan.owner(IpAddr::V6(s.pool_v6[259])), plan.index("s").ok());
        let r = &plan.nodes[plan.index("r").unwrap()];
        let back = r.routes.iter().find(|r| r.prefix == POOL_V6).unwrap();
        assert_eq!(plan.owner(back.via[0].0), plan.index("s").ok());
        assert!(!s.routes.iter().any(|r| r.prefix == POOL_V6));
        let full = TopologyBuilder::new()
            .source("s")
            .destination("d", Destination::new().addresses(254 * 255))
            .link("s", "d")
            .source_addresses(255)
            .plan();
        assert!(matches!(full, Err(Error::InvalidSpec(m)) if m.contains("256 /24s")));
    }

    #[test]
    fn invalid_specs_are_errors() {
        let two_sources = TopologyBuilder::new()
            .source("a")
            .source("b")
            .link("a", "b")
            .plan();
        assert!(matches!(two_sources, Err(Error::InvalidSpec(_))));
        let unknown = TopologyBuilder::new().source("a").link("a", "zz").plan();
        assert!(matches!(unknown, Err(Error::UnknownNode(n)) if n == "zz"));
        let bad_name = TopologyBuilder::new().source("a b").plan();
        assert!(matches!(bad_name, Err(Error::InvalidSpec(_))));
        let islands = TopologyBuilder::new()
            .source("a")
            .router("b")
            .router("c")
            .router("d")
            .link("a", "b")
            .link("c", "d")
            .plan();
        assert!(matches!(islands, Err(Error::InvalidSpec(_))));
        let bad_loss = TopologyBuilder::new()
            .source("a")
            .router("b")
            .lossy_link("a", "b", 101)
            .plan();
        assert!(matches!(bad_loss, Err(Error::InvalidSpec(_))));
        let bad_count = TopologyBuilder::new()
            .source("a")
            .destination("b", Destination::new().addresses(0))
            .link("a", "b")
            .plan();
        assert!(matches!(bad_count, Err(Error::InvalidSpec(_))));
    }

    #[test]
    fn router_as_target_is_closed() {
        let plan = chain(3).plan().unwrap();
        // r3's far side address: reached at TTL 3, answers RST on any port.
        let gt = plan.ground_truth("198.18.3.1".parse().unwrap()).unwrap();
        assert_eq!(gt.destination, "r3");
        assert_eq!(gt.destination_ttl, 3);
        assert_eq!(gt.reply(80), Reply::Rst);
        assert!(plan.ground_truth("10.0.0.1".parse().unwrap()).is_err());
    }

    /// Whether `addr` is inside `prefix` (`a.b.c.d/len` or `x::/len`).
    fn contains(prefix: &str, addr: IpAddr) -> bool {
        let (net, len) = prefix.split_once('/').unwrap();
        let len: u32 = len.parse().unwrap();
        match (net.parse::<IpAddr>().unwrap(), addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// Forwards a packet to `target` from the source through the planned routing tables, along
    /// every multipath branch, and checks each step against the ground truth.
    fn walk(plan: &Plan, gt: &GroundTruth, node: usize, ttl: u8, path: &mut Vec<Option<IpAddr>>) {
        let target = gt.target;
        let here = &plan.nodes[node];
        if plan.owner(target) == Some(node) {
            assert_eq!(ttl, gt.destination_ttl, "delivered at the wrong TTL");
            assert!(gt.is_one_path(path), "{path:?}");
            return;
        }
        assert!(
            ttl < gt.destination_ttl,
            "{} forwards past the destination TTL",
            here.name
        );
        // A neighbour's address on a shared link is delivered directly (connected route).
        if let Some(p) = here
            .ports
            .iter()
            .find(|p| target == IpAddr::V4(p.peer_v4()) || target == IpAddr::V6(p.peer_v6()))
        {
            assert_eq!(ttl + 1, gt.destination_ttl);
            path.push(Some(target));
            walk(plan, gt, p.peer, ttl + 1, path);
            path.pop();
            return;
        }
        let route = here
            .routes
            .iter()
            .find(|r| contains(&r.prefix, target))
            .unwrap_or_else(|| panic!("{} has no route to {target}", here.name));
        assert!(!route.via.is_empty());
        for (via, dev) in &route.via {
            let next = plan.owner(*via).expect("a next hop is a node's address");
            assert!(
                here.ports
                    .iter()
                    .any(|p| &p.ifname == dev && p.peer == next)
            );
            let next_ttl = ttl + 1;
            if next_ttl < gt.destination_ttl {
                let hop = &gt.hops[usize::from(next_ttl) - 1];
                let c = hop.candidate(*via).unwrap_or_else(|| {
                    panic!("TTL {next_ttl}: {via} is not a candidate of {hop:?}")
                });
                assert_eq!(c.previous, here.name);
                assert_eq!(c.node, plan.nodes[next].name);
            }
            path.push(Some(*via));
            walk(plan, gt, next, next_ttl, path);
            path.pop();
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// On any connected graph, the routes lead every packet to its target along shortest
        /// paths only, and the ground truth names exactly the routers met on the way.
        #[test]
        fn routes_agree_with_ground_truth(
            parents in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 2..12),
            extra in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<proptest::sample::Index>()), 0..8),
            silent in proptest::collection::vec(proptest::prelude::any::<bool>(), 12),
        ) {
            let n = parents.len() + 1;
            let name = |i: usize| format!("n{i}");
            let mut b = TopologyBuilder::new().source("n0");
            for (i, &quiet) in silent.iter().enumerate().take(n).skip(1) {
                b = if i + 2 >= n {
                    b.destination(&name(i), Destination::new().addresses(2))
                } else if quiet {
                    b.silent_router(&name(i))
                } else {
                    b.router(&name(i))
                };
            }
            let mut edges = BTreeSet::new();
            for (i, p) in parents.iter().enumerate() {
                let child = i + 1;
                edges.insert((p.index(child), child));
            }
            for (a, c) in &extra {
                let (a, c) = (a.index(n), c.index(n));
                if a != c && !edges.contains(&(a.min(c), a.max(c))) {
                    edges.insert((a.min(c), a.max(c)));
                }
            }
            for (a, c) in &edges {
                b = b.link(&name(*a), &name(*c));
            }
            let plan = b.plan().unwrap();
            for (i, node) in plan.nodes.iter().enumerate() {
                let targets: Vec<IpAddr> = node
                    .service_v4
                    .iter()
                    .map(|&a| IpAddr::V4(a))
                    .chain(node.service_v6.iter().map(|&a| IpAddr::V6(a)))
                    .chain(node.ports.iter().flat_map(|p| [IpAddr::V4(p.v4), IpAddr::V6(p.v6)]))
                    .collect();
                for target in targets {
                    let gt = plan.ground_truth(target).unwrap();
                    proptest::prop_assert_eq!(plan.owner(target), Some(i));
                    proptest::prop_assert!(gt.hops.iter().all(|h| !h.candidates.is_empty()));
                    if i != plan.source {
                        walk(&plan, &gt, plan.source, 0, &mut Vec::new());
                    }
                }
            }
        }
    }
}
