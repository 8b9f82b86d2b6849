//! IPv6 fixed headers (RFC 8200). Extension headers are not followed: a packet whose next header
//! is not TCP or ICMPv6 is reported as unsupported by the reply parser.

use std::net::Ipv6Addr;

use super::{WireError, read_u16, read_u32, write_u16, write_u32};

mod field {
    use std::ops::Range;
    pub(super) const VER_TC_FLOW: Range<usize> = 0..4;
    pub(super) const LENGTH: Range<usize> = 4..6;
    pub(super) const NXT_HDR: usize = 6;
    pub(super) const HOP_LIMIT: usize = 7;
    pub(super) const SRC: Range<usize> = 8..24;
    pub(super) const DST: Range<usize> = 24..40;
}

/// The length of the IPv6 fixed header.
pub(crate) const HEADER_LEN: usize = 40;

/// A read/write view of an IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking it. Accessors may panic until [`Self::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer and checks that the header and the payload length fit in it.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] as [`Self::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Wraps a packet quoted inside an ICMPv6 error: only the fixed header must fit.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when the buffer is shorter than 40 bytes.
    pub fn new_quoted(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        if p.buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }

    /// Checks that the fixed header and the payload length fit in the buffer.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when they do not.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || HEADER_LEN + usize::from(self.payload_len()) > len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// Returns the inner buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (6 for IPv6).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// The traffic class.
    pub fn traffic_class(&self) -> u8 {
        ((read_u32(self.buffer.as_ref(), field::VER_TC_FLOW.start) >> 20) & 0xff) as u8
    }

    /// The 20-bit flow label.
    pub fn flow_label(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW.start) & 0x000f_ffff
    }

    /// The payload length field.
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// The next header (payload protocol).
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NXT_HDR]
    }

    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        let mut o = [0; 16];
        o.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        Ipv6Addr::from(o)
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        let mut o = [0; 16];
        o.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        Ipv6Addr::from(o)
    }

    /// The payload: up to the payload length, or to the end of a cut-short quote.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(b.len());
        &b[HEADER_LEN..end]
    }
}

/// The fields of an IPv6 fixed header.
///
/// Build one with [`Ipv6Repr::new`] and set the other fields on it; the fields stay public, and
/// a field added later gets its default in `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Next header (payload protocol).
    pub next_header: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Ipv6Repr {
    /// The hop limit [`Ipv6Repr::new`] sets: 64, Linux's default
    /// (`net.ipv6.conf.all.hop_limit`).
    pub const DEFAULT_HOP_LIMIT: u8 = 64;

    /// A fixed header from `src_addr` to `dst_addr` carrying `payload_len` bytes of
    /// `next_header` (58 ICMPv6, 6 TCP), with hop limit [`Self::DEFAULT_HOP_LIMIT`], traffic
    /// class 0 and flow label 0.
    pub const fn new(
        src_addr: Ipv6Addr,
        dst_addr: Ipv6Addr,
        next_header: u8,
        payload_len: usize,
    ) -> Self {
        Self {
            src_addr,
            dst_addr,
            next_header,
            hop_limit: Self::DEFAULT_HOP_LIMIT,
            traffic_class: 0,
            flow_label: 0,
            payload_len,
        }
    }

    /// Parses a checked packet.
    ///
    /// # Errors
    ///
    /// [`WireError::Malformed`] for a version other than 6.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv6Packet<T>) -> Result<Self, WireError> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(WireError::Malformed);
        }
        Ok(Self {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
            payload_len: usize::from(packet.payload_len()),
        })
    }

    /// The header length [`Self::emit`] writes.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// The total length of the packet.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Writes the fixed header into the first 40 bytes of `buf`.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is shorter than 40 bytes, [`WireError::Malformed`]
    /// when the payload length does not fit in 16 bits or the flow label in 20.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = u16::try_from(self.payload_len).map_err(|_| WireError::Malformed)?;
        if self.flow_label > 0x000f_ffff {
            return Err(WireError::Malformed);
        }
        let b = &mut buf[..HEADER_LEN];
        write_u32(
            b,
            field::VER_TC_FLOW.start,
            (6 << 28) | (u32::from(self.traffic_class) << 20) | self.flow_label,
        );
        write_u16(b, field::LENGTH.start, len);
        b[field::NXT_HDR] = self.next_header;
        b[field::HOP_LIMIT] = self.hop_limit;
        b[field::SRC].copy_from_slice(&self.src_addr.octets());
        b[field::DST].copy_from_slice(&self.dst_addr.octets());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: [u8; 44] = [
        0x60, 0x01, 0x23, 0x45, 0x00, 0x04, 0x06, 0x05, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, //
        0xde, 0xad, 0xbe, 0xef,
    ];

    fn repr() -> Ipv6Repr {
        let mut r = Ipv6Repr::new(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            6,
            4,
        );
        (r.hop_limit, r.flow_label) = (5, 0x12345);
        r
    }

    #[test]
    fn new_sets_the_documented_defaults() {
        let mut want = repr();
        (want.hop_limit, want.traffic_class, want.flow_label) = (64, 0, 0);
        assert_eq!(Ipv6Repr::new(want.src_addr, want.dst_addr, 6, 4), want);
    }

    #[test]
    fn parse_fixture() {
        let p = Ipv6Packet::new_checked(&FIXTURE[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&p).unwrap(), repr());
        assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn emit_fixture() {
        let mut buf = [0u8; 44];
        buf[40..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        repr().emit(&mut buf).unwrap();
        assert_eq!(buf, FIXTURE);
    }

    #[test]
    fn truncated() {
        assert_eq!(
            Ipv6Packet::new_checked(&FIXTURE[..43]).unwrap_err(),
            WireError::Truncated
        );
        assert!(Ipv6Packet::new_quoted(&FIXTURE[..40]).is_ok());
        assert_eq!(
            Ipv6Packet::new_quoted(&FIXTURE[..39]).unwrap_err(),
            WireError::Truncated
        );
    }
}
