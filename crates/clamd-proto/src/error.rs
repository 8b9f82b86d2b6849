//! The crate's error type.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// The result of every fallible operation of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while talking to clamd.
///
/// A virus `FOUND` is never an error: it is a [`Verdict`](crate::Verdict) of a successful scan.
/// A per-file `ERROR` line (for example a file clamd cannot open) is a verdict too; only failures
/// of the command as a whole are errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Connecting to clamd failed.
    #[error("connecting to clamd at {endpoint}: {source}")]
    Connect {
        /// The endpoint, as `host:port` or a socket path.
        endpoint: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A read or write on an established connection failed.
    #[error("{op} clamd at {endpoint}: {source}")]
    Io {
        /// What was being done, e.g. `writing INSTREAM data to`.
        op: &'static str,
        /// The endpoint.
        endpoint: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Reading a local file or stream to send it failed.
    #[error("reading {path} to send it to clamd: {source}")]
    Read {
        /// The local path, or `<stream>` for a reader.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The operation's deadline passed before clamd answered.
    #[error("clamd at {endpoint} did not answer {op} within {}", span(after))]
    Timeout {
        /// The command, e.g. `SCAN`, or `TLS handshake` when a TLS server stalled before
        /// the handshake was done (bounded by the connect timeout).
        op: &'static str,
        /// The endpoint.
        endpoint: String,
        /// The deadline that passed, measured from the start of the operation.
        after: Duration,
    },
    /// A path contains a NUL byte, which z-mode would cut short. Such a path is never sent.
    #[error("path {0:?} contains a NUL byte and cannot be sent to clamd")]
    PathContainsNul(PathBuf),
    /// A path contains a newline and the client is in n-mode, where it would end the command.
    /// z-mode (the default) sends such paths safely.
    #[error("path {0:?} contains a newline, which n-mode cannot send; use z-mode")]
    PathContainsNewline(PathBuf),
    /// A relative path could not be made absolute.
    #[error("resolving {path:?} against the current directory: {source}")]
    ResolvePath {
        /// The relative path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// clamd answered `UNKNOWN COMMAND`.
    #[error("clamd answered UNKNOWN COMMAND")]
    UnknownCommand,
    /// clamd answered `COMMAND READ TIMED OUT`: the command did not reach it in time
    /// (its `CommandReadTimeout`).
    #[error("clamd answered COMMAND READ TIMED OUT")]
    CommandReadTimedOut,
    /// clamd answered `INSTREAM size limit exceeded`: the stream is longer than its
    /// `StreamMaxLength`. Reported even when clamd closed the socket while data was still being
    /// sent.
    #[error("clamd refused the stream: INSTREAM size limit exceeded (after {sent} bytes sent)")]
    SizeLimitExceeded {
        /// Stream bytes written before clamd's refusal was read.
        sent: u64,
    },
    /// The stream is longer than the configured `StreamMaxLength`, so it was not sent.
    #[error("the stream has {len} bytes, more than clamd's StreamMaxLength of {limit}")]
    StreamTooLong {
        /// The stream's length, or the bytes read when the limit was crossed.
        len: u64,
        /// The configured limit.
        limit: u64,
    },
    /// clamd refused a command inside IDSESSION (`Command invalid inside IDSESSION`) and
    /// ended the session.
    #[error("clamd refused a command inside IDSESSION and ended the session")]
    SessionCommandInvalid,
    /// A session reply carried an id that no pending request has.
    #[error("clamd sent a reply for session id {id}, which no pending request has")]
    UnexpectedSessionId {
        /// The id in the reply.
        id: u64,
    },
    /// The session ended (clamd closed it, or END was sent) before this request's reply.
    #[error("the IDSESSION ended before the reply to request {id}")]
    SessionClosed {
        /// The request's id.
        id: u64,
    },
    /// The command is not allowed here, e.g. CONTSCAN inside IDSESSION or FILDES over TCP.
    #[error("{0}")]
    Unsupported(&'static str),
    /// A reply line is longer than the configured limit. Nothing beyond the limit is buffered.
    #[error("clamd sent a reply line longer than {limit} bytes")]
    LineTooLong {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The connection closed in the middle of a reply, or before any reply.
    #[error("clamd's reply was truncated: the connection closed {0}")]
    Truncated(&'static str),
    /// A reply does not have the expected form.
    #[error("malformed reply to {command}: {reply:?}")]
    Malformed {
        /// The command answered.
        command: &'static str,
        /// The reply, lossily decoded and cut to 200 characters.
        reply: String,
    },
    /// A scan verdict names a path that is neither the path asked nor under it, e.g. a verdict
    /// for another file or `stream: OK` given to a path scan. Such a verdict is never taken as
    /// a clean (or any) result.
    #[error("clamd's reply to {command} of {asked:?} names another path: {reply:?}")]
    PathMismatch {
        /// The command answered.
        command: &'static str,
        /// The path asked, lossily decoded and cut to 200 characters.
        asked: String,
        /// The reply, lossily decoded and cut to 200 characters.
        reply: String,
    },
    /// clamd answered an error that is not about one path, e.g.
    /// `FILDES: didn't receive file descriptor. ERROR`.
    #[error("clamd error: {0}")]
    Server(String),
    /// A scan (or, in a [`Fleet`](crate::Fleet), one host's scans together) produced more
    /// result lines than the configured limit. The scan ends there; the results before the
    /// limit are kept.
    #[error("more than {limit} scan results; raise ClientBuilder::max_results")]
    TooManyResults {
        /// The configured limit.
        limit: usize,
    },
    /// The results of a scan (or, in a [`Fleet`](crate::Fleet), of one host's scans together)
    /// would take more than the configured byte budget, as counted by
    /// [`ScanResult::footprint`](crate::ScanResult::footprint). The scan ends there; the
    /// results within the budget are kept.
    #[error(
        "the scan results would take more than {limit} bytes; raise ClientBuilder::max_result_bytes"
    )]
    ResultBytesExceeded {
        /// The configured budget in bytes.
        limit: usize,
    },
    /// A builder got an invalid setting.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A scan policy file has a mistake; the error says where.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A scan policy file could not be read.
    #[error("reading the policy {path}: {source}")]
    PolicyRead {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The endpoint is `tls://` and this build has no TLS (clamd-proto's feature `tls` is
    /// off). Nothing was sent.
    #[error("{endpoint}: this build has no TLS support (clamd-proto feature `tls`)")]
    TlsUnsupported {
        /// The endpoint, as `tls://IP:PORT#NAME`.
        endpoint: String,
    },
    /// The endpoint is `tls://` but the client has no TLS settings, so there is no CA to
    /// verify the server with. Nothing was sent, not even a TCP connect.
    #[error(
        "{endpoint}: no CA to verify the TLS server with: give a CA file \
         (ClientBuilder::tls_ca, --tls-ca, tls_ca in a policy)"
    )]
    TlsNotConfigured {
        /// The endpoint, as `tls://IP:PORT#NAME`.
        endpoint: String,
    },
    /// A TLS file (the CA certificates, the client certificate or its key) could not be
    /// loaded: unreadable, too large, not PEM, or not usable by rustls.
    #[error("loading the TLS {what} from {path}: {reason}")]
    TlsFile {
        /// `CA certificates`, `client certificate` or `client key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The server's certificate is not trusted: it is not signed by the configured CA (the
    /// wrong CA file, or a server that is not the expected one), or it is expired, not yet
    /// valid or badly signed. The handshake stopped there, so nothing of clamd's protocol was
    /// sent (nor, for a PostgreSQL history, any statement: `endpoint` is then its URL
    /// without the password).
    #[error("{endpoint}: the TLS server's certificate is not trusted ({reason}); nothing was sent")]
    TlsUntrusted {
        /// The endpoint, as `tls://IP:PORT#NAME`.
        endpoint: String,
        /// rustls's words for what failed, e.g. `invalid peer certificate: UnknownIssuer`.
        reason: String,
    },
    /// The server's certificate is signed by the configured CA but is not valid for the name
    /// checked (the endpoint's `#NAME`, or its IP address; a PostgreSQL history's host).
    /// Nothing of clamd's protocol, nor any statement of the history, was sent.
    #[error(
        "{endpoint}: the TLS server's certificate is not valid for {name} ({reason}); nothing \
         was sent"
    )]
    TlsWrongName {
        /// The endpoint, as `tls://IP:PORT#NAME`.
        endpoint: String,
        /// The name checked.
        name: String,
        /// rustls's words, with the names the certificate holds when it gives them.
        reason: String,
    },
    /// The TLS session failed otherwise: the server refused us (for example it requires a
    /// client certificate, which with TLS 1.3 is said only after our side of the handshake,
    /// on the first read), it speaks no TLS, it closed during the handshake, or it broke the
    /// protocol.
    #[error("{endpoint}: TLS failed while {during}: {reason}")]
    Tls {
        /// The endpoint, as `tls://IP:PORT#NAME`.
        endpoint: String,
        /// `handshaking`, `reading from clamd` or `writing to clamd`.
        during: &'static str,
        /// What failed, in rustls's words and ours.
        reason: String,
    },
    /// Reading or writing the run history (feature `history`): opening it, its schema, a
    /// statement or a transaction, on the SQLite file or the PostgreSQL server.
    #[error("{what}: {source}")]
    History {
        /// What was being done, and to which history (`recording a host in the history
        /// /var/lib/opskit/history.sqlite`).
        what: String,
        /// The database's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A mistake in a policy file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
#[non_exhaustive]
pub struct PolicyError {
    /// The file (or `<policy>` for text parsed from memory).
    pub origin: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1 (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A span as people read it: `250 ms`, `1.500 s`.
fn span(d: &Duration) -> String {
    if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

impl Error {
    /// Whether this error is a [`Timeout`](Error::Timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    pub(crate) fn malformed(command: &'static str, reply: &[u8]) -> Self {
        let text = String::from_utf8_lossy(reply);
        Error::Malformed {
            command,
            reply: text.chars().take(200).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_in_milliseconds_or_seconds() {
        let t = |after| {
            Error::Timeout {
                op: "PING",
                endpoint: "h:1".into(),
                after,
            }
            .to_string()
        };
        assert_eq!(
            t(Duration::from_micros(474_745)),
            "clamd at h:1 did not answer PING within 474 ms"
        );
        assert_eq!(
            t(Duration::from_millis(1500)),
            "clamd at h:1 did not answer PING within 1.500 s"
        );
    }
}
