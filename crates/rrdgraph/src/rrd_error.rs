//! The error of librrd operations.

use std::path::PathBuf;

/// A failure of a librrd operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RrdError {
    /// librrd refused the operation. `message` is rrdtool's own message, unchanged.
    #[error("rrdtool {op}: {message}")]
    Librrd {
        /// The operation: `graph`, `create`, `update`, `info`, `fetch`, ...
        op: &'static str,
        /// librrd's error text.
        message: String,
    },
    /// An argument holds a NUL byte, which librrd's C strings cannot carry.
    #[error("rrdtool {op}: argument {index} contains a NUL byte")]
    NulByte {
        /// The operation.
        op: &'static str,
        /// Index of the argument (0 is the first argument after the command name).
        index: usize,
    },
    /// An argument was refused before librrd was called.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was refused (a field or an operation).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// librrd answered, but without an item we need or with one of the wrong type.
    #[error("rrdtool {op}: unexpected output: {detail}")]
    Output {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The file's header is corrupt or not an RRD: refused before librrd (which would crash on
    /// it) opened the file. See [`check_header`](crate::check_header).
    #[error("{}: bad RRD header: {field}: {reason}", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The header field: `cookie`, `version`, `float_cookie`, `ds_cnt`, `rra_cnt`,
        /// `pdp_step`, `rra_def.row_cnt` or `length`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An interface's counters could not be read (`opskit rrd collect`).
    #[error("interface {iface}: {reason}")]
    Counters {
        /// The interface.
        iface: String,
        /// What failed.
        reason: String,
    },
    /// A batch worker process failed (it could not start, died, or broke the protocol).
    #[error("batch worker: {0}")]
    Worker(String),
}
