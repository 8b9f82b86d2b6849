//! The error of RRD operations: through librrd, or through the pure-Rust reader.

use std::path::PathBuf;

/// A failure of an RRD operation, through librrd or the pure-Rust [`RrdFile`](crate::RrdFile).
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
    /// it) opened the file (see [`check_header`](crate::check_header)), or refused by [`RrdFile`](crate::RrdFile).
    #[error("{}: bad RRD header: {field}: {reason}", path.display())]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The header field: `cookie`, `version`, `float_cookie`, `ds_cnt`, `rra_cnt`,
        /// `pdp_step`, `rra_def.row_cnt` or `length`; [`RrdFile`](crate::RrdFile) also names
        /// `rra_def.pdp_cnt`, `live_head.last_up` and `rra_ptr.cur_row`.
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
    /// Reading an RRD file failed ([`RrdFile`](crate::RrdFile)): the file could not be
    /// opened, or it ended before a part its header promises.
    #[error("{}: {what}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: `opening`, `reading the header`, `reading rows`, ...
        what: &'static str,
        /// The I/O error's kind.
        kind: std::io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// No archive of the file answers the fetch's consolidation function (librrd's "the RRD
    /// does not contain an RRA matching the chosen CF").
    #[error("{}: the RRD does not contain an RRA matching the chosen CF ({cf})", path.display())]
    NoMatchingArchive {
        /// The file.
        path: PathBuf,
        /// The consolidation function asked for.
        cf: &'static str,
    },
    /// A fetch would return more values than
    /// [`MAX_FETCH_VALUES`](crate::MAX_FETCH_VALUES) (rows × data sources).
    #[error(
        "a fetch of {rows} rows of {columns} data sources is more than the {max} values a \
         fetch may return: ask for a shorter window or a coarser resolution"
    )]
    FetchTooLarge {
        /// Rows the window and step give.
        rows: u64,
        /// Data sources of the file.
        columns: usize,
        /// The limit.
        max: usize,
    },
    /// A batch worker process failed (it could not start, died, or broke the protocol).
    #[error("batch worker: {0}")]
    Worker(String),
}
