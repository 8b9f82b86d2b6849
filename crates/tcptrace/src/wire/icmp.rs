//! What ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) share: the 8-byte header (type, code, checksum,
//! and the RFC 4884 length in the second word), the quoted datagram after it, and the RFC 4884
//! extension structure that may follow the quote. The two versions differ only in their type
//! numbers, where the length byte sits and its unit, and the checksum's pseudo-header; those are
//! a [`IcmpVersion`], and everything else is written once here.

use std::marker::PhantomData;

use super::{WireError, checksum, ext, read_u16, write_u16};
use crate::MplsLabel;

mod field {
    pub(super) const TYPE: usize = 0;
    pub(super) const CODE: usize = 1;
    pub(super) const CHECKSUM: std::ops::Range<usize> = 2..4;
    pub(super) const DATA: usize = 8;
}

mod sealed {
    pub trait Sealed {}
}

/// An ICMP version: [`Icmpv4`] or [`Icmpv6`]. Sealed: the layout facts it carries are this crate's.
pub trait IcmpVersion: sealed::Sealed + Copy + Eq + std::fmt::Debug {
    /// The time-exceeded type (11 for ICMPv4, 3 for ICMPv6).
    const TIME_EXCEEDED: u8;
    /// The destination-unreachable type (3 for ICMPv4, 1 for ICMPv6).
    const DST_UNREACHABLE: u8;
    /// The offset of the RFC 4884 length byte (5 for ICMPv4, 4 for ICMPv6).
    const LENGTH_AT: usize;
    /// The unit of the RFC 4884 length, in bytes (32-bit words for ICMPv4, 64-bit for ICMPv6).
    const LENGTH_UNIT: usize;
}

/// ICMP for IPv4 (RFC 792): the checksum covers the message alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Icmpv4;

/// ICMPv6 (RFC 4443): the checksum covers an IPv6 pseudo-header too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Icmpv6;

impl sealed::Sealed for Icmpv4 {}
impl sealed::Sealed for Icmpv6 {}

impl IcmpVersion for Icmpv4 {
    const TIME_EXCEEDED: u8 = 11;
    const DST_UNREACHABLE: u8 = 3;
    const LENGTH_AT: usize = 5;
    const LENGTH_UNIT: usize = 4;
}

impl IcmpVersion for Icmpv6 {
    const TIME_EXCEEDED: u8 = 3;
    const DST_UNREACHABLE: u8 = 1;
    const LENGTH_AT: usize = 4;
    const LENGTH_UNIT: usize = 8;
}

/// A read/write view of an ICMP message of version `V`; use it as [`Icmpv4Packet`] or
/// [`Icmpv6Packet`].
///
/// [`Icmpv4Packet`]: crate::Icmpv4Packet
/// [`Icmpv6Packet`]: crate::Icmpv6Packet
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpPacket<T: AsRef<[u8]>, V: IcmpVersion> {
    buffer: T,
    version: PhantomData<V>,
}

impl<T: AsRef<[u8]>, V: IcmpVersion> IcmpPacket<T, V> {
    /// Wraps a buffer without checking it. Accessors may panic until [`Self::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self {
            buffer,
            version: PhantomData,
        }
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

    /// Returns the inner buffer.
    pub fn into_inner(self) -> T {
        self.buffer
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
        usize::from(self.buffer.as_ref()[V::LENGTH_AT]) * V::LENGTH_UNIT
    }

    /// Everything after the 8-byte header.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }

    /// The ones'-complement sum of the whole message, for a checksum check.
    pub(crate) fn sum(&self) -> u32 {
        checksum::sum(self.buffer.as_ref())
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized, V: IcmpVersion> IcmpPacket<&'a T, V> {
    /// Reads an error message of a checked packet (the checksum is the caller's).
    pub(crate) fn message(&self) -> Message<'a> {
        let code = self.msg_code();
        let data: &'a [u8] = &self.buffer.as_ref()[field::DATA..];
        let kind = match self.msg_type() {
            t if t == V::TIME_EXCEEDED => Kind::TimeExceeded,
            t if t == V::DST_UNREACHABLE => Kind::DstUnreachable,
            t => return Message::other(t, code),
        };
        let (quoted, mpls) = ext::split(data, self.ext_length());
        Message {
            kind,
            code,
            quoted,
            mpls,
        }
    }
}

/// The kinds of message a traceroute tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    TimeExceeded,
    DstUnreachable,
    Other(u8),
}

/// A message as both versions' `Repr`s hold it: kind, code, quote and MPLS labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub(crate) kind: Kind,
    pub(crate) code: u8,
    pub(crate) quoted: &'a [u8],
    pub(crate) mpls: Vec<MplsLabel>,
}

