//! TLS to clamd behind a terminator such as stunnel (feature `tls`): the settings loaded
//! from PEM files, and [`TlsCore`], rustls's client connection driven without I/O, which the
//! blocking and the async transports feed with the bytes they read and write.
//!
//! rustls runs on its `ring` provider. Only `tls://IP:PORT` endpoints get here, so no name is
//! ever resolved: the certificate is checked against the endpoint's `#NAME`, or its IP address.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConnection, RootCertStore};

use crate::{Error, Result};

/// The largest CA, certificate or key file read: 1 MiB, far above any real chain, so that a
/// wrong path (a device, a huge file) costs no more.
pub(crate) const MAX_PEM_BYTES: u64 = 1 << 20;

/// The TLS settings of a client, loaded: the CA certificates that sign the servers'
/// certificates, and an optional client certificate with its key. Many endpoints share them.
#[derive(Debug)]
pub(crate) struct TlsSettings {
    config: Arc<rustls::ClientConfig>,
    ca: PathBuf,
}

impl TlsSettings {
    /// Loads the CA file and, when given, the client certificate chain and key (PEM).
    pub(crate) fn load(ca: &Path, client: Option<(&Path, &Path)>) -> Result<Self> {
        let ca_certs = certificates("CA certificates", ca)?;
        let mut roots = RootCertStore::empty();
        for cert in ca_certs {
            roots.add(cert).map_err(|e| Error::TlsFile {
                what: "CA certificates",
                path: ca.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS protocol versions: {e}")))?
            .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let (chain, key_der) = client_identity(cert, key)?;
                builder
                    .with_client_auth_cert(chain, key_der)
                    .map_err(|e| mismatch(cert, key, &e))?
            }
        };
        Ok(Self {
            config: Arc::new(config),
            ca: ca.to_path_buf(),
        })
    }

    /// The CA file the servers are verified with.
    pub(crate) fn ca(&self) -> &Path {
        &self.ca
    }
}

/// A client certificate chain and its key (PEM), for TLS client authentication.
pub(crate) fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = certificates("client certificate", cert)?;
    let bytes = read_pem("client key", key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| Error::TlsFile {
        what: "client key",
        path: key.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok((chain, key_der))
}

/// The error of a client key that rustls finds does not go with its certificate.
pub(crate) fn mismatch(cert: &Path, key: &Path, e: &rustls::Error) -> Error {
    Error::TlsFile {
        what: "client key",
        path: key.to_path_buf(),
        reason: format!("it does not go with {}: {e}", cert.display()),
    }
}

/// Reads a PEM file of at most [`MAX_PEM_BYTES`].
fn read_pem(what: &'static str, path: &Path) -> Result<Vec<u8>> {
    let err = |reason: String| Error::TlsFile {
        what,
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let meta = file.metadata().map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(err(format!("larger than {MAX_PEM_BYTES} bytes")));
    }
    Ok(bytes)
}

/// Every `CERTIFICATE` block of a PEM file; at least one.
pub(crate) fn certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = read_pem(what, path)?;
    let err = |reason: String| Error::TlsFile {
        what,
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no PEM CERTIFICATE block in it".into()));
    }
    Ok(certs)
}

/// What the connection was doing when TLS failed, for [`Error::Tls`].
pub(crate) const HANDSHAKING: &str = "handshaking";
pub(crate) const READING: &str = "reading from clamd";

/// One TLS client connection without I/O: the transport gives it what it read from the
/// socket ([`handle_input`](Self::handle_input), [`handle_eof`](Self::handle_eof)), sends
/// what [`poll_transmit`](Self::poll_transmit) gives, and moves plaintext with
/// [`send`](Self::send) and [`recv`](Self::recv).
///
/// Order: after [`new`](Self::new), while [`is_handshaking`](Self::is_handshaking), send
/// everything `poll_transmit` gives, then read from the socket and `handle_input` it. Once
/// the handshake is done, `send` then flush `poll_transmit` to write, and `recv` (which
/// asks for more input with `None`) to read.
pub(crate) struct TlsCore {
    conn: ClientConnection,
    endpoint: String,
    name: String,
    /// Ciphertext read from the socket that rustls has not taken yet.
    input: Vec<u8>,
    /// Ciphertext rustls wants sent, and how much of it is sent.
    output: Vec<u8>,
    sent: usize,
    eof: bool,
}

impl std::fmt::Debug for TlsCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCore")
            .field("endpoint", &self.endpoint)
            .field("name", &self.name)
            .field("handshaking", &self.conn.is_handshaking())
            .finish_non_exhaustive()
    }
}

