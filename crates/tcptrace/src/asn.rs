//! The AS model: what is known about the autonomous system of an address.
//!
//! This is a leaf module with no I/O and no dependency beyond `serde`: [`AsInfo`] (AS number,
//! [`AsName`], the [`IpRange`] the answer holds over, [`CountryCode`], registry and
//! [`Source`]), the per-address [`Resolution`], and the built-in table of special-purpose
//! ranges ([`SpecialRange`], [`special_range`]). The resolvers that produce these values
//! (range tables, MMDB, whois, chains and caches) live in the `asn-lookup` crate, which
//! depends on this one; a [`Reply`](crate::Reply) carries only the AS number and name.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

mod special;
mod text;

pub use special::{SpecialRange, special_range};
pub(crate) use text::plain_text;
pub use text::{AsName, CountryCode};

/// Which backend produced an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The built-in table of special-purpose ranges.
    Special,
    /// An ip-location-db style range CSV.
    RangeCsv,
    /// An iptoasn range TSV.
    IptoasnTsv,
    /// A pyasn prefix file.
    Pyasn,
    /// A `MaxMind` MMDB database.
    Mmdb,
    /// Team Cymru whois.
    Cymru,
    /// RIPE RIS whois.
    Ris,
    /// RADB whois.
    Radb,
}

impl Source {
    /// The lowercase name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Special => "special",
            Self::RangeCsv => "range_csv",
            Self::IptoasnTsv => "iptoasn_tsv",
            Self::Pyasn => "pyasn",
            Self::Mmdb => "mmdb",
            Self::Cymru => "cymru",
            Self::Ris => "ris",
            Self::Radb => "radb",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inclusive range of addresses of one family.
///
/// Displays as a CIDR prefix when it is one (`192.0.2.0/24`), otherwise as `first-last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpRange {
    first: IpAddr,
    last: IpAddr,
}

impl IpRange {
    /// The range `first..=last`, or `None` if the families differ or `first > last`.
    pub fn new(first: IpAddr, last: IpAddr) -> Option<Self> {
        match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(Self { first, last }),
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(Self { first, last }),
            _ => None,
        }
    }

    /// The prefix `addr/len` (host bits are cleared), or `None` if `len` is too long.
    pub fn from_prefix(addr: IpAddr, len: u8) -> Option<Self> {
        match addr {
            IpAddr::V4(a) => {
                let (lo, hi) = prefix_bounds(u32::from(a), len)?;
                Some(Self::v4(lo, hi))
            }
            IpAddr::V6(a) => {
                let (lo, hi) = prefix_bounds(u128::from(a), len)?;
                Some(Self::v6(lo, hi))
            }
        }
    }

    /// The IPv4 range `first..=last` from the addresses as integers; bounds given in the
    /// wrong order are swapped.
    pub fn v4(first: u32, last: u32) -> Self {
        let (first, last) = (first.min(last), first.max(last));
        Self {
            first: IpAddr::V4(Ipv4Addr::from(first)),
            last: IpAddr::V4(Ipv4Addr::from(last)),
        }
    }

    /// The IPv6 range `first..=last` from the addresses as integers; bounds given in the
    /// wrong order are swapped.
    pub fn v6(first: u128, last: u128) -> Self {
        let (first, last) = (first.min(last), first.max(last));
        Self {
            first: IpAddr::V6(Ipv6Addr::from(first)),
            last: IpAddr::V6(Ipv6Addr::from(last)),
        }
    }

    /// The first address.
    pub fn first(&self) -> IpAddr {
        self.first
    }

    /// The last address (inclusive).
    pub fn last(&self) -> IpAddr {
        self.last
    }

    /// Whether `ip` lies in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.first, self.last, ip.to_canonical()) {
            (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
            (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
            _ => false,
        }
    }

    /// The prefix length if the range is exactly one CIDR prefix.
    pub fn prefix_len(&self) -> Option<u8> {
        let (a, b, bits) = self.as_u128();
        let size = b - a; // size - 1
        if size == u128::MAX {
            return Some(0);
        }
        let n = size + 1;
        if !n.is_power_of_two() || a % n != 0 {
            return None;
        }
        Some(bits - n.trailing_zeros() as u8)
    }

    /// The smallest list of CIDR prefixes that covers the range exactly, in order.
    pub fn to_prefixes(&self) -> Vec<(IpAddr, u8)> {
        let (mut a, b, bits) = self.as_u128();
        let v4 = bits == 32;
        let mut out = Vec::new();
        loop {
            // Largest block aligned at `a` that does not pass `b`.
            let aligned = if a == 0 {
                u32::from(bits)
            } else {
                a.trailing_zeros().min(u32::from(bits))
            };
            let span = b - a;
            let fits = if span == u128::MAX {
                128
            } else {
                (span + 1).ilog2()
            };
            let k = aligned.min(fits);
            let len = bits - k as u8;
            let addr = if v4 {
                IpAddr::V4(Ipv4Addr::from(a as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from(a))
            };
            out.push((addr, len));
            let last = if k >= 128 {
                u128::MAX
            } else {
                a + ((1u128 << k) - 1)
            };
            if last >= b {
                break;
            }
            a = last + 1;
        }
        out
    }

    fn as_u128(&self) -> (u128, u128, u8) {
        match (self.first, self.last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            _ => unreachable!("IpRange families always match"),
        }
    }
}

