//! Where a clamd listens.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

/// clamd's default TCP port.
pub const DEFAULT_PORT: u16 = 3310;

/// A clamd address: a TCP host and port, a Unix socket path, or a TLS endpoint (stunnel in
/// front of clamd).
///
/// TLS endpoints are parsed and kept so that every host of a policy is accounted for, but this
/// version does not speak TLS: connecting to one fails with [`Error::TlsUnsupported`] before
/// anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Endpoint {
    /// A host name or IP address, and a port.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix socket path.
    Unix(PathBuf),
    /// `tls://HOST:PORT`: clamd behind a TLS terminator such as stunnel. Not supported yet:
    /// connecting fails with [`Error::TlsUnsupported`].
    Tls {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port (no default: a TLS terminator has no standard port).
        port: u16,
    },
}

impl Endpoint {
    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Endpoint::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A Unix socket endpoint.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Endpoint::Unix(path.into())
    }

    /// Whether this is a Unix socket (where FILDES works).
    pub fn is_unix(&self) -> bool {
        matches!(self, Endpoint::Unix(_))
    }

    /// Whether this is a `tls://` endpoint.
    pub fn is_tls(&self) -> bool {
        matches!(self, Endpoint::Tls { .. })
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Endpoint::tcp(addr.ip().to_string(), addr.port())
    }
}

impl From<PathBuf> for Endpoint {
    fn from(path: PathBuf) -> Self {
        Endpoint::Unix(path)
    }
}

impl From<&std::path::Path> for Endpoint {
    fn from(path: &std::path::Path) -> Self {
        Endpoint::Unix(path.to_path_buf())
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    /// Parses `unix:PATH`, an absolute path (a Unix socket), `HOST`, `HOST:PORT`, `[V6]:PORT`
    /// or a bare IPv6 address (the default port is 3310), or `tls://HOST:PORT` (the port is
    /// required).
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Config(format!("bad clamd address {s:?}: {why}"));
        if let Some(rest) = s.strip_prefix("tls://") {
            return match rest.parse::<Endpoint>() {
                Ok(Endpoint::Tcp { host, port }) if rest.ends_with(&format!(":{port}")) => {
                    Ok(Endpoint::Tls { host, port })
                }
                Ok(Endpoint::Tcp { .. }) => Err(bad("a tls:// address needs its port")),
                Ok(_) => Err(bad("a tls:// address is HOST:PORT")),
                Err(Error::Config(e)) => Err(Error::Config(format!("tls://{e}"))),
                Err(e) => Err(e),
            };
        }
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad("empty socket path"));
            }
            return Ok(Endpoint::unix(path));
        }
        if s.starts_with('/') {
            return Ok(Endpoint::unix(s));
        }
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| bad("the port is not a number 0-65535"))
        };
        if let Some(rest) = s.strip_prefix('[') {
            let (host, tail) = rest.split_once(']').ok_or_else(|| bad("missing ]"))?;
            let p = match tail {
                "" => DEFAULT_PORT,
                t => port(
                    t.strip_prefix(':')
                        .ok_or_else(|| bad("expected :PORT after ]"))?,
                )?,
            };
            return Ok(Endpoint::tcp(host, p));
        }
        match s.matches(':').count() {
            1 => {
                let (host, p) = s.split_once(':').unwrap_or((s, ""));
                if host.is_empty() {
                    return Err(bad("empty host"));
                }
                Ok(Endpoint::tcp(host, port(p)?))
            }
            // A host without port, or a bare IPv6 address.
            _ => Ok(Endpoint::tcp(s, DEFAULT_PORT)),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(p) => write!(f, "{}", p.display()),
            Endpoint::Tls { host, port } if host.contains(':') => {
                write!(f, "tls://[{host}]:{port}")
            }
            Endpoint::Tls { host, port } => write!(f, "tls://{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let cases = [
            (
                "localhost",
                Endpoint::tcp("localhost", 3310),
                "localhost:3310",
            ),
            (
                "10.0.0.1:3311",
                Endpoint::tcp("10.0.0.1", 3311),
                "10.0.0.1:3311",
            ),
            ("[::1]:99", Endpoint::tcp("::1", 99), "[::1]:99"),
            ("::1", Endpoint::tcp("::1", 3310), "[::1]:3310"),
            (
                "/run/clamd.sock",
                Endpoint::unix("/run/clamd.sock"),
                "/run/clamd.sock",
            ),
            ("unix:rel.sock", Endpoint::unix("rel.sock"), "rel.sock"),
            (
                "tls://scan1.example:3311",
                Endpoint::Tls {
                    host: "scan1.example".into(),
                    port: 3311,
                },
                "tls://scan1.example:3311",
            ),
            (
                "tls://[::1]:3311",
                Endpoint::Tls {
                    host: "::1".into(),
                    port: 3311,
                },
                "tls://[::1]:3311",
            ),
        ];
        for (text, ep, shown) in cases {
            assert_eq!(text.parse::<Endpoint>().unwrap(), ep);
            assert_eq!(ep.to_string(), shown);
        }
        for bad in [
            "",
            "h:",
            "h:99999",
            ":1",
            "[::1",
            "[::1]x",
            "unix:",
            "tls://h",
            "tls://",
            "tls:///run/c.sock",
            "tls://[::1]",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_endpoints_are_refused_before_anything_is_sent() {
        // Nothing listens there: the refusal comes before any connect.
        let ep: Endpoint = "tls://127.0.0.1:1".parse().unwrap();
        assert!(ep.is_tls());
        let err = crate::Client::new(ep).ping().unwrap_err();
        assert!(matches!(err, Error::TlsUnsupported { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "tls://127.0.0.1:1: TLS not supported yet (clamd behind stunnel cannot be reached)"
        );
    }
}
