//! The in-memory range table: sorted, disjoint ranges with binary search.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use rustc_hash::FxHashMap;

use super::parse::{self, RangeFormat, Row, Span};
use super::ranges::Ranges;
use super::{AsInfo, AsName, AsnError, AsnResolver, CountryCode, IpRange, Resolution, Source};

/// What a table row says (deduplicated across rows).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    asn: u32,
    name: Option<AsName>,
    country: Option<CountryCode>,
}

/// One row of a [`RangeTable`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableEntry<'a> {
    /// The AS number.
    pub asn: u32,
    /// The AS or organisation name.
    pub name: Option<&'a AsName>,
    /// The country, when the table has one.
    pub country: Option<CountryCode>,
    /// The range of the row (after overlaps were resolved).
    pub range: IpRange,
}

/// An offline AS table held as sorted ranges.
///
/// Loads ip-location-db CSV, iptoasn TSV and pyasn `.dat` files (see [`RangeFormat`]), for
/// IPv4 and IPv6, into one structure. Overlapping rows are flattened at load time: the most
/// specific row wins where rows nest (longest-prefix match), the later-starting row where
/// they merely overlap, and the later row in the file among identical ranges. Rows with AS 0
/// are holes ("not routed").
///
/// ```
/// use asn_lookup::{AsnResolver, RangeFormat, RangeTable};
///
/// # fn main() -> Result<(), asn_lookup::AsnError> {
/// let csv = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n2001:db8::,2001:db8::ffff,64500,Example\n";
/// let table = RangeTable::from_reader(csv.as_bytes(), RangeFormat::Csv)?;
/// let hit = table.lookup("1.0.0.7".parse().unwrap()).unwrap();
/// assert_eq!(hit.asn, 13335);
/// assert_eq!(hit.name.unwrap().as_str(), "Cloudflare, Inc.");
/// assert!(table.lookup("1.0.1.0".parse().unwrap()).is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RangeTable {
    ranges: Ranges,
    entries: Vec<Entry>,
    by_asn: FxHashMap<u32, u32>,
    source: Source,
}

impl RangeTable {
    /// A builder, to load several files (for example the IPv4 and IPv6 halves of
    /// ip-location-db) into one table.
    pub fn builder() -> RangeTableBuilder {
        RangeTableBuilder::default()
    }

    /// Loads one file of the given format.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`] when the file cannot be read, [`AsnError::Malformed`] with the line
    /// number for a bad line.
    pub fn open(path: impl AsRef<Path>, format: RangeFormat) -> Result<Self, AsnError> {
        Ok(Self::builder().add_file(path, format)?.build())
    }

    /// Loads a table from a reader (`<memory>` stands for the path in errors).
    ///
    /// # Errors
    ///
    /// As for [`RangeTable::open`].
    pub fn from_reader(reader: impl BufRead, format: RangeFormat) -> Result<Self, AsnError> {
        let mut b = Self::builder();
        b.add_reader(reader, format, Path::new("<memory>"))?;
        Ok(b.build())
    }

    /// Number of IPv4 ranges.
    pub fn len_v4(&self) -> usize {
        self.ranges.len_v4()
    }

    /// Number of IPv6 ranges.
    pub fn len_v6(&self) -> usize {
        self.ranges.len_v6()
    }

    /// Number of distinct (AS, name, country) entries.
    pub fn distinct_entries(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no ranges.
    pub fn is_empty(&self) -> bool {
        self.ranges.len_v4() == 0 && self.ranges.len_v6() == 0
    }

    /// The source that loaded the table (the first file's format).
    pub fn source(&self) -> Source {
        self.source
    }

    /// The row that covers `ip` (IPv4-mapped IPv6 addresses are looked up as IPv4). This is
    /// the fast path: no allocation, no special-range check.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<TableEntry<'_>> {
        match ip.to_canonical() {
            IpAddr::V4(a) => self.lookup_v4(a),
            IpAddr::V6(a) => self.lookup_v6(a),
        }
    }