impl TlsCore {
    /// A connection to `addr` whose certificate must be valid for `server_name`, or for
    /// `addr`'s IP address; `endpoint` names it in errors.
    pub(crate) fn new(
        settings: &TlsSettings,
        addr: SocketAddr,
        server_name: Option<&str>,
        endpoint: &str,
    ) -> Result<Self> {
        let (name, server) = match server_name {
            Some(n) => (
                n.to_owned(),
                ServerName::try_from(n.to_owned())
                    .map_err(|e| Error::Config(format!("TLS server name {n:?}: {e}")))?,
            ),
            None => (
                addr.ip().to_string(),
                ServerName::IpAddress(addr.ip().into()),
            ),
        };
        let conn = ClientConnection::new(Arc::clone(&settings.config), server).map_err(|e| {
            Error::Tls {
                endpoint: endpoint.to_owned(),
                during: HANDSHAKING,
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            conn,
            endpoint: endpoint.to_owned(),
            name,
            input: Vec::new(),
            output: Vec::new(),
            sent: 0,
            eof: false,
        })
    }

    /// Whether the handshake is still going on.
    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Ciphertext to send now, if any; call [`advance_transmit`](Self::advance_transmit)
    /// with what was written.
    #[must_use]
    pub(crate) fn poll_transmit(&mut self) -> Option<&[u8]> {
        if self.sent == self.output.len() {
            self.output.clear();
            self.sent = 0;
            while self.conn.wants_write() {
                // Writing into a Vec cannot fail.
                let _ = self.conn.write_tls(&mut self.output);
            }
        }
        let rest = &self.output[self.sent..];
        (!rest.is_empty()).then_some(rest)
    }

    /// `n` bytes of [`poll_transmit`](Self::poll_transmit)'s were written.
    pub(crate) fn advance_transmit(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.output.len());
    }

    /// Ciphertext read from the socket.
    ///
    /// # Errors
    ///
    /// The TLS failure it shows: an untrusted certificate, a wrong name, an alert.
    pub(crate) fn handle_input(&mut self, data: &[u8]) -> Result<()> {
        self.input.extend_from_slice(data);
        self.pump()
    }

    /// The socket reached its end.
    pub(crate) fn handle_eof(&mut self) {
        self.eof = true;
        let _ = self.conn.read_tls(&mut std::io::empty());
    }

    /// Gives rustls the ciphertext it takes; what it leaves (its plaintext buffer is full)
    /// waits for the next [`recv`](Self::recv).
    fn pump(&mut self) -> Result<()> {
        while !self.input.is_empty() {
            let mut rest = self.input.as_slice();
            let Ok(n) = self.conn.read_tls(&mut rest) else {
                break;
            };
            if n == 0 {
                break;
            }
            self.input.drain(..n);
            self.conn
                .process_new_packets()
                .map_err(|e| self.error(&e))?;
        }
        Ok(())
    }

    /// Plaintext to send; returns how much was taken (all of it, unless rustls's send buffer
    /// is full: flush [`poll_transmit`](Self::poll_transmit), then send the rest).
    pub(crate) fn send(&mut self, data: &[u8]) -> usize {
        self.conn.writer().write(data).unwrap_or(0)
    }

    /// Plaintext received: `Some(0)` at the end of the stream, `None` when more input is
    /// needed.
    ///
    /// # Errors
    ///
    /// The TLS failure the input shows.
    pub(crate) fn recv(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(Some(n)),
                // The peer closed without close_notify. clamd's replies carry their own ends,
                // so the exchange itself tells a cut reply from a whole one.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Some(0)),
                Err(_) => {}
            }
            if self.input.is_empty() {
                return Ok(self.eof.then_some(0));
            }
            let before = self.input.len();
            self.pump()?;
            if self.input.len() == before {
                return Ok(self.eof.then_some(0));
            }
        }
    }

    /// The TLS failure `e`, typed: an untrusted certificate, a wrong name, or another failure.
    fn error(&self, e: &rustls::Error) -> Error {
        let endpoint = self.endpoint.clone();
        let during = if self.conn.is_handshaking() {
            HANDSHAKING
        } else {
            READING
        };
        if let Some(typed) = certificate_error(e, &endpoint, &self.name) {
            return typed;
        }
        match e {
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => Error::Tls {
                endpoint,
                during,
                reason: format!(
                    "{e}: the server requires a client certificate (tls_cert and tls_key)"
                ),
            },
            rustls::Error::AlertReceived(
                AlertDescription::UnknownCA
                | AlertDescription::BadCertificate
                | AlertDescription::CertificateUnknown
                | AlertDescription::HandshakeFailure,
            ) => Error::Tls {
                endpoint,
                during,
                reason: format!("{e}: the server refused our client certificate, or its absence"),
            },
            _ => Error::Tls {
                endpoint,
                during,
                reason: e.to_string(),
            },
        }
    }
}

/// A server certificate that failed verification, typed: not valid for `name`
/// ([`Error::TlsWrongName`]) or not trusted ([`Error::TlsUntrusted`]); `None` for any other
/// failure.
pub(crate) fn certificate_error(e: &rustls::Error, endpoint: &str, name: &str) -> Option<Error> {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => Some(Error::TlsWrongName {
            endpoint: endpoint.to_owned(),
            name: name.to_owned(),
            reason: e.to_string(),
        }),
        rustls::Error::InvalidCertificate(_) => Some(Error::TlsUntrusted {
            endpoint: endpoint.to_owned(),
            reason: e.to_string(),
        }),
        _ => None,
    }
}
