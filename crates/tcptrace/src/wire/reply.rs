//! The reply parser: from the bytes a raw socket hands over to what the engine matches on.

use std::net::{IpAddr, Ipv6Addr};

use super::{
    Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr,
    TcpFlags, TcpPacket, WireError, proto, read_u16, read_u32,
};
use crate::{MplsLabel, ReplyKind};

/// A received packet that may answer a probe, as [`parse_reply`] and [`parse_reply_v6_payload`]
/// read it (the input of [`Engine::handle_reply`]).
///
/// [`Engine::handle_reply`]: crate::Engine::handle_reply
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedReply {
    /// The sender of the reply.
    pub from: IpAddr,
    /// The destination of the reply (our address), when the IP header was available.
    pub to: Option<IpAddr>,
    /// What it says.
    pub body: ReplyBody,
}

/// The content of a [`ParsedReply`]. Match the variants with `..`: fields may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyBody {
    /// An ICMP or ICMPv6 time-exceeded or unreachable error quoting a TCP probe.
    #[non_exhaustive]
    IcmpError {
        /// [`ReplyKind::TimeExceeded`] or [`ReplyKind::Unreachable`].
        kind: ReplyKind,
        /// The headers of the quoted probe.
        probe: QuotedProbe,
        /// MPLS labels from an RFC 4950 extension.
        mpls: Vec<MplsLabel>,
    },
    /// A TCP segment.
    #[non_exhaustive]
    Tcp {
        /// Its source port (the probe's destination port if it is an answer).
        src_port: u16,
        /// Its destination port (the probe's source port if it is an answer).
        dst_port: u16,
        /// Its sequence number.
        seq_number: u32,
        /// Its acknowledgment number (the probe's sequence number + 1 if it is an answer).
        ack_number: u32,
        /// Its flags.
        flags: TcpFlags,
    },
}

/// The headers of a probe as quoted inside an ICMP error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct QuotedProbe {
    /// The probe's source address.
    pub src: IpAddr,
    /// The probe's destination address.
    pub dst: IpAddr,
    /// The IPv4 identification (absent for IPv6).
    pub ident: Option<u16>,
    /// The TTL (hop limit) the probe had when the router quoted it.
    pub ttl: u8,
    /// The probe's TCP source port.
    pub src_port: u16,
    /// The probe's TCP destination port.
    pub dst_port: u16,
    /// The probe's TCP sequence number.
    pub seq_number: u32,
    /// The IPv4 type-of-service or IPv6 traffic-class byte: DSCP (6 high bits) and ECN (2 low
    /// bits).
    pub tos: u8,
    /// The IPv6 flow label (absent for IPv4).
    pub flow_label: Option<u32>,
    /// As much of the probe's TCP header as the error quoted (ports and sequence number
    /// always, the rest when the router quoted it).
    pub tcp: QuotedTcp,
}

/// The bytes of a probe's TCP header that an ICMP error quoted. RFC 792 asks routers for the
/// IP header and 8 bytes of what follows: ports and sequence number, which every error that
/// [`parse_reply`] accepts has. RFC 1812 (and Linux, which quotes up to 576 bytes for IPv4
/// and 1280 for IPv6) gives more; the flags, window and options are known only when the quote
/// reaches them, so the accessors return `None` for a quote cut before.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuotedTcp {
    bytes: [u8; 60],
    len: u8,
}

impl QuotedTcp {
    /// The longest TCP header: data offset 15 words.
    const MAX: usize = 60;

    /// The quoted bytes of a TCP header (what follows the quoted IP header), cut at the
    /// header's length (its data offset) when the quote reaches it: what follows is payload or
    /// the zero padding of an RFC 4884 extension.
    pub fn new(quoted: &[u8]) -> Self {
        let hl = quoted
            .get(12)
            .map_or(Self::MAX, |b| usize::from(b >> 4) * 4);
        let hl = if hl < super::tcp::HEADER_LEN {
            Self::MAX
        } else {
            hl
        };
        let n = quoted.len().min(hl);
        let mut bytes = [0; Self::MAX];
        bytes[..n].copy_from_slice(&quoted[..n]);
        Self {
            bytes,
            len: n as u8,
        }
    }