    /// [`RangeTable::lookup`] for IPv4.
    #[inline]
    pub fn lookup_v4(&self, ip: Ipv4Addr) -> Option<TableEntry<'_>> {
        let (val, range) = self.ranges.find_v4(ip)?;
        Some(self.entry_at(val, range))
    }

    /// [`RangeTable::lookup`] for IPv6 (no IPv4-mapped handling).
    #[inline]
    pub fn lookup_v6(&self, ip: Ipv6Addr) -> Option<TableEntry<'_>> {
        let (val, range) = self.ranges.find_v6(ip)?;
        Some(self.entry_at(val, range))
    }

    #[inline]
    fn entry_at(&self, val: u32, range: IpRange) -> TableEntry<'_> {
        let e = &self.entries[val as usize];
        TableEntry {
            asn: e.asn,
            name: e.name.as_ref(),
            country: e.country,
            range,
        }
    }

    /// Every row, IPv4 first, in address order.
    pub fn rows(&self) -> impl Iterator<Item = TableEntry<'_>> + '_ {
        self.ranges
            .rows()
            .map(|(val, range)| self.entry_at(val, range))
    }

    /// Writes the table as a pyasn `.dat` prefix file (ranges split into CIDR prefixes).
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_pyasn(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "; IP-ASN32-DAT file")?;
        writeln!(out, "; written by asn-lookup from a range table")?;
        for row in self.rows() {
            for (addr, len) in row.range.to_prefixes() {
                writeln!(out, "{addr}/{len}\t{}", row.asn)?;
            }
        }
        Ok(())
    }

    fn family_present(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(_) => self.ranges.len_v4() > 0,
            IpAddr::V6(_) => self.ranges.len_v6() > 0,
        }
    }
}

impl AsnResolver for RangeTable {
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        if let Some(local) = super::local_answer(ip) {
            return Ok(local);
        }
        let ip = ip.to_canonical();
        Ok(match self.lookup(ip) {
            Some(e) => Resolution::Found(
                AsInfo::new(e.asn, e.range, self.source)
                    .with_name(e.name.cloned())
                    .with_country(e.country),
            ),
            None if self.family_present(ip) => Resolution::NotRouted { special: None },
            None => Resolution::Unknown,
        })
    }

    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        Ok(self
            .by_asn
            .get(&asn)
            .and_then(|&i| self.entries[i as usize].name.clone()))
    }
}

/// Loads rows from one or more files into a [`RangeTable`].
#[derive(Debug, Default)]
pub struct RangeTableBuilder {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
    names: FxHashMap<Box<[u8]>, u32>,
    name_list: Vec<Option<AsName>>,
    /// The last entry id + 1 seen for each AS number below [`ASN_HINTS`] (0: none), so that
    /// most rows find their entry without hashing their name.
    asn_hint: Vec<u32>,
    entry_ids: FxHashMap<(u32, u32, Option<CountryCode>), u32>,
    entries: Vec<Entry>,
    source: Option<Source>,
}

