//! The ground truth of a topology: what a correct traceroute from the source must find.

use std::net::IpAddr;

use super::destination::{Destination, Family, Reply};

/// One router that may answer at a TTL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopCandidate {
    /// The router's node name.
    pub node: String,
    /// The address it answers from: its interface facing the source.
    pub address: IpAddr,
    /// The node the probe came from on this path (the source, or the router one TTL lower):
    /// `address` is on the link between the two.
    pub previous: String,
    /// True when the router drops its ICMP time-exceeded, so nothing answers.
    pub silent: bool,
}

/// The routers that may answer at one TTL. A chain has one candidate per TTL; an ECMP diamond
/// has several, of which a fixed 5-tuple meets exactly one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedHop {
    /// The TTL (IPv4) or hop limit (IPv6), from 1.
    pub ttl: u8,
    /// The routers at this TTL, sorted by address.
    pub candidates: Vec<HopCandidate>,
}

impl ExpectedHop {
    /// The addresses that may answer at this TTL, silent routers included.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.candidates.iter().map(|c| c.address).collect()
    }

    /// True when every candidate is silent: a correct trace shows no answer here.
    pub fn is_silent(&self) -> bool {
        self.candidates.iter().all(|c| c.silent)
    }

    /// True when `addr` is a legitimate answer at this TTL: a candidate that is not silent.
    pub fn accepts(&self, addr: IpAddr) -> bool {
        self.candidate(addr).is_some_and(|c| !c.silent)
    }

    /// The candidate that answers from `addr`, if any.
    pub fn candidate(&self, addr: IpAddr) -> Option<&HopCandidate> {
        self.candidates.iter().find(|c| c.address == addr)
    }
}

/// The expected trace from the source to one target address.
///
/// TTLs `1..destination_ttl` are routers, listed in [`hops`](Self::hops); at
/// `destination_ttl` the probed host itself answers, from the target address, as
/// [`reply`](Self::reply) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroundTruth {
    /// The probed address.
    pub target: IpAddr,
    /// The node that holds the target address.
    pub destination: String,
    /// The address family of the trace.
    pub family: Family,
    /// The routers at TTL 1, 2, ...: `hops[i].ttl == i + 1`.
    pub hops: Vec<ExpectedHop>,
    /// The TTL at which the target answers (one more than the number of routers).
    pub destination_ttl: u8,
    pub(crate) behaviour: Destination,
}

impl GroundTruth {
    /// What a TCP SYN to `port` of the target gets back.
    pub fn reply(&self, port: u16) -> Reply {
        self.behaviour.reply(port)
    }

    /// The address that answers a SYN to `port` at the destination TTL: the target itself, or
    /// `None` when the SYN is dropped.
    pub fn answers_from(&self, port: u16) -> Option<IpAddr> {
        (self.reply(port) != Reply::Nothing).then_some(self.target)
    }

    /// Whether answers at consecutive TTLs form one path through the network, as a trace that
    /// keeps its 5-tuple constant must find under ECMP: each router must have been entered
    /// from the router found one TTL lower. `answers[i]` is who answered at TTL `i + 1`
    /// (`None` for no answer, which breaks no chain).
    pub fn is_one_path(&self, answers: &[Option<IpAddr>]) -> bool {
        let mut previous: Option<&str> = None;
        for (hop, answer) in self.hops.iter().zip(answers) {
            let Some(addr) = answer else {
                previous = None;
                continue;
            };
            let Some(c) = hop.candidate(*addr) else {
                return false;
            };
            if previous.is_some_and(|p| p != c.previous) {
                return false;
            }
            previous = Some(&c.node);
        }
        true
    }

    /// Every link a multipath trace to `port` must find: (TTL of `from`, `from`, `to` at the
    /// next TTL), for each router entered from a router one TTL lower on a shortest path,
    /// and from each router of the last TTL to the target (when it answers `port`). Links to
    /// or from silent routers are not seen, so they are left out. Sorted.
    pub fn links(&self, port: u16) -> Vec<(u8, IpAddr, IpAddr)> {
        let mut out = Vec::new();
        for pair in self.hops.windows(2) {
            for c in pair[1].candidates.iter().filter(|c| !c.silent) {
                for p in pair[0].candidates.iter().filter(|p| !p.silent) {
                    if p.node == c.previous {
                        out.push((pair[0].ttl, p.address, c.address));
                    }
                }
            }
        }
        if let (Some(last), Some(target)) = (self.hops.last(), self.answers_from(port)) {
            for p in last.candidates.iter().filter(|p| !p.silent) {
                out.push((last.ttl, p.address, target));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether `addr` answering at `ttl` is correct for a TCP trace to `port`.
    ///
    /// Routers' answers must be a non-silent candidate of that TTL; at and past the
    /// destination TTL only the target may answer, and only if it is not blackholed.
    pub fn accepts(&self, ttl: u8, port: u16, addr: IpAddr) -> bool {
        if ttl == 0 {
            return false;
        }
        if ttl >= self.destination_ttl {
            return self.answers_from(port) == Some(addr);
        }
        self.hops
            .get(usize::from(ttl) - 1)
            .is_some_and(|h| h.accepts(addr))
    }
}
