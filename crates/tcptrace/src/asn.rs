//! AS resolution: which autonomous system announces an address.
//!
//! Every backend implements one trait, [`AsnResolver`]. It answers each address with a
//! [`Resolution`]: [`Found`](Resolution::Found) with an [`AsInfo`] (AS number, name, the range
//! over which the answer holds, country and registry where known, and which [`Source`]
//! answered), [`NotRouted`](Resolution::NotRouted), or [`Unknown`](Resolution::Unknown).
//!
//! # Special addresses
//!
//! Private and special-purpose addresses (RFC 1918, CGN `100.64.0.0/10`, loopback, link-local,
//! the documentation and benchmarking ranges, multicast, ULA `fc00::/7`, `fe80::/10`,
//! `2001:db8::/32` and the rest of the IANA special-purpose registries) are answered locally as
//! `NotRouted` with the [`SpecialRange`] that matched, by every backend, before any table lookup
//! or query. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
//!
//! # Offline backends
//!
//! | Format | Type | Notes |
//! |---|---|---|
//! | ip-location-db `asn` CSV: `start,end,asn,"org"` | [`RangeTable`] | dotted, IPv6 or decimal bounds; RFC 4180 quoting |
//! | iptoasn TSV: `start end asn country description` | [`RangeTable`] | AS 0 / `Not routed` rows are gaps |
//! | pyasn `.dat`: `prefix<TAB>asn`, `;` comments | [`RangeTable`] | longest-prefix match |
//! | `MaxMind` MMDB, `GeoLite2-ASN` layout | [`MmdbDatabase`] | `autonomous_system_number` / `_organization` |
//!
//! [`open_database`] picks the backend from the file's content (falling back on its extension).
//! [`RangeTable`] flattens every table into sorted, disjoint ranges at load time, so that
//! overlapping rows resolve to the most specific one (longest-prefix match for prefixes), and
//! a lookup is a binary search over `u32` (IPv4, narrowed first by a 64 Ki-entry index on the
//! top 16 bits) or `u128` (IPv6) range starts. Names are interned once per distinct
//! organisation. An address in a gap of a table that has rows of its family is `NotRouted`;
//! one of a family the table has no rows for is `Unknown`.
//!
//! The full ip-location-db table ships in the npm package `@ip-location-db/asn` (CC BY 4.0,
//! built from RouteViews, DB-IP and the RIRs' data): load its `asn-ipv4.csv` and
//! `asn-ipv6.csv` (or the `-num` variants) into one [`RangeTable`] with
//! [`RangeTable::builder`]. Loading both takes about 0.2 s of CPU and 35 MiB, and a lookup is
//! a few tens of nanoseconds (see `cargo bench --bench asn`).
//!
//! # Online backends
//!
//! [`WhoisResolver`] speaks to whois servers over TCP port 43, with a connect timeout, a read
//! timeout, one deadline over the whole batch and a bound on the reply size (defaults under
//! [Accounting for every address](#accounting-for-every-address)):
//!
//! - Team Cymru bulk whois (`begin` / `verbose` / addresses / `end`, one connection per batch);
//! - RIPE RIS whois (`riswhois.ripe.net`, `route:` / `origin:` / `descr:` objects);
//! - RADB (`whois.radb.net`, `route:` / `route6:` objects with `origin:` and `descr:`; the
//!   most specific matching route wins).
//!
//! The parsers are plain functions over the reply text and never panic on unexpected text.
//! [`online_resolver`] builds one from a service name (`cymru`, `ris`, `radb`) and an optional
//! `HOST:PORT` override.
//!
//! # Combinators
//!
//! - [`Chain`] asks its backends in order and passes on only the addresses that are still
//!   unresolved (`Unknown`, or `NotRouted` by a table that merely has no row for them), like
//!   scapy's `AS_resolver_multi`.
//! - [`Cache`] remembers every `Found` answer under the range it covers, so that one answer
//!   serves its whole block. An online service answers with the prefix it matched; a more
//!   specific prefix inside it announced by another AS and not yet queried is then answered
//!   from the wider entry — the usual trade of prefix caches.
//!
//! # Accounting for every address
//!
//! [`AsnResolver::resolve_batch`] never fails as a whole: its [`BatchReport`] has one
//! [`Outcome`] per address given, in order, either resolved (an [`AsInfo`]) or unresolved
//! with an [`UnresolvedReason`]: `Special`, `NotAnnounced` or `NoData` when the backends
//! answered, and for failures `Deadline`, `Unreachable`, `Reset` (a reply cut by a reset is
//! never taken as complete), `BadReply` (garbage, cut short by a clean close, over the size
//! bound), `BackendFailed`, and `NotAsked` for the addresses a whois batch never sent because
//! an earlier exchange failed; each failure carries its [`AsnError`]. [`BatchReport::tally`]
//! counts them ([`BatchTally`]: given = resolved + unresolved by reason). A whois batch keeps
//! the answers that came before its first failure; a [`Chain`] passes failed addresses on to
//! its later backends and keeps every earlier answer. [`AsnResolver::resolve_many`] is the
//! strict form: it fails when any address failed.
//!
//! Whois defaults ([`WhoisResolver::builder`]): 5 s to connect, 10 s of silence while
//! reading, 30 s for the whole batch (name lookup, connects, every query and reply), replies
//! of at most 4 MiB, 1000 addresses per Team Cymru bulk query, 4 connections at once for RIS
//! and RADB (one query per address). A server that is silent, dead or resets therefore costs
//! a batch at most its deadline, not a timeout per address: 40 addresses against a silent RIS
//! server end after one read timeout with 1 to 4 addresses `Deadline` and the rest
//! `NotAsked`.
//!
//! # Untrusted text
//!
//! AS names, registries and countries come from files and servers that we do not control.
//! [`AsName`] keeps names as plain text: control characters (C0, C1, bidirectional overrides,
//! line and paragraph separators) become U+FFFD, invalid UTF-8 is replaced, surrounding white
//! space is trimmed and the length is bounded to [`AsName::MAX_CHARS`] characters. Consumers
//! must still escape them for their own output format (routeviz does).
//!
//! # Annotating traces
//!
//! [`annotate`] resolves every distinct reply address of a [`TraceReport`] in one batch and
//! fills `asn` and `as_name` of each [`Reply`](crate::Reply); [`AnnotateStats::tally`] counts
//! the addresses, and when any failed it returns [`AsnError::Incomplete`] with the count
//! (the resolved replies are filled all the same).
//!
//! ```no_run
//! use tcptrace::{AsnResolver, Resolution, open_database};
//!
//! # fn main() -> Result<(), tcptrace::AsnError> {
//! let db = open_database("target/data/ip-location-db-asn/package/asn-ipv4.csv")?;
//! match db.resolve("1.1.1.1".parse().unwrap())? {
//!     Resolution::Found(info) => println!("AS{} {}", info.asn, info.name_or_empty()),
//!     Resolution::NotRouted { .. } => println!("not routed"),
//!     _ => println!("unknown"),
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::TraceReport;