    /// The quoted bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// How many bytes of the header were quoted (8 from a router that quotes only what RFC 792
    /// asks for).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when nothing was quoted (never for a quote [`parse_reply`] accepted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The control flags, when quoted.
    pub fn flags(&self) -> Option<TcpFlags> {
        (self.len() >= 14).then(|| TcpFlags::from_bits(read_u16(&self.bytes, 12)))
    }

    /// The window, when quoted.
    pub fn window(&self) -> Option<u16> {
        (self.len() >= 16).then(|| read_u16(&self.bytes, 14))
    }

    /// The option bytes, when the whole header (as its data offset says) was quoted.
    pub fn options(&self) -> Option<&[u8]> {
        if self.len() < super::tcp::HEADER_LEN {
            return None;
        }
        let hl = usize::from(self.bytes[12] >> 4) * 4;
        (super::tcp::HEADER_LEN..=self.len())
            .contains(&hl)
            .then(|| &self.bytes[super::tcp::HEADER_LEN..hl])
    }
}

impl std::fmt::Debug for QuotedTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("QuotedTcp").field(&self.as_bytes()).finish()
    }
}

/// Parses a whole IPv4 or IPv6 datagram (as a raw IPv4 socket delivers it). The IPv4 header
/// and ICMP checksums are verified. TCP checksums are not: segments generated on the same host
/// or across veth pairs reach raw sockets with a partial (offloaded) checksum, and the kernel
/// has validated what it delivers. The quoted probe's checksums are never verified (routers
/// rewrite the TTL).
///
/// # Errors
///
/// A [`WireError`] for anything that is not a well-formed ICMP error quoting a TCP packet or a
/// well-formed TCP segment; never panics.
pub fn parse_reply(bytes: &[u8]) -> Result<ParsedReply, WireError> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => {
            let p = Ipv4Packet::new_checked(bytes)?;
            let ip = Ipv4Repr::parse(&p)?;
            let (from, to) = (IpAddr::V4(ip.src_addr), IpAddr::V4(ip.dst_addr));
            let body = match ip.protocol {
                proto::ICMP => {
                    let icmp = Icmpv4Packet::new_checked(p.payload())?;
                    match Icmpv4Repr::parse(&icmp)? {
                        Icmpv4Repr::TimeExceeded { quoted, mpls, .. } => {
                            icmp_error(ReplyKind::TimeExceeded, quoted, mpls)?
                        }
                        Icmpv4Repr::DstUnreachable { code, quoted, mpls } => {
                            icmp_error(ReplyKind::Unreachable(code), quoted, mpls)?
                        }
                        Icmpv4Repr::Other { .. } => return Err(WireError::Unsupported),
                    }
                }
                proto::TCP => tcp(p.payload())?,
                _ => return Err(WireError::Unsupported),
            };
            Ok(ParsedReply {
                from,
                to: Some(to),
                body,
            })
        }
        Some(6) => {
            let p = Ipv6Packet::new_checked(bytes)?;
            let ip = Ipv6Repr::parse(&p)?;
            let (from, to) = (IpAddr::V6(ip.src_addr), IpAddr::V6(ip.dst_addr));
            let body = match ip.next_header {
                proto::ICMPV6 => {
                    let icmp = Icmpv6Packet::new_checked(p.payload())?;
                    icmpv6(&Icmpv6Repr::parse(&icmp, ip.src_addr, ip.dst_addr)?)?
                }
                proto::TCP => tcp(p.payload())?,
                _ => return Err(WireError::Unsupported),
            };
            Ok(ParsedReply {
                from,
                to: Some(to),
                body,
            })
        }
        Some(_) => Err(WireError::Malformed),
        None => Err(WireError::Truncated),
    }
}

