//! Packet views and representations (smoltcp style): a `Packet<T: AsRef<[u8]>>` view with
//! checked accessors, and a `Repr` that parses from and emits into it.
//!
//! Once `new_checked` (which calls `check_len`) succeeds, no accessor of a packet view panics.

use std::net::IpAddr;

mod ext;
mod icmp;
mod icmpv4;
mod icmpv6;
mod ipv4;
mod ipv6;
mod pnet;
mod reply;
mod tcp;

pub use ext::{ExtensionObject, Extensions, emit_mpls_extension};
pub use icmp::{IcmpPacket, IcmpVersion, Icmpv4, Icmpv6};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Packet, Icmpv6Repr};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use reply::{ParsedReply, QuotedProbe, ReplyBody, parse_reply, parse_reply_v6_payload};
pub use tcp::{TcpFlags, TcpPacket, TcpRepr};

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

pub(crate) fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::pnet;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these bytes folds to 0xddf2, so the checksum is its
        // complement. Word 99 is past the data: nothing is skipped.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(pnet::checksum(&data, 99, None), !0xddf2);
        assert_eq!(pnet::checksum(&[0xab], 99, None), !0xab00);
    }
}
