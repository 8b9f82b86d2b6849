//! Where a history is: an SQLite file or a PostgreSQL URL.

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

/// Where a history is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// An SQLite file (created with its directory when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server: a `postgres://` or `postgresql://` URL, e.g.
    /// `postgres://opskit@db.example:5432/opskit` (feature `history-postgres`).
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL, else a file path.
    #[must_use]
    pub fn parse(text: &OsStr) -> Self {
        match text.to_str() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::Postgres(url.to_owned())
            }
            _ => Self::Sqlite(PathBuf::from(text)),
        }
    }
}

impl fmt::Display for Location {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "{}", p.display()),
            Self::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                let (auth, host) = rest
                    .rsplit_once('@')
                    .map_or((None, rest), |(a, h)| (Some(a), h));
                match auth {
                    Some(a) => {
                        let user = a.split_once(':').map_or(a, |(u, _)| u);
                        let hidden = if a.contains(':') { ":***" } else { "" };
                        write!(f, "{scheme}://{user}{hidden}@{host}")
                    }
                    None => write!(f, "{scheme}://{host}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn locations_and_their_names() {
        let pg = Location::parse("postgres://ops:secret@db.example:5432/opskit".as_ref());
        assert_eq!(pg.to_string(), "postgres://ops:***@db.example:5432/opskit");
        let pg = Location::parse("postgresql://ops@127.0.0.1/h".as_ref());
        assert_eq!(pg.to_string(), "postgresql://ops@127.0.0.1/h");
        assert_eq!(
            Location::parse("/var/lib/opskit/history.sqlite".as_ref()),
            Location::Sqlite("/var/lib/opskit/history.sqlite".into())
        );
    }
}
