//! TLS to a PostgreSQL history: libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` read
//! from the URL, since the `postgres` client knows neither `verify-ca`, `verify-full` nor
//! these files, and the rustls settings (on `ring`) that they ask for.
//!
//! - no `sslmode`, `disable`: no TLS.
//! - `prefer`: TLS when the server offers it, the certificate not checked (as libpq).
//! - `require`: TLS or nothing; the certificate not checked, unless `sslrootcert` is given:
//!   then signed by it, as `verify-ca` (as libpq).
//! - `verify-ca`: TLS, the certificate signed by a CA of `sslrootcert`.
//! - `verify-full`: as `verify-ca`, and valid for the URL's host (a name, checked without
//!   being resolved when `hostaddr` gives the address, or an IP address).
//!
//! `verify-ca` and `verify-full` need `sslrootcert=FILE` (PEM): neither the system's trust
//! store nor `~/.postgresql/root.crt` is read. `allow` is refused.
//!
//! `sslcert=FILE&sslkey=FILE` (PEM, both or neither, with `require`, `verify-ca` or
//! `verify-full`) are the client certificate for a server that demands one
//! (`clientcert=verify-ca` or `cert` in `pg_hba.conf`); `~/.postgresql/postgresql.crt` is
//! never read. As libpq, a key that group or others may read is refused: at most `0600`, or
//! `0640` when root owns it.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::{Error, Result};

/// The URL as the `postgres` client reads it, and the TLS it asks for.
pub(crate) struct Target {
    /// The URL without `sslrootcert`, with the client's own `sslmode`.
    pub(crate) url: String,
    /// The rustls settings, `None` without TLS.
    pub(crate) tls: Option<rustls::ClientConfig>,
}

/// How the server's certificate is checked.
enum Check {
    Nothing,
    Ca,
    Full,
}

/// `%XX` escapes decoded, as in a URL's query.
fn decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Error::Config(format!("{text:?} is not UTF-8")))
}