impl RangeTableBuilder {
    /// Adds every row of a file.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`], [`AsnError::Malformed`] (with the line number), or
    /// [`AsnError::EmptyDatabase`] for a file without a single range.
    pub fn add_file(
        mut self,
        path: impl AsRef<Path>,
        format: RangeFormat,
    ) -> Result<Self, AsnError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| AsnError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.add_reader(BufReader::with_capacity(256 * 1024, file), format, path)?;
        Ok(self)
    }

    /// Adds every row read from `reader`; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// As for [`RangeTableBuilder::add_file`].
    pub fn add_reader(
        &mut self,
        reader: impl BufRead,
        format: RangeFormat,
        path: &Path,
    ) -> Result<(), AsnError> {
        self.source.get_or_insert(match format {
            RangeFormat::Csv => Source::RangeCsv,
            RangeFormat::IptoasnTsv => Source::IptoasnTsv,
            RangeFormat::Pyasn => Source::Pyasn,
        });
        let mut name = Vec::with_capacity(128);
        // The last entry, since consecutive rows often share it.
        let mut last: Option<(u32, Vec<u8>, Option<CountryCode>, u32)> = None;
        parse::for_each_row(reader, path, format != RangeFormat::Pyasn, |line| {
            let Some(row) = parse::parse_line(format, line, &mut name)? else {
                return Ok(false);
            };
            let id = match &last {
                Some((asn, n, cc, id))
                    if *asn == row.asn && *cc == row.country && n[..] == name[..] =>
                {
                    *id
                }
                _ => {
                    let id = self.entry_id(&row, &name);
                    match &mut last {
                        Some(l) => {
                            l.0 = row.asn;
                            l.1.clear();
                            l.1.extend_from_slice(&name);
                            l.2 = row.country;
                            l.3 = id;
                        }
                        None => last = Some((row.asn, name.clone(), row.country, id)),
                    }
                    id
                }
            };
            match row.span {
                Span::V4(a, b) => self.v4.push((a, b, id)),
                Span::V6(a, b) => self.v6.push((a, b, id)),
            }
            Ok(true)
        })
    }

    fn entry_id(&mut self, row: &Row, name: &[u8]) -> u32 {
        let slot = row.asn as usize;
        if let Some(&hint) = self.asn_hint.get(slot)
            && let Some(e) = hint
                .checked_sub(1)
                .and_then(|i| self.entries.get(i as usize))
        {
            let same_name = match &e.name {
                Some(n) => row.has_name && n.as_str().as_bytes() == name,
                None => !row.has_name,
            };
            if same_name && e.country == row.country {
                return hint - 1;
            }
        }
        let id = self.entry_id_slow(row, name);
        if slot < ASN_HINTS {
            if self.asn_hint.len() <= slot {
                self.asn_hint.resize(slot + 1, 0);
            }
            self.asn_hint[slot] = id.saturating_add(1);
        }
        id
    }

    fn entry_id_slow(&mut self, row: &Row, name: &[u8]) -> u32 {
        // Name id 0 is "no name".
        if self.name_list.is_empty() {
            self.name_list.push(None);
        }
        let name_id = if row.has_name {
            if let Some(&id) = self.names.get(name) {
                id
            } else {
                let id = u32::try_from(self.name_list.len()).unwrap_or(0);
                self.name_list.push(AsName::from_bytes(name));
                self.names.insert(name.into(), id);
                id
            }
        } else {
            0
        };
        let key = (row.asn, name_id, row.country);
        if let Some(&id) = self.entry_ids.get(&key) {
            return id;
        }
        let id = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry {
            asn: key.0,
            name: self.name_list[name_id as usize].clone(),
            country: key.2,
        });
        self.entry_ids.insert(key, id);
        id
    }

    /// Sorts and flattens the rows into a table.
    pub fn build(self) -> RangeTable {
        let entries = self.entries;
        let ranges = Ranges::build(self.v4, self.v6, |id| entries[id as usize].asn == 0);
        let mut by_asn = FxHashMap::default();
        for (id, e) in entries.iter().enumerate() {
            if e.name.is_some() {
                by_asn.entry(e.asn).or_insert(id as u32);
            }
        }
        RangeTable {
            ranges,
            entries,
            by_asn,
            source: self.source.unwrap_or(Source::RangeCsv),
        }
    }
}

