//! Recognising a database file's format.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{AsnError, AsnResolver, MmdbDatabase, RangeFormat, RangeTable};

/// The formats [`open_database`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatabaseFormat {
    /// A text table.
    Range(RangeFormat),
    /// A `MaxMind` MMDB file.
    Mmdb,
}

const MMDB_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";
/// `MaxMind` places the metadata in the last 128 KiB.
const MMDB_TAIL: u64 = 128 * 1024;

/// What the start and the end of a file say.
pub(crate) enum Sniffed {
    /// The MMDB metadata marker is near the end.
    Mmdb,
    /// No marker: the first 16 KiB, to tell text formats apart.
    Text(Vec<u8>),
}

/// Reads the first 16 KiB and the last 128 KiB of a file, for [`detect_format`] and the
/// geography databases' detection.
///
/// # Errors
///
/// [`AsnError::Io`], or [`AsnError::EmptyDatabase`] for an empty file.
pub(crate) fn sniff_file(path: &Path) -> Result<Sniffed, AsnError> {
    let io = |source| AsnError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len == 0 {
        return Err(AsnError::EmptyDatabase {
            path: path.to_owned(),
        });
    }
    let mut head = Vec::with_capacity(16 * 1024);
    (&mut f)
        .take(16 * 1024)
        .read_to_end(&mut head)
        .map_err(io)?;
    let mut tail = Vec::new();
    f.seek(SeekFrom::Start(len.saturating_sub(MMDB_TAIL)))
        .map_err(io)?;
    f.take(MMDB_TAIL).read_to_end(&mut tail).map_err(io)?;
    if memchr::memmem::rfind(&tail, MMDB_MARKER).is_some() {
        return Ok(Sniffed::Mmdb);
    }
    Ok(Sniffed::Text(head))
}

/// Whether the head of a file is compressed (gzip, bzip2, xz).
pub(crate) fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z'])
}

/// Recognises a database file by its content: the MMDB metadata marker near the end, else the
/// shape of the first data line (`;` comments or `prefix<TAB>asn` for pyasn, five tab-separated
/// fields for iptoasn, commas for CSV). The extension (`.mmdb`, `.dat`, `.tsv`, `.csv`) decides
/// when the content does not (an empty file, say).
///
/// # Errors
///
/// [`AsnError::Io`] when the file cannot be read; [`AsnError::UnknownFormat`] for anything else
/// (compressed files included: decompress them first).
pub fn detect_format(path: impl AsRef<Path>) -> Result<DatabaseFormat, AsnError> {
    let path = path.as_ref();
    let Sniffed::Text(head) = sniff_file(path)? else {
        return Ok(DatabaseFormat::Mmdb);
    };
    let unknown = |hint: &str| AsnError::UnknownFormat {
        path: path.to_owned(),
        hint: hint.to_owned(),
    };
    if is_compressed(&head) {
        return Err(unknown("compressed; decompress it first"));
    }
    if let Some(f) = sniff_text(&head) {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mmdb") => Ok(DatabaseFormat::Mmdb),
        Some("dat") => Ok(DatabaseFormat::Range(RangeFormat::Pyasn)),
        Some("tsv") => Ok(DatabaseFormat::Range(RangeFormat::IptoasnTsv)),
        Some("csv") => Ok(DatabaseFormat::Range(RangeFormat::Csv)),
        _ if head.contains(&0) => Err(unknown("binary data without an MMDB marker")),
        _ => Err(unknown("no line looks like a CSV, TSV or pyasn row")),
    }
}

/// Guesses a text format from the first lines.
pub(crate) fn sniff_text(head: &[u8]) -> Option<DatabaseFormat> {
    for line in head.split(|&b| b == b'\n').take(50) {
        let line = super::parse::trim(line);
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        if line.starts_with(b";") {
            return Some(DatabaseFormat::Range(RangeFormat::Pyasn));
        }
        if line.contains(&b'\t') {
            let fields = line.split(|&b| b == b'\t').count();
            let first = line.split(|&b| b == b'\t').next().unwrap_or_default();
            if fields == 2 && first.contains(&b'/') {
                return Some(DatabaseFormat::Range(RangeFormat::Pyasn));
            }
            if fields >= 4 {
                return Some(DatabaseFormat::Range(RangeFormat::IptoasnTsv));
            }
            return None;
        }
        if line.contains(&b',') {
            return Some(DatabaseFormat::Range(RangeFormat::Csv));
        }
        if line.contains(&b'/') && line.contains(&b' ') {
            return Some(DatabaseFormat::Range(RangeFormat::Pyasn));
        }
        return None;
    }
    None
}

/// Opens an AS database file of any supported format (see [`detect_format`]): a
/// [`RangeTable`] for text tables, an [`MmdbDatabase`] for MMDB files. This is what
/// `opskit trace --asn-db FILE` and `opskit asn --db FILE` use.
///
/// # Errors
///
/// As for [`detect_format`], [`RangeTable::open`] and [`MmdbDatabase::open`].
pub fn open_database(
    path: impl AsRef<Path>,
) -> Result<Box<dyn AsnResolver + Send + Sync>, AsnError> {
    let path = path.as_ref();
    Ok(match detect_format(path)? {
        DatabaseFormat::Range(format) => Box::new(RangeTable::open(path, format)?),
        DatabaseFormat::Mmdb => Box::new(MmdbDatabase::open(path)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        let f = |s: &str| sniff_text(s.as_bytes());
        assert_eq!(
            f("1.0.0.0,1.0.0.255,13335,x\n"),
            Some(DatabaseFormat::Range(RangeFormat::Csv))
        );
        assert_eq!(
            f("1.0.0.0\t1.0.0.255\t13335\tUS\tX\n"),
            Some(DatabaseFormat::Range(RangeFormat::IptoasnTsv))
        );
        assert_eq!(
            f("; IP-ASN32-DAT\n1.0.0.0/24\t1\n"),
            Some(DatabaseFormat::Range(RangeFormat::Pyasn))
        );
        assert_eq!(
            f("\n1.0.0.0/24\t1\n"),
            Some(DatabaseFormat::Range(RangeFormat::Pyasn))
        );
        assert_eq!(f("hello world\n"), None);
        assert_eq!(f(""), None);
    }
}
