//! Packet views and representations (smoltcp style): a `Packet<T: AsRef<[u8]>>` view with
//! checked accessors, and a `Repr` that parses from and emits into it.
//!
//! Once `new_checked` (which calls `check_len`) succeeds, no accessor of a packet view panics.
//!
//! The byte work (field access, checksums, probe building) is this module's own code, not
//! `pnet_packet`'s: a pnet-backed build of these views was measured slower (the crate docs,
//! "Byte-level work", have the figures).

use std::net::IpAddr;

mod ext;
mod icmp;
mod icmpv4;
mod icmpv6;
mod ipv4;
mod ipv6;
mod reply;
mod tcp;

pub use ext::{ExtensionObject, Extensions};
pub use icmp::{IcmpPacket, IcmpVersion, Icmpv4, Icmpv6};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Packet, Icmpv6Repr};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use reply::{
    ParsedReply, QuotedProbe, QuotedTcp, ReplyBody, parse_reply, parse_reply_v6_payload,
};
pub use tcp::{TcpFlags, TcpOption, TcpPacket, TcpRepr};

/// Why bytes could not be read as a packet. Small and `Copy`, because parsing must be cheap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The buffer is shorter than the header or the length a field claims.
    #[error("packet truncated")]
    Truncated,
    /// A field has a value that cannot be (wrong version, header length below minimum).
    #[error("malformed packet")]
    Malformed,
    /// The checksum does not match.
    #[error("bad checksum")]
    Checksum,
    /// The packet is well formed but of a kind this crate does not handle.
    #[error("unsupported packet")]
    Unsupported,
}

/// IP protocol numbers used here.
pub(crate) mod proto {
    pub(crate) const ICMP: u8 = 1;
    pub(crate) const TCP: u8 = 6;
    pub(crate) const ICMPV6: u8 = 58;
}

pub(crate) fn read_u16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn write_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

pub(crate) fn write_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// The Internet checksum (RFC 1071) helpers.
pub(crate) mod checksum {
    use std::net::IpAddr;

    /// The ones'-complement sum of `data`, not yet folded.
    pub(crate) fn sum(data: &[u8]) -> u32 {
        let mut acc: u32 = 0;
        let mut chunks = data.chunks_exact(2);
        for c in &mut chunks {
            acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            acc += u32::from(*last) << 8;
        }
        acc
    }

    /// Folds a sum to 16 bits (not complemented).
    pub(crate) fn fold(mut acc: u64) -> u16 {
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    /// The complemented checksum of several parts.
    pub(crate) fn of(parts: &[u32]) -> u16 {
        !fold(parts.iter().map(|&p| u64::from(p)).sum())
    }

    /// The pseudo-header sum for TCP/ICMPv6 over IPv4 or IPv6.
    pub(crate) fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: u32) -> u32 {
        let mut acc: u64 = u64::from(proto) + u64::from(len >> 16) + u64::from(len & 0xffff);
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                acc += u64::from(sum(&s.octets())) + u64::from(sum(&d.octets()));
            }
            (s, d) => {
                acc += u64::from(sum(&super::v6_octets(s))) + u64::from(sum(&super::v6_octets(d)));
            }
        }
        u32::from(fold(acc))
    }
}

pub(crate) fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// Adding a field to a public wire type is not a breaking change: outside this crate, no struct
/// expression builds one (E0639), so users go through the constructors, and patterns need `..`.
/// Each block must fail to compile; it compiled before the types were `#[non_exhaustive]`.
///
/// ```compile_fail,E0639
/// use std::net::Ipv4Addr;
/// let _ = tcptrace::Ipv4Repr {
///     src_addr: Ipv4Addr::LOCALHOST,
///     dst_addr: Ipv4Addr::LOCALHOST,
///     protocol: 6,
///     ttl: 1,
///     ident: 0,
///     tos: 0,
///     dont_frag: false,
///     payload_len: 20,
/// };
/// ```
///
/// ```compile_fail,E0639
/// use std::net::Ipv6Addr;
/// let _ = tcptrace::Ipv6Repr {
///     src_addr: Ipv6Addr::LOCALHOST,
///     dst_addr: Ipv6Addr::LOCALHOST,
///     next_header: 6,
///     hop_limit: 1,
///     traffic_class: 0,
///     flow_label: 0,
///     payload_len: 20,
/// };
/// ```
///
/// ```compile_fail,E0639
/// let _ = tcptrace::TcpRepr {
///     src_port: 1,
///     dst_port: 2,
///     seq_number: 0,
///     ack_number: 0,
///     flags: tcptrace::TcpFlags::SYN,
///     window: 0,
///     mss: None,
///     window_scale: None,
///     sack_permitted: false,
///     timestamp: None,
/// };
/// ```
///
/// ```compile_fail,E0639
/// let _ = tcptrace::Icmpv4Repr::TimeExceeded { code: 0, quoted: &[], mpls: vec![] };
/// ```
///
/// ```compile_fail,E0639
/// let _ = tcptrace::Icmpv6Repr::DstUnreachable { code: 4, quoted: &[], mpls: vec![] };
/// ```
///
/// ```compile_fail,E0639
/// let _ = tcptrace::ExtensionObject { class_num: 1, c_type: 1, payload: &[] };
/// ```
///
/// ```compile_fail,E0639
/// use std::net::{IpAddr, Ipv4Addr};
/// let _ = tcptrace::QuotedProbe {
///     src: IpAddr::V4(Ipv4Addr::LOCALHOST),
///     dst: IpAddr::V4(Ipv4Addr::LOCALHOST),
///     ident: None,
///     ttl: 1,
///     src_port: 1,
///     dst_port: 2,
///     seq_number: 0,
///     tos: 0,
///     flow_label: None,
///     tcp: tcptrace::QuotedTcp::new(&[]),
/// };
/// ```
///
/// ```compile_fail,E0639
/// let _ = tcptrace::ReplyBody::Tcp {
///     src_port: 1,
///     dst_port: 2,
///     seq_number: 0,
///     ack_number: 0,
///     flags: tcptrace::TcpFlags::RST,
/// };
/// ```
///
/// ```compile_fail,E0639
/// let r = tcptrace::parse_reply(&[]).unwrap();
/// let _ = tcptrace::ParsedReply { from: r.from, to: r.to, body: r.body };
/// ```
///
/// The extension emitter is the ICMP `Repr`s' (their `emit` with MPLS labels), not public:
///
/// ```compile_fail,E0432
/// use tcptrace::emit_mpls_extension;
/// ```
#[cfg(doctest)]
pub struct NonExhaustive;

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these bytes folds to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum::fold(u64::from(checksum::sum(&data))), 0xddf2);
        assert_eq!(checksum::sum(&[0xab]), 0xab00);
    }
}
