//! ICMP for IPv4 (RFC 792): the error messages a traceroute receives.

use super::{WireError, checksum, ext, read_u16, write_u16};
use crate::MplsLabel;

mod field {
    pub(super) const TYPE: usize = 0;
    pub(super) const CODE: usize = 1;
    pub(super) const CHECKSUM: std::ops::Range<usize> = 2..4;
    /// RFC 4884 length of the original datagram, in 32-bit words.
    pub(super) const LENGTH: usize = 5;
    pub(super) const DATA: usize = 8;
}

const DST_UNREACHABLE: u8 = 3;
const TIME_EXCEEDED: u8 = 11;

/// A read/write view of an ICMP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
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
        usize::from(self.buffer.as_ref()[field::LENGTH]) * 4
    }

    /// Everything after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// Whether the checksum over the whole message is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::of(&[checksum::sum(self.buffer.as_ref())]) == 0
    }
}

/// The ICMP messages a traceroute cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv4Repr<'a> {
    /// Time exceeded (type 11).
    TimeExceeded {
        /// 0 in transit, 1 in reassembly.
        code: u8,
        /// The quoted datagram (its start).
        quoted: &'a [u8],
        /// RFC 4950 MPLS labels from an RFC 4884 extension.
        mpls: Vec<MplsLabel>,
    },
    /// Destination unreachable (type 3).
    DstUnreachable {
        /// The reason code (3 port, 13 administratively prohibited, ...).
        code: u8,
        /// The quoted datagram (its start).
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

    /// Writes the message with its checksum into `buf[..buffer_len]`. With MPLS labels, the
    /// quote is zero-padded to a multiple of 4 of at least 128 bytes and followed by an RFC
    /// 4884 extension structure.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is too short, [`WireError::Malformed`] when the
    /// quote is too long for the RFC 4884 length field.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
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
            b[field::LENGTH] = u8::try_from(padded / 4).map_err(|_| WireError::Malformed)?;
            b[field::DATA + quoted.len()..field::DATA + padded].fill(0);
            let mut e = Vec::with_capacity(8 + 4 * mpls.len());
            ext::emit_mpls_extension(mpls, &mut e);
            b[field::DATA + padded..].copy_from_slice(&e);
        }
        let c = checksum::of(&[checksum::sum(b)]);
        write_u16(b, field::CHECKSUM.start, c);
        Ok(())
    }
}

fn padded_len(quoted: usize) -> usize {
    quoted.max(ext::ORIGINAL_DATAGRAM_LEN).next_multiple_of(4)
}

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
        let r = Icmpv4Repr::TimeExceeded {
            code: 0,
            quoted: &FIXTURE[8..],
            mpls: vec![],
        };
        let mut b = [0u8; 16];
        r.emit(&mut b).unwrap();
        assert_eq!(b, FIXTURE);
    }

    #[test]
    fn mpls_round_trip() {
        let quoted = [0x45u8; 28];
        let mpls = vec![MplsLabel {
            label: 0xabcde,
            tc: 5,
            bottom: true,
            ttl: 254,
        }];
        let repr = Icmpv4Repr::DstUnreachable {
            code: 3,
            quoted: &quoted,
            mpls: mpls.clone(),
        };
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
