//! ICMPv6 (RFC 4443): the error messages a traceroute receives. The header, the quote and the
//! extensions are [`IcmpPacket`]'s and [`Message`]'s, shared with ICMPv4; what is ICMPv6's own
//! is the pseudo-header in its checksum.

use std::net::{IpAddr, Ipv6Addr};

use super::icmp::{IcmpPacket, Icmpv6};
use super::{WireError, checksum, proto};
use crate::MplsLabel;

/// A read/write view of an ICMPv6 message.
pub type Icmpv6Packet<T> = IcmpPacket<T, Icmpv6>;

/// The sum of the IPv6 pseudo-header of an ICMPv6 message of `len` bytes.
fn pseudo(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> Result<u32, WireError> {
    let len = u32::try_from(len).map_err(|_| WireError::Malformed)?;
    Ok(checksum::pseudo(
        IpAddr::V6(src),
        IpAddr::V6(dst),
        proto::ICMPV6,
        len,
    ))
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Whether the checksum (with the IPv6 pseudo-header) is right.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        pseudo(src, dst, self.data().len() + 8).is_ok_and(|ph| checksum::of(&[ph, self.sum()]) == 0)
    }
}

/// The ICMPv6 messages a traceroute cares about.
///
/// Build one with [`Icmpv6Repr::time_exceeded`], [`Icmpv6Repr::dst_unreachable`] or
/// [`Icmpv6Repr::other`]; match the variants with `..`, so that a field added later is not a
/// breaking change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv6Repr<'a> {
    /// Time exceeded (type 3).
    #[non_exhaustive]
    TimeExceeded {
        /// 0 hop limit exceeded in transit, 1 reassembly.
        code: u8,
        /// The quoted packet (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Destination unreachable (type 1).
    #[non_exhaustive]
    DstUnreachable {
        /// The reason code (4 port unreachable, 1 administratively prohibited, ...).
        code: u8,
        /// The quoted packet (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Any other message, kept only by type and code.
    #[non_exhaustive]
    Other {
        /// The type.
        msg_type: u8,
        /// The code.
        code: u8,
    },
}

impl<'a> Icmpv6Repr<'a> {
    /// Parses a checked message, verifying the checksum against `src` → `dst`.
    ///
    /// # Errors
    ///
    /// [`WireError::Checksum`] for a bad checksum, or the packet's length errors.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv6Packet<&'a T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<Self, WireError> {
        packet.check_len()?;
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::Checksum);
        }
        Self::parse_unverified(packet)
    }

    /// Parses a message whose checksum the kernel has already verified (raw ICMPv6 sockets
    /// do, and strip the IPv6 header that the pseudo-header needs).
    ///
    /// # Errors
    ///
    /// The packet's length errors.
    pub fn parse_unverified<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv6Packet<&'a T>,
    ) -> Result<Self, WireError> {
        packet.check_len()?;
        Ok(packet.message().into())
    }

    /// The length of the message [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.message().buffer_len::<Icmpv6>()
    }

    /// Writes the message with its checksum for `src` → `dst` into `buf[..buffer_len]`. With
    /// MPLS labels the quote is zero-padded to a multiple of 8 of at least 128 bytes and
    /// followed by an RFC 4884 extension structure.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is too short, [`WireError::Malformed`] when the
    /// quote is too long for the RFC 4884 length field.
    pub fn emit(&self, buf: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<(), WireError> {
        let message = self.message();
        message.emit::<Icmpv6>(buf, pseudo(src, dst, message.buffer_len::<Icmpv6>())?)
    }
}

super::icmp::message_conversions!(Icmpv6Repr);

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> (Ipv6Addr, Ipv6Addr) {
        (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        )
    }

    // Time exceeded quoting 8 bytes, 2001:db8::1 → 2001:db8::2.
    const FIXTURE: [u8; 16] = [3, 0, 0x91, 0x2c, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];

    #[test]
    fn parse_fixture() {
        let (s, d) = addrs();
        let p = Icmpv6Packet::new_checked(&FIXTURE[..]).unwrap();
        let r = Icmpv6Repr::parse(&p, s, d).unwrap();
        assert_eq!(
            r,
            Icmpv6Repr::TimeExceeded {
                code: 0,
                quoted: &FIXTURE[8..],
                mpls: vec![]
            }
        );
        assert_eq!(
            Icmpv6Repr::parse(&p, d, "2001:db8::3".parse().unwrap()).unwrap_err(),
            WireError::Checksum
        );
    }

    #[test]
    fn emit_fixture() {
        let (s, d) = addrs();
        let r = Icmpv6Repr::time_exceeded(0, &FIXTURE[8..], vec![]);
        let mut b = [0u8; 16];
        r.emit(&mut b, s, d).unwrap();
        assert_eq!(b, FIXTURE);
    }

    #[test]
    fn mpls_round_trip() {
        let (src, dst) = addrs();
        let quoted = [0x60u8; 48];
        let mpls = vec![
            MplsLabel::new(100, 0, false, 1).unwrap(),
            MplsLabel::new(200, 7, true, 1).unwrap(),
        ];
        let repr = Icmpv6Repr::time_exceeded(0, &quoted, mpls.clone());
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut bytes, src, dst).unwrap();
        assert_eq!(bytes[4], 16);
        let packet = Icmpv6Packet::new_checked(&bytes[..]).unwrap();
        let back = Icmpv6Repr::parse(&packet, src, dst).unwrap();
        match back {
            Icmpv6Repr::TimeExceeded { mpls: m, .. } => assert_eq!(m, mpls),
            other => panic!("{other:?}"),
        }
    }
}
