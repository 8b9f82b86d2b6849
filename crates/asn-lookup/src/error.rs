//! The one error type of AS resolution; it imports nothing from the rest of the crate.

use std::path::PathBuf;
use std::time::Duration;

/// The errors of AS resolution: loading a database, or asking a whois service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsnError {
    /// A database file (AS or geography) could not be opened or read.
    #[error("reading database {path}: {source}")]
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
    /// An MMDB file is corrupt, or a record of it cannot be decoded as the layout asked for
    /// (GeoLite2-ASN, or a geography layout).
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
    /// format, geography tables included; an empty MMDB file is this too.
    #[error("AS database {path} is empty: it holds no range")]
    EmptyDatabase {
        /// The file.
        path: PathBuf,
    },
    /// A builder was given an invalid setting.
    #[error("invalid setting: {0}")]
    Config(String),
    /// [`annotate`](crate::annotate) or [`annotate_geo`](crate::annotate_geo) could not
    /// resolve every address: `failed` of the `given` distinct addresses failed (the others
    /// are annotated).
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