mod batch;
mod combinator;
mod detect;
mod mmdb;
mod parse;
mod special;
mod table;
mod text;
mod whois;

pub use batch::{AddressOutcome, BatchReport, BatchTally, Outcome, UnresolvedReason};
pub use combinator::{Cache, Chain};
pub use detect::{DatabaseFormat, detect_format, open_database};
pub use mmdb::MmdbDatabase;
pub use parse::RangeFormat;
pub use special::{SpecialRange, special_range};
pub use table::{RangeTable, RangeTableBuilder, TableEntry};
pub use text::{AsName, CountryCode};
pub use whois::{WhoisBuilder, WhoisResolver, WhoisService, online_resolver};

/// The errors of AS resolution: loading a database, or asking a whois service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsnError {
    /// A database file could not be opened or read.
    #[error("reading AS database {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a range or prefix table is malformed.
    #[error("{path}:{line}: {reason}")]
    Malformed {
        /// The file (`<memory>` when parsed from a buffer).
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong with the line.
        reason: String,
    },
    /// The file's format could not be recognised.
    #[error("{path}: unrecognised AS database format ({hint})")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What was seen.
        hint: String,
    },
    /// An MMDB file is corrupt or not of the GeoLite2-ASN layout.
    #[error("MMDB {path}: {message}")]
    Mmdb {
        /// The file.
        path: PathBuf,
        /// The maxminddb reader's message.
        message: String,
    },
    /// A whois server address (`HOST:PORT`) could not be parsed or resolved.
    #[error("whois server {server:?}: {reason}")]
    BadServer {
        /// The address as given.
        server: String,
        /// Why it is not usable.
        reason: String,
    },
    /// No connection to a whois server could be made before the connect timeout.
    #[error("connecting to whois server {server}: {source}")]
    Connect {
        /// The server.
        server: String,
        /// The last connection error.
        #[source]
        source: std::io::Error,
    },
    /// A whois exchange failed after connecting.
    #[error("whois exchange with {server}: {source}")]
    WhoisIo {
        /// The server.
        server: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A whois server did not finish its reply before the deadline.
    #[error("whois server {server} did not answer within {deadline:?}")]
    Timeout {
        /// The server.
        server: String,
        /// The time allowed for the whole exchange.
        deadline: Duration,
    },
    /// A whois reply exceeded the size limit.
    #[error("whois server {server} sent more than {limit} bytes")]
    ReplyTooLarge {
        /// The server.
        server: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A whois reply could not be understood at all, or was cut short.
    #[error("whois server {server}: {reason}")]
    Protocol {
        /// The server.
        server: String,
        /// What was wrong.
        reason: String,
    },
    /// An online backend name other than `cymru`, `ris` or `radb`.
    #[error("unknown whois service {name:?} (expected cymru, ris or radb)")]
    UnknownService {
        /// The name as given.
        name: String,
    },
    /// A database file holds no range at all (empty, or only headers and comments), in any
    /// format; an empty MMDB file is this too.
    #[error("AS database {path} is empty: it holds no range")]
    EmptyDatabase {
        /// The file.
        path: PathBuf,
    },
    /// A builder was given an invalid setting.
    #[error("invalid setting: {0}")]
    Config(String),
    /// [`annotate`] could not resolve every address: `failed` of the `given` distinct
    /// addresses failed (the others are annotated).
    #[error("{failed} of {given} addresses unresolved: {source}")]
    Incomplete {
        /// Distinct addresses that failed.
        failed: usize,
        /// Distinct addresses asked.
        given: usize,
        /// The first failure.
        #[source]
        source: Box<AsnError>,
    },
}

/// Which backend produced an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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

    pub(crate) fn v4(first: u32, last: u32) -> Self {
        Self {
            first: IpAddr::V4(Ipv4Addr::from(first)),
            last: IpAddr::V4(Ipv4Addr::from(last)),
        }
    }

    pub(crate) fn v6(first: u128, last: u128) -> Self {
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
pub(crate) trait AddrBits:
    Copy
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

/// The first and last address of `addr/len`, or `None` when `len` exceeds the width.
pub(crate) fn prefix_bounds<T: AddrBits>(addr: T, len: u8) -> Option<(T, T)> {
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
#[non_exhaustive]
pub struct AsInfo {
    /// The origin AS number.
    pub asn: u32,
    /// The AS (or organisation) name, when the source has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<AsName>,
    /// The range over which this answer holds: the table row (or the piece of it left after
    /// more specific rows), or the BGP prefix an online service matched.
    pub range: IpRange,
    /// The country the source associates with the range or AS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// The regional registry (`arin`, `ripencc`, ...), when the source says.
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// A source of AS data for addresses.
///
/// Implementations answer special-purpose addresses locally (see [`special_range`]) and treat
/// IPv4-mapped IPv6 addresses as IPv4.
///
/// An implementation provides [`AsnResolver::resolve`] or [`AsnResolver::resolve_many`] (each
/// defaults to the other), and [`AsnResolver::resolve_batch`] when it can tell failed addresses
/// apart (then `resolve_many` is `resolve_batch(ips).into_result()`).
pub trait AsnResolver {
    /// Resolves one address. The default asks [`AsnResolver::resolve_many`].
    ///
    /// # Errors
    ///
    /// Online backends fail when the service cannot be reached or its reply is unusable as a
    /// whole; offline backends fail only on a corrupt database.
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        self.resolve_many(&[ip])
            .map(|mut v| v.pop().unwrap_or(Resolution::Unknown))
    }

    /// Resolves many addresses; the answers are in the order of `ips`. Online backends send
    /// one batch query where the service allows it. The default asks
    /// [`AsnResolver::resolve`] for each.
    ///
    /// # Errors
    ///
    /// As for [`AsnResolver::resolve`]: the whole batch fails.
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        ips.iter().map(|&ip| self.resolve(ip)).collect()
    }

    /// Resolves many addresses and accounts for every one: the report has one
    /// [`Outcome`] per address, in the order of `ips`, resolved or unresolved with its
    /// [`UnresolvedReason`]. It never fails as a whole. The default asks
    /// [`AsnResolver::resolve_many`] and, when that fails, reports every address that is not
    /// special-purpose as unresolved with that error; [`WhoisResolver`] and [`Chain`] keep the
    /// answers that came before a failure and tell failed addresses from those never asked.
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        BatchReport::from_result(ips, self.resolve_many(ips))
    }

    /// The name of AS `asn`, when the backend knows it.
    ///
    /// # Errors
    ///
    /// As for [`AsnResolver::resolve`].
    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError>;
}

impl<R: AsnResolver + ?Sized> AsnResolver for Box<R> {
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        (**self).resolve(ip)
    }
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        (**self).resolve_many(ips)
    }
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        (**self).resolve_batch(ips)
    }
    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        (**self).as_name(asn)
    }
}