impl<'a> Message<'a> {
    pub(crate) fn error(kind: Kind, code: u8, quoted: &'a [u8], mpls: &[MplsLabel]) -> Self {
        Self {
            kind,
            code,
            quoted,
            mpls: mpls.to_vec(),
        }
    }

    pub(crate) const fn other(msg_type: u8, code: u8) -> Self {
        Self {
            kind: Kind::Other(msg_type),
            code,
            quoted: &[],
            mpls: Vec::new(),
        }
    }

    /// The length of the message [`Self::emit`] writes.
    pub(crate) fn buffer_len<V: IcmpVersion>(&self) -> usize {
        if self.mpls.is_empty() {
            field::DATA + self.quoted.len()
        } else {
            field::DATA + padded_len::<V>(self.quoted.len()) + 8 + 4 * self.mpls.len()
        }
    }

    /// Writes the message into `buf[..buffer_len]`, with its checksum over `pseudo` (the
    /// pseudo-header's sum, 0 for ICMPv4) and the message. With MPLS labels, the quote is
    /// zero-padded to a multiple of the length unit of at least 128 bytes and followed by an
    /// RFC 4884 extension structure.
    pub(crate) fn emit<V: IcmpVersion>(
        &self,
        buf: &mut [u8],
        pseudo: u32,
    ) -> Result<(), WireError> {
        let len = self.buffer_len::<V>();
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        let msg_type = match self.kind {
            Kind::TimeExceeded => V::TIME_EXCEEDED,
            Kind::DstUnreachable => V::DST_UNREACHABLE,
            Kind::Other(t) => t,
        };
        let b = &mut buf[..len];
        let quote_end = field::DATA + self.quoted.len();
        b[..field::DATA].fill(0);
        b[field::TYPE] = msg_type;
        b[field::CODE] = self.code;
        b[field::DATA..quote_end].copy_from_slice(self.quoted);
        if !self.mpls.is_empty() {
            let padded = padded_len::<V>(self.quoted.len());
            b[V::LENGTH_AT] =
                u8::try_from(padded / V::LENGTH_UNIT).map_err(|_| WireError::Malformed)?;
            b[quote_end..field::DATA + padded].fill(0);
            let mut e = Vec::with_capacity(8 + 4 * self.mpls.len());
            ext::emit_mpls_extension(&self.mpls, &mut e);
            b[field::DATA + padded..].copy_from_slice(&e);
        }
        let c = checksum::of(&[pseudo, checksum::sum(b)]);
        write_u16(b, field::CHECKSUM.start, c);
        Ok(())
    }
}

/// A version's `Repr` (whose variants have the same names and fields in both versions): its
/// constructors, and the two ways between it and a [`Message`].
macro_rules! message_conversions {
    ($repr:ident) => {
        impl<'a> $repr<'a> {
            /// A time-exceeded message with `code` (0 in transit), quoting `quoted` (the start
            /// of the expired datagram), with the RFC 4950 MPLS labels `mpls` (none: `vec![]`).
            pub const fn time_exceeded(
                code: u8,
                quoted: &'a [u8],
                mpls: Vec<$crate::MplsLabel>,
            ) -> Self {
                Self::TimeExceeded { code, quoted, mpls }
            }

            /// A destination-unreachable message with the reason `code`, quoting `quoted`, with
            /// the RFC 4950 MPLS labels `mpls` (none: `vec![]`).
            pub const fn dst_unreachable(
                code: u8,
                quoted: &'a [u8],
                mpls: Vec<$crate::MplsLabel>,
            ) -> Self {
                Self::DstUnreachable { code, quoted, mpls }
            }

            /// Any other message, by type and code only: it is written as its 8-byte header
            /// with the rest of the header zero.
            pub const fn other(msg_type: u8, code: u8) -> Self {
                Self::Other { msg_type, code }
            }

            fn message(&self) -> $crate::wire::icmp::Message<'a> {
                use $crate::wire::icmp::{Kind, Message};
                match self {
                    Self::TimeExceeded { code, quoted, mpls } => {
                        Message::error(Kind::TimeExceeded, *code, quoted, mpls)
                    }
                    Self::DstUnreachable { code, quoted, mpls } => {
                        Message::error(Kind::DstUnreachable, *code, quoted, mpls)
                    }
                    Self::Other { msg_type, code } => Message::other(*msg_type, *code),
                }
            }
        }

        impl<'a> From<$crate::wire::icmp::Message<'a>> for $repr<'a> {
            fn from(m: $crate::wire::icmp::Message<'a>) -> Self {
                use $crate::wire::icmp::Kind;
                let $crate::wire::icmp::Message {
                    kind,
                    code,
                    quoted,
                    mpls,
                } = m;
                match kind {
                    Kind::TimeExceeded => Self::TimeExceeded { code, quoted, mpls },
                    Kind::DstUnreachable => Self::DstUnreachable { code, quoted, mpls },
                    Kind::Other(msg_type) => Self::Other { msg_type, code },
                }
            }
        }
    };
}
pub(super) use message_conversions;

