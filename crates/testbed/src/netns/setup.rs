//! Creating the planned network in the kernel, using it, and tearing it down.

use std::fmt::Write as _;
use std::io::{ErrorKind, Write as _};
use std::net::{IpAddr, Ipv6Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::destination::Family;
use super::enter::{netns_path, run_in_namespace};
use super::error::{Error, Result};
use super::spec::{Plan, PlannedNode, Role, TopologyBuilder};
use super::truth::GroundTruth;

/// Prefix of every namespace this module creates.
const PREFIX: &str = "tb-";

static COUNTER: AtomicU32 = AtomicU32::new(0);
static CLEANED: std::sync::Once = std::sync::Once::new();

/// Sysctls written in every namespace before its links exist: (path under /proc/sys, value).
const SYSCTLS: &[(&str, &str)] = &[
    ("net/ipv4/ip_forward", "1"),
    ("net/ipv6/conf/all/forwarding", "1"),
    ("net/ipv6/conf/default/forwarding", "1"),
    ("net/ipv6/conf/all/accept_dad", "0"),
    ("net/ipv6/conf/default/accept_dad", "0"),
    ("net/ipv6/conf/default/dad_transmits", "0"),
    ("net/ipv4/conf/all/rp_filter", "0"),
    ("net/ipv4/conf/default/rp_filter", "0"),
    // No per-destination ICMP rate limit, and no type in the global limit's mask.
    ("net/ipv4/icmp_ratelimit", "0"),
    ("net/ipv4/icmp_ratemask", "0"),
    ("net/ipv6/icmp/ratelimit", "0"),
    ("net/ipv6/icmp/ratemask", "\n"),
    // ICMP errors come from the interface the expiring packet came in on.
    ("net/ipv4/icmp_errors_use_inbound_ifaddr", "1"),
    // L4 hash: a fixed 5-tuple always takes the same ECMP branch.
    ("net/ipv4/fib_multipath_hash_policy", "1"),
    ("net/ipv6/fib_multipath_hash_policy", "1"),
    ("net/ipv6/bindv6only", "0"),
];

/// Linux's default ICMP rate limits, written in routers after [`SYSCTLS`] when the topology
/// keeps them ([`TopologyBuilder::linux_icmp_rate_limits`]): per destination one error per
/// 1000 ms (burst 6), globally 1000 per second (burst 50), for the error types of the
/// kernel's default masks (IPv4 6168 = unreachable, source quench, time exceeded, parameter
/// problem; IPv6 every error type).
const LINUX_ICMP_RATE_LIMITS: &[(&str, &str)] = &[
    ("net/ipv4/icmp_ratelimit", "1000"),
    ("net/ipv4/icmp_ratemask", "6168"),
    ("net/ipv4/icmp_msgs_per_sec", "1000"),
    ("net/ipv4/icmp_msgs_burst", "50"),
    ("net/ipv6/icmp/ratelimit", "1000"),
    ("net/ipv6/icmp/ratemask", "0-1,3-127"),
];

/// A live test network. Dropping it deletes its namespaces (and so its links).
///
/// Nodes are named as in the [`TopologyBuilder`]; methods taking a node name return
/// [`Error::UnknownNode`] for a name the description did not declare.
#[derive(Debug)]
pub struct Topology {
    id: String,
    plan: Plan,
    namespaces: Vec<String>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    torn_down: bool,
}

impl TopologyBuilder {
    /// Creates the described network in the kernel: namespaces, veth pairs, addresses,
    /// routes, nftables rules and listening sockets. Needs root (`CAP_SYS_ADMIN` and
    /// `CAP_NET_ADMIN`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSpec`] or [`Error::UnknownNode`] for a bad description (the first
    /// error a setter met); [`Error::Command`] or [`Error::Io`] when the kernel refuses a
    /// step. Whatever was created is deleted again before the error is returned.
    pub fn build(&self) -> Result<Topology> {
        let plan = self.plan()?;
        CLEANED.call_once(|| {
            if let Err(e) = clean_leftovers() {
                eprintln!("testbed::netns: {e}");
            }
        });
        let id = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let namespaces = plan
            .nodes
            .iter()
            .map(|n| format!("{id}-{}", n.name))
            .collect();
        let mut topo = Topology {
            id,
            plan,
            namespaces,
            stop: Arc::new(AtomicBool::new(false)),
            acceptor: None,
            torn_down: false,
        };
        // On error, dropping `topo` deletes whatever exists already.
        topo.create()?;
        Ok(topo)
    }
}

impl Topology {
    /// An empty description, to be filled and built.
    pub fn builder() -> TopologyBuilder {
        TopologyBuilder::new()
    }

    fn create(&mut self) -> Result<()> {
        // Namespaces first: the names are registered in `self`, so a failure from here on is
        // cleaned up by drop.
        let adds: Vec<String> = self
            .namespaces
            .iter()
            .map(|n| format!("netns add {n}"))
            .collect();
        ip_batch(None, &adds, "create namespaces")?;
        for (i, (node, ns)) in self.plan.nodes.iter().zip(&self.namespaces).enumerate() {
            let limited =
                self.plan.linux_icmp_rate_limits && matches!(node.role, Role::Router { .. });
            run_in_namespace(ns, || {
                write_sysctls(ns, SYSCTLS)?;
                write_hash_seed(ns, i)?;
                if limited {
                    write_sysctls(ns, LINUX_ICMP_RATE_LIMITS)?;
                }
                Ok::<_, Error>(())
            })??;
        }
        let veths: Vec<String> = self
            .plan
            .links
            .iter()
            .enumerate()
            .map(|(li, &(a, b, _))| {
                let port = self.plan.nodes[a]
                    .ports
                    .iter()
                    .find(|p| p.link == li)
                    .expect("every link has its ports");
                format!(
                    "link add v{li} address {} netns {} type veth peer name v{li} address {} netns {}",
                    port.mac(),
                    self.namespaces[a],
                    port.peer_mac(),
                    self.namespaces[b]
                )
            })
            .collect();
        ip_batch(None, &veths, "create veth pairs")?;
        // Addresses in every namespace, then routes once every link is up at both ends.
        self.in_parallel(address_lines, "configure addresses")?;
        self.in_parallel(route_lines, "configure routes")?;
        for (node, ns) in self.plan.nodes.iter().zip(&self.namespaces) {
            let rules = nft_rules(node);
            if !rules.is_empty() {
                run_in_namespace(ns, || run_with_stdin("nft", &["-f", "-"], &rules))?.map_err(
                    |message| Error::Command {
                        context: format!("load nftables rules in namespace {ns}"),
                        message,
                    },
                )?;
            }
        }
        self.start_listeners()
    }

    fn in_parallel(&self, lines: fn(&PlannedNode) -> Vec<String>, what: &str) -> Result<()> {
        let children: Vec<(String, std::io::Result<Child>, Vec<String>)> = self
            .plan
            .nodes
            .iter()
            .zip(&self.namespaces)
            .map(|(node, ns)| {
                let l = lines(node);
                let child = Command::new("ip")
                    .args(["-n", ns, "-b", "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn();
                (ns.clone(), child, l)
            })
            .collect();
        let mut first_err = None;
        for (ns, child, lines) in children {
            let res = child
                .map_err(|e| format!("cannot run ip: {e}"))
                .and_then(|c| feed_and_wait(c, &lines.join("\n")));
            if let Err(message) = res {
                first_err.get_or_insert(Error::Command {
                    context: format!("{what} in namespace {ns}"),
                    message,
                });
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn start_listeners(&mut self) -> Result<()> {
        let mut listeners = Vec::new();
        for (node, ns) in self.plan.nodes.iter().zip(&self.namespaces) {
            let Role::Destination(d) = &node.role else {
                continue;
            };
            for &port in &d.listen {
                let l = run_in_namespace(ns, || {
                    TcpListener::bind((Ipv6Addr::UNSPECIFIED, port))
                        .and_then(|l| l.set_nonblocking(true).map(|()| l))
                })?
                .map_err(|e| Error::io(format!("listen on [::]:{port} in namespace {ns}"), &e))?;
                listeners.push(l);
            }
        }
        if listeners.is_empty() {
            return Ok(());
        }
        let stop = Arc::clone(&self.stop);
        let handle = std::thread::Builder::new()
            .name(format!("{} accept", self.id))
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut idle = true;
                    for l in &listeners {
                        // Accept and close at once: the test only needs the handshake.
                        while let Ok((conn, _)) = l.accept() {
                            drop(conn);
                            idle = false;
                        }
                    }
                    if idle {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            })
            .map_err(|e| Error::io("spawn the accept thread", &e))?;
        self.acceptor = Some(handle);
        Ok(())
    }

    /// The unique prefix of this topology's namespace names, `tb-<pid>-<counter>`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The names of every node, in declaration order.
    pub fn nodes(&self) -> Vec<&str> {
        self.plan.nodes.iter().map(|n| n.name.as_str()).collect()
    }

    /// The names of the destination hosts, in declaration order.
    pub fn destinations(&self) -> Vec<&str> {
        self.plan
            .nodes
            .iter()
            .filter(|n| matches!(n.role, Role::Destination(_)))
            .map(|n| n.name.as_str())
            .collect()
    }

    /// The name of the source node.
    pub fn source(&self) -> &str {
        &self.plan.nodes[self.plan.source].name
    }

    /// The network namespace of `node`, as `ip netns` names it (a file under `/run/netns`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`].
    pub fn netns(&self, node: &str) -> Result<&str> {
        Ok(&self.namespaces[self.plan.index(node)?])
    }

    /// Every namespace of this topology.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// The main address of `node`: a destination's first service address, otherwise the
    /// address of its first link (for the source, the address probes leave from).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`].
    pub fn address(&self, node: &str, family: Family) -> Result<IpAddr> {
        let n = &self.plan.nodes[self.plan.index(node)?];
        Ok(match family {
            Family::V4 => n
                .service_v4
                .first()
                .copied()
                .unwrap_or(n.ports[0].v4)
                .into(),
            Family::V6 => n
                .service_v6
                .first()
                .copied()
                .unwrap_or(n.ports[0].v6)
                .into(),
        })
    }

    /// The source's extra IPv4 addresses to send from, as many as
    /// [`TopologyBuilder::source_addresses`] asked for (none by default). Every node routes
    /// them to the source, which takes in whatever is sent to them; a program sends from them
    /// with a raw socket that writes its own IP header (or after binding to one).
    pub fn source_pool(&self) -> Vec<IpAddr> {
        self.source_pool_of(Family::V4)
    }

    /// The source's extra addresses of `family` to send from: for IPv4
    /// [`Topology::source_pool`], for IPv6 as many in `2001:db8:2::/64`, on the source's
    /// loopback and routed back to it by every node.
    pub fn source_pool_of(&self, family: Family) -> Vec<IpAddr> {
        let n = &self.plan.nodes[self.plan.source];
        match family {
            Family::V4 => n.pool_v4.iter().map(|&a| a.into()).collect(),
            Family::V6 => n.pool_v6.iter().map(|&a| a.into()).collect(),
        }
    }

    /// The address of the source, where probes leave from.
    pub fn source_address(&self, family: Family) -> IpAddr {
        let n = &self.plan.nodes[self.plan.source];
        match family {
            Family::V4 => n.ports[0].v4.into(),
            Family::V6 => n.ports[0].v6.into(),
        }
    }

    /// Every target address of `node`: a destination's service addresses, otherwise its link
    /// addresses.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`].
    pub fn targets(&self, node: &str, family: Family) -> Result<Vec<IpAddr>> {
        let n = &self.plan.nodes[self.plan.index(node)?];
        Ok(match (family, n.service_v4.is_empty()) {
            (Family::V4, false) => n.service_v4.iter().map(|&a| a.into()).collect(),
            (Family::V6, false) => n.service_v6.iter().map(|&a| a.into()).collect(),
            (Family::V4, true) => n.ports.iter().map(|p| p.v4.into()).collect(),
            (Family::V6, true) => n.ports.iter().map(|p| p.v6.into()).collect(),
        })
    }

    /// The address of `node`'s interface on its link to `peer`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`], or [`Error::InvalidSpec`] when the two are not linked.
    pub fn interface_address(&self, node: &str, peer: &str, family: Family) -> Result<IpAddr> {
        let port = self.port(node, peer)?;
        Ok(match family {
            Family::V4 => port.v4.into(),
            Family::V6 => port.v6.into(),
        })
    }

    /// The name of `node`'s interface on its link to `peer` (`v<link index>`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`], or [`Error::InvalidSpec`] when the two are not linked.
    pub fn interface(&self, node: &str, peer: &str) -> Result<&str> {
        Ok(&self.port(node, peer)?.ifname)
    }

    fn port(&self, node: &str, peer: &str) -> Result<&super::spec::Port> {
        let (n, p) = (self.plan.index(node)?, self.plan.index(peer)?);
        self.plan.nodes[n]
            .ports
            .iter()
            .find(|port| port.peer == p)
            .ok_or_else(|| Error::InvalidSpec(format!("{node} and {peer} are not linked")))
    }

    /// What a correct trace from the source to `target` finds. `target` may be any address
    /// of the topology: a service address, or a link address of any node.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAddress`] when no node holds `target`.
    pub fn ground_truth(&self, target: IpAddr) -> Result<GroundTruth> {
        self.plan.ground_truth(target)
    }

    /// Runs `f` on a dedicated thread inside `node`'s namespace and returns its result.
    ///
    /// Sockets created by `f` stay in that namespace, also once returned; commands spawned by
    /// `f` start there. A panic in `f` is resumed on the calling thread.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`], or [`Error::Io`] when the namespace cannot be entered.
    pub fn run_in<T, F>(&self, node: &str, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        run_in_namespace(self.netns(node)?, f)
    }

    /// A command that runs `program` inside `node`'s namespace (`ip netns exec`); add
    /// arguments and run it as usual.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`].
    pub fn command(&self, node: &str, program: impl AsRef<std::ffi::OsStr>) -> Result<Command> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec"])
            .arg(self.netns(node)?)
            .arg(program);
        Ok(cmd)
    }

    /// Deletes the network now, reporting failures that drop would ignore.
    ///
    /// # Errors
    ///
    /// [`Error::Command`] when `ip netns del` fails for some namespace.
    pub fn teardown(mut self) -> Result<()> {
        self.teardown_inner()
    }

    fn teardown_inner(&mut self) -> Result<()> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        let existing: Vec<String> = self
            .namespaces
            .iter()
            .filter(|n| netns_path(n).exists())
            .map(|n| format!("netns del {n}"))
            .collect();
        if existing.is_empty() {
            return Ok(());
        }
        ip_batch(
            None,
            &existing,
            &format!("delete namespaces of {}", self.id),
        )
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Err(e) = self.teardown_inner() {
            eprintln!("testbed::netns: teardown failed: {e}");
        }
    }
}

/// A description of the network for people: one line per node with its role and
/// namespace, then its interfaces (peer, addresses, loss) and service addresses.
impl std::fmt::Display for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (node, ns) in self.plan.nodes.iter().zip(&self.namespaces) {
            describe_node(f, &self.plan, node, ns)?;
        }
        Ok(())
    }
}

fn describe_node(
    f: &mut std::fmt::Formatter<'_>,
    plan: &Plan,
    node: &PlannedNode,
    ns: &str,
) -> std::fmt::Result {
    let role = match &node.role {
        Role::Source => "source".to_owned(),
        Role::Router { silent } => {
            let mut r = if *silent { "silent router" } else { "router" }.to_owned();
            if plan.linux_icmp_rate_limits {
                r.push_str(", Linux ICMP rate limits");
            }
            r
        }
        Role::Destination(d) => {
            let mut r = "destination".to_owned();
            if d.blackhole {
                r.push_str(", blackhole");
            }
            if !d.listen.is_empty() {
                let ports: Vec<String> = d.listen.iter().map(u16::to_string).collect();
                let _ = write!(r, ", listens on {}", ports.join(","));
            }
            if !d.drop_ports.is_empty() {
                let ports: Vec<String> = d.drop_ports.iter().map(u16::to_string).collect();
                let _ = write!(r, ", drops {}", ports.join(","));
            }
            r
        }
    };
    writeln!(f, "{} ({role}) in netns {ns}", node.name)?;
    for p in &node.ports {
        write!(
            f,
            "  {} to {}: {} {}",
            p.ifname, plan.nodes[p.peer].name, p.v4, p.v6
        )?;
        if p.loss > 0 {
            write!(f, " (loses {}%)", p.loss)?;
        }
        writeln!(f)?;
    }
    if let (Some(first), Some(last)) = (node.service_v4.first(), node.service_v4.last()) {
        let (f6, l6) = (
            node.service_v6[0],
            node.service_v6[node.service_v6.len() - 1],
        );
        writeln!(
            f,
            "  {} service addresses: {first}..{last} {f6}..{l6}",
            node.service_v4.len()
        )?;
    }
    if let (Some(first), Some(last)) = (node.pool_v4.first(), node.pool_v4.last()) {
        let (f6, l6) = (node.pool_v6[0], node.pool_v6[node.pool_v6.len() - 1]);
        writeln!(
            f,
            "  {} addresses to send from: {first}..{last} {f6}..{l6}",
            node.pool_v4.len()
        )?;
    }
    Ok(())
}

fn write_sysctls(ns: &str, sysctls: &[(&str, &str)]) -> Result<()> {
    for (key, value) in sysctls {
        let path = format!("/proc/sys/{key}");
        std::fs::write(&path, value)
            .map_err(|e| Error::io(format!("write {path} in namespace {ns}"), &e))?;
    }
    Ok(())
}

/// Gives the node its own multipath hash seed (`net.ipv4.fib_multipath_hash_seed`, which IPv6
/// routes use too), fixed by its position in the description: routers that shared one seed
/// would split every flow alike, so that a diamond nested in another would only ever see
/// one branch of the inner split per outer branch. Kernels before 6.11 have no such
/// sysctl; their namespaces keep the seed they were given.
fn write_hash_seed(ns: &str, index: usize) -> Result<()> {
    let path = "/proc/sys/net/ipv4/fib_multipath_hash_seed";
    if !std::path::Path::new(path).exists() {
        return Ok(());
    }
    // Odd multiples of the golden ratio: distinct, never 0 (which would mean "random").
    let seed = (index as u32).wrapping_mul(0x9e37_79b9) | 1;
    write_sysctls(
        ns,
        &[("net/ipv4/fib_multipath_hash_seed", &seed.to_string())],
    )
}

fn address_lines(node: &PlannedNode) -> Vec<String> {
    let mut l = vec!["link set lo up".to_owned()];
    for p in &node.ports {
        l.push(format!("link set {} up", p.ifname));
        l.push(format!("address add {}/24 dev {}", p.v4, p.ifname));
        l.push(format!("address add {}/64 dev {} nodad", p.v6, p.ifname));
        // Permanent neighbours: no ARP or ND, so no probe is queued or dropped while a
        // neighbour is resolved, and the first burst behaves like every later one.
        l.push(format!(
            "neighbour replace {} lladdr {} dev {} nud permanent",
            p.peer_v4(),
            p.peer_mac(),
            p.ifname
        ));
        l.push(format!(
            "neighbour replace {} lladdr {} dev {} nud permanent",
            p.peer_v6(),
            p.peer_mac(),
            p.ifname
        ));
    }
    for a in &node.service_v4 {
        l.push(format!("address add {a}/32 dev lo"));
    }
    for a in &node.service_v6 {
        l.push(format!("address add {a}/128 dev lo nodad"));
    }
    // A local route takes in a whole /24 at once: one line instead of 254 addresses.
    for p in super::spec::blocks_of(&node.pool_v4) {
        l.push(format!("route add local {p} dev lo"));
    }
    for a in &node.pool_v6 {
        l.push(format!("address add {a}/128 dev lo nodad"));
    }
    l
}

fn route_lines(node: &PlannedNode) -> Vec<String> {
    node.routes
        .iter()
        .filter(|r| !r.via.is_empty())
        .map(|r| {
            if let [(via, dev)] = &r.via[..] {
                format!("route add {} via {via} dev {dev}", r.prefix)
            } else {
                let mut s = format!("route add {}", r.prefix);
                for (via, dev) in &r.via {
                    let _ = write!(s, " nexthop via {via} dev {dev} weight 1");
                }
                s
            }
        })
        .collect()
}

fn nft_rules(node: &PlannedNode) -> String {
    let mut chains = String::new();
    let lossy: Vec<_> = node.ports.iter().filter(|p| p.loss > 0).collect();
    if !lossy.is_empty() {
        chains.push_str(
            "  chain loss {\n    type filter hook prerouting priority -300; policy accept;\n",
        );
        for p in lossy {
            let _ = writeln!(
                chains,
                "    iifname \"{}\" numgen random mod 100 < {} drop",
                p.ifname, p.loss
            );
        }
        chains.push_str("  }\n");
    }
    if matches!(node.role, Role::Router { silent: true }) {
        chains.push_str(
            "  chain silent {\n    type filter hook output priority 0; policy accept;\n    \
             icmp type time-exceeded drop\n    icmpv6 type time-exceeded drop\n  }\n",
        );
    }
    if let Role::Destination(d) = &node.role {
        if d.blackhole {
            chains.push_str(
                "  chain blackhole {\n    type filter hook input priority 0; policy accept;\n    \
                 meta l4proto { tcp, udp } drop\n  }\n",
            );
        } else if !d.drop_ports.is_empty() {
            let ports: Vec<String> = d.drop_ports.iter().map(u16::to_string).collect();
            let _ = write!(
                chains,
                "  chain blackhole {{\n    type filter hook input priority 0; policy accept;\n    \
                 tcp dport {{ {} }} drop\n  }}\n",
                ports.join(", ")
            );
        }
    }
    if chains.is_empty() {
        String::new()
    } else {
        format!("table inet testbed {{\n{chains}}}\n")
    }
}

/// Runs `ip [-n ns] -b -` with `lines` on stdin.
fn ip_batch(ns: Option<&str>, lines: &[String], context: &str) -> Result<()> {
    let mut args = Vec::new();
    if let Some(ns) = ns {
        args.extend(["-n", ns]);
    }
    args.extend(["-b", "-"]);
    run_with_stdin("ip", &args, &lines.join("\n")).map_err(|message| Error::Command {
        context: context.to_owned(),
        message,
    })
}

fn run_with_stdin(program: &str, args: &[&str], input: &str) -> Result<(), String> {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    feed_and_wait(child, input)
}

fn feed_and_wait(mut child: Child, input: &str) -> Result<(), String> {
    if let Some(mut stdin) = child.stdin.take() {
        // A command that dies early closes its stdin; its status tells why.
        let _ = stdin.write_all(input.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Deletes the namespaces left behind by test runs that were killed before their
/// [`Topology`] could be dropped: those named `tb-<pid>-...` whose process `<pid>` is gone.
/// Returns how many were deleted. [`TopologyBuilder::build`] calls it once per process.
///
/// # Errors
///
/// [`Error::Command`] when `ip netns del` fails.
pub fn clean_leftovers() -> Result<usize> {
    let dir = match std::fs::read_dir("/run/netns") {
        Ok(dir) => dir,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io("list /run/netns", &e)),
    };
    let me = std::process::id();
    let stale: Vec<String> = dir
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| {
            name.strip_prefix(PREFIX)
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| {
                    pid != me
                        && matches!(
                            std::fs::metadata(format!("/proc/{pid}")),
                            Err(e) if e.kind() == ErrorKind::NotFound
                        )
                })
        })
        .collect();
    if stale.is_empty() {
        return Ok(0);
    }
    // Another process may be deleting the same leftovers right now: go on past a name that is
    // already gone, and fail only if some leftover is still there afterwards.
    let lines: Vec<String> = stale.iter().map(|n| format!("netns del {n}")).collect();
    let outcome = run_with_stdin("ip", &["-force", "-b", "-"], &lines.join("\n"));
    let left: Vec<&String> = stale.iter().filter(|n| netns_path(n).exists()).collect();
    if let (false, Err(message)) = (left.is_empty(), outcome) {
        return Err(Error::Command {
            context: format!("delete leftover namespaces {left:?}"),
            message,
        });
    }
    Ok(stale.len() - left.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netns::Destination;

    fn plan() -> Plan {
        TopologyBuilder::new()
            .source("src")
            .silent_router("r1")
            .router("r2")
            .destination(
                "dst",
                Destination::new().listen(80).drop_port(81).drop_port(82),
            )
            .router("r3")
            .link("src", "r1")
            .lossy_link("r1", "r2", 7)
            .link("r2", "dst")
            .link("r1", "r3")
            .link("r3", "dst")
            .plan()
            .unwrap()
    }

    #[test]
    fn address_lines_of_a_router() {
        let p = plan();
        let r1 = &p.nodes[p.index("r1").unwrap()];
        let lines = address_lines(r1);
        assert_eq!(lines[0], "link set lo up");
        assert!(lines.contains(&"address add 198.18.0.2/24 dev v0".to_owned()));
        assert!(lines.contains(&"address add 2001:db8:0:1::1/64 dev v1 nodad".to_owned()));
        assert!(
            lines.contains(
                &"neighbour replace 198.18.0.1 lladdr 02:74:62:00:00:01 dev v0 nud permanent"
                    .to_owned()
            )
        );
        assert!(
            lines.contains(
                &"neighbour replace 2001:db8:0:1::2 lladdr 02:74:62:01:00:02 dev v1 nud permanent"
                    .to_owned()
            )
        );
    }

    #[test]
    fn route_lines_use_multipath_on_ties() {
        let p = plan();
        let src = &p.nodes[p.index("src").unwrap()];
        let lines = route_lines(src);
        assert!(lines.contains(&"route add 198.19.0.0/24 via 198.18.0.2 dev v0".to_owned()));
        assert!(lines.contains(&"route add 2001:db8:0:2::2/128 via 2001:db8::2 dev v0".to_owned()));
        // r1 reaches dst through r2 or through r3: a tie.
        let r1 = &p.nodes[p.index("r1").unwrap()];
        let lines = route_lines(r1);
        assert!(
            lines.contains(
                &"route add 198.19.0.0/24 nexthop via 198.18.1.2 dev v1 weight 1 \
                  nexthop via 198.18.3.2 dev v3 weight 1"
                    .to_owned()
            ),
            "{lines:#?}"
        );
        // No route to a neighbour's address on a shared link.
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("route add 198.18.1.2/32"))
        );
    }

    #[test]
    fn description_names_roles_and_addresses() {
        struct Shown<'a>(&'a Plan);
        impl std::fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                for node in &self.0.nodes {
                    describe_node(f, self.0, node, &format!("tb-1-0-{}", node.name))?;
                }
                Ok(())
            }
        }
        let text = Shown(&plan()).to_string();
        assert!(
            text.starts_with(
                "src (source) in netns tb-1-0-src\n  v0 to r1: 198.18.0.1 2001:db8::1\n"
            ),
            "{text}"
        );
        assert!(text.contains("r1 (silent router) in netns tb-1-0-r1\n"));
        assert!(text.contains("  v1 to r2: 198.18.1.1 2001:db8:0:1::1 (loses 7%)\n"));
        assert!(
            text.contains("dst (destination, listens on 80, drops 81,82) in netns tb-1-0-dst\n")
        );
        assert!(text.contains(
            "  1 service addresses: 198.19.0.1..198.19.0.1 2001:db8:1::1..2001:db8:1::1\n"
        ));
        let mut limited = plan();
        limited.linux_icmp_rate_limits = true;
        let text = Shown(&limited).to_string();
        assert!(text.contains("r1 (silent router, Linux ICMP rate limits) in netns tb-1-0-r1\n"));
        assert!(text.contains("r2 (router, Linux ICMP rate limits) in netns tb-1-0-r2\n"));
        assert!(text.contains("src (source) in netns"));
    }

    #[test]
    fn nft_rules_per_role() {
        let p = plan();
        let r1 = nft_rules(&p.nodes[p.index("r1").unwrap()]);
        assert!(r1.starts_with("table inet testbed {\n"));
        assert!(r1.contains("iifname \"v1\" numgen random mod 100 < 7 drop"));
        assert!(r1.contains("icmp type time-exceeded drop"));
        assert!(r1.contains("icmpv6 type time-exceeded drop"));
        let dst = nft_rules(&p.nodes[p.index("dst").unwrap()]);
        assert!(dst.contains("tcp dport { 81, 82 } drop"), "{dst}");
        assert!(!dst.contains("time-exceeded"));
        assert_eq!(nft_rules(&p.nodes[p.index("src").unwrap()]), "");
    }
}
