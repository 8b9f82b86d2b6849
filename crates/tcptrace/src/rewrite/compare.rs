//! The comparison of what was sent with what came back.

use std::net::IpAddr;

use super::{FieldValue, Rewrite, RewriteField};
use crate::wire::{QuotedProbe, TcpOption, TcpRepr};

/// The TCP header length of the engine's probes: 20 bytes and 20 of options (MSS, SACK
/// permitted, timestamps, window scale). A quote of fewer bytes shows no option.
pub(crate) const PROBE_TCP_HEADER_LEN: u16 = 40;

/// The header fields of a probe as the engine sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SentProbe {
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    /// The IPv4 ID (absent for IPv6).
    pub(crate) ident: Option<u16>,
    /// The IPv6 flow label (absent for IPv4).
    pub(crate) flow_label: Option<u32>,
    /// TOS or traffic class.
    pub(crate) tos: u8,
    pub(crate) tcp: TcpRepr,
}

/// The options of a header, as far as they are compared.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Options {
    kinds: Vec<u8>,
    mss: Option<u16>,
    window_scale: Option<u8>,
    sack_permitted: bool,
    tsval: Option<u32>,
}

impl Options {
    fn read(bytes: &[u8]) -> Self {
        let mut o = Self {
            kinds: Vec::new(),
            mss: None,
            window_scale: None,
            sack_permitted: false,
            tsval: None,
        };
        for opt in TcpOption::iter(bytes) {
            o.kinds.push(opt.kind());
            match opt {
                TcpOption::Mss(v) => o.mss = Some(v),
                TcpOption::WindowScale(v) => o.window_scale = Some(v),
                TcpOption::SackPermitted => o.sack_permitted = true,
                TcpOption::Timestamp { tsval, .. } => o.tsval = Some(tsval),
                _ => {}
            }
        }
        // Trailing padding says nothing about the options.
        while o.kinds.last() == Some(&0) {
            o.kinds.pop();
        }
        o
    }
}

fn num(v: impl Into<u64>) -> FieldValue {
    FieldValue::Number(v.into())
}

fn opt(v: Option<impl Into<u64>>) -> FieldValue {
    v.map_or(FieldValue::Absent, num)
}

struct Diff(Vec<Rewrite>);

impl Diff {
    fn check(&mut self, field: RewriteField, sent: FieldValue, seen: FieldValue) {
        if sent != seen {
            self.0.push(Rewrite::new(field, sent, seen));
        }
    }
}

