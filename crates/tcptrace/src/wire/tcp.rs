//! TCP headers (RFC 9293) with the options of a SYN: MSS, SACK permitted, timestamps and
//! window scale (RFC 7323, RFC 2018), emitted in Linux's order so that a probe looks like a
//! kernel's SYN to the firewalls on the way, and read back from ICMP quotes to see which a
//! middlebox changed.

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
        TcpOption::iter(self.options()).find_map(|o| match o {
            TcpOption::Mss(v) => Some(v),
            _ => None,
        })
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

/// One TCP option, as [`TcpOption::iter`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TcpOption {
    /// End of the option list (kind 0).
    End,
    /// No operation, padding (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift count (kind 3).
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// Timestamps (kind 8).
    Timestamp {
        /// The sender's timestamp.
        tsval: u32,
        /// The echoed timestamp.
        tsecr: u32,
    },
    /// Another option, or a known kind with a length that is not its own.
    Other {
        /// Its kind.
        kind: u8,
        /// Its length byte.
        len: u8,
    },
}

impl TcpOption {
    /// The option's kind byte.
    pub const fn kind(self) -> u8 {
        match self {
            Self::End => 0,
            Self::Nop => 1,
            Self::Mss(_) => 2,
            Self::WindowScale(_) => 3,
            Self::SackPermitted => 4,
            Self::Timestamp { .. } => 8,
            Self::Other { kind, .. } => kind,
        }
    }

    /// The options in `bytes` (a header's option space), in order, up to the end-of-list
    /// option or the first malformed one (a length below 2 or past the end), which ends the
    /// list without a panic.
    pub fn iter(bytes: &[u8]) -> impl Iterator<Item = Self> + '_ {
        let mut rest = bytes;
        std::iter::from_fn(move || {
            let (&kind, tail) = rest.split_first()?;
            match kind {
                0 => {
                    rest = &[];
                    Some(Self::End)
                }
                1 => {
                    rest = tail;
                    Some(Self::Nop)
                }
                _ => {
                    let len = *tail.first()?;
                    let n = usize::from(len);
                    if n < 2 || n > rest.len() {
                        rest = &[];
                        return None;
                    }
                    let body = &rest[2..n];
                    rest = &rest[n..];
                    Some(match (kind, body.len()) {
                        (2, 2) => Self::Mss(read_u16(body, 0)),
                        (3, 1) => Self::WindowScale(body[0]),
                        (4, 0) => Self::SackPermitted,
                        (8, 8) => Self::Timestamp {
                            tsval: read_u32(body, 0),
                            tsecr: read_u32(body, 4),
                        },
                        _ => Self::Other { kind, len },
                    })
                }
            }
        })
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
    /// The window scale option (the shift count), when present.
    pub window_scale: Option<u8>,
    /// Whether the SACK-permitted option is present.
    pub sack_permitted: bool,
    /// The timestamps option (`TSval`, `TSecr`), when present.
    pub timestamp: Option<(u32, u32)>,
}

impl TcpRepr {
    /// The window [`TcpRepr::new`] sets: 65,535, the largest a header without window scaling
    /// can offer.
    pub const DEFAULT_WINDOW: u16 = u16::MAX;

    /// A segment from `src_port` to `dst_port` with `flags`, sequence and acknowledgment numbers
    /// 0, window [`Self::DEFAULT_WINDOW`] and no options.
    pub const fn new(src_port: u16, dst_port: u16, flags: TcpFlags) -> Self {
        Self {
            src_port,
            dst_port,
            seq_number: 0,
            ack_number: 0,
            flags,
            window: Self::DEFAULT_WINDOW,
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
        }
    }

