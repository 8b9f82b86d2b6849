//! ICMP multi-part messages (RFC 4884) and their MPLS label stack object (RFC 4950).

use super::{WireError, checksum, read_u16, read_u32, write_u16, write_u32};
use crate::MplsLabel;

mod field {
    pub(super) const VERSION: usize = 0;
    pub(super) const CHECKSUM: std::ops::Range<usize> = 2..4;
    pub(super) const OBJECTS: usize = 4;
}

/// The length of the original datagram field that precedes an extension structure (RFC 4884
/// section 5: at least 128 bytes, zero-padded).
pub(crate) const ORIGINAL_DATAGRAM_LEN: usize = 128;

const MPLS_CLASS: u8 = 1;
const MPLS_CTYPE: u8 = 1;

/// A view of an ICMP extension structure: a 4-byte header (version 2, checksum) and objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extensions<'a> {
    buffer: &'a [u8],
}

impl<'a> Extensions<'a> {
    /// Checks the header: at least 4 bytes and version 2. The checksum is verified when it is
    /// not zero.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`], [`WireError::Malformed`] for another version, or
    /// [`WireError::Checksum`].
    pub fn new_checked(buffer: &'a [u8]) -> Result<Self, WireError> {
        if buffer.len() < field::OBJECTS {
            return Err(WireError::Truncated);
        }
        if buffer[field::VERSION] >> 4 != 2 {
            return Err(WireError::Malformed);
        }
        if read_u16(buffer, field::CHECKSUM.start) != 0
            && checksum::of(&[checksum::sum(buffer)]) != 0
        {
            return Err(WireError::Checksum);
        }
        Ok(Self { buffer })
    }

    /// The objects, in order. Iteration stops at the first malformed object.
    pub fn objects(&self) -> impl Iterator<Item = ExtensionObject<'a>> + 'a {
        let mut rest = &self.buffer[field::OBJECTS..];
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let len = usize::from(read_u16(rest, 0));
            if len < 4 || len > rest.len() {
                return None;
            }
            let obj = ExtensionObject {
                class_num: rest[2],
                c_type: rest[3],
                payload: &rest[4..len],
            };
            rest = &rest[len..];
            Some(obj)
        })
    }

    /// The MPLS label stack entries of every RFC 4950 object, outermost first.
    pub fn mpls_labels(&self) -> Vec<MplsLabel> {
        self.objects()
            .filter(|o| o.class_num == MPLS_CLASS && o.c_type == MPLS_CTYPE)
            .flat_map(|o| {
                o.payload
                    .chunks_exact(4)
                    .map(|c| MplsLabel::from_entry(read_u32(c, 0)))
            })
            .collect()
    }
}

/// One object of an extension structure, as [`Extensions::objects`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionObject<'a> {
    /// The class number (1 is the MPLS label stack).
    pub class_num: u8,
    /// The class sub-type.
    pub c_type: u8,
    /// The object's payload.
    pub payload: &'a [u8],
}

/// Appends an extension structure holding one MPLS label stack object to `out`. Users reach it
/// through the ICMP `Repr`s' `emit`, which also sets the RFC 4884 length and pads the quote.
pub(crate) fn emit_mpls_extension(labels: &[MplsLabel], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0x20, 0, 0, 0]);
    let obj_len = 4 + 4 * labels.len();
    out.extend_from_slice(&[0, 0, MPLS_CLASS, MPLS_CTYPE]);
    write_u16(&mut out[start + 4..], 0, obj_len as u16);
    for l in labels {
        let mut e = [0u8; 4];
        let v = ((l.label & 0xf_ffff) << 12)
            | (u32::from(l.tc & 7) << 9)
            | (u32::from(l.bottom) << 8)
            | u32::from(l.ttl);
        write_u32(&mut e, 0, v);
        out.extend_from_slice(&e);
    }
    let c = checksum::of(&[checksum::sum(&out[start..])]);
    write_u16(&mut out[start..], field::CHECKSUM.start, c);
}

/// Splits an ICMP error's data (after the 8-byte header) into the quoted datagram and the MPLS
/// labels of its extension structure, if any. `length` is the RFC 4884 length field already
/// converted to bytes (0 when absent).
pub(crate) fn split(data: &[u8], length: usize) -> (&[u8], Vec<MplsLabel>) {
    if length != 0 {
        // Compliant: the length field says where the original datagram ends.
        if length <= data.len() {
            let labels = Extensions::new_checked(&data[length..])
                .map(|e| e.mpls_labels())
                .unwrap_or_default();
            return (&data[..length], labels);
        }
        return (data, Vec::new());
    }
    // Non-compliant (RFC 4884 section 5.5): extensions at a fixed 128 bytes without a length.
    if data.len() >= ORIGINAL_DATAGRAM_LEN + 8
        && let Ok(e) = Extensions::new_checked(&data[ORIGINAL_DATAGRAM_LEN..])
        && read_u16(&data[ORIGINAL_DATAGRAM_LEN..], field::CHECKSUM.start) != 0
    {
        let labels = e.mpls_labels();
        if !labels.is_empty() {
            return (&data[..ORIGINAL_DATAGRAM_LEN], labels);
        }
    }
    (data, Vec::new())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    // Extension header (v2, checksum) + MPLS object with label 16, TC 0, S=1, TTL 1.
    pub(crate) const FIXTURE: [u8; 12] = [
        0x20, 0x00, 0xdd, 0xf4, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01,
    ];

    pub(crate) fn label() -> MplsLabel {
        MplsLabel::new(16, 0, true, 1).unwrap()
    }

    #[test]
    fn parse_fixture() {
        let e = Extensions::new_checked(&FIXTURE).unwrap();
        assert_eq!(e.mpls_labels(), vec![label()]);
    }

    #[test]
    fn emit_fixture() {
        let mut out = Vec::new();
        emit_mpls_extension(&[label()], &mut out);
        assert_eq!(out, FIXTURE);
    }

    #[test]
    fn split_compliant_and_not() {
        let mut data = vec![0x45; 128];
        data.extend_from_slice(&FIXTURE);
        let (q, l) = split(&data, 128);
        assert_eq!((q.len(), l.len()), (128, 1));
        let (q, l) = split(&data, 0);
        assert_eq!((q.len(), l.len()), (128, 1));
        // A bad checksum hides the labels but not the quote.
        data[130] ^= 0xff;
        let (q, l) = split(&data, 128);
        assert_eq!((q.len(), l.len()), (128, 0));
        // A length beyond the data is ignored.
        assert_eq!(split(&data[..100], 128).0.len(), 100);
    }

    #[test]
    fn malformed_objects_stop_iteration() {
        let mut b = FIXTURE;
        b[5] = 200;
        b[2] = 0;
        b[3] = 0;
        assert!(
            Extensions::new_checked(&b)
                .unwrap()
                .mpls_labels()
                .is_empty()
        );
    }
}
