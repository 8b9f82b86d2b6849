//! ICMP for IPv4 (RFC 792): the error messages a traceroute receives. The header, the quote
//! and the extensions are [`IcmpPacket`]'s and [`Message`]'s, shared with ICMPv6.

use super::icmp::{IcmpPacket, Icmpv4};
use super::{WireError, checksum};
use crate::MplsLabel;

/// A read/write view of an ICMP message.
pub type Icmpv4Packet<T> = IcmpPacket<T, Icmpv4>;

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Whether the checksum over the whole message is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::of(&[self.sum()]) == 0
    }
}

/// The ICMP messages a traceroute cares about.
///
/// Build one with [`Icmpv4Repr::time_exceeded`], [`Icmpv4Repr::dst_unreachable`] or
/// [`Icmpv4Repr::other`]; match the variants with `..`, so that a field added later is not a
/// breaking change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv4Repr<'a> {
    /// Time exceeded (type 11).
    #[non_exhaustive]
    TimeExceeded {
        /// 0 in transit, 1 in reassembly.
        code: u8,
        /// The quoted datagram (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Destination unreachable (type 3).
    #[non_exhaustive]
    DstUnreachable {
        /// The reason code (3 port, 13 administratively prohibited, ...).
        code: u8,
        /// The quoted datagram (its start).
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

impl<'a> Icmpv4Repr<'a> {
    /// Parses a checked message, verifying its checksum.
    ///
    /// # Errors
    ///
    /// [`WireError::Checksum`] for a bad checksum, or the packet's length errors.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv4Packet<&'a T>) -> Result<Self, WireError> {
        packet.check_len()?;
        if !packet.verify_checksum() {
            return Err(WireError::Checksum);
        }
        Ok(packet.message().into())
    }

    /// The length of the message [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.message().buffer_len::<Icmpv4>()
    }

    /// Writes the message with its checksum into `buf[..buffer_len]`. With MPLS labels, the
    /// quote is zero-padded to a multiple of 4 of at least 128 bytes and followed by an RFC
    /// 4884 extension structure.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is too short, [`WireError::Malformed`] when the
    /// quote is too long for the RFC 4884 length field.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        self.message().emit::<Icmpv4>(buf, 0)
    }
}

super::icmp::message_conversions!(Icmpv4Repr);

#[cfg(test)]
mod tests {
    use super::*;

    // Time exceeded quoting 8 bytes of something.
    const FIXTURE: [u8; 16] = [11, 0, 0xe4, 0xeb, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];

    #[test]
    fn parse_fixture() {
        let p = Icmpv4Packet::new_checked(&FIXTURE[..]).unwrap();
        let r = Icmpv4Repr::parse(&p).unwrap();
        assert_eq!(
            r,
            Icmpv4Repr::TimeExceeded {
                code: 0,
                quoted: &FIXTURE[8..],
                mpls: vec![]
            }
        );
    }

    #[test]
    fn emit_fixture() {
        let r = Icmpv4Repr::time_exceeded(0, &FIXTURE[8..], vec![]);
        let mut b = [0u8; 16];
        r.emit(&mut b).unwrap();
        assert_eq!(b, FIXTURE);
    }

    #[test]
    fn mpls_round_trip() {
        let quoted = [0x45u8; 28];
        let mpls = vec![MplsLabel::new(0xabcde, 5, true, 254).unwrap()];
        let repr = Icmpv4Repr::dst_unreachable(3, &quoted, mpls.clone());
        let mut bytes = vec![0u8; repr.buffer_len()];
        repr.emit(&mut bytes).unwrap();
        assert_eq!(bytes[5], 32);
        let packet = Icmpv4Packet::new_checked(&bytes[..]).unwrap();
        match Icmpv4Repr::parse(&packet).unwrap() {
            Icmpv4Repr::DstUnreachable {
                code: 3,
                quoted: q,
                mpls: m,
            } => {
                assert_eq!(&q[..28], &quoted);
                assert_eq!(q.len(), 128);
                assert_eq!(m, mpls);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_is_its_header() {
        let mut b = [0u8; 8];
        Icmpv4Repr::other(8, 0).emit(&mut b).unwrap();
        // An echo request's header: the checksum is !0x0800.
        assert_eq!(b, [8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
        let p = Icmpv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Icmpv4Repr::parse(&p).unwrap(), Icmpv4Repr::other(8, 0));
    }

    #[test]
    fn bad_checksum() {
        let mut b = FIXTURE;
        b[9] ^= 1;
        let p = Icmpv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Icmpv4Repr::parse(&p).unwrap_err(), WireError::Checksum);
        assert_eq!(
            Icmpv4Packet::new_checked(&b[..7]).unwrap_err(),
            WireError::Truncated
        );
    }
}
