//! The in-memory geography table: ip-location-db country and city CSV rows as sorted ranges,
//! each pointing at one of the distinct places.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::Path;

use rustc_hash::FxHashMap;

use super::csv::{Fields, GeoRow, parse_geo_line};
use crate::parse::{self, Span};
use crate::ranges::Ranges;
use crate::{AsnError, Geo, IpRange};

/// The value of a row that is a hole (no country).
const HOLE: u32 = u32::MAX;

/// An ip-location-db geography table (`geolite2-country`, `geolite2-city`, `dbip-city` and
/// the like, IPv4 and IPv6, bounds as addresses or as integers in the `-num` files), held as
/// sorted ranges.
///
/// Memory: 12 bytes per IPv4 row and 36 per IPv6 row, plus each distinct place once (a city
/// table of 3.5 million rows has about 150,000). Lines are at most 64 KiB and region and
/// city names at most [`Geo::MAX_CHARS`] characters. Overlapping rows follow the AS table's
/// rule: the most specific row wins where rows nest, the later-starting where they merely
/// overlap; a row without a country (or `ZZ`) is a hole.
///
/// ```
/// use asn_lookup::GeoTable;
///
/// # fn main() -> Result<(), asn_lookup::AsnError> {
/// let csv = "1.0.0.0,1.0.0.255,AU,Queensland,,South Brisbane,4101,-27.4766,153.0166,Australia/Brisbane\n\
///            2001:db8::,2001:db8::ffff,DE\n";
/// let table = GeoTable::from_reader(csv.as_bytes())?;
/// let geo = table.lookup("1.0.0.7".parse().unwrap()).unwrap();
/// assert_eq!(geo.country.as_str(), "AU");
/// assert_eq!(geo.city.as_deref(), Some("South Brisbane"));
/// assert_eq!(table.lookup("2001:db8::1".parse().unwrap()).unwrap().short(), "DE");
/// assert!(table.lookup("1.0.1.0".parse().unwrap()).is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct GeoTable {
    ranges: Ranges,
    places: Vec<Geo>,
}

impl GeoTable {
    /// A builder, to load several files (the IPv4 and IPv6 halves) into one table.
    pub fn builder() -> GeoTableBuilder {
        GeoTableBuilder::default()
    }

    /// Loads one file.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`] when the file cannot be read, [`AsnError::Malformed`] with the line
    /// number for a bad line, [`AsnError::EmptyDatabase`] for a file without a row.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AsnError> {
        Ok(Self::builder().add_file(path)?.build())
    }

    /// Loads a table from a reader (`<memory>` stands for the path in errors).
    ///
    /// # Errors
    ///
    /// As for [`GeoTable::open`].
    pub fn from_reader(reader: impl BufRead) -> Result<Self, AsnError> {
        let mut b = Self::builder();
        b.add_reader(reader, Path::new("<memory>"))?;
        Ok(b.build())
    }

    /// Where the table places `ip` (IPv4-mapped IPv6 addresses are looked up as IPv4).
    pub fn lookup(&self, ip: IpAddr) -> Option<&Geo> {
        self.lookup_range(ip).map(|(g, _)| g)
    }

    /// [`GeoTable::lookup`], with the range of the row that answered.
    pub fn lookup_range(&self, ip: IpAddr) -> Option<(&Geo, IpRange)> {
        let (val, range) = match ip.to_canonical() {
            IpAddr::V4(a) => self.ranges.find_v4(a),
            IpAddr::V6(a) => self.ranges.find_v6(a),
        }?;
        self.places.get(val as usize).map(|g| (g, range))
    }

    /// Number of IPv4 ranges.
    pub fn len_v4(&self) -> usize {
        self.ranges.len_v4()
    }

    /// Number of IPv6 ranges.
    pub fn len_v6(&self) -> usize {
        self.ranges.len_v6()
    }

    /// Number of distinct places.
    pub fn places(&self) -> usize {
        self.places.len()
    }
}

/// Loads rows from one or more files into a [`GeoTable`].
#[derive(Debug, Default)]
pub struct GeoTableBuilder {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
    ids: FxHashMap<Box<[u8]>, u32>,
    places: Vec<Geo>,
}