/// Parses the payload of an IPv6 packet as a raw IPv6 socket delivers it (without the IPv6
/// header). The kernel has verified ICMPv6 checksums; TCP checksums are not verified (see
/// [`parse_reply`]).
///
/// # Errors
///
/// As [`parse_reply`].
pub fn parse_reply_v6_payload(
    from: Ipv6Addr,
    next_header: u8,
    payload: &[u8],
) -> Result<ParsedReply, WireError> {
    let body = match next_header {
        proto::ICMPV6 => {
            let icmp = Icmpv6Packet::new_checked(payload)?;
            icmpv6(&Icmpv6Repr::parse_unverified(&icmp)?)?
        }
        proto::TCP => tcp(payload)?,
        _ => return Err(WireError::Unsupported),
    };
    Ok(ParsedReply {
        from: IpAddr::V6(from),
        to: None,
        body,
    })
}

fn icmpv6(repr: &Icmpv6Repr<'_>) -> Result<ReplyBody, WireError> {
    match repr {
        Icmpv6Repr::TimeExceeded { quoted, mpls, .. } => {
            icmp_error(ReplyKind::TimeExceeded, quoted, mpls.clone())
        }
        Icmpv6Repr::DstUnreachable { code, quoted, mpls } => {
            icmp_error(ReplyKind::Unreachable(*code), quoted, mpls.clone())
        }
        Icmpv6Repr::Other { .. } => Err(WireError::Unsupported),
    }
}

fn tcp(bytes: &[u8]) -> Result<ReplyBody, WireError> {
    let t = TcpPacket::new_checked(bytes)?;
    Ok(ReplyBody::Tcp {
        src_port: t.src_port(),
        dst_port: t.dst_port(),
        seq_number: t.seq_number(),
        ack_number: t.ack_number(),
        flags: t.flags(),
    })
}

