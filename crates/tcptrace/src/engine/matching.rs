//! Which probe an ICMP error quotes, also when a middlebox rewrote the quoted headers.

use std::net::IpAddr;

use super::Engine;
use crate::wire::QuotedProbe;

impl Engine {
    /// The sequence number of the probe (flow, TTL index, attempt).
    pub(super) fn seq_of(&self, f: usize, ttl_idx: usize, attempt: usize) -> u32 {
        let ttl = self.min_ttl + ttl_idx as u8;
        self.permute(self.probe_id(f, ttl, attempt as u8))
    }

    /// The probe (flow, TTL index, attempt) that `quote` shows, from an ICMP error sent to
    /// `to` (when known), or `None` when it is none of ours.
    ///
    /// The keyed sequence number names the probe; the quoted destination and destination port
    /// must be the probe's, and the error must have come to the probe's source. The source
    /// address, source port and IPv4 ID may differ: a middlebox rewrote them, and the caller
    /// reports it. When the sequence number is not one of ours (a middlebox rewrote it too),
    /// the IPv4 ID names the probe within the flow that the ports name, or, when the source
    /// port was rewritten as well, within the one flow to that destination and port.
    pub(super) fn match_quote(
        &mut self,
        to: Option<IpAddr>,
        quote: &QuotedProbe,
    ) -> Option<(usize, usize, usize)> {
        let fits = |e: &Self, f: usize| {
            let st = &e.flows[f];
            quote.dst == st.flow.dst
                && quote.dst_port == st.flow.port
                && to.is_none_or(|to| to == st.flow.src)
        };
        if let Some((f, t, a)) = self.decode(quote.seq_number)
            && fits(self, f)
        {
            return Some((f, t, a));
        }
        let ident = quote.ident?;
        let by_ports = self
            .flow_by_ports(quote.src_port, quote.dst_port, quote.dst)
            .filter(|&f| fits(self, f));
        let f = match by_ports {
            Some(f) => f,
            None => match self.by_dest.get(&(quote.dst, quote.dst_port))?.as_slice() {
                &[f] if fits(self, f) => f,
                _ => return None,
            },
        };
        let (t, a) = self.decode_ident(f, ident)?;
        self.stats.by_ident += 1;
        Some((f, t, a))
    }
}
