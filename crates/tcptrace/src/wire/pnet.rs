//! The checksums that `pnet_packet` computes for our views, across address families.

use std::net::IpAddr;

use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::tcp::{self, TcpPacket};
use pnet_packet::util;

use super::v6_octets;

/// The TCP checksum of `p` between `src` and `dst` (a mixed pair is summed as IPv6, with the
/// IPv4 address mapped).
pub(crate) fn tcp_checksum(p: &TcpPacket<'_>, src: IpAddr, dst: IpAddr) -> u16 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => tcp::ipv4_checksum(p, &s, &d),
        (s, d) => tcp::ipv6_checksum(p, &v6_octets(s).into(), &v6_octets(d).into()),
    }
}

/// The Internet checksum of `data` (RFC 1071), skipping the 16-bit word at `skipword` (the
/// checksum field), with the IPv6 pseudo-header for `proto` when `v6` is given.
pub(crate) fn checksum(
    data: &[u8],
    skipword: usize,
    v6: Option<(std::net::Ipv6Addr, std::net::Ipv6Addr, u8)>,
) -> u16 {
    match v6 {
        None => util::checksum(data, skipword),
        Some((s, d, proto)) => {
            util::ipv6_checksum(data, skipword, &[], &s, &d, IpNextHeaderProtocol(proto))
        }
    }
}
