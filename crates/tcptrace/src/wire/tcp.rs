//! TCP headers (RFC 9293). Only the MSS option is emitted; other options are skipped on parse.

use std::fmt;
use std::net::IpAddr;

use super::{WireError, checksum, proto, read_u16, read_u32, write_u16, write_u32};

mod field {
    use std::ops::Range;
    pub(super) const SRC_PORT: Range<usize> = 0..2;
    pub(super) const DST_PORT: Range<usize> = 2..4;
    pub(super) const SEQ: Range<usize> = 4..8;
    pub(super) const ACK: Range<usize> = 8..12;
    pub(super) const FLAGS: Range<usize> = 12..14;
    pub(super) const WINDOW: Range<usize> = 14..16;
    pub(super) const CHECKSUM: Range<usize> = 16..18;
    pub(super) const URGENT: Range<usize> = 18..20;
    pub(super) const OPTIONS: usize = 20;
}

/// The length of a TCP header without options.
pub(crate) const HEADER_LEN: usize = 20;

/// TCP control flags.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(u16);

impl TcpFlags {
    /// FIN.
    pub const FIN: Self = Self(0x001);
    /// SYN.
    pub const SYN: Self = Self(0x002);
    /// RST.
    pub const RST: Self = Self(0x004);
    /// PSH.
    pub const PSH: Self = Self(0x008);
    /// ACK.
    pub const ACK: Self = Self(0x010);
    /// URG.
    pub const URG: Self = Self(0x020);
    /// ECE.
    pub const ECE: Self = Self(0x040);
    /// CWR.
    pub const CWR: Self = Self(0x080);

    /// Flags from the 9 low bits of `bits` (higher bits are dropped).
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits & 0x1ff)
    }

    /// The flag bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl fmt::Display for TcpFlags {
    /// scapy's letters, in scapy's order: `FSRPAUECN`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in "FSRPAUECN".chars().enumerate() {
            if self.0 & (1 << i) != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpFlags({self})")
    }
}

/// A read/write view of a TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it. Accessors may panic until [`Self::check_len`] passes.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer and checks that the header fits.
    ///
    /// # Errors
    ///
    /// As [`Self::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header, with its options, fits in the buffer.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when it does not, [`WireError::Malformed`] when the data offset
    /// is below 5 words.
    pub fn check_len(&self) -> Result<(), WireError> {
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

    /// Returns the inner buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT.start)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT.start)
    }

    /// The sequence number.
    pub fn seq_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQ.start)
    }

    /// The acknowledgment number.
    pub fn ack_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::ACK.start)
    }

    /// The header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// The control flags.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits(read_u16(self.buffer.as_ref(), field::FLAGS.start))
    }

    /// The window size.
    pub fn window(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::WINDOW.start)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The options bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS..self.header_len()]
    }

    /// The MSS option, if present and well formed.
    pub fn mss(&self) -> Option<u16> {
        let mut o = self.options();
        while let Some((&kind, rest)) = o.split_first() {
            match kind {
                0 => return None,
                1 => o = rest,
                _ => {
                    let len = usize::from(*rest.first()?);
                    if len < 2 || len > o.len() {
                        return None;
                    }
                    if kind == 2 && len == 4 {
                        return Some(read_u16(o, 2));
                    }
                    o = &o[len..];
                }
            }
        }
        None
    }

    /// Whether the checksum is right for a segment between `src` and `dst` (the whole buffer
    /// is the segment).
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> bool {
        let b = self.buffer.as_ref();
        let Ok(len) = u32::try_from(b.len()) else {
            return false;
        };
        checksum::of(&[
            checksum::pseudo(src, dst, proto::TCP, len),
            checksum::sum(b),
        ]) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Recomputes and writes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, src: IpAddr, dst: IpAddr) {
        let b = self.buffer.as_mut();
        write_u16(b, field::CHECKSUM.start, 0);
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        let c = checksum::of(&[
            checksum::pseudo(src, dst, proto::TCP, len),
            checksum::sum(b),
        ]);
        write_u16(b, field::CHECKSUM.start, c);
    }
}

/// The fields of a TCP header this crate reads and writes.
///
/// Build one with [`TcpRepr::new`] and set the other fields on it; the fields stay public, and
/// a field added later gets its default in `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TcpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number.
    pub ack_number: u32,
    /// Control flags.
    pub flags: TcpFlags,
    /// Window size.
    pub window: u16,
    /// The MSS option, when present.
    pub mss: Option<u16>,
}

impl TcpRepr {
    /// The window [`TcpRepr::new`] sets: 65,535, the largest a header without window scaling
    /// can offer.
    pub const DEFAULT_WINDOW: u16 = u16::MAX;

