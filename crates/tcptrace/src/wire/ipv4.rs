//! IPv4 headers (RFC 791).

use std::net::Ipv4Addr;

use super::{WireError, checksum, read_u16, write_u16};

mod field {
    use std::ops::Range;
    pub(super) const VER_IHL: usize = 0;
    pub(super) const TOS: usize = 1;
    pub(super) const LENGTH: Range<usize> = 2..4;
    pub(super) const IDENT: Range<usize> = 4..6;
    pub(super) const FLG_OFF: Range<usize> = 6..8;
    pub(super) const TTL: usize = 8;
    pub(super) const PROTOCOL: usize = 9;
    pub(super) const CHECKSUM: Range<usize> = 10..12;
    pub(super) const SRC: Range<usize> = 12..16;
    pub(super) const DST: Range<usize> = 16..20;
}

/// The length of an IPv4 header without options.
pub(crate) const HEADER_LEN: usize = 20;

/// A read/write view of an IPv4 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it. Accessors may panic until [`Self::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer and checks that the header and the total length fit in it.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] or [`WireError::Malformed`] as [`Self::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Wraps a packet quoted inside an ICMP error: only the header must fit, the total length
    /// may exceed the buffer (the quote is cut short) and [`Self::payload`] returns what is there.
    ///
    /// # Errors
    ///
    /// As [`Self::check_len`], except for the total length.
    pub fn new_quoted(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_header_len()?;
        Ok(p)
    }

    fn check_header_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if hl > len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// Checks that the header and the total length fit in the buffer.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when the buffer is too short, [`WireError::Malformed`] when the
    /// header length field is below 20 or the total length below the header length.
    pub fn check_len(&self) -> Result<(), WireError> {
        self.check_header_len()?;
        let total = usize::from(self.total_len());
        if total < self.header_len() {
            return Err(WireError::Malformed);
        }
        if total > self.buffer.as_ref().len() {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// Returns the inner buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4 for IPv4).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The type-of-service byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }

    /// The total length field.
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT.start)
    }

    /// The don't-fragment flag.
    pub fn dont_frag(&self) -> bool {
        self.buffer.as_ref()[field::FLG_OFF.start] & 0x40 != 0
    }

    /// The more-fragments flag.
    pub fn more_frags(&self) -> bool {
        self.buffer.as_ref()[field::FLG_OFF.start] & 0x20 != 0
    }

    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (read_u16(self.buffer.as_ref(), field::FLG_OFF.start) & 0x1fff) << 3
    }

    /// The time-to-live field.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The protocol of the payload.
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[12], b[13], b[14], b[15])
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[16], b[17], b[18], b[19])
    }

    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::of(&[checksum::sum(&self.buffer.as_ref()[..self.header_len()])]) == 0
    }

    /// The payload: from the end of the header to the total length, or to the end of the
    /// buffer when the packet is a cut-short quote.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = usize::from(self.total_len()).clamp(self.header_len(), b.len());
        &b[self.header_len()..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// The payload, mutable (up to the total length).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let end = usize::from(self.total_len()).clamp(hl, self.buffer.as_ref().len());
        &mut self.buffer.as_mut()[hl..end]
    }

    /// Recomputes and writes the header checksum.
    pub fn fill_checksum(&mut self) {
        let hl = self.header_len();
        let b = self.buffer.as_mut();
        write_u16(b, field::CHECKSUM.start, 0);
        let c = checksum::of(&[checksum::sum(&b[..hl])]);
        write_u16(b, field::CHECKSUM.start, c);
    }
}

