//! Where a clamd listens.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

/// clamd's default TCP port.
pub const DEFAULT_PORT: u16 = 3310;

/// A clamd address: a TCP host and port, a Unix socket path, or a TLS endpoint (stunnel in
/// front of clamd).
///
/// A TLS endpoint is an IP address and port, and the name its server's certificate must be
/// valid for: `tls://192.0.2.7:3311#scan1.example`. Without `#NAME` the certificate must be
/// valid for the IP address itself (an IP subject alternative name). The address is never a
/// host name: nothing in this crate's TLS path resolves names, so where the connection goes
/// is exactly what was written. Connecting needs the `tls` feature and TLS settings
/// ([`ClientBuilder::tls_ca`](crate::ClientBuilder)); without the feature it fails with
/// [`Error::TlsUnsupported`] before anything is sent.
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
    /// `tls://IP:PORT#NAME`: clamd behind a TLS terminator such as stunnel.
    Tls {
        /// The terminator's address and port (no default port: a TLS terminator has no
        /// standard one).
        addr: SocketAddr,
        /// The name the server's certificate must be valid for (`#NAME`: a DNS name, or an IP
        /// address); `None` checks the certificate against `addr`'s IP address.
        server_name: Option<String>,
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

    /// A TLS endpoint: `addr`, whose server's certificate must be valid for `server_name`
    /// (a DNS name or an IP address), or for `addr`'s IP address when it is `None`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `server_name` is neither a DNS name nor an IP address.
    pub fn tls(addr: SocketAddr, server_name: Option<&str>) -> Result<Self, Error> {
        if let Some(name) = server_name {
            check_server_name(name)
                .map_err(|why| Error::Config(format!("bad TLS server name {name:?}: {why}")))?;
        }
        Ok(Endpoint::Tls {
            addr,
            server_name: server_name.map(str::to_owned),
        })
    }

    /// The name a TLS endpoint's certificate is checked against: its `#NAME`, or its IP
    /// address; `None` for other endpoints.
    pub fn tls_server_name(&self) -> Option<String> {
        match self {
            Endpoint::Tls {
                server_name: Some(n),
                ..
            } => Some(n.clone()),
            Endpoint::Tls { addr, .. } => Some(addr.ip().to_string()),
            _ => None,
        }
    }
}

/// The longest DNS name (RFC 1035), and the longest label in it.
const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

/// Whether `name` can be checked against a certificate: an IP address, or a DNS name of
/// letters, digits, `-` and `_` in dot-separated labels.
fn check_server_name(name: &str) -> Result<(), &'static str> {
    if name.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if name.is_empty() || name.len() > MAX_NAME {
        return Err("a DNS name has 1 to 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err("each dot-separated label has 1 to 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label neither starts nor ends with -");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a DNS name holds letters, digits, - and _ only");
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("the last label of a DNS name is not all digits");
    }
    Ok(())
}

/// `IP:PORT#NAME` after `tls://`.
fn parse_tls(s: &str, rest: &str) -> Result<Endpoint, Error> {
    let bad = |why: String| Error::Config(format!("bad clamd address {s:?}: {why}"));
    let (addr, name) = match rest.split_once('#') {
        Some((addr, name)) => (addr, Some(name)),
        None => (rest, None),
    };
    let addr: SocketAddr = addr.parse().map_err(|_| {
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        if !host.is_empty() && !host.starts_with('[') && host.parse::<IpAddr>().is_err() {
            bad(format!(
                "a tls:// address is an IP address, not the host name {host:?} (names are never \
                 resolved here); write tls://IP:PORT#{host} to check the certificate for that name"
            ))
        } else {
            bad("a tls:// address is IP:PORT or [IPv6]:PORT, then #NAME for the certificate".into())
        }
    })?;
    Endpoint::tls(addr, name).map_err(|e| bad(e.to_string()))
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
    /// or a bare IPv6 address (the default port is 3310), or `tls://IP:PORT` or
    /// `tls://IP:PORT#NAME` (the port is required; `[V6]:PORT` for IPv6; `NAME` is what the
    /// certificate must be valid for, the IP address when left out).
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Config(format!("bad clamd address {s:?}: {why}"));
        if let Some(rest) = s.strip_prefix("tls://") {
            return parse_tls(s, rest);
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
            Endpoint::Tls {
                addr,
                server_name: None,
            } => write!(f, "tls://{addr}"),
            Endpoint::Tls {
                addr,
                server_name: Some(name),
            } => write!(f, "tls://{addr}#{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(addr: &str, name: Option<&str>) -> Endpoint {
        Endpoint::tls(addr.parse().unwrap(), name).unwrap()
    }

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
                "tls://192.0.2.7:3311#scan1.example",
                tls("192.0.2.7:3311", Some("scan1.example")),
                "tls://192.0.2.7:3311#scan1.example",
            ),
            (
                "tls://127.0.0.1:3311",
                tls("127.0.0.1:3311", None),
                "tls://127.0.0.1:3311",
            ),
            (
                "tls://[::1]:3311#scan_1.example",
                tls("[::1]:3311", Some("scan_1.example")),
                "tls://[::1]:3311#scan_1.example",
            ),
            (
                "tls://[::1]:3311#10.0.0.9",
                tls("[::1]:3311", Some("10.0.0.9")),
                "tls://[::1]:3311#10.0.0.9",
            ),
        ];
        for (text, ep, shown) in cases {
            assert_eq!(text.parse::<Endpoint>().unwrap(), ep);
            assert_eq!(ep.to_string(), shown);
            if ep.is_tls() {
                // What a report shows is what a policy can name again.
                assert_eq!(shown.parse::<Endpoint>().unwrap(), ep, "{shown}");
            }
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
            "tls://127.0.0.1",
            "tls://127.0.0.1:99999",
            "tls://127.0.0.1:3311#",
            "tls://127.0.0.1:3311#bad name",
            "tls://127.0.0.1:3311#-a.example",
            "tls://127.0.0.1:3311#a..example",
            "tls://127.0.0.1:3311#1.2.3",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_host_names_are_refused_not_resolved() {
        let err = "tls://scan1.example:3311"
            .parse::<Endpoint>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("not the host name \"scan1.example\""), "{err}");
        assert!(err.contains("tls://IP:PORT#scan1.example"), "{err}");
    }

    #[test]
    fn the_certificate_name_is_the_fragment_or_the_address() {
        assert_eq!(
            tls("[::1]:1", Some("a.example"))
                .tls_server_name()
                .as_deref(),
            Some("a.example")
        );
        assert_eq!(
            tls("[::1]:1", None).tls_server_name().as_deref(),
            Some("::1")
        );
        assert_eq!(Endpoint::unix("/s").tls_server_name(), None);
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_endpoints_are_refused_before_anything_is_sent() {
        // Nothing listens there: the refusal comes before any connect.
        let ep: Endpoint = "tls://127.0.0.1:1".parse().unwrap();
        assert!(ep.is_tls());
        let err = crate::Client::new(ep).ping().unwrap_err();
        assert!(matches!(err, Error::TlsUnsupported { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "tls://127.0.0.1:1: this build has no TLS support (clamd-proto feature `tls`)"
        );
    }
}