    /// A segment from `src_port` to `dst_port` with `flags`, sequence and acknowledgment numbers
    /// 0, window [`Self::DEFAULT_WINDOW`] and no MSS option.
    pub const fn new(src_port: u16, dst_port: u16, flags: TcpFlags) -> Self {
        Self {
            src_port,
            dst_port,
            seq_number: 0,
            ack_number: 0,
            flags,
            window: Self::DEFAULT_WINDOW,
            mss: None,
        }
    }

    /// Parses a checked segment (without verifying the checksum, which needs the addresses).
    ///
    /// # Errors
    ///
    /// As [`TcpPacket::check_len`].
    pub fn parse<T: AsRef<[u8]>>(packet: &TcpPacket<T>) -> Result<Self, WireError> {
        packet.check_len()?;
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window: packet.window(),
            mss: packet.mss(),
        })
    }

    /// The header length [`Self::emit`] writes (20, or 24 with MSS).
    pub const fn header_len(&self) -> usize {
        if self.mss.is_some() {
            HEADER_LEN + 4
        } else {
            HEADER_LEN
        }
    }

    /// Writes the header into `buf[..header_len]` with the checksum for `src` → `dst`. The
    /// segment has no payload.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when `buf` is shorter than the header.
    pub fn emit(&self, buf: &mut [u8], src: IpAddr, dst: IpAddr) -> Result<(), WireError> {
        let hl = self.header_len();
        if buf.len() < hl {
            return Err(WireError::Truncated);
        }
        let b = &mut buf[..hl];
        write_u16(b, field::SRC_PORT.start, self.src_port);
        write_u16(b, field::DST_PORT.start, self.dst_port);
        write_u32(b, field::SEQ.start, self.seq_number);
        write_u32(b, field::ACK.start, self.ack_number);
        write_u16(
            b,
            field::FLAGS.start,
            ((hl as u16 / 4) << 12) | self.flags.bits(),
        );
        write_u16(b, field::WINDOW.start, self.window);
        write_u16(b, field::URGENT.start, 0);
        if let Some(mss) = self.mss {
            b[20] = 2;
            b[21] = 4;
            write_u16(b, 22, mss);
        }
        TcpPacket::new_unchecked(b).fill_checksum(src, dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> (IpAddr, IpAddr) {
        (
            "198.51.100.7".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
        )
    }

    // SYN 40000 → 80, seq 0x01020304, window 65535, MSS 1460. Checksum filled by the test.
    const FIXTURE: [u8; 24] = [
        0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0x0b,
        0x54, 0, 0, 2, 4, 0x05, 0xb4,
    ];

    fn repr() -> TcpRepr {
        let mut r = TcpRepr::new(40000, 80, TcpFlags::SYN);
        (r.seq_number, r.mss) = (0x0102_0304, Some(1460));
        r
    }

    #[test]
    fn new_sets_the_documented_defaults() {
        let mut want = repr();
        (want.seq_number, want.ack_number, want.window, want.mss) = (0, 0, 65535, None);
        assert_eq!(TcpRepr::new(40000, 80, TcpFlags::SYN), want);
    }

    #[test]
    fn parse_fixture() {
        let (s, d) = addrs();
        let p = TcpPacket::new_checked(&FIXTURE[..]).unwrap();
        assert!(p.verify_checksum(s, d));
        assert_eq!(TcpRepr::parse(&p).unwrap(), repr());
        assert_eq!(p.flags().to_string(), "S");
    }

    #[test]
    fn emit_fixture() {
        let (s, d) = addrs();
        let mut buf = [0u8; 24];
        repr().emit(&mut buf, s, d).unwrap();
        assert_eq!(buf, FIXTURE);
    }

    #[test]
    fn flags_display_like_scapy() {
        assert_eq!((TcpFlags::SYN | TcpFlags::ACK).to_string(), "SA");
        assert_eq!((TcpFlags::RST | TcpFlags::ACK).to_string(), "RA");
    }

    #[test]
    fn bad_offsets() {
        let mut b = FIXTURE;
        b[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&b[..]).unwrap_err(),
            WireError::Malformed
        );
        b[12] = 0xf0;
        assert_eq!(
            TcpPacket::new_checked(&b[..]).unwrap_err(),
            WireError::Truncated
        );
        // A malformed option list yields no MSS, not a panic.
        let mut b = FIXTURE;
        b[21] = 9;
        assert_eq!(TcpPacket::new_checked(&b[..]).unwrap().mss(), None);
    }
}
