//! The one error type of every subcommand, the exit status of a finished run, and the one
//! style in which both reach the user.
//!
//! Every subcommand returns [`Result<Exit>`](Result). `main` prints an error once, as
//! `error: <message>`, the same prefix clap uses for its own usage errors; warnings that do not
//! stop a run are printed with [`warn`] as `warning: <message>`. Nothing else writes a prefix.

use std::fmt;
use std::io;

/// The exit status of a run that produced its result.
///
/// A run that printed a result but could not do all of its work (a host not scanned, a trace cut
/// by its deadline, an address left unresolved, a map that could not be written) is *partial*:
/// it says so on standard error and exits non-zero, so that a script never mistakes it for a
/// complete run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub(crate) struct Exit(u8);

impl Exit {
    /// Every unit of work was done.
    pub(crate) const SUCCESS: Self = Self(0);
    /// The result was printed, but some of the work it was given is missing from it; standard
    /// error says what and why. Commands with their own documented codes (clamdscan's for
    /// `scan`) map partial results to those instead.
    pub(crate) const PARTIAL: Self = Self(1);

    /// An exit status of the command's own documented set (clamdscan's 0/1/2 for `scan`).
    pub(crate) const fn code(code: u8) -> Self {
        Self(code)
    }

    /// The status as a process exit code.
    pub(crate) fn exit_code(self) -> std::process::ExitCode {
        std::process::ExitCode::from(self.0)
    }
}

/// The result of a subcommand.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a subcommand failed.
///
/// Each library's error converts with `?`; [`Context::context`] prefixes what was being done
/// (`--asn-db FILE`, `writing map.svg`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The arguments make no sense together (exit status 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file or stream.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, to which file.
        what: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A clamd operation.
    #[error(transparent)]
    Clamd(#[from] clamd_proto::Error),
    /// An invalid graph specification.
    #[error(transparent)]
    Graph(#[from] rrdgraph::Error),
    /// A librrd operation; librrd's own message is kept as rrdtool prints it.
    #[error("{}", librrd_message(.0))]
    Rrd(#[from] rrdgraph::RrdError),
    /// Tracing.
    #[error(transparent)]
    Trace(#[from] tcptrace::Error),
    /// An invalid trace configuration.
    #[error(transparent)]
    TraceConfig(#[from] tcptrace::ConfigError),
    /// AS resolution.
    #[error(transparent)]
    Asn(#[from] asn_lookup::AsnError),
    /// Drawing a route map.
    #[error(transparent)]
    Map(#[from] routeviz::Error),
    /// Another tool's traceroute output that could not be imported (`opskit routemap`).
    #[error(transparent)]
    Import(#[from] routeviz::import::ImportError),
    /// Trace JSON that is not a trace report (`opskit routemap`'s input).
    #[error("invalid trace JSON: {0}")]
    TraceJson(serde_json::Error),
    /// Any of the above, with what was being done.
    #[error("{context}: {source}")]
    Context {
        /// What was being done.
        context: String,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// An I/O error with what was being done.
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    /// True for a usage error, however deep in context.
    pub(crate) fn is_usage(&self) -> bool {
        match self {
            Self::Usage(_) => true,
            Self::Context { source, .. } => source.is_usage(),
            _ => false,
        }
    }
}

fn librrd_message(e: &rrdgraph::RrdError) -> String {
    match e {
        rrdgraph::RrdError::Librrd { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Adds what was being done to an error.
pub(crate) trait Context<T> {
    /// Prefixes the error with `context`.
    fn context(self, context: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }
}

/// Prints a warning: something the user should know that does not stop the run.
pub(crate) fn warn(message: impl fmt::Display) {
    eprintln!("warning: {message}");
}

/// Prints an error in the one style every subcommand shares.
pub(crate) fn report(error: &Error) {
    eprintln!("error: {error}");
}

/// Writes `bytes` to standard output; a reader that closed the pipe early (`| head`) is not an
/// error.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    use io::Write as _;
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Error::io("writing to standard output", e))
        }
        _ => Ok(()),
    }
}
