//! `MaxMind` MMDB databases of the `GeoLite2-ASN` layout, through the `maxminddb` crate.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::{AsInfo, AsName, AsnError, AsnResolver, IpRange, Resolution, Source};

/// A GeoLite2-ASN style MMDB database (`autonomous_system_number`,
/// `autonomous_system_organization`), held in memory.
///
/// The file is verified when opened (the whole search tree and data section are walked), so
/// that a corrupt file is an [`AsnError::Mmdb`] up front rather than at some lookup.
pub struct MmdbDatabase {
    reader: maxminddb::Reader<Vec<u8>>,
    path: PathBuf,
    names: OnceLock<FxHashMap<u32, AsName>>,
}

impl std::fmt::Debug for MmdbDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbDatabase")
            .field("path", &self.path)
            .field("database_type", &self.reader.metadata().database_type)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

impl MmdbDatabase {
    /// Opens and verifies a database file.
    ///
    /// # Errors
    ///
    /// [`AsnError::Io`] when the file cannot be read, [`AsnError::Mmdb`] when it is not a valid
    /// MMDB file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AsnError> {
        let path = path.as_ref();
        Self::from_bytes(read_mmdb(path)?, path)
    }

    /// Verifies and uses a database already in memory; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// [`AsnError::Mmdb`] when the bytes are not a valid MMDB database.
    pub fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Self, AsnError> {
        let err = |e| mmdb_error(path, &e);
        let reader = maxminddb::Reader::from_source(bytes).map_err(err)?;
        reader.verify().map_err(err)?;
        Ok(Self {
            reader,
            path: path.to_owned(),
            names: OnceLock::new(),
        })
    }

    /// The database type from the metadata (`GeoLite2-ASN` for `MaxMind`'s own).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    fn error(&self, e: &maxminddb::MaxMindDbError) -> AsnError {
        mmdb_error(&self.path, e)
    }

    fn names(&self) -> &FxHashMap<u32, AsName> {
        self.names.get_or_init(|| {
            let mut map = FxHashMap::default();
            let Ok(iter) = self.reader.networks(maxminddb::WithinOptions::default()) else {
                return map;
            };
            for item in iter {
                let Ok(item) = item else { break };
                if let Ok(Some(rec)) = item.decode::<AsnRecord<'_>>()
                    && let (Some(n), Some(name)) = (
                        rec.autonomous_system_number,
                        rec.autonomous_system_organization,
                    )
                    && let Some(name) = AsName::new(name)
                {
                    map.entry(n).or_insert(name);
                }
            }
            map
        })
    }
}

/// Reads an MMDB file whole (the readers keep it in memory).
///
/// # Errors
///
/// [`AsnError::Io`], or [`AsnError::EmptyDatabase`] for an empty file.
pub(crate) fn read_mmdb(path: &Path) -> Result<Vec<u8>, AsnError> {
    let bytes = std::fs::read(path).map_err(|source| AsnError::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(AsnError::EmptyDatabase {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// The reader's error, naming the file.
pub(crate) fn mmdb_error(path: &Path, e: &maxminddb::MaxMindDbError) -> AsnError {
    AsnError::Mmdb {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

impl AsnResolver for MmdbDatabase {
    fn resolve(&self, ip: IpAddr) -> Result<Resolution, AsnError> {
        if let Some(local) = super::local_answer(ip) {
            return Ok(local);
        }
        let ip = ip.to_canonical();
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Ok(Resolution::Unknown);
        }
        let found = self.reader.lookup(ip).map_err(|e| self.error(&e))?;
        let Some(rec) = found
            .decode::<AsnRecord<'_>>()
            .map_err(|e| self.error(&e))?
        else {
            return Ok(Resolution::NotRouted { special: None });
        };
        let Some(asn) = rec.autonomous_system_number.filter(|&n| n != 0) else {
            return Ok(Resolution::NotRouted { special: None });
        };
        let net = found.network().map_err(|e| self.error(&e))?;
        let range = IpRange::from_prefix(net.ip(), net.prefix())
            .filter(|r| r.contains(ip))
            .unwrap_or_else(|| IpRange::new(ip, ip).unwrap_or(IpRange::v4(0, 0)));
        Ok(Resolution::Found(
            AsInfo::new(asn, range, Source::Mmdb)
                .with_name(rec.autonomous_system_organization.and_then(AsName::new)),
        ))
    }

    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        Ok(self.names().get(&asn).cloned())
    }
}