/// The fields of `sent` that `quote` (the probe as an ICMP error quoted it) shows changed,
/// in [`RewriteField`] order. The TCP fields past the sequence number are compared only as
/// far as the quote reaches (see the module docs).
pub(crate) fn compare_quote(sent: &SentProbe, quote: &QuotedProbe) -> Vec<Rewrite> {
    let mut d = Diff(Vec::new());
    let addr = FieldValue::Addr;
    d.check(RewriteField::SrcAddr, addr(sent.src), addr(quote.src));
    d.check(
        RewriteField::SrcPort,
        num(sent.tcp.src_port),
        num(quote.src_port),
    );
    d.check(RewriteField::DstAddr, addr(sent.dst), addr(quote.dst));
    d.check(
        RewriteField::DstPort,
        num(sent.tcp.dst_port),
        num(quote.dst_port),
    );
    if let (Some(s), Some(q)) = (sent.ident, quote.ident) {
        d.check(RewriteField::IpId, num(s), num(q));
    }
    if let (Some(s), Some(q)) = (sent.flow_label, quote.flow_label) {
        d.check(RewriteField::FlowLabel, num(s), num(q));
    }
    d.check(RewriteField::Dscp, num(sent.tos >> 2), num(quote.tos >> 2));
    d.check(RewriteField::Ecn, num(sent.tos & 3), num(quote.tos & 3));
    d.check(
        RewriteField::Seq,
        num(sent.tcp.seq_number),
        num(quote.seq_number),
    );
    if let Some(flags) = quote.tcp.flags() {
        d.check(
            RewriteField::Flags,
            num(sent.tcp.flags.bits()),
            num(flags.bits()),
        );
    }
    if let Some(window) = quote.tcp.window() {
        d.check(RewriteField::Window, num(sent.tcp.window), num(window));
    }
    // An option area of only zero bytes is no quote of options: a router that quotes 28 bytes
    // and adds RFC 4884 extensions (MPLS labels) pads the original datagram with zeros to 128
    // bytes, past the quoted data offset. Strippers rewrite the data offset or write NOPs.
    if let Some(bytes) = quote.tcp.options().filter(|b| b.iter().any(|&x| x != 0)) {
        let mut buf = [0u8; 60];
        let hl = sent.tcp.header_len();
        // Our own emitter wrote the sent options; re-emit them to read them the same way.
        let sent_opts = if sent.tcp.emit(&mut buf[..hl], sent.src, sent.dst).is_ok() {
            Options::read(&buf[20..hl])
        } else {
            Options::read(&[])
        };
        let seen = Options::read(bytes);
        d.check(RewriteField::Mss, opt(sent_opts.mss), opt(seen.mss));
        d.check(
            RewriteField::WindowScale,
            opt(sent_opts.window_scale),
            opt(seen.window_scale),
        );
        d.check(
            RewriteField::SackPermitted,
            FieldValue::Bool(sent_opts.sack_permitted),
            FieldValue::Bool(seen.sack_permitted),
        );
        d.check(
            RewriteField::Timestamp,
            opt(sent_opts.tsval),
            opt(seen.tsval),
        );
        d.check(
            RewriteField::TcpOptions,
            FieldValue::Kinds(sent_opts.kinds),
            FieldValue::Kinds(seen.kinds),
        );
    }
    d.0
}

/// The fields of `sent` that the destination's TCP answer shows changed: the ports it
/// answered from and to (its source port is the probe's destination port, its destination
/// port the probe's source port as the destination saw it).
pub(crate) fn compare_answer(sent: &SentProbe, src_port: u16, dst_port: u16) -> Vec<Rewrite> {
    let mut d = Diff(Vec::new());
    d.check(RewriteField::SrcPort, num(sent.tcp.src_port), num(dst_port));
    d.check(RewriteField::DstPort, num(sent.tcp.dst_port), num(src_port));
    d.0
}