/// An address as an unsigned integer (`u32` for IPv4, `u128` for IPv6), so that prefix
/// arithmetic is written once for both families.
pub trait AddrBits:
    sealed::Sealed
    + Copy
    + std::ops::Not<Output = Self>
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
{
    /// The width in bits.
    const BITS: u8;
    /// The mask of the low `n` bits, `n < BITS`.
    fn low_bits(n: u8) -> Self;
    /// All bits set.
    const ALL: Self;
}

impl AddrBits for u32 {
    const BITS: u8 = 32;
    const ALL: Self = u32::MAX;
    fn low_bits(n: u8) -> Self {
        (1u32 << n) - 1
    }
}

impl AddrBits for u128 {
    const BITS: u8 = 128;
    const ALL: Self = u128::MAX;
    fn low_bits(n: u8) -> Self {
        (1u128 << n) - 1
    }
}

mod sealed {
    /// Only `u32` and `u128` are addresses.
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for u128 {}
}

/// The first and last address of `addr/len`, or `None` when `len` exceeds the width.
///
/// ```
/// assert_eq!(tcptrace::prefix_bounds(0x0a01_0203u32, 8), Some((0x0a00_0000, 0x0aff_ffff)));
/// assert_eq!(tcptrace::prefix_bounds(5u128, 129), None);
/// ```
pub fn prefix_bounds<T: AddrBits>(addr: T, len: u8) -> Option<(T, T)> {
    let host = match len {
        0 => T::ALL,
        l if l <= T::BITS => T::low_bits(T::BITS - l),
        _ => return None,
    };
    Some((addr & !host, addr | host))
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len() {
            Some(len) => write!(f, "{}/{len}", self.first),
            None => write!(f, "{}-{}", self.first, self.last),
        }
    }
}

impl Serialize for IpRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a backend knows about the AS of an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct AsInfo {
    /// The origin AS number.
    pub asn: u32,
    /// The AS (or organisation) name, when the source has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "AsName", default))]
    pub name: Option<AsName>,
    /// The range over which this answer holds: the table row (or the piece of it left after
    /// more specific rows), or the BGP prefix an online service matched.
    pub range: IpRange,
    /// The country the source associates with the range or AS.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "CountryCode", default))]
    pub country: Option<CountryCode>,
    /// The regional registry (`arin`, `ripencc`, ...), when the source says.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "String", default))]
    pub registry: Option<String>,
    /// Which backend answered.
    pub source: Source,
}

impl AsInfo {
    /// A bare answer: an AS number over a range, from a source.
    pub fn new(asn: u32, range: IpRange, source: Source) -> Self {
        Self {
            asn,
            name: None,
            range,
            country: None,
            registry: None,
            source,
        }
    }

    /// Sets the name.
    #[must_use]
    pub fn with_name(mut self, name: Option<AsName>) -> Self {
        self.name = name;
        self
    }

    /// Sets the country.
    #[must_use]
    pub fn with_country(mut self, country: Option<CountryCode>) -> Self {
        self.country = country;
        self
    }

    /// Sets the registry (sanitised to at most 16 lowercase ASCII letters, digits and `-`).
    #[must_use]
    pub fn with_registry(mut self, registry: Option<&str>) -> Self {
        self.registry = registry.and_then(text::registry);
        self
    }

    /// The name, or `""` when there is none.
    pub fn name_or_empty(&self) -> &str {
        self.name.as_ref().map_or("", AsName::as_str)
    }
}

/// The answer for one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resolution {
    /// An AS announces the address.
    Found(AsInfo),
    /// No AS announces the address. `special` names the special-purpose range when that is
    /// why (answered locally, without a lookup).
    NotRouted {
        /// The special-purpose range the address is in, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "SpecialRange", default))]
        special: Option<SpecialRange>,
    },
    /// The backend cannot tell (no data for this family, or a per-address error from an
    /// online service).
    Unknown,
}

impl Resolution {
    /// The AS information when found.
    pub fn found(&self) -> Option<&AsInfo> {
        match self {
            Self::Found(info) => Some(info),
            _ => None,
        }
    }