impl<R: AsnResolver + ?Sized> AsnResolver for Arc<R> {
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        (**self).resolve(ip)
    }
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        (**self).resolve_many(ips)
    }
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        (**self).resolve_batch(ips)
    }
    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        (**self).as_name(asn)
    }
}

impl<R: AsnResolver + ?Sized> AsnResolver for &R {
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        (**self).resolve(ip)
    }
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        (**self).resolve_many(ips)
    }
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        (**self).resolve_batch(ips)
    }
    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        (**self).as_name(asn)
    }
}

/// How many replies [`annotate`] labelled, and what became of each distinct address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnnotateStats {
    /// Distinct reply addresses resolved.
    pub addresses: usize,
    /// Replies that got an AS number.
    pub found: usize,
    /// Replies whose address is not routed (special-purpose ranges included).
    pub not_routed: usize,
    /// Replies the resolver could not tell about (failures included).
    pub unknown: usize,
    /// The batch of distinct addresses: given, resolved, unresolved by reason.
    pub tally: BatchTally,
}

/// Fills `asn` and `as_name` of every reply in `report`, resolving each distinct address once,
/// in one [`AsnResolver::resolve_batch`].
///
/// Replies that are not found get `asn: None` and `as_name: None`.
///
/// # Errors
///
/// [`AsnError::Incomplete`] when the resolver failed on any address (a dead or silent whois
/// server): the replies whose address was resolved are annotated all the same, and the error
/// counts the rest and carries the first failure.
pub fn annotate(
    report: &mut TraceReport,
    resolver: &dyn AsnResolver,
) -> Result<AnnotateStats, AsnError> {
    let mut addrs: Vec<IpAddr> = report
        .traces
        .iter()
        .flat_map(|t| t.hops.iter())
        .flat_map(|h| h.replies.iter().map(|r| r.from))
        .collect();
    addrs.sort_unstable();
    addrs.dedup();
    let batch = resolver.resolve_batch(&addrs);
    let tally = batch.tally();
    let answers = batch.resolutions();
    let mut stats = AnnotateStats {
        addresses: addrs.len(),
        ..AnnotateStats::default()
    };
    for reply in report
        .traces
        .iter_mut()
        .flat_map(|t| t.hops.iter_mut())
        .flat_map(|h| h.replies.iter_mut())
    {
        let answer = addrs
            .binary_search(&reply.from)
            .ok()
            .and_then(|i| answers.get(i));
        match answer {
            Some(Resolution::Found(info)) => {
                reply.asn = Some(info.asn);
                reply.as_name = info.name.as_ref().map(|n| n.as_str().to_owned());
                stats.found += 1;
            }
            Some(Resolution::NotRouted { .. }) => {
                reply.asn = None;
                reply.as_name = None;
                stats.not_routed += 1;
            }
            _ => {
                reply.asn = None;
                reply.as_name = None;
                stats.unknown += 1;
            }
        }
    }
    if tally.failed() > 0 {
        let failed = tally.failed();
        let given = tally.given;
        return Err(match batch.into_result() {
            Err(source) => AsnError::Incomplete {
                failed,
                given,
                source: Box::new(source),
            },
            Ok(_) => AsnError::Config("the batch failed".into()),
        });
    }
    stats.tally = tally;
    Ok(stats)
}

/// Resolves special-purpose addresses locally; `None` means "look it up".
pub(crate) fn local_answer(ip: IpAddr) -> Option<Resolution> {
    special_range(ip).map(|s| Resolution::NotRouted { special: Some(s) })
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