fn icmp_error(
    kind: ReplyKind,
    quoted: &[u8],
    mpls: Vec<MplsLabel>,
) -> Result<ReplyBody, WireError> {
    let (probe, l4) = match quoted.first().map(|b| b >> 4) {
        Some(4) => {
            let q = Ipv4Packet::new_quoted(quoted)?;
            if q.protocol() != proto::TCP {
                return Err(WireError::Unsupported);
            }
            let l4 = &quoted[q.header_len()..];
            (
                (
                    IpAddr::V4(q.src_addr()),
                    IpAddr::V4(q.dst_addr()),
                    Some(q.ident()),
                    q.ttl(),
                    q.tos(),
                    None,
                ),
                l4,
            )
        }
        Some(6) => {
            let q = Ipv6Packet::new_quoted(quoted)?;
            if q.next_header() != proto::TCP {
                return Err(WireError::Unsupported);
            }
            let l4 = &quoted[super::ipv6::HEADER_LEN..];
            (
                (
                    IpAddr::V6(q.src_addr()),
                    IpAddr::V6(q.dst_addr()),
                    None,
                    q.hop_limit(),
                    q.traffic_class(),
                    Some(q.flow_label()),
                ),
                l4,
            )
        }
        Some(_) => return Err(WireError::Malformed),
        None => return Err(WireError::Truncated),
    };
    // RFC 792 guarantees the first 8 bytes of the quoted payload: ports and sequence number.
    if l4.len() < 8 {
        return Err(WireError::Truncated);
    }
    let (src, dst, ident, ttl, tos, flow_label) = probe;
    Ok(ReplyBody::IcmpError {
        kind,
        probe: QuotedProbe {
            src,
            dst,
            ident,
            ttl,
            src_port: read_u16(l4, 0),
            dst_port: read_u16(l4, 2),
            seq_number: read_u32(l4, 4),
            tos,
            flow_label,
            tcp: QuotedTcp::new(l4),
        },
        mpls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fixtures written by scapy 2.8 (independent of this crate's emitters).

    /// Time exceeded from 198.18.0.2 quoting a SYN 198.18.0.1:40000 → 198.19.0.1:80 (seq
    /// 0x01020304, ID 0x1234), padded to 128 bytes (RFC 4884 length 32) and followed by an
    /// extension with one MPLS label (16, S, TTL 1).
    fn mpls_fixture() -> Vec<u8> {
        let mut v = vec![
            0x45, 0x00, 0x00, 0xa8, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xee, 0x2c, 0xc6, 0x12,
            0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x0b, 0x00, 0x81, 0x22, 0x00, 0x20, 0x00, 0x00,
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0x01, 0x06, 0x1b, 0x75, 0xc6, 0x12,
            0x00, 0x01, 0xc6, 0x13, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
            0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x63, 0x24, 0x00, 0x00,
        ];
        v.resize(168 - 12, 0);
        v.extend_from_slice(&[
            0x20, 0x00, 0xdd, 0xf4, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01,
        ]);
        v
    }

    const SYN_ACK: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0xee, 0xa7, 0xc6, 0x13, 0x00,
        0x01, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x05, 0x01, 0x02,
        0x03, 0x05, 0x50, 0x12, 0x20, 0x00, 0x63, 0x0e, 0x00, 0x00,
    ];

    const ICMPV6_TIME_EXCEEDED: [u8; 108] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x3b, 0x11, 0x00,
        0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x01, 0x20, 0x01, 0x0d, 0xb8,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d,
        0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x41,
        0x01, 0xbb, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x96,
        0x6a, 0x00, 0x00,
    ];

    #[test]
    fn icmp_error_with_mpls() {
        let r = parse_reply(&mpls_fixture()).unwrap();
        assert_eq!(r.from, "198.18.0.2".parse::<IpAddr>().unwrap());
        let ReplyBody::IcmpError { kind, probe, mpls } = r.body else {
            panic!("{r:?}")
        };
        assert_eq!(kind, ReplyKind::TimeExceeded);
        assert_eq!(
            (probe.src_port, probe.dst_port, probe.seq_number),
            (40000, 80, 0x0102_0304)
        );
        assert_eq!(probe.ident, Some(0x1234));
        assert_eq!(probe.dst, "198.19.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(mpls, vec![MplsLabel::new(16, 0, true, 1).unwrap()]);
    }

    #[test]
    fn syn_ack() {
        let r = parse_reply(&SYN_ACK).unwrap();
        let ReplyBody::Tcp {
            src_port,
            dst_port,
            ack_number,
            flags,
            ..
        } = r.body
        else {
            panic!()
        };
        assert_eq!((src_port, dst_port, ack_number), (80, 40000, 0x0102_0305));
        assert_eq!(flags, TcpFlags::SYN | TcpFlags::ACK);
    }

    #[test]
    fn icmpv6_time_exceeded_whole_and_headerless() {
        let r = parse_reply(&ICMPV6_TIME_EXCEEDED).unwrap();
        let ReplyBody::IcmpError { kind, probe, .. } = &r.body else {
            panic!()
        };
        assert_eq!(*kind, ReplyKind::TimeExceeded);
        assert_eq!(
            (
                probe.src_port,
                probe.dst_port,
                probe.seq_number,
                probe.ident
            ),
            (40001, 443, 7, None)
        );
        let from: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let r2 = parse_reply_v6_payload(from, 58, &ICMPV6_TIME_EXCEEDED[40..]).unwrap();
        assert_eq!(r2.body, r.body);
        assert_eq!(r2.to, None);
    }

    #[test]
    fn rejects_what_never_answers() {
        // A well-formed error whose quote stops before the sequence number.
        let fixture = mpls_fixture();
        let quoted = &fixture[28..28 + 20 + 6];
        let icmp = Icmpv4Repr::time_exceeded(0, quoted, vec![]);
        let mut ip = Ipv4Repr::new(
            "198.18.0.2".parse().unwrap(),
            "198.18.0.1".parse().unwrap(),
            proto::ICMP,
            icmp.buffer_len(),
        );
        ip.ident = 1;
        let mut short = vec![0; ip.buffer_len()];
        ip.emit(&mut short).unwrap();
        icmp.emit(&mut short[20..]).unwrap();
        assert_eq!(parse_reply(&short).unwrap_err(), WireError::Truncated);
        assert_eq!(parse_reply(&[]).unwrap_err(), WireError::Truncated);
        assert_eq!(parse_reply(&[0x50; 40]).unwrap_err(), WireError::Malformed);
    }
}