/// The fields of an IPv4 header this crate reads and writes (no options).
///
/// Build one with [`Ipv4Repr::new`] and set the other fields on it; the fields stay public, and
/// a field added later gets its default in `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub protocol: u8,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub ident: u16,
    /// Type of service (DSCP and ECN).
    pub tos: u8,
    /// Don't-fragment flag.
    pub dont_frag: bool,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// The TTL [`Ipv4Repr::new`] sets: 64, Linux's default (`net.ipv4.ip_default_ttl`).
    pub const DEFAULT_TTL: u8 = 64;

    /// A header from `src_addr` to `dst_addr` carrying `payload_len` bytes of `protocol` (an IP
    /// protocol number: 1 ICMP, 6 TCP), with TTL [`Self::DEFAULT_TTL`], identification 0, type
    /// of service 0 and don't-fragment clear.
    pub const fn new(
        src_addr: Ipv4Addr,
        dst_addr: Ipv4Addr,
        protocol: u8,
        payload_len: usize,
    ) -> Self {
        Self {
            src_addr,
            dst_addr,
            protocol,
            ttl: Self::DEFAULT_TTL,
            ident: 0,
            tos: 0,
            dont_frag: false,
            payload_len,
        }
    }

    /// Parses a checked packet, verifying the version, the checksum and that it is not a fragment.
    ///
    /// # Errors
    ///
    /// [`WireError::Malformed`] for a version other than 4, [`WireError::Checksum`] for a bad
    /// header checksum, [`WireError::Unsupported`] for a fragment.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> Result<Self, WireError> {
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(WireError::Malformed);
        }
        if !packet.verify_checksum() {
            return Err(WireError::Checksum);
        }
        if packet.more_frags() || packet.frag_offset() != 0 {
            return Err(WireError::Unsupported);
        }
        Ok(Self {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            ident: packet.ident(),
            tos: packet.tos(),
            dont_frag: packet.dont_frag(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
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

    /// Writes the header, with its checksum, into the first 20 bytes of `buf`.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is shorter than 20 bytes, [`WireError::Malformed`]
    /// when the total length does not fit in 16 bits.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let total = u16::try_from(self.buffer_len()).map_err(|_| WireError::Malformed)?;
        let b = &mut buf[..HEADER_LEN];
        b[field::VER_IHL] = 0x45;
        b[field::TOS] = self.tos;
        write_u16(b, field::LENGTH.start, total);
        write_u16(b, field::IDENT.start, self.ident);
        write_u16(
            b,
            field::FLG_OFF.start,
            if self.dont_frag { 0x4000 } else { 0 },
        );
        b[field::TTL] = self.ttl;
        b[field::PROTOCOL] = self.protocol;
        b[field::SRC].copy_from_slice(&self.src_addr.octets());
        b[field::DST].copy_from_slice(&self.dst_addr.octets());
        Ipv4Packet::new_unchecked(b).fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A TCP SYN header to 192.0.2.1 from 198.51.100.7, TTL 3, ID 0x1234, DF, total 40.
    const FIXTURE: [u8; 20] = [
        0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x03, 0x06, 0x00, 0x00, 198, 51, 100, 7,
        192, 0, 2, 1,
    ];

    fn fixture() -> Vec<u8> {
        let mut v = FIXTURE.to_vec();
        Ipv4Packet::new_unchecked(&mut v[..]).fill_checksum();
        v.extend_from_slice(&[0; 20]);
        v
    }

    fn repr() -> Ipv4Repr {
        let mut r = Ipv4Repr::new(
            Ipv4Addr::new(198, 51, 100, 7),
            Ipv4Addr::new(192, 0, 2, 1),
            6,
            20,
        );
        (r.ttl, r.ident, r.dont_frag) = (3, 0x1234, true);
        r
    }

    #[test]
    fn new_sets_the_documented_defaults() {
        let mut want = repr();
        (want.ttl, want.ident, want.tos, want.dont_frag) = (64, 0, 0, false);
        assert_eq!(Ipv4Repr::new(want.src_addr, want.dst_addr, 6, 20), want);
    }

    #[test]
    fn parse_fixture() {
        let bytes = fixture();
        let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.payload().len(), 20);
        assert_eq!(Ipv4Repr::parse(&p).unwrap(), repr());
    }

    #[test]
    fn emit_fixture() {
        let mut buf = vec![0; 40];
        repr().emit(&mut buf).unwrap();
        assert_eq!(buf, fixture());
        // A known checksum computed by hand for this header.
        assert_eq!(Ipv4Packet::new_unchecked(&buf[..]).checksum(), 0x7960);
    }

    #[test]
    fn rejects_bad_input() {
        let mut bytes = fixture();
        assert_eq!(
            Ipv4Packet::new_checked(&bytes[..10]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            Ipv4Packet::new_checked(&bytes[..30]).unwrap_err(),
            WireError::Truncated
        );
        assert!(Ipv4Packet::new_quoted(&bytes[..28]).is_ok());
        bytes[10] ^= 1;
        let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv4Repr::parse(&p).unwrap_err(), WireError::Checksum);
        bytes[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&bytes[..]).unwrap_err(),
            WireError::Malformed
        );
    }
}
