//! Geography: where an address is, from ip-location-db CSV tables and MMDB files, and
//! [`annotate_geo`], which puts it on every reply of a trace report.

use std::net::IpAddr;
use std::path::Path;

use tcptrace::TraceReport;

use crate::detect::{Sniffed, is_compressed, sniff_file};
use crate::{AsnError, Geo};

mod csv;
mod mmdb;
mod table;

pub use mmdb::GeoMmdb;
pub use table::{GeoTable, GeoTableBuilder};

/// The geography formats [`GeoDatabase::open`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeoFormat {
    /// An ip-location-db country or city CSV table ([`GeoTable`]).
    Csv,
    /// An MMDB file of `MaxMind`'s or ip-location-db's city or country layout ([`GeoMmdb`]).
    Mmdb,
}

/// Recognises a geography database by its content: the MMDB metadata marker near the end,
/// else a first data line of ip-location-db's shape (`start,end,CC[,...]`). An `.mmdb` or
/// `.csv` extension decides when the content does not.
///
/// # Errors
///
/// [`AsnError::Io`], [`AsnError::EmptyDatabase`] for an empty file, and
/// [`AsnError::UnknownFormat`] for anything else: a compressed file, or an AS table (its
/// third field is an AS number) given where a geography table was expected.
pub fn detect_geo_format(path: impl AsRef<Path>) -> Result<GeoFormat, AsnError> {
    let path = path.as_ref();
    let Sniffed::Text(head) = sniff_file(path)? else {
        return Ok(GeoFormat::Mmdb);
    };
    let unknown = |hint: &str| AsnError::UnknownFormat {
        path: path.to_owned(),
        hint: hint.to_owned(),
    };
    if is_compressed(&head) {
        return Err(unknown("compressed; decompress it first"));
    }
    let first = head
        .split(|&b| b == b'\n')
        .map(crate::parse::trim)
        .find(|l| !l.is_empty() && !l.starts_with(b"#") && !crate::parse::looks_like_header(l));
    if let Some(line) = first {
        if csv::looks_like_geo(line) {
            return Ok(GeoFormat::Csv);
        }
        let third = line
            .split(|&b| b == b',' || b == b'\t')
            .nth(2)
            .map(crate::parse::trim);
        if third.is_some_and(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit)) {
            return Err(unknown("an AS table, not a geography table"));
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mmdb") => Ok(GeoFormat::Mmdb),
        Some("csv") => Ok(GeoFormat::Csv),
        _ => Err(unknown(
            "no line looks like an ip-location-db row (start,end,country_code,...)",
        )),
    }
}

/// One opened file.
#[derive(Debug)]
enum Source {
    Table(GeoTable),
    Mmdb(GeoMmdb),
}

/// Geography databases consulted in order: the first that places an address answers. What
/// `--geo-db FILE` opens (repeat it for the IPv4 and IPv6 halves of ip-location-db).
///
/// ```
/// use asn_lookup::GeoDatabase;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("geolite2-country-ipv4.csv");
/// std::fs::write(&path, "192.0.2.0,192.0.2.255,NL\n")?;
/// let db = GeoDatabase::open(&path)?;
/// let geo = db.lookup("192.0.2.7".parse()?)?.expect("in the table");
/// assert_eq!(geo.country.as_str(), "NL");
/// assert!(db.lookup("198.51.100.1".parse()?)?.is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct GeoDatabase {
    sources: Vec<Source>,
}

impl GeoDatabase {
    /// Opens one file of either format (see [`detect_geo_format`]).
    ///
    /// # Errors
    ///
    /// As for [`detect_geo_format`], [`GeoTable::open`] and [`GeoMmdb::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AsnError> {
        Self::default().and(path)
    }

    /// Opens every file of `paths`, consulted in that order (none: an empty database that
    /// knows no address).
    ///
    /// # Errors
    ///
    /// The first file's error, as for [`GeoDatabase::open`] (each names its file).
    pub fn open_all<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Self, AsnError> {
        paths.into_iter().try_fold(Self::default(), Self::and)
    }

    /// Adds a file, consulted after those already added.
    ///
    /// # Errors
    ///
    /// As for [`GeoDatabase::open`].
    pub fn and(mut self, path: impl AsRef<Path>) -> Result<Self, AsnError> {
        let path = path.as_ref();
        self.sources.push(match detect_geo_format(path)? {
            GeoFormat::Csv => Source::Table(GeoTable::open(path)?),
            GeoFormat::Mmdb => Source::Mmdb(GeoMmdb::open(path)?),
        });
        Ok(self)
    }

    /// Adds a table already loaded, consulted after the files already added.
    #[must_use]
    pub fn with_table(mut self, table: GeoTable) -> Self {
        self.sources.push(Source::Table(table));
        self
    }

    /// How many files are consulted.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Where the first database that knows `ip` places it. Special-purpose addresses are
    /// looked up like any other: a table of one's own network may place private ranges.
    ///
    /// # Errors
    ///
    /// [`AsnError::Mmdb`] when an MMDB record cannot be decoded.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<Geo>, AsnError> {
        for source in &self.sources {
            let found = match source {
                Source::Table(t) => t.lookup(ip).cloned(),
                Source::Mmdb(m) => m.lookup(ip)?,
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// What [`annotate_geo`] did with the distinct reply addresses of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeoStats {
    /// Distinct reply addresses.
    pub addresses: usize,
    /// Addresses a database placed.
    pub located: usize,
    /// Addresses no database knows.
    pub unknown: usize,
    /// Addresses whose lookup failed (a corrupt MMDB record).
    pub failed: usize,
}

/// Sets [`Reply::geo`](tcptrace::Reply::geo) of every reply in `report`, looking each distinct
/// address up once; a reply whose address no database knows gets `None`.
///
/// # Errors
///
/// [`AsnError::Incomplete`] when some lookups failed: the other replies are annotated all
/// the same, and the error counts the failures and carries the first.
pub fn annotate_geo(report: &mut TraceReport, db: &GeoDatabase) -> Result<GeoStats, AsnError> {
    let addrs = crate::annotate::reply_addrs(report);
    let mut stats = GeoStats {
        addresses: addrs.len(),
        ..GeoStats::default()
    };
    let mut first_error = None;
    let answers: Vec<Option<Box<Geo>>> = addrs
        .iter()
        .map(|&ip| match db.lookup(ip) {
            Ok(Some(g)) => {
                stats.located += 1;
                Some(Box::new(g))
            }
            Ok(None) => {
                stats.unknown += 1;
                None
            }
            Err(e) => {
                stats.failed += 1;
                first_error.get_or_insert(e);
                None
            }
        })
        .collect();
    for reply in report
        .traces
        .iter_mut()
        .flat_map(|t| t.hops.iter_mut())
        .flat_map(|h| h.replies.iter_mut())
    {
        reply.geo = addrs
            .binary_search(&reply.from)
            .ok()
            .and_then(|i| answers[i].clone());
    }
    match first_error {
        Some(source) => Err(AsnError::Incomplete {
            failed: stats.failed,
            given: stats.addresses,
            source: Box::new(source),
        }),
        None => Ok(stats),
    }
}