fn padded_len<V: IcmpVersion>(quoted: usize) -> usize {
    quoted
        .max(ext::ORIGINAL_DATAGRAM_LEN)
        .next_multiple_of(V::LENGTH_UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::wire::ext::tests::{FIXTURE as EXTENSION, label};

    // Destination unreachable (code 3) quoting 28 bytes of 0x45, with one MPLS label: the
    // quote padded to 128 bytes, RFC 4884 length 32 words at byte 5, then the extension. The
    // checksum is scapy's (`ICMP(type=3, code=3, length=32)`).
    fn v4_fixture() -> Vec<u8> {
        let mut b = vec![3, 3, 0x33, 0x13, 0, 32, 0, 0];
        b.extend_from_slice(&[0x45; 28]);
        b.extend_from_slice(&[0; 100]);
        b.extend_from_slice(&EXTENSION);
        b
    }

    fn message(quoted: &[u8]) -> Message<'_> {
        Message {
            kind: Kind::DstUnreachable,
            code: 3,
            quoted,
            mpls: vec![label()],
        }
    }

    #[test]
    fn v4_layout_fixture() {
        let fixture = v4_fixture();
        let p = IcmpPacket::<_, Icmpv4>::new_checked(&fixture[..]).unwrap();
        assert_eq!((p.msg_type(), p.msg_code(), p.checksum()), (3, 3, 0x3313));
        assert_eq!(p.ext_length(), 128);
        assert_eq!(checksum::of(&[p.sum()]), 0);
        let m = p.message();
        assert_eq!(
            (m.kind, m.quoted.len(), m.mpls.clone()),
            (Kind::DstUnreachable, 128, vec![label()])
        );
        let quote = [0x45; 28];
        let mut out = vec![0xaa; message(&quote).buffer_len::<Icmpv4>()];
        message(&quote).emit::<Icmpv4>(&mut out, 0).unwrap();
        assert_eq!(out, fixture);
    }

    #[test]
    fn v6_layout_differs_only_in_numbers() {
        // The same message as ICMPv6 (with no pseudo-header sum): type 1, the length byte at
        // 4 and in 64-bit words (16), the same padded quote and extension.
        let quote = [0x45; 28];
        let mut out = vec![0; message(&quote).buffer_len::<Icmpv6>()];
        message(&quote).emit::<Icmpv6>(&mut out, 0).unwrap();
        let mut want = v4_fixture();
        want[0] = 1;
        (want[4], want[5]) = (16, 0);
        want[2..4].fill(0);
        let c = checksum::of(&[checksum::sum(&want)]);
        want[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(out, want);
        let p = IcmpPacket::<_, Icmpv6>::new_checked(&out[..]).unwrap();
        assert_eq!(p.ext_length(), 128);
        assert_eq!(
            p.message(),
            Message {
                quoted: &out[8..136],
                ..message(&quote)
            }
        );
        // Read as the other version, the same bytes are another message.
        let as_v4 = IcmpPacket::<_, Icmpv4>::new_checked(&out[..]).unwrap();
        assert_eq!(as_v4.message(), Message::other(1, 3));
    }

    #[test]
    fn short_and_oversized() {
        assert_eq!(
            IcmpPacket::<_, Icmpv6>::new_checked(&[3u8; 7][..]).unwrap_err(),
            WireError::Truncated
        );
        let quote = [0; 40];
        let m = message(&quote);
        let mut small = vec![0; m.buffer_len::<Icmpv4>() - 1];
        assert_eq!(
            m.emit::<Icmpv4>(&mut small, 0).unwrap_err(),
            WireError::Truncated
        );
        // An RFC 4884 length of 1,024 bytes does not fit the 8-bit field in 32-bit words.
        let long = vec![0; 1024];
        let m = message(&long);
        let mut buf = vec![0; m.buffer_len::<Icmpv4>()];
        assert_eq!(
            m.emit::<Icmpv4>(&mut buf, 0).unwrap_err(),
            WireError::Malformed
        );
    }
}
