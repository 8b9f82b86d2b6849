//! What multipath discovery (`--mda`) adds to a trace: the links between the interfaces of
//! consecutive hops, and the diamonds they form.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Hop, Trace};

/// A link: one flow reached `from` at TTL `ttl` and `to` at TTL `ttl + 1`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The TTL at which `from` answered.
    pub ttl: u8,
    /// The interface at `ttl`.
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub from: IpAddr,
    /// The interface at `ttl + 1`.
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub to: IpAddr,
}

impl Link {
    /// The link from `from` at `ttl` to `to` at `ttl + 1`.
    pub fn new(ttl: u8, from: IpAddr, to: IpAddr) -> Self {
        Self { ttl, from, to }
    }
}

/// A diamond: where load-balanced paths diverge (a hop with one interface followed by one
/// with several) and where they converge again (the next hop with one interface).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diamond {
    /// The TTL of the divergence point (the last hop with one interface before the paths
    /// split).
    pub divergence_ttl: u8,
    /// The divergence point, or absent when the paths split at the first TTL probed (they
    /// diverge at the source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::ip_addr_opt")
    )]
    pub divergence: Option<IpAddr>,
    /// The TTL of the convergence point, or absent when the trace ended before the paths met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convergence_ttl: Option<u8>,
    /// The convergence point, or absent when the trace ended before the paths met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::schema::ip_addr_opt")
    )]
    pub convergence: Option<IpAddr>,
    /// The most interfaces at one TTL between the two points.
    pub max_width: u32,
    /// The links between the two points: more than the widths call for when the diamond is
    /// meshed.
    pub links: u32,
}

impl Hop {
    /// Every interface that answered at this TTL with the flows (TCP source ports) that
    /// reached it, in order of first appearance; replies without a flow count under no flow.
    pub fn interfaces(&self) -> Vec<(IpAddr, Vec<u16>)> {
        let mut out: Vec<(IpAddr, Vec<u16>)> = Vec::new();
        for r in &self.replies {
            let i = if let Some(i) = out.iter().position(|(a, _)| *a == r.from) {
                i
            } else {
                out.push((r.from, Vec::new()));
                out.len() - 1
            };
            if let Some(f) = r.flow
                && !out[i].1.contains(&f)
            {
                out[i].1.push(f);
            }
        }
        out
    }
}

impl Trace {
    /// The diamonds of the trace, from the widths of its hops (silent hops are skipped) and
    /// its [`links`](Trace::links), in TTL order. A trace without load balancing has none.
    pub fn find_diamonds(&self) -> Vec<Diamond> {
        let widths: Vec<(u8, Vec<IpAddr>)> = self
            .hops
            .iter()
            .map(|h| (h.ttl, h.addrs()))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        let mut per_ttl: BTreeMap<u8, u32> = BTreeMap::new();
        for l in &self.links {
            *per_ttl.entry(l.ttl).or_default() += 1;
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < widths.len() {
            if widths[i].1.len() < 2 {
                i += 1;
                continue;
            }
            // widths[i] is the first wide hop: the one before it (if any) diverges.
            let (divergence_ttl, divergence) = match i.checked_sub(1) {
                Some(d) => (widths[d].0, Some(widths[d].1[0])),
                None => (widths[i].0.saturating_sub(1), None),
            };
            let mut j = i;
            while j < widths.len() && widths[j].1.len() >= 2 {
                j += 1;
            }
            let max_width = widths[i..j].iter().map(|w| w.1.len()).max().unwrap_or(0) as u32;
            let end = widths.get(j).map(|w| w.0);
            let links = per_ttl
                .range(divergence_ttl..end.unwrap_or(u8::MAX))
                .map(|(_, n)| n)
                .sum();
            out.push(Diamond {
                divergence_ttl,
                divergence,
                convergence_ttl: end,
                convergence: widths.get(j).map(|w| w.1[0]),
                max_width,
                links,
            });
            i = j;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::Duration;

    use crate::model::{Hop, Reply, ReplyKind, StopReason, Trace};

    fn te(a: &str, flow: u16) -> Reply {
        let mut r = Reply::new(a.parse().unwrap(), Duration::ZERO, ReplyKind::TimeExceeded);
        r.flow = Some(flow);
        r
    }

    fn ip(a: &str) -> IpAddr {
        a.parse().unwrap()
    }

    #[test]
    fn a_diamond_between_two_single_hops() {
        let mut t = Trace::new("t", ip("10.9.0.1"), 80, StopReason::Reached);
        t.hops = vec![
            Hop::new(1, vec![te("10.0.0.1", 1), te("10.0.0.1", 2)]),
            Hop::new(2, vec![te("10.0.1.1", 1), te("10.0.1.2", 2)]),
            Hop::new(3, vec![te("10.0.2.1", 1), te("10.0.2.1", 2)]),
            Hop::new(4, vec![te("10.0.3.1", 1), te("10.0.3.2", 2)]),
        ];
        t.links = vec![
            super::Link::new(1, ip("10.0.0.1"), ip("10.0.1.1")),
            super::Link::new(1, ip("10.0.0.1"), ip("10.0.1.2")),
            super::Link::new(2, ip("10.0.1.1"), ip("10.0.2.1")),
            super::Link::new(2, ip("10.0.1.2"), ip("10.0.2.1")),
        ];
        let d = t.find_diamonds();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].divergence, Some(ip("10.0.0.1")));
        assert_eq!(
            (d[0].convergence_ttl, d[0].convergence),
            (Some(3), Some(ip("10.0.2.1")))
        );
        assert_eq!((d[0].max_width, d[0].links), (2, 4));
        // The second one never converges: the trace ended inside it.
        assert_eq!((d[1].divergence_ttl, d[1].convergence), (3, None));
        assert_eq!(
            t.hops[1].interfaces(),
            [(ip("10.0.1.1"), vec![1]), (ip("10.0.1.2"), vec![2])]
        );
    }

    #[test]
    fn a_single_path_has_no_diamond() {
        let mut t = Trace::new("t", ip("10.9.0.1"), 80, StopReason::Reached);
        t.hops = vec![Hop::new(1, vec![te("10.0.0.1", 1)]), Hop::new(2, vec![])];
        assert!(t.find_diamonds().is_empty());
    }
}