/// Reads `sslmode` and `sslrootcert` out of `url` and loads the CA file it names.
///
/// # Errors
///
/// [`Error::Config`] for an `sslmode` this client does not do or one that needs
/// `sslrootcert` without it; [`Error::TlsFile`] when the CA file cannot be loaded.
pub(crate) fn target(url: &str) -> Result<Target> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut root) = (None, None);
    let (mut cert, mut client_key) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key)?.as_str() {
            "sslmode" => mode = Some(decode(value)?),
            "sslrootcert" => root = Some(decode(value)?),
            "sslcert" => cert = Some(decode(value)?),
            "sslkey" => client_key = Some(decode(value)?),
            _ => kept.push(pair),
        }
    }
    let bad = |m: String| Error::Config(format!("the history's URL: {m}"));
    let client = client_files(cert, client_key, mode.as_deref())?;
    let (client_mode, check) = match (mode.as_deref(), &root) {
        (None | Some("disable"), None) => {
            if mode.is_some() {
                kept.push("sslmode=disable");
            }
            return Ok(Target {
                url: join(base, &kept),
                tls: None,
            });
        }
        (None | Some("disable" | "prefer"), Some(_)) => {
            return Err(bad(
                "sslrootcert needs sslmode=require, verify-ca or verify-full".into(),
            ));
        }
        (Some("prefer"), None) => ("prefer", Check::Nothing),
        (Some("require"), None) => ("require", Check::Nothing),
        (Some("require" | "verify-ca"), Some(_)) => ("require", Check::Ca),
        (Some("verify-full"), Some(_)) => ("require", Check::Full),
        (Some(m @ ("verify-ca" | "verify-full")), None) => {
            return Err(bad(format!(
                "sslmode={m} needs sslrootcert=FILE (the CA certificates, PEM): no system \
                 trust store is read"
            )));
        }
        (Some(m), _) => {
            return Err(bad(format!(
                "sslmode={m}: use disable, prefer, require, verify-ca or verify-full"
            )));
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match (&check, &root) {
        (Check::Nothing, _) | (_, None) => Arc::new(Lenient {
            chain: None,
            provider: Arc::clone(&provider),
        }),
        (Check::Ca | Check::Full, Some(file)) => {
            let path = std::path::Path::new(file);
            let mut roots = RootCertStore::empty();
            for cert in crate::tls::certificates("CA certificates", path)? {
                roots.add(cert).map_err(|e| Error::TlsFile {
                    what: "CA certificates",
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            }
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| bad(format!("the CA certificates of {file}: {e}")))?;
            if matches!(check, Check::Full) {
                webpki
            } else {
                Arc::new(Lenient {
                    chain: Some(webpki),
                    provider: Arc::clone(&provider),
                })
            }
        }
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS protocol versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = with_client(builder, client.as_ref())?;
    let mode = format!("sslmode={client_mode}");
    kept.push(&mode);
    Ok(Target {
        url: join(base, &kept),
        tls: Some(config),
    })
}

/// `sslcert` and `sslkey`: both or neither, and only over TLS. No default files are read
/// (libpq's `~/.postgresql/postgresql.crt`).
fn client_files(
    cert: Option<String>,
    key: Option<String>,
    mode: Option<&str>,
) -> Result<Option<(String, String)>> {
    let bad = |m: &str| Error::Config(format!("the history's URL: {m}"));
    let client = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => {
            return Err(bad(
                "sslcert and sslkey go together (the client certificate and its key, PEM)",
            ));
        }
    };
    if !matches!(mode, Some("require" | "verify-ca" | "verify-full")) {
        return Err(bad(
            "sslcert needs sslmode=require, verify-ca or verify-full",
        ));
    }
    Ok(Some(client))
}

/// The settings with the client certificate and key of `client`, if any.
fn with_client(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    client: Option<&(String, String)>,
) -> Result<rustls::ClientConfig> {
    let Some((cert, key)) = client else {
        return Ok(builder.with_no_client_auth());
    };
    let (cert, key) = (std::path::Path::new(cert), std::path::Path::new(key));
    private_key_file(key)?;
    let (chain, key_der) = crate::tls::client_identity(cert, key)?;
    builder
        .with_client_auth_cert(chain, key_der)
        .map_err(|e| crate::tls::mismatch(cert, key, &e))
}

/// Refuses a key that others may read, as libpq does: at most `0600`, or `0640` when root
/// owns it (a key shared with a group through root's ownership).
fn private_key_file(key: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(key).map_err(|e| Error::TlsFile {
        what: "client key",
        path: key.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mode = meta.mode() & 0o777;
    let allowed = if meta.uid() == 0 { 0o640 } else { 0o600 };
    if mode & !allowed != 0 {
        return Err(Error::TlsFile {
            what: "client key",
            path: key.to_path_buf(),
            reason: format!(
                "its permissions {mode:04o} let others read it; it must be u=rw (0600) or less, \
                 or u=rw,g=r (0640) or less when root owns it"
            ),
        });
    }
    Ok(())
}

fn join(base: &str, params: &[&str]) -> String {
    let params: Vec<&str> = params.iter().copied().filter(|p| !p.is_empty()).collect();
    if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// The rustls error under a failed connection's error, if TLS failed: the `postgres` client
/// wraps it in an I/O error, which hides it from `source()`.
pub(crate) fn rustls_error<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> Option<&'e rustls::Error> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        next = e.source();
    }
    None
}

/// The checks short of `verify-full`: with `chain`, the certificate must lead to its CA,
/// whatever names it holds (`verify-ca`); without, it is taken as it comes (`require` or
/// `prefer` without a CA, as libpq). The handshake's signatures are checked either way.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain before the name: a name error means the chain is good.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn the_client_gets_its_own_sslmode_and_no_sslrootcert() {
        let t = target("postgres://u@127.0.0.1:5432/db?application_name=x").unwrap();
        assert_eq!(t.url, "postgres://u@127.0.0.1:5432/db?application_name=x");
        assert!(t.tls.is_none());
        let t = target("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(
            (t.url.as_str(), t.tls.is_none()),
            ("postgres://u@h/db?sslmode=disable", true)
        );
        let t = target("postgres://u@h/db?sslmode=require&connect_timeout=5").unwrap();
        assert_eq!(t.url, "postgres://u@h/db?connect_timeout=5&sslmode=require");
        assert!(t.tls.is_some());
    }

    #[test]
    fn a_client_certificate_needs_its_key_and_tls() {
        for url in [
            "postgres://u@h/db?sslmode=require&sslcert=/c.pem",
            "postgres://u@h/db?sslmode=require&sslkey=/k.pem",
            "postgres://u@h/db?sslcert=/c.pem&sslkey=/k.pem",
            "postgres://u@h/db?sslmode=prefer&sslcert=/c.pem&sslkey=/k.pem",
        ] {
            let e = target(url).err().unwrap();
            assert!(matches!(e, crate::Error::Config(_)), "{url}: {e}");
        }
    }

    #[test]
    fn modes_it_cannot_honour_are_refused() {
        for url in [
            "postgres://u@h/db?sslmode=verify-full",
            "postgres://u@h/db?sslmode=verify-ca",
            "postgres://u@h/db?sslmode=allow",
            "postgres://u@h/db?sslmode=bogus",
            "postgres://u@h/db?sslrootcert=/x.pem",
            "postgres://u@h/db?sslmode=disable&sslrootcert=/x.pem",
        ] {
            let e = target(url)
                .err()
                .unwrap_or_else(|| panic!("{url} was taken"));
            assert!(matches!(e, crate::Error::Config(_)), "{url}: {e}");
        }
        let e = target("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fno%2Fsuch.pem")
            .err()
            .unwrap();
        match e {
            crate::Error::TlsFile { path, .. } => {
                assert_eq!(path, std::path::Path::new("/no/such.pem"));
            }
            e => panic!("{e}"),
        }
    }
}
