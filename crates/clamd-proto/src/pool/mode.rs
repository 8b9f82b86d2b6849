//! How a pool sends each file: the one setting that the builder and the driver share.

/// How a pool sends each local file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PoolMode {
    /// INSTREAM: the file is read here and streamed (TCP and Unix-socket hosts).
    #[default]
    Stream,
    /// FILDES: the open file is passed by descriptor, clamd reads it (Unix-socket hosts only).
    Fildes,
}
