//! Special-purpose address ranges, answered locally (IANA IPv4 and IPv6 special-purpose
//! address registries, RFC 6890 and successors).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::IpRange;

/// A special-purpose range that no AS announces on the public internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpecialRange {
    prefix: IpAddr,
    len: u8,
    name: &'static str,
    rfc: &'static str,
}

impl SpecialRange {
    /// What the range is for (`private`, `loopback`, `documentation`, ...).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The RFC that reserves it.
    pub fn rfc(&self) -> &'static str {
        self.rfc
    }

    /// The range.
    pub fn range(&self) -> IpRange {
        IpRange::from_prefix(self.prefix, self.len).unwrap_or(IpRange::v4(0, 0))
    }
}

impl fmt::Display for SpecialRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ({}, {})",
            self.prefix, self.len, self.name, self.rfc
        )
    }
}

impl Serialize for SpecialRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SpecialRange", 3)?;
        st.serialize_field("range", &format!("{}/{}", self.prefix, self.len))?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("rfc", self.rfc)?;
        st.end()
    }
}

const fn v4(
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    len: u8,
    name: &'static str,
    rfc: &'static str,
) -> SpecialRange {
    SpecialRange {
        prefix: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        len,
        name,
        rfc,
    }
}

#[allow(clippy::many_single_char_names)]
const fn v6(seg: [u16; 8], len: u8, name: &'static str, rfc: &'static str) -> SpecialRange {
    let [a, b, c, d, e, f, g, h] = seg;
    SpecialRange {
        prefix: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
        len,
        name,
        rfc,
    }
}

/// Most specific first where ranges nest.
const V4: &[SpecialRange] = &[
    v4(0, 0, 0, 0, 8, "this network", "RFC 791"),
    v4(10, 0, 0, 0, 8, "private", "RFC 1918"),
    v4(100, 64, 0, 0, 10, "shared address space (CGN)", "RFC 6598"),
    v4(127, 0, 0, 0, 8, "loopback", "RFC 1122"),
    v4(169, 254, 0, 0, 16, "link-local", "RFC 3927"),
    v4(172, 16, 0, 0, 12, "private", "RFC 1918"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments", "RFC 6890"),
    v4(192, 0, 2, 0, 24, "documentation (TEST-NET-1)", "RFC 5737"),
    v4(192, 168, 0, 0, 16, "private", "RFC 1918"),
    v4(198, 18, 0, 0, 15, "benchmarking", "RFC 2544"),
    v4(
        198,
        51,
        100,
        0,
        24,
        "documentation (TEST-NET-2)",
        "RFC 5737",
    ),
    v4(203, 0, 113, 0, 24, "documentation (TEST-NET-3)", "RFC 5737"),
    v4(224, 0, 0, 0, 4, "multicast", "RFC 5771"),
    v4(255, 255, 255, 255, 32, "limited broadcast", "RFC 919"),
    v4(240, 0, 0, 0, 4, "reserved", "RFC 1112"),
];

const V6: &[SpecialRange] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified", "RFC 4291"),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", "RFC 4291"),
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use IPv4/IPv6 translation",
        "RFC 8215",
    ),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", "RFC 6666"),
    v6(
        [0x2001, 0x2, 0, 0, 0, 0, 0, 0],
        48,
        "benchmarking",
        "RFC 5180",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation",
        "RFC 3849",
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "documentation",
        "RFC 9637",
    ),
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing SIDs",
        "RFC 9602",
    ),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local", "RFC 4193"),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local", "RFC 4291"),
    v6(
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "site-local (deprecated)",
        "RFC 3879",
    ),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", "RFC 4291"),
    // Everything outside 2000::/3 except the ranges above is unallocated or reserved; the
    // IPv4-compatible and mapped forms are canonicalised before this table is consulted.
];

/// The special-purpose range `ip` is in, if any. IPv4-mapped IPv6 addresses are checked as
/// IPv4.
pub fn special_range(ip: IpAddr) -> Option<SpecialRange> {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let x = u32::from(a);
            // Fast path: most addresses are public; only these first octets hold special ranges.
            if !matches!(
                x >> 24,
                0 | 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203 | 224..=255
            ) {
                return None;
            }
            V4.iter().copied().find(|s| {
                let IpAddr::V4(p) = s.prefix else {
                    return false;
                };
                super::prefix_bounds(u32::from(p), s.len).is_some_and(|(lo, hi)| lo <= x && x <= hi)
            })
        }
        IpAddr::V6(a) => {
            let x = u128::from(a);
            if !matches!(x >> 112, 0..=0x1ff | 0x2001 | 0x3fff | 0x5f00 | 0xfc00..=0xffff) {
                return None;
            }
            V6.iter().copied().find(|s| {
                let IpAddr::V6(p) = s.prefix else {
                    return false;
                };
                super::prefix_bounds(u128::from(p), s.len)
                    .is_some_and(|(lo, hi)| lo <= x && x <= hi)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<&'static str> {
        special_range(s.parse().unwrap()).map(|r| r.name())
    }

    #[test]
    fn classic_ranges() {
        assert_eq!(name("10.1.2.3"), Some("private"));
        assert_eq!(name("172.31.255.255"), Some("private"));
        assert_eq!(name("172.32.0.0"), None);
        assert_eq!(name("192.168.0.1"), Some("private"));
        assert_eq!(name("100.64.0.0"), Some("shared address space (CGN)"));
        assert_eq!(name("100.127.255.255"), Some("shared address space (CGN)"));
        assert_eq!(name("100.128.0.0"), None);
        assert_eq!(name("127.0.0.1"), Some("loopback"));
        assert_eq!(name("169.254.1.1"), Some("link-local"));
        assert_eq!(name("198.18.0.1"), Some("benchmarking"));
        assert_eq!(name("198.19.255.255"), Some("benchmarking"));
        assert_eq!(name("198.20.0.0"), None);
        assert_eq!(name("203.0.113.9"), Some("documentation (TEST-NET-3)"));
        assert_eq!(name("239.1.1.1"), Some("multicast"));
        assert_eq!(name("255.255.255.255"), Some("limited broadcast"));
        assert_eq!(name("8.8.8.8"), None);
        assert_eq!(name("1.1.1.1"), None);
    }

    #[test]
    fn ipv6_ranges() {
        assert_eq!(name("::1"), Some("loopback"));
        assert_eq!(name("::"), Some("unspecified"));
        assert_eq!(name("fe80::1"), Some("link-local"));
        assert_eq!(name("fd12:3456::1"), Some("unique local"));
        assert_eq!(name("2001:db8:ffff::1"), Some("documentation"));
        assert_eq!(name("2001:db9::1"), None);
        assert_eq!(name("ff02::1"), Some("multicast"));
        assert_eq!(name("::ffff:10.0.0.1"), Some("private"));
        assert_eq!(name("::ffff:8.8.8.8"), None);
        assert_eq!(name("2606:4700::1111"), None);
    }

    #[test]
    fn display_and_range() {
        let s = special_range("10.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(s.to_string(), "10.0.0.0/8 (private, RFC 1918)");
        assert_eq!(s.range().to_string(), "10.0.0.0/8");
        assert_eq!(s.rfc(), "RFC 1918");
    }
}
