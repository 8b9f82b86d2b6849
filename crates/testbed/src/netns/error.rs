//! The error of the namespace test network.

use std::fmt;
use std::net::IpAddr;

/// Why a test network could not be described, built, entered or torn down.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The description is inconsistent (no source, bad name, unconnected node, ...).
    InvalidSpec(String),
    /// A node name that the topology does not have.
    UnknownNode(String),
    /// An address that no node of the topology holds.
    UnknownAddress(IpAddr),
    /// A command (`ip`, `nft`) failed; holds what was being done and the command's stderr.
    Command {
        /// What was being done, e.g. `configure namespace tb-12-0-r1`.
        context: String,
        /// The command's exit status and stderr, or why it could not be started.
        message: String,
    },
    /// A system call failed; holds what was being done.
    Io {
        /// What was being done, with the path or namespace involved.
        context: String,
        /// The underlying error, as text so that the error stays `Clone`.
        message: String,
    },
    /// The TOML description could not be read.
    Toml(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSpec(m) => write!(f, "invalid test network description: {m}"),
            Self::UnknownNode(n) => write!(f, "no node named {n:?} in the test network"),
            Self::UnknownAddress(a) => write!(f, "no node of the test network holds {a}"),
            Self::Command { context, message } | Self::Io { context, message } => {
                write!(f, "{context}: {message}")
            }
            Self::Toml(m) => write!(f, "invalid TOML test network description: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub(crate) fn io(context: impl Into<String>, err: &std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            message: err.to_string(),
        }
    }
}

/// The result of the namespace test network's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