    /// The AS number when found.
    pub fn asn(&self) -> Option<u32> {
        self.found().map(|i| i.asn)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn prefix_bounds_both_widths() {
        assert_eq!(
            prefix_bounds(0x0a01_0203u32, 8),
            Some((0x0a00_0000, 0x0aff_ffff))
        );
        assert_eq!(prefix_bounds(7u32, 0), Some((0, u32::MAX)));
        assert_eq!(prefix_bounds(7u32, 32), Some((7, 7)));
        assert_eq!(prefix_bounds(7u32, 33), None);
        assert_eq!(prefix_bounds(5u128, 0), Some((0, u128::MAX)));
        assert_eq!(prefix_bounds(5u128, 127), Some((4, 5)));
        assert_eq!(prefix_bounds(5u128, 128), Some((5, 5)));
        assert_eq!(prefix_bounds(5u128, 129), None);
    }

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn range_display_and_prefix_len() {
        let r = IpRange::from_prefix(ip("192.0.2.77"), 24).unwrap();
        assert_eq!(r.to_string(), "192.0.2.0/24");
        assert_eq!(r.prefix_len(), Some(24));
        let r = IpRange::new(ip("10.0.0.1"), ip("10.0.0.2")).unwrap();
        assert_eq!(r.to_string(), "10.0.0.1-10.0.0.2");
        assert_eq!(IpRange::v4(0, u32::MAX).prefix_len(), Some(0));
        assert_eq!(IpRange::v6(0, u128::MAX).prefix_len(), Some(0));
        assert_eq!(
            IpRange::from_prefix(ip("2001:db8::1"), 32)
                .unwrap()
                .to_string(),
            "2001:db8::/32"
        );
        assert!(IpRange::new(ip("10.0.0.2"), ip("10.0.0.1")).is_none());
        assert!(IpRange::new(ip("10.0.0.2"), ip("::1")).is_none());
        assert!(IpRange::from_prefix(ip("10.0.0.0"), 33).is_none());
    }

    #[test]
    fn to_prefixes_covers_exactly() {
        let r = IpRange::new(ip("1.0.0.1"), ip("1.0.1.0")).unwrap();
        let p = r.to_prefixes();
        assert_eq!(
            p.iter()
                .map(|(a, l)| format!("{a}/{l}"))
                .collect::<Vec<_>>(),
            [
                "1.0.0.1/32",
                "1.0.0.2/31",
                "1.0.0.4/30",
                "1.0.0.8/29",
                "1.0.0.16/28",
                "1.0.0.32/27",
                "1.0.0.64/26",
                "1.0.0.128/25",
                "1.0.1.0/32"
            ]
        );
        assert_eq!(
            IpRange::v4(0, u32::MAX).to_prefixes(),
            vec![(ip("0.0.0.0"), 0)]
        );
        assert_eq!(IpRange::v6(0, u128::MAX).to_prefixes(), vec![(ip("::"), 0)]);
        assert_eq!(
            IpRange::v6(u128::MAX, u128::MAX).to_prefixes(),
            vec![(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 128)]
        );
        assert_eq!(
            IpRange::v6(1 << 127, u128::MAX).to_prefixes(),
            vec![(ip("8000::"), 1)]
        );
    }

    proptest::proptest! {
        #[test]
        fn to_prefixes_is_exact_v4(a: u32, b: u32) {
            let (lo, hi) = (a.min(b), a.max(b));
            let ps = IpRange::v4(lo, hi).to_prefixes();
            let mut next = u64::from(lo);
            for (addr, len) in ps {
                let r = IpRange::from_prefix(addr, len).unwrap();
                let IpAddr::V4(first) = r.first() else { panic!() };
                let IpAddr::V4(last) = r.last() else { panic!() };
                proptest::prop_assert_eq!(u64::from(u32::from(first)), next);
                next = u64::from(u32::from(last)) + 1;
            }
            proptest::prop_assert_eq!(next, u64::from(hi) + 1);
        }

        #[test]
        fn to_prefixes_is_exact_v6(a: u128, b: u128) {
            let (lo, hi) = (a.min(b), a.max(b));
            let ps = IpRange::v6(lo, hi).to_prefixes();
            proptest::prop_assert!(ps.len() <= 256);
            let mut next = Some(lo);
            for (addr, len) in ps {
                let r = IpRange::from_prefix(addr, len).unwrap();
                let IpAddr::V6(first) = r.first() else { panic!() };
                let IpAddr::V6(last) = r.last() else { panic!() };
                proptest::prop_assert_eq!(Some(u128::from(first)), next);
                next = u128::from(last).checked_add(1);
            }
            proptest::prop_assert_eq!(next, hi.checked_add(1));
        }
    }
}