/// AS numbers below this get a direct-indexed entry hint while loading (4 MiB at most).
const ASN_HINTS: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    use std::fmt::Write as _;

    fn table(text: &str, format: RangeFormat) -> RangeTable {
        RangeTable::from_reader(text.as_bytes(), format).unwrap()
    }

    fn asn(t: &RangeTable, ip: &str) -> Option<u32> {
        t.lookup(ip.parse().unwrap()).map(|e| e.asn)
    }

    #[test]
    fn edges_and_gaps() {
        let t = table(
            "1.0.0.0,1.0.0.255,1,a\n1.0.1.0,1.0.1.0,2,b\n1.0.2.0,1.0.3.255,3,c\n",
            RangeFormat::Csv,
        );
        assert_eq!(asn(&t, "0.255.255.255"), None);
        assert_eq!(asn(&t, "1.0.0.0"), Some(1));
        assert_eq!(asn(&t, "1.0.0.255"), Some(1));
        assert_eq!(asn(&t, "1.0.1.0"), Some(2));
        assert_eq!(asn(&t, "1.0.1.1"), None);
        assert_eq!(asn(&t, "1.0.3.255"), Some(3));
        assert_eq!(asn(&t, "1.0.4.0"), None);
        assert_eq!(asn(&t, "255.255.255.255"), None);
        assert_eq!(asn(&t, "::ffff:1.0.0.3"), Some(1));
        assert_eq!(
            t.resolve("1.0.1.1".parse().unwrap()).unwrap(),
            Resolution::NotRouted { special: None }
        );
        assert_eq!(
            t.resolve("2600::".parse().unwrap()).unwrap(),
            Resolution::Unknown
        );
        assert_eq!(t.as_name(3).unwrap().unwrap().as_str(), "c");
        assert_eq!(t.as_name(9).unwrap(), None);
    }

    #[test]
    fn extremes_of_the_space() {
        let t = table(
            "0.0.0.0,0.0.0.0,1,a\n255.255.255.255,255.255.255.255,2,b\n",
            RangeFormat::Csv,
        );
        assert_eq!(asn(&t, "0.0.0.0"), Some(1));
        assert_eq!(asn(&t, "255.255.255.255"), Some(2));
        assert_eq!(asn(&t, "0.0.0.1"), None);
        let t = table(
            "::,::,1\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,2\n",
            RangeFormat::Csv,
        );
        assert_eq!(asn(&t, "::"), Some(1));
        assert_eq!(asn(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Some(2));
    }

    #[test]
    fn longest_prefix_wins() {
        let dat = "; pyasn\n10.0.0.0/8\t1\n10.1.0.0/16\t2\n10.1.2.0/24\t3\n10.1.2.128/25\t0\n0.0.0.0/0\t9\n";
        let t = table(dat, RangeFormat::Pyasn);
        assert_eq!(asn(&t, "10.0.0.1"), Some(1));
        assert_eq!(asn(&t, "10.1.0.1"), Some(2));
        assert_eq!(asn(&t, "10.1.2.1"), Some(3));
        assert_eq!(asn(&t, "10.1.2.200"), None, "AS 0 punches a hole");
        assert_eq!(asn(&t, "10.1.3.0"), Some(2));
        assert_eq!(asn(&t, "10.2.0.0"), Some(1));
        assert_eq!(asn(&t, "11.0.0.0"), Some(9));
        assert_eq!(asn(&t, "9.255.255.255"), Some(9));
        assert_eq!(asn(&t, "255.255.255.255"), Some(9));
        let r = t.lookup("10.1.3.0".parse().unwrap()).unwrap().range;
        assert_eq!(r.to_string(), "10.1.3.0-10.1.255.255");
    }

    #[test]
    fn partial_overlap_later_start_wins() {
        let t = table("1.0.0.0,1.0.0.10,1\n1.0.0.5,1.0.0.20,2\n", RangeFormat::Csv);
        assert_eq!(asn(&t, "1.0.0.4"), Some(1));
        assert_eq!(asn(&t, "1.0.0.5"), Some(2));
        assert_eq!(asn(&t, "1.0.0.20"), Some(2));
        assert_eq!(asn(&t, "1.0.0.21"), None);
        let t = table("1.0.0.0,1.0.0.10,1\n1.0.0.0,1.0.0.10,2\n", RangeFormat::Csv);
        assert_eq!(asn(&t, "1.0.0.3"), Some(2), "the later duplicate wins");
    }

    #[test]
    fn ipv6_longest_prefix() {
        let t = table(
            "2001:db8::/32\t1\n2001:db8:1::/48\t2\n::/0\t3\n",
            RangeFormat::Pyasn,
        );
        assert_eq!(asn(&t, "2001:db8:1::5"), Some(2));
        assert_eq!(asn(&t, "2001:db8:2::5"), Some(1));
        assert_eq!(asn(&t, "ffff::"), Some(3));
        assert_eq!(asn(&t, "::"), Some(3));
    }

    #[test]
    fn names_are_interned_and_sanitised() {
        let t = table(
            "1.0.0.0,1.0.0.1,1,\"A\x1bB\"\n1.0.0.2,1.0.0.3,1,\"A\x1bB\"\n1.0.0.4,1.0.0.5,2,\"A\x1bB\"\n",
            RangeFormat::Csv,
        );
        assert_eq!(t.distinct_entries(), 2);
        let a = t.lookup("1.0.0.0".parse().unwrap()).unwrap().name.unwrap();
        let b = t.lookup("1.0.0.4".parse().unwrap()).unwrap().name.unwrap();
        assert_eq!(a.as_str(), "A\u{fffd}B");
        assert!(
            std::ptr::eq(a.as_str(), b.as_str()),
            "one allocation per distinct name"
        );
    }

    #[test]
    fn malformed_lines_carry_the_line_number() {
        let err = RangeTable::from_reader(
            &b"start,end,asn,org\n1.0.0.0,1.0.0.1,1,x\n\nbad line\n"[..],
            RangeFormat::Csv,
        )
        .unwrap_err();
        match err {
            AsnError::Malformed { line, path, .. } => {
                assert_eq!(line, 4);
                assert_eq!(path, Path::new("<memory>"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err_line("1.0.0.0,1.0.0.1,1,x\n1.0.0.0,1.0.0.1,1,\"x\n") == 2);
    }

    fn err_line(text: &str) -> u64 {
        match RangeTable::from_reader(text.as_bytes(), RangeFormat::Csv) {
            Err(AsnError::Malformed { line, .. }) => line,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn write_pyasn_round_trips() {
        let t = table(
            "1.0.0.1,1.0.1.0,5,x\n2001:db8::,2001:db8::1:0,6,y\n",
            RangeFormat::Csv,
        );
        let mut out = Vec::new();
        t.write_pyasn(&mut out).unwrap();
        let back = RangeTable::from_reader(&out[..], RangeFormat::Pyasn).unwrap();
        for ip in [
            "1.0.0.0",
            "1.0.0.1",
            "1.0.0.200",
            "1.0.1.0",
            "1.0.1.1",
            "2001:db8::",
            "2001:db8::1:0",
            "2001:db8::1:1",
        ] {
            assert_eq!(asn(&back, ip), asn(&t, ip), "{ip}");
        }
    }

    /// Rows near the ends of the space too, so that successor/predecessor overflow is covered.
    fn edge_value(x: u8, top: u128) -> u128 {
        if x < 128 {
            u128::from(x)
        } else {
            top - u128::from(255 - x)
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_overlaps_follow_the_documented_rule(
            rows in proptest::collection::vec((0u8..=255, 0u8..=255, 0u32..4), 1..12),
            probes in proptest::collection::vec(0u8..=255, 1..16),
            v6 in proptest::prelude::any::<bool>(),
        ) {
            let top = if v6 { u128::MAX } else { u128::from(u32::MAX) };
            let rows: Vec<(u128, u128, u32)> = rows
                .into_iter()
                .map(|(a, b, v)| {
                    let (a, b) = (edge_value(a, top), edge_value(b, top));
                    (a.min(b), a.max(b), v)
                })
                .collect();
            let addr = |x: u128| -> String {
                if v6 { Ipv6Addr::from(x).to_string() } else { Ipv4Addr::from(x as u32).to_string() }
            };
            let mut text = String::new();
            for (a, b, v) in &rows {
                writeln!(text, "{},{},{v},n{v}", addr(*a), addr(*b)).unwrap();
            }
            let t = RangeTable::from_reader(text.as_bytes(), RangeFormat::Csv).unwrap();
            for p in probes {
                let x = edge_value(p, top);
                // Among the rows containing x: the latest start, then the narrowest, then the
                // later in the file. AS 0 rows are holes.
                let want = rows
                    .iter()
                    .enumerate()
                    .filter(|(_, (a, b, _))| *a <= x && x <= *b)
                    .max_by_key(|(i, (a, b, _))| (*a, std::cmp::Reverse(*b), *i))
                    .map(|(_, r)| r.2)
                    .filter(|v| *v != 0);
                let got = t.lookup(addr(x).parse().unwrap()).map(|e| e.asn);
                proptest::prop_assert_eq!(got, want, "probe {}", addr(x));
            }
            // Rows come out sorted and disjoint.
            let mut prev: Option<IpAddr> = None;
            for row in t.rows() {
                if let Some(p) = prev {
                    proptest::prop_assert!(p < row.range.first());
                }
                prev = Some(row.range.last());
            }
        }

        #[test]
        fn flatten_matches_most_specific(
            rows in proptest::collection::vec((0u32..64, 0u32..6, 1u32..5), 1..20),
            probe in 0u32..80,
        ) {
            // Prefix-like rows: aligned blocks of size 2^k.
            let rows: Vec<(u32, u32, u32)> = rows
                .into_iter()
                .map(|(a, k, v)| { let size = 1u32 << k; let s = a / size * size; (s, s + size - 1, v) })
                .collect();
            let mut text = String::new();
            for (s, e, v) in &rows {
                writeln!(text, "{s},{e},{v}").unwrap();
            }
            let t = RangeTable::from_reader(text.as_bytes(), RangeFormat::Csv).unwrap();
            // Reference: the smallest row containing the probe; among equals the last one.
            let want = rows
                .iter()
                .enumerate()
                .filter(|(_, (s, e, _))| *s <= probe && probe <= *e)
                .min_by_key(|(i, (s, e, _))| (e - s, usize::MAX - i))
                .map(|(_, r)| r.2);
            let got = t.lookup(IpAddr::V4(Ipv4Addr::from(probe))).map(|e| e.asn);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
