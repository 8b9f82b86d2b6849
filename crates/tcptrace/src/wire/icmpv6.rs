//! ICMPv6 (RFC 4443): the error messages a traceroute receives.

use std::net::{IpAddr, Ipv6Addr};

use super::{WireError, checksum, ext, proto, read_u16, write_u16};
use crate::MplsLabel;

mod field {
    pub(super) const TYPE: usize = 0;
    pub(super) const CODE: usize = 1;
    pub(super) const CHECKSUM: std::ops::Range<usize> = 2..4;
    /// RFC 4884 length of the original datagram, in 64-bit words.
    pub(super) const LENGTH: usize = 4;
    pub(super) const DATA: usize = 8;
}

const DST_UNREACHABLE: u8 = 1;
const TIME_EXCEEDED: u8 = 3;

/// A read/write view of an ICMPv6 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checking it. Accessors may panic until [`Self::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer and checks that the 8-byte header fits.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when it does not.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the 8-byte header fits in the buffer.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when it does not.
    pub fn check_len(&self) -> Result<(), WireError> {
        if self.buffer.as_ref().len() < field::DATA {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// The message type.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// The message code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The RFC 4884 original-datagram length in bytes (0 when not set).
    pub fn ext_length(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::LENGTH]) * 8
    }

    /// Everything after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// Whether the checksum (with the IPv6 pseudo-header) is right.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let Ok(len) = u32::try_from(b.len()) else {
            return false;
        };
        let ph = checksum::pseudo(IpAddr::V6(src), IpAddr::V6(dst), proto::ICMPV6, len);
        checksum::of(&[ph, checksum::sum(b)]) == 0
    }
}

/// The ICMPv6 messages a traceroute cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv6Repr<'a> {
    /// Time exceeded (type 3).
    TimeExceeded {
        /// 0 hop limit exceeded in transit, 1 reassembly.
        code: u8,
        /// The quoted packet (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Destination unreachable (type 1).
    DstUnreachable {
        /// The reason code (4 port unreachable, 1 administratively prohibited, ...).
        code: u8,
        /// The quoted packet (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Any other message, kept only by type and code.
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
        let data: &'a [u8] = &packet.buffer.as_ref()[field::DATA..];
        let code = packet.msg_code();
        Ok(match packet.msg_type() {
            t @ (TIME_EXCEEDED | DST_UNREACHABLE) => {
                let (quoted, mpls) = ext::split(data, packet.ext_length());
                if t == TIME_EXCEEDED {
                    Self::TimeExceeded { code, quoted, mpls }
                } else {
                    Self::DstUnreachable { code, quoted, mpls }
                }
            }
            msg_type => Self::Other { msg_type, code },
        })
    }

    fn parts(&self) -> (u8, u8, &[u8], &[MplsLabel]) {
        match self {
            Self::TimeExceeded { code, quoted, mpls } => (TIME_EXCEEDED, *code, quoted, mpls),
            Self::DstUnreachable { code, quoted, mpls } => (DST_UNREACHABLE, *code, quoted, mpls),
            Self::Other { msg_type, code } => (*msg_type, *code, &[], &[]),
        }
    }

    /// The length of the message [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let (_, _, quoted, mpls) = self.parts();
        if mpls.is_empty() {
            field::DATA + quoted.len()
        } else {
            field::DATA + padded_len(quoted.len()) + 8 + 4 * mpls.len()
        }
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
        let len = self.buffer_len();
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        let (t, code, quoted, mpls) = self.parts();
        let b = &mut buf[..len];
        b[..field::DATA].fill(0);
        b[field::TYPE] = t;
        b[field::CODE] = code;
        b[field::DATA..field::DATA + quoted.len()].copy_from_slice(quoted);
        if !mpls.is_empty() {
            let padded = padded_len(quoted.len());
            b[field::LENGTH] = u8::try_from(padded / 8).map_err(|_| WireError::Malformed)?;
            b[field::DATA + quoted.len()..field::DATA + padded].fill(0);
            let mut e = Vec::with_capacity(8 + 4 * mpls.len());
            ext::emit_mpls_extension(mpls, &mut e);
            b[field::DATA + padded..].copy_from_slice(&e);
        }
        let l = u32::try_from(len).map_err(|_| WireError::Malformed)?;
        let ph = checksum::pseudo(IpAddr::V6(src), IpAddr::V6(dst), proto::ICMPV6, l);
        let c = checksum::of(&[ph, checksum::sum(b)]);
        write_u16(b, field::CHECKSUM.start, c);
        Ok(())
    }
}

fn padded_len(quoted: usize) -> usize {
    quoted.max(ext::ORIGINAL_DATAGRAM_LEN).next_multiple_of(8)
}

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
        let r = Icmpv6Repr::TimeExceeded {
            code: 0,
            quoted: &FIXTURE[8..],
            mpls: vec![],
        };
        let mut b = [0u8; 16];
        r.emit(&mut b, s, d).unwrap();
        assert_eq!(b, FIXTURE);
    }

    #[test]
    fn mpls_round_trip() {
        let (src, dst) = addrs();
        let quoted = [0x60u8; 48];
        let mpls = vec![
            MplsLabel {
                label: 100,
                tc: 0,
                bottom: false,
                ttl: 1,
            },
            MplsLabel {
                label: 200,
                tc: 7,
                bottom: true,
                ttl: 1,
            },
        ];
        let repr = Icmpv6Repr::TimeExceeded {
            code: 0,
            quoted: &quoted,
            mpls: mpls.clone(),
        };
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
