//! What a destination host does with the traffic sent to it, and the address families: the
//! leaf that both the topology's spec and its ground truth read.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::error::Error;

/// Most service addresses on one destination: all 256 `/24`s of `198.19.0.0/16`.
pub(crate) const MAX_ADDRESSES: u16 = 254 * 256;

/// An address family of the dual-stack test network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4, addresses from `198.18.0.0/15`.
    V4,
    /// IPv6, addresses from `2001:db8::/32`.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }
}

/// How a destination host treats TCP and UDP traffic sent to it.
///
/// Ports that are neither listened on nor dropped are closed: the kernel answers a SYN with a
/// RST and a UDP datagram with an ICMP port unreachable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub(crate) listen: BTreeSet<u16>,
    pub(crate) drop_ports: BTreeSet<u16>,
    pub(crate) blackhole: bool,
    pub(crate) addresses: u16,
    pub(crate) error: Option<Error>,
}

impl Default for Destination {
    fn default() -> Self {
        Self::new()
    }
}

impl Destination {
    /// A destination with one service address per family and every port closed.
    pub fn new() -> Self {
        Self {
            listen: BTreeSet::new(),
            drop_ports: BTreeSet::new(),
            blackhole: false,
            addresses: 1,
            error: None,
        }
    }

    /// Listens on TCP `port` (IPv4 and IPv6) with a real socket, so a SYN gets a SYN-ACK.
    #[must_use]
    pub fn listen(mut self, port: u16) -> Self {
        if port == 0 {
            self.error
                .get_or_insert(Error::InvalidSpec("cannot listen on port 0".into()));
        }
        self.listen.insert(port);
        self
    }

    /// Drops every TCP packet to `port` with an nftables input rule, so a SYN gets no answer.
    #[must_use]
    pub fn drop_port(mut self, port: u16) -> Self {
        self.drop_ports.insert(port);
        self
    }

    /// Drops all TCP and UDP traffic to this host with an nftables input rule (a blackhole).
    #[must_use]
    pub fn blackhole(mut self) -> Self {
        self.blackhole = true;
        self
    }

    /// Gives the host `count` service addresses per family (1 to 65,024), all on its
    /// loopback. IPv4 addresses fill `/24`s of `198.19.0.0/16`, 254 to a `/24`, so that all
    /// destinations together have at most 256 such `/24`s (65,024 addresses).
    #[must_use]
    pub fn addresses(mut self, count: u16) -> Self {
        if count == 0 || count > MAX_ADDRESSES {
            self.error.get_or_insert(Error::InvalidSpec(format!(
                "a destination has 1 to {MAX_ADDRESSES} addresses, not {count}"
            )));
        }
        self.addresses = count;
        self
    }

    /// What a TCP SYN to `port` gets back from this host.
    pub fn reply(&self, port: u16) -> Reply {
        if self.blackhole || self.drop_ports.contains(&port) {
            Reply::Nothing
        } else if self.listen.contains(&port) {
            Reply::SynAck
        } else {
            Reply::Rst
        }
    }
}

/// What the probed host sends back to a TCP SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// A SYN-ACK: a real socket listens on the port.
    SynAck,
    /// A RST-ACK: the port is closed.
    Rst,
    /// Nothing: the SYN is dropped (blackhole).
    Nothing,
}