    /// Parses a checked segment (without verifying the checksum, which needs the addresses).
    ///
    /// # Errors
    ///
    /// As [`TcpPacket::check_len`].
    pub fn parse<T: AsRef<[u8]>>(packet: &TcpPacket<T>) -> Result<Self, WireError> {
        packet.check_len()?;
        let (mut window_scale, mut sack_permitted, mut timestamp) = (None, false, None);
        for o in TcpOption::iter(packet.options()) {
            match o {
                TcpOption::WindowScale(v) => window_scale = Some(v),
                TcpOption::SackPermitted => sack_permitted = true,
                TcpOption::Timestamp { tsval, tsecr } => timestamp = Some((tsval, tsecr)),
                _ => {}
            }
        }
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window: packet.window(),
            mss: packet.mss(),
            window_scale,
            sack_permitted,
            timestamp,
        })
    }

    /// The header length [`Self::emit`] writes: 20, plus 4 for MSS, 12 for timestamps (with
    /// SACK permitted in their padding) or 4 for SACK permitted alone, and 4 for window scale.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }

    const fn options_len(&self) -> usize {
        let mut n = 0;
        if self.mss.is_some() {
            n += 4;
        }
        if self.timestamp.is_some() {
            n += 12;
        } else if self.sack_permitted {
            n += 4;
        }
        if self.window_scale.is_some() {
            n += 4;
        }
        n
    }

    /// Writes the options in Linux's layout: MSS, SACK permitted + timestamps (NOP-padded when
    /// one is absent), NOP + window scale.
    fn emit_options(&self, o: &mut [u8]) {
        let mut at = 0;
        if let Some(mss) = self.mss {
            o[..2].copy_from_slice(&[2, 4]);
            write_u16(o, 2, mss);
            at = 4;
        }
        let sack: &[u8] = if self.sack_permitted {
            &[4, 2]
        } else {
            &[1, 1]
        };
        if let Some((tsval, tsecr)) = self.timestamp {
            o[at..at + 4].copy_from_slice(&[sack[0], sack[1], 8, 10]);
            write_u32(o, at + 4, tsval);
            write_u32(o, at + 8, tsecr);
            at += 12;
        } else if self.sack_permitted {
            o[at..at + 4].copy_from_slice(&[1, 1, 4, 2]);
            at += 4;
        }
        if let Some(ws) = self.window_scale {
            o[at..at + 4].copy_from_slice(&[1, 3, 3, ws]);
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
        self.emit_options(&mut b[HEADER_LEN..]);
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
    fn options_in_linux_layout_round_trip() {
        let (s, d) = addrs();
        let mut r = repr();
        (r.sack_permitted, r.timestamp, r.window_scale) = (true, Some((0x0a0b_0c0d, 0)), Some(7));
        assert_eq!(r.header_len(), 40);
        let mut buf = [0u8; 40];
        r.emit(&mut buf, s, d).unwrap();
        // What Linux puts in its SYNs: MSS, SACK permitted, timestamps, NOP, window scale.
        assert_eq!(
            buf[20..],
            [
                2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 0, 1, 3, 3, 7
            ]
        );
        assert_eq!(buf[12] >> 4, 10);
        let p = TcpPacket::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum(s, d));
        assert_eq!(TcpRepr::parse(&p).unwrap(), r);
        // Either of SACK permitted and timestamps alone is NOP-padded to a word.
        r.timestamp = None;
        assert_eq!(r.header_len(), 32);
        let mut buf = [0u8; 32];
        r.emit(&mut buf, s, d).unwrap();
        assert_eq!(buf[24..28], [1, 1, 4, 2]);
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).unwrap()).unwrap(),
            r
        );
        let kinds: Vec<u8> = TcpOption::iter(&buf[20..]).map(TcpOption::kind).collect();
        assert_eq!(kinds, [2, 1, 1, 4, 1, 3]);
        // A truncated option ends the list.
        assert_eq!(TcpOption::iter(&[2, 4, 5]).count(), 0);
        assert_eq!(
            TcpOption::iter(&[1, 9, 2]).collect::<Vec<_>>(),
            [TcpOption::Nop, TcpOption::Other { kind: 9, len: 2 }]
        );
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
