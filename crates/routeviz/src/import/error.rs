//! The importers' error type.

use super::detect::ImportFormat;

/// Why an input could not be imported. Each names the record (from 1, in input order) and
/// the line it starts on, so that the bad result can be found in a large download.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The format was not given and the content is none of the known ones.
    #[error("cannot tell the format of the input ({0}): give --from atlas, scamper, mtr or opskit")]
    UnknownFormat(String),
    /// A record is not valid JSON, or a field does not have its documented type or range.
    #[error("{format} record {record} (line {line}): {message}")]
    Record {
        /// The format being read.
        format: ImportFormat,
        /// The record's number, from 1.
        record: usize,
        /// The line the record starts on (or, for a JSON syntax error, where it is), from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The input holds more than the importer reads.
    #[error("{format} record {record} (line {line}): {what} is over the limit of {limit}")]
    TooLarge {
        /// The format being read.
        format: ImportFormat,
        /// The record where the limit was passed, from 1.
        record: usize,
        /// The line that record starts on.
        line: usize,
        /// What was counted.
        what: &'static str,
        /// The most allowed.
        limit: usize,
    },
    /// The input has no traceroute at all (for example, only scamper cycle lines).
    #[error("{0} input holds no traceroute")]
    Empty(ImportFormat),
}