impl GeoTableBuilder {
    /// Adds every row of a file.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`], [`AsnError::Malformed`] (with the line number), or
    /// [`AsnError::EmptyDatabase`] for a file without a single row.
    pub fn add_file(mut self, path: impl AsRef<Path>) -> Result<Self, AsnError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| AsnError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.add_reader(BufReader::with_capacity(256 * 1024, file), path)?;
        Ok(self)
    }

    /// Adds every row read from `reader`; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// As for [`GeoTableBuilder::add_file`].
    pub fn add_reader(&mut self, reader: impl BufRead, path: &Path) -> Result<(), AsnError> {
        let mut fields = Fields::default();
        let mut key = Vec::with_capacity(128);
        // The last place, since consecutive rows often share it.
        let mut last: Option<(Vec<u8>, u32)> = None;
        parse::for_each_row(reader, path, true, |line| {
            let Some(row) = parse_geo_line(line, &mut fields)? else {
                return Ok(false);
            };
            let id = if row.country.is_some() {
                place_key(&row, &fields, &mut key);
                match &last {
                    Some((k, id)) if *k == key => *id,
                    _ => {
                        let id = self.place_id(&row, &fields, &key);
                        last = Some((key.clone(), id));
                        id
                    }
                }
            } else {
                HOLE
            };
            match row.span {
                Span::V4(a, b) => self.v4.push((a, b, id)),
                Span::V6(a, b) => self.v6.push((a, b, id)),
            }
            Ok(true)
        })
    }

    fn place_id(&mut self, row: &GeoRow, fields: &Fields, key: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let Some(country) = row.country else {
            return HOLE;
        };
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut geo = Geo::new(country)
            .with_region(Some(&text(fields.region())))
            .with_city(Some(&text(fields.city())));
        if let Some((lat, lon)) = row.coords {
            geo = geo.with_location(lat, lon);
        }
        // Ids stop short of HOLE; past that many places (never in a real table) the last
        // one is shared rather than a row lost.
        let id = u32::try_from(self.places.len())
            .unwrap_or(HOLE - 1)
            .min(HOLE - 1);
        if (id as usize) == self.places.len() {
            self.places.push(geo);
        }
        self.ids.insert(key.into(), id);
        id
    }

    /// Sorts and flattens the rows into a table.
    pub fn build(self) -> GeoTable {
        GeoTable {
            ranges: Ranges::build(self.v4, self.v6, |id| id == HOLE),
            places: self.places,
        }
    }
}

/// The bytes that tell places apart: country, region, city and coordinates.
fn place_key(row: &GeoRow, fields: &Fields, key: &mut Vec<u8>) {
    key.clear();
    if let Some(c) = row.country {
        key.extend_from_slice(c.as_str().as_bytes());
    }
    for part in [fields.region(), fields.city()] {
        key.push(0);
        key.extend_from_slice(part);
    }
    if let Some((lat, lon)) = row.coords {
        key.push(0);
        key.extend_from_slice(&lat.to_bits().to_le_bytes());
        key.extend_from_slice(&lon.to_bits().to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> GeoTable {
        GeoTable::from_reader(text.as_bytes()).unwrap()
    }

    fn city(t: &GeoTable, ip: &str) -> Option<String> {
        t.lookup(ip.parse().unwrap()).map(Geo::short)
    }

    #[test]
    fn lookups_holes_and_nesting() {
        let t = table(
            "ip_range_start,ip_range_end,country_code,state1,state2,city,postcode,latitude,longitude,timezone\n\
             10.0.0.0,10.255.255.255,US,,,,,,,\n\
             10.1.0.0,10.1.255.255,DE,Hesse,,Frankfurt,60311,50.1,8.6,Europe/Berlin\n\
             10.1.2.0,10.1.2.255,,,,,,,,\n\
             10.2.0.0,10.2.0.255,DE,Hesse,,Frankfurt,60311,50.1,8.6,Europe/Berlin\n\
             2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,JP,,,Tokyo,,,,\n",
        );
        assert_eq!(city(&t, "10.0.0.1").as_deref(), Some("US"));
        assert_eq!(city(&t, "10.1.0.1").as_deref(), Some("Frankfurt, DE"));
        assert_eq!(
            city(&t, "10.1.2.9"),
            None,
            "a row without a country is a hole"
        );
        assert_eq!(city(&t, "10.1.3.0").as_deref(), Some("Frankfurt, DE"));
        assert_eq!(
            city(&t, "::ffff:10.2.0.9").as_deref(),
            Some("Frankfurt, DE")
        );
        assert_eq!(city(&t, "11.0.0.0"), None);
        assert_eq!(city(&t, "2001:db8::5").as_deref(), Some("Tokyo, JP"));
        assert_eq!(t.places(), 3, "identical places are stored once");
        let g = t.lookup("10.2.0.1".parse().unwrap()).unwrap();
        assert_eq!(g.region.as_deref(), Some("Hesse"));
        assert_eq!((g.lat, g.lon), (Some(50.1), Some(8.6)));
    }

    #[test]
    fn errors_carry_the_line_number() {
        match GeoTable::from_reader(&b"1.0.0.0,1.0.0.255,AU\n\n1.0.0.0,1.0.0.255,AUS\n"[..]) {
            Err(AsnError::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            GeoTable::from_reader(&b"# only a comment\n"[..]),
            Err(AsnError::EmptyDatabase { .. })
        ));
        let long = format!("1.0.0.0,1.0.0.255,AU,{}\n", "x".repeat(parse::MAX_LINE));
        assert!(matches!(
            GeoTable::from_reader(long.as_bytes()),
            Err(AsnError::Malformed { line: 1, .. })
        ));
    }
}
