//! Why a time zone's `TZif` bytes or POSIX TZ string were refused.

/// A `TZif` file (RFC 8536) or a POSIX `TZ` string that is not read as a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneError {
    /// The bytes end before the header's counts say they should.
    #[error("TZif data truncated: {0}")]
    Truncated(&'static str),
    /// The file does not start with `TZif`, or its tables contradict each other.
    #[error("not a valid TZif file: {0}")]
    BadTzif(&'static str),
    /// A POSIX TZ string that glibc's grammar does not accept.
    #[error("POSIX TZ string {spec:?}: {reason}")]
    BadPosix {
        /// The string, at most 80 characters of it.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