/// Whether a reply that quoted `quoted_tcp` bytes of the TCP header (absent for a TCP
/// answer) could show `field` changed, for probes whose TCP header is `sent_header_len`
/// bytes long.
/// A TCP answer shows no field as sent: it may have been translated back on its way to us
/// (by the NAT that rewrote the probe), so only a change it shows counts.
pub(crate) fn comparable(
    field: RewriteField,
    quoted_tcp: Option<u16>,
    sent_header_len: u16,
) -> bool {
    let Some(n) = quoted_tcp else {
        return false;
    };
    match field {
        RewriteField::Flags => n >= 14,
        RewriteField::Window => n >= 16,
        RewriteField::Mss
        | RewriteField::WindowScale
        | RewriteField::SackPermitted
        | RewriteField::Timestamp
        | RewriteField::TcpOptions => n >= sent_header_len,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{QuotedTcp, TcpFlags};

    fn sent() -> SentProbe {
        let mut tcp = TcpRepr::new(40000, 80, TcpFlags::SYN);
        (tcp.seq_number, tcp.window, tcp.mss) = (7, 8192, Some(1460));
        (tcp.sack_permitted, tcp.timestamp, tcp.window_scale) = (true, Some((7, 0)), Some(7));
        SentProbe {
            src: "198.18.0.1".parse().unwrap(),
            dst: "198.19.0.1".parse().unwrap(),
            ident: Some(0x1234),
            flow_label: None,
            tos: 0,
            tcp,
        }
    }

    /// The quote a router would make of `p`, `len` bytes of TCP.
    fn quote(p: &SentProbe, len: usize) -> QuotedProbe {
        let mut buf = [0u8; 60];
        let hl = p.tcp.header_len();
        p.tcp.emit(&mut buf[..hl], p.src, p.dst).unwrap();
        QuotedProbe {
            src: p.src,
            dst: p.dst,
            ident: p.ident,
            ttl: 1,
            src_port: p.tcp.src_port,
            dst_port: p.tcp.dst_port,
            seq_number: p.tcp.seq_number,
            tos: p.tos,
            flow_label: p.flow_label,
            tcp: QuotedTcp::new(&buf[..len.min(hl)]),
        }
    }

    fn fields(r: &[Rewrite]) -> Vec<RewriteField> {
        r.iter().map(|r| r.field).collect()
    }

    #[test]
    fn an_untouched_probe_shows_nothing() {
        let s = sent();
        assert_eq!(compare_quote(&s, &quote(&s, 60)), []);
        assert_eq!(compare_quote(&s, &quote(&s, 8)), []);
        assert_eq!(compare_answer(&s, 80, 40000), []);
    }

    /// A router that quotes 28 bytes and appends MPLS labels (RFC 4884) pads the quote with
    /// zeros: the data offset is quoted, the options are not, and nothing was stripped.
    #[test]
    fn zero_padding_after_a_short_quote_is_no_stripped_option() {
        let s = sent();
        let mut buf = [0u8; 60];
        let hl = s.tcp.header_len();
        s.tcp.emit(&mut buf[..hl], s.src, s.dst).unwrap();
        buf[20..hl].fill(0);
        let mut padded = quote(&s, 60);
        padded.tcp = QuotedTcp::new(&buf[..hl]);
        assert_eq!(compare_quote(&s, &padded), []);
    }

    #[test]
    fn every_rewritten_field_is_reported_with_both_values() {
        let s = sent();
        let mut seen = s;
        seen.src = "198.18.9.9".parse().unwrap();
        seen.tos = (10 << 2) | 3;
        seen.ident = Some(1);
        seen.tcp.src_port = 40256;
        seen.tcp.window = 1024;
        seen.tcp.mss = Some(1300);
        seen.tcp.timestamp = None;
        let r = compare_quote(&s, &quote(&seen, 60));
        assert_eq!(
            fields(&r),
            [
                RewriteField::SrcAddr,
                RewriteField::SrcPort,
                RewriteField::IpId,
                RewriteField::Dscp,
                RewriteField::Ecn,
                RewriteField::Window,
                RewriteField::Mss,
                RewriteField::Timestamp,
                RewriteField::TcpOptions,
            ]
        );
        assert_eq!(r[3].to_string(), "dscp 0→10");
        assert_eq!(r[4].to_string(), "ecn 0→3");
        assert_eq!(r[6].to_string(), "mss 1460→1300");
        assert_eq!(r[7].to_string(), "timestamp 7→none");
        assert_eq!(r[8].to_string(), "tcp_options [2,4,8,1,3]→[2,1,1,4,1,3]");
        // An RFC 792 quote shows only what its 8 bytes of TCP hold.
        let short = compare_quote(&s, &quote(&seen, 8));
        assert_eq!(
            fields(&short),
            [
                RewriteField::SrcAddr,
                RewriteField::SrcPort,
                RewriteField::IpId,
                RewriteField::Dscp,
                RewriteField::Ecn,
            ]
        );
        assert_eq!(
            fields(&compare_answer(&s, 80, 40256)),
            [RewriteField::SrcPort]
        );
    }

    #[test]
    fn what_a_quote_can_show() {
        use RewriteField as F;
        assert!(comparable(F::Seq, Some(8), 40));
        assert!(!comparable(F::Flags, Some(8), 40));
        assert!(comparable(F::Window, Some(16), 40));
        assert!(!comparable(F::Mss, Some(28), 40));
        assert!(comparable(F::Mss, Some(40), 40));
        assert!(!comparable(F::SrcPort, None, 40));
    }
}
