//! A test network of real kernel routers: network namespaces joined by veth pairs.
//!
//! A [`TopologyBuilder`] describes the network: one source host, routers (some of them
//! silent), destination hosts that listen on ports, leave them closed or drop SYNs, and the
//! links between them (some of them lossy). [`TopologyBuilder::build`] creates it: one
//! namespace per node, named `tb-<pid>-<counter>-<node>` so that tests may run in parallel
//! within and across processes, with forwarding on, ICMP rate limits off (or, with
//! [`TopologyBuilder::linux_icmp_rate_limits`], Linux's defaults kept in the routers), IPv6 DAD off and
//! L4 multipath hashing (a fixed 5-tuple always takes the same ECMP branch). Dropping the
//! [`Topology`] deletes every namespace, also when a test panics; namespaces left behind by a
//! process that was killed are deleted by the next build.
//!
//! Addresses, inside the namespaces only:
//!
//! - link *i* (in declaration order) carries `198.18.i.0/24` and `2001:db8:0:i::/64` (hex), the
//!   first-named end has `.1`/`::1`, the other `.2`/`::2`;
//! - destination *j* (in declaration order) holds service addresses `2001:db8:1:j::1..` and,
//!   254 to a `/24`, IPv4 addresses `198.19.b.1..198.19.b.254`, `198.19.(b+1).1..` on its
//!   loopback, as many as [`Destination::addresses`] says (up to 65,024; the `/24`s follow
//!   those of the destinations before it, so with at most 254 addresses each, destination
//!   *j* holds `198.19.j.1..`).
//!
//! [`Topology::ground_truth`] tells what a correct trace finds: for each TTL, the routers that
//! may answer (their interface facing the source, which is where Linux sends ICMP errors from
//! here) and what the target answers.
//!
//! ```no_run
//! use testbed::netns::{Destination, Family, Topology};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let net = Topology::builder()
//!     .source("src")
//!     .routers(["r1", "r2"])
//!     .silent_router("r3")
//!     .destination("web", Destination::new().listen(80).addresses(4))
//!     .chain(["src", "r1", "r2", "r3", "web"])
//!     .build()?;
//! let target = net.address("web", Family::V4)?;
//! let reached = net.run_in("src", move || {
//!     std::net::TcpStream::connect((target, 80)).is_ok()
//! })?;
//! assert!(reached);
//! let truth = net.ground_truth(target)?;
//! assert_eq!(truth.destination_ttl, 4);
//! assert!(truth.hops[2].is_silent());
//! # Ok(())
//! # }
//! ```
//!
//! The same description can be written in TOML, see [`TopologyBuilder::from_toml`]. Topologies
//! that tests of several crates share are functions here: [`web_and_hole`], [`diamonds`],
//! [`ten_thousand`].
//!
//! A real DNS server for the network's names is [`Dnsmasq`].
//!
//! Code runs inside a node with [`Topology::run_in`] (a thread that entered the namespace;
//! sockets it opens stay there) and programs with [`Topology::command`] (`ip netns exec`).
//!
//! Needs root, iproute2 (`ip`) and, for silent routers, lossy links and dropped ports,
//! nftables (`nft`). Silent routers drop their ICMP time-exceeded in an nftables output chain;
//! a lossy link drops with `numgen random mod 100 < N` at both ends' prerouting; a dropped
//! port or a blackhole is an nftables input drop; a listening port is a real `TcpListener`
//! whose connections are accepted and closed by a thread of the topology.

mod destination;
mod dns;
mod enter;
mod error;
mod fixture;
mod setup;
mod spec;
mod toml_spec;
mod truth;

pub use destination::{Destination, Family, Reply};
pub use dns::Dnsmasq;
pub use enter::run_in_namespace;
pub use error::{Error, Result};
pub use fixture::{
    DIAMONDS, TEN_THOUSAND, TEN_THOUSAND_SOURCES, diamonds, ten_thousand, web_and_hole,
};
pub use setup::{Topology, clean_leftovers};
pub use spec::TopologyBuilder;
pub use truth::{ExpectedHop, GroundTruth, HopCandidate};
