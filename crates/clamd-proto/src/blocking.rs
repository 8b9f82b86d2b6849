//! The blocking client, over TCP (socket2) and Unix sockets, built on the sans-IO core.

mod session;
mod transport;

use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use session::Session;
pub(crate) use transport::Conn;
use transport::WriteError;

use crate::budget::{Budget, DEFAULT_MAX_RESULT_BYTES, DEFAULT_MAX_RESULTS};
use crate::endpoint::Endpoint;
use crate::proto::command::{Command, END_OF_STREAM, Mode, ScanMode, check_path};
use crate::proto::decoder::DEFAULT_MAX_LINE;
use crate::proto::exchange::{Exchange, Response};
use crate::proto::reply::{ScanResult, Stats, Version, VersionCommands};
use crate::{Error, Result};

/// The INSTREAM chunk size, chosen by `benches/clamd.rs`: of 8 KiB, 64 KiB, 256 KiB and 1 MiB
/// chunks streaming a 64 MiB file, 64 KiB was the fastest in every run (8 KiB costs system
/// calls, larger chunks only cost memory), at 2.5 MiB client peak RSS.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// The default deadline of one operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest timeout or deadline accepted anywhere (100 days), so that adding one to the
/// current time never overflows.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 86_400);

/// Refuses a span that is zero or longer than [`MAX_TIMEOUT`].
pub(crate) fn check_span(what: &str, d: Duration) -> std::result::Result<(), String> {
    if d.is_zero() {
        Err(format!("{what} must be positive"))
    } else if d > MAX_TIMEOUT {
        Err(format!("{what} of {d:?} is longer than 100 days"))
    } else {
        Ok(())
    }
}

/// The default number of requests in flight in an IDSESSION (below clamd's default
/// `MaxQueue` of 100).
pub const DEFAULT_SESSION_WINDOW: usize = 32;

/// Client settings, apart from any endpoint: one value that many clients share, e.g. every
/// host of a [`Fleet`](crate::Fleet) ([`FleetBuilder::client`](crate::FleetBuilder::client)).
/// Built and checked by [`ClientBuilder::build_config`]; [`Client::with_config`] gives a client
/// of an endpoint with it. The defaults are [`ClientBuilder`]'s.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) mode: Mode,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) chunk_size: usize,
    pub(crate) max_line: usize,
    pub(crate) max_results: usize,
    pub(crate) max_result_bytes: usize,
    pub(crate) stream_max_length: Option<u64>,
    pub(crate) resolve_paths: bool,
    pub(crate) keepalive: Duration,
    pub(crate) session_window: usize,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<crate::tls::TlsSettings>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Z,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_line: DEFAULT_MAX_LINE,
            max_results: DEFAULT_MAX_RESULTS,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            stream_max_length: None,
            resolve_paths: true,
            keepalive: crate::proto::session::DEFAULT_KEEPALIVE,
            session_window: DEFAULT_SESSION_WINDOW,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientConfig {
    /// z-mode or n-mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The deadline of each operation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The CA file that `tls://` servers are verified with, if TLS is configured.
    #[cfg(feature = "tls")]
    pub fn tls_ca(&self) -> Option<&Path> {
        self.tls.as_deref().map(crate::tls::TlsSettings::ca)
    }

    /// `path` checked for the mode and, if so configured, made absolute.
    pub(crate) fn prepare_path(&self, path: &Path) -> Result<PathBuf> {
        check_path(path, self.mode)?;
        let path = if self.resolve_paths && path.is_relative() {
            std::path::absolute(path).map_err(|source| Error::ResolvePath {
                path: path.to_path_buf(),
                source,
            })?
        } else {
            path.to_path_buf()
        };
        check_path(&path, self.mode)?;
        Ok(path)
    }

    /// A fresh budget with the configured result limits.
    pub(crate) fn budget(&self) -> Budget {
        Budget::new(self.max_results, self.max_result_bytes)
    }

    /// The exchange of a path scan, with the configured limits.
    pub(crate) fn path_exchange(
        &self,
        mode: ScanMode,
        path: PathBuf,
    ) -> Result<(Exchange, Vec<u8>)> {
        let (ex, bytes) = Exchange::new(
            Command::Path(mode, path),
            self.mode,
            self.max_line,
            self.max_results,
        )?;
        Ok((
            ex.with_limits(self.max_results, self.max_result_bytes),
            bytes,
        ))
    }
}

/// Builder of a [`Client`]. Every setting has a sensible default.
///
/// [`Client::builder`] starts with an endpoint and [`build`](Self::build) gives a [`Client`].
/// [`ClientBuilder::new`] starts with none, and [`build_config`](Self::build_config) gives the
/// settings alone, a [`ClientConfig`] that many endpoints share (e.g. a
/// [`Fleet`](crate::Fleet)'s hosts).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<Endpoint>,
    config: ClientConfig,
    error: Option<String>,
    #[cfg(feature = "tls")]
    tls_files: TlsFiles,
}

/// The TLS files a builder was given, loaded by its `build`.
#[cfg(feature = "tls")]
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsFiles {
    pub(crate) ca: Option<PathBuf>,
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
}

#[cfg(feature = "tls")]
impl TlsFiles {
    /// The settings these files give: `None` when no file is set.
    fn load(&self) -> Result<Option<Arc<crate::tls::TlsSettings>>> {
        let client = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::Config(
                    "a TLS client certificate needs its key (tls_key)".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(Error::Config(
                    "a TLS client key needs its certificate (tls_cert)".into(),
                ));
            }
        };
        match (&self.ca, client) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(Error::Config(
                "a TLS client certificate needs a CA to verify the server with (tls_ca)".into(),
            )),
            (Some(ca), client) => Ok(Some(Arc::new(crate::tls::TlsSettings::load(ca, client)?))),
        }
    }

    fn is_empty(&self) -> bool {
        self.ca.is_none() && self.cert.is_none() && self.key.is_none()
    }
}

impl ClientBuilder {
    /// Default settings and no endpoint yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The endpoint, replacing any set before.
    pub fn endpoint(mut self, endpoint: impl Into<Endpoint>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// A builder that starts from `config`, so that its setters check further changes.
    pub(crate) fn from_config(config: ClientConfig) -> Self {
        Self {
            endpoint: None,
            config,
            error: None,
            #[cfg(feature = "tls")]
            tls_files: TlsFiles::default(),
        }
    }

    fn fail(mut self, msg: String) -> Self {
        if self.error.is_none() {
            self.error = Some(msg);
        }
        self
    }

    /// z-mode (default) or n-mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.mode = mode;
        self
    }

    /// How long a connect may take (default 5 s; never longer than the operation's deadline;
    /// at most [`MAX_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        if let Err(e) = check_span("connect timeout", timeout) {
            return self.fail(e);
        }
        self.config.connect_timeout = timeout;
        self
    }

    /// The deadline of each operation, from connect to the last byte of the reply (default
    /// 300 s, at most [`MAX_TIMEOUT`]). A stalled clamd gives [`Error::Timeout`] by then.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Err(e) = check_span("timeout", timeout) {
            return self.fail(e);
        }
        self.config.timeout = timeout;
        self
    }

    /// INSTREAM chunk size in bytes (default [`DEFAULT_CHUNK_SIZE`], between 1 and 64 MiB).
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        if bytes == 0 || bytes > 64 << 20 {
            return self.fail(format!("chunk size {bytes} is not in 1..=64 MiB"));
        }
        self.config.chunk_size = bytes;
        self
    }

    /// The longest reply frame accepted (default 64 KiB). Longer replies are
    /// [`Error::LineTooLong`], never an allocation.
    pub fn max_line(mut self, bytes: usize) -> Self {
        if bytes < 64 {
            return self.fail(format!("max line {bytes} is below 64 bytes"));
        }
        self.config.max_line = bytes;
        self
    }

    /// The most result lines one path scan keeps (default [`DEFAULT_MAX_RESULTS`], 1,000,000;
    /// in a [`Fleet`](crate::Fleet), the most one host keeps over all its scans). Past it the
    /// scan ends with [`Error::TooManyResults`]; the results before it are kept.
    pub fn max_results(mut self, lines: usize) -> Self {
        if lines == 0 {
            return self.fail("max results must be at least 1".into());
        }
        self.config.max_results = lines;
        self
    }

    /// The byte budget of the results one path scan keeps, as counted by
    /// [`ScanResult::footprint`] (default [`DEFAULT_MAX_RESULT_BYTES`], 64 MiB; in a
    /// [`Fleet`](crate::Fleet), one host's budget over all its scans). Past it the scan ends with
    /// [`Error::ResultBytesExceeded`]; the results within it are kept. Together with
    /// [`max_line`](Self::max_line) this bounds the memory a flooding server can take.
    pub fn max_result_bytes(mut self, bytes: usize) -> Self {
        if bytes == 0 {
            return self.fail("max result bytes must be at least 1".into());
        }
        self.config.max_result_bytes = bytes;
        self
    }

    /// clamd's `StreamMaxLength`, if known: longer streams are refused before they are sent
    /// ([`Error::StreamTooLong`]).
    pub fn stream_max_length(mut self, bytes: u64) -> Self {
        self.config.stream_max_length = Some(bytes);
        self
    }

    /// Whether relative paths are made absolute before they are sent (default yes), so that
    /// clamd's working directory never decides what gets scanned.
    pub fn resolve_paths(mut self, resolve: bool) -> Self {
        self.config.resolve_paths = resolve;
        self
    }

    /// The idle interval after which a session sends a keep-alive PING (default 10 s).
    pub fn keepalive(mut self, interval: Duration) -> Self {
        self.config.keepalive = interval;
        self
    }

    /// Requests in flight in an IDSESSION (default 32). Keep it below clamd's `MaxQueue`.
    pub fn session_window(mut self, requests: usize) -> Self {
        if requests == 0 {
            return self.fail("session window must be at least 1".into());
        }
        self.config.session_window = requests;
        self
    }

    /// The PEM file of the CA certificates that sign the `tls://` servers' certificates
    /// (stunnel's `cert`); read by [`build`](Self::build), at most 1 MiB. A `tls://` endpoint
    /// without it fails with [`Error::TlsNotConfigured`] before any connect. The system's
    /// trust store is never used: a clamd behind stunnel has a private CA.
    ///
    /// Against the testbed's private clamd behind Debian's stunnel, whose certificate is for
    /// `scan1.example` and `127.0.0.1`:
    ///
    /// ```
    /// use clamd_proto::{Client, EICAR, Endpoint, Error};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let clamd = testbed::clamd::Clamd::start()?;
    /// let stunnel = testbed::stunnel::Stunnel::builder(clamd.tcp_addr()).start()?;
    /// let ca = stunnel.pki().ca_cert();
    /// let host: Endpoint = format!("tls://{}#scan1.example", stunnel.addr()).parse()?;
    /// let client = Client::builder(host.clone()).tls_ca(&ca).build()?;
    /// client.ping()?;
    /// assert!(client.scan_bytes(EICAR)?.is_infected());
    ///
    /// // Another CA: refused during the handshake, before any command is sent.
    /// let wrong = Client::builder(host).tls_ca(stunnel.pki().other_ca_cert()).build()?;
    /// assert!(matches!(wrong.ping(), Err(Error::TlsUntrusted { .. })));
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_ca(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_files.ca = Some(path.into());
        self
    }

    /// The PEM file of the client certificate (and its chain) shown to `tls://` servers that
    /// ask for one (stunnel's `verify = 2`); needs [`tls_key`](Self::tls_key) and
    /// [`tls_ca`](Self::tls_ca).
    #[cfg(feature = "tls")]
    pub fn tls_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_files.cert = Some(path.into());
        self
    }

    /// The PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[cfg(feature = "tls")]
    pub fn tls_key(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls_files.key = Some(path.into());
        self
    }

    /// The TLS files at once (the fleet builder's), replacing any set before unless there
    /// are none.
    #[cfg(feature = "tls")]
    pub(crate) fn tls_files(mut self, files: &TlsFiles) -> Self {
        if !files.is_empty() {
            self.tls_files = files.clone();
        }
        self
    }

    /// Checks the settings and returns them without an endpoint, to share among clients
    /// ([`Client::with_config`], [`FleetBuilder::client`](crate::FleetBuilder::client)). An
    /// endpoint set on the builder is not part of them.
    ///
    /// # Errors
    ///
    /// The first invalid setting, or a connect timeout longer than the operation timeout, as
    /// [`Error::Config`]; with TLS files, a client certificate without its key (or the other
    /// way round) or without a CA, as [`Error::Config`], and a file that cannot be loaded, as
    /// [`Error::TlsFile`].
    pub fn build_config(self) -> Result<ClientConfig> {
        self.check().map(|(config, _)| config)
    }

    /// Builds the client. It does not connect: each operation opens its own connection.
    ///
    /// # Errors
    ///
    /// As [`build_config`](Self::build_config), and a missing [`endpoint`](Self::endpoint), as
    /// [`Error::Config`].
    pub fn build(self) -> Result<Client> {
        let (config, endpoint) = self.check()?;
        let Some(endpoint) = endpoint else {
            return Err(Error::Config(
                "the client has no endpoint: set ClientBuilder::endpoint".into(),
            ));
        };
        Ok(Client::with_config(endpoint, config))
    }

    #[cfg_attr(
        not(feature = "tls"),
        expect(unused_mut, reason = "only TLS files change it")
    )]
    fn check(mut self) -> Result<(ClientConfig, Option<Endpoint>)> {
        if let Some(e) = self.error {
            return Err(Error::Config(e));
        }
        if self.config.connect_timeout > self.config.timeout {
            return Err(Error::Config(
                "connect timeout is longer than the operation timeout".into(),
            ));
        }
        #[cfg(feature = "tls")]
        if !self.tls_files.is_empty() {
            self.config.tls = self.tls_files.load()?;
        }
        Ok((self.config, self.endpoint))
    }
}

/// A blocking clamd client. Cheap to clone; each operation uses its own connection, except a
/// [`Session`].
///
/// Method names follow pyClamd, and say where the file is (the mapping is in the crate's
/// README):
///
/// - a path **on clamd's host**, read by clamd: [`scan_file`](Self::scan_file) (SCAN),
///   [`contscan_file`](Self::contscan_file), [`multiscan_file`](Self::multiscan_file),
///   [`allmatchscan`](Self::allmatchscan), [`scan_path`](Self::scan_path) in any mode;
/// - data **from this process**: [`scan_stream`](Self::scan_stream) and
///   [`scan_bytes`](Self::scan_bytes) (INSTREAM), [`stream_file`](Self::stream_file) (a local
///   file by INSTREAM), [`scan_fd`](Self::scan_fd) and [`fildes_file`](Self::fildes_file)
///   (FILDES over a Unix socket);
/// - [`ping`](Self::ping), [`version`](Self::version), [`reload`](Self::reload),
///   [`shutdown`](Self::shutdown), [`stats`](Self::stats).
///
/// # Example
///
/// Against a private clamd from the testbed, whose signature database detects EICAR:
///
/// ```
/// use clamd_proto::{Client, EICAR, Endpoint, Verdict};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let clamd = testbed::clamd::Clamd::start()?;
/// let client = Client::builder(Endpoint::unix(clamd.socket_path()))
///     .timeout(std::time::Duration::from_secs(30))
///     .build()?;
/// client.ping()?;
///
/// // Bytes from this process, by INSTREAM: a virus found is a verdict, not an error.
/// let result = client.scan_bytes(EICAR)?;
/// assert_eq!(result.verdict(), &Verdict::Found(clamd.eicar_signature().into()));
///
/// // A path on clamd's host (here the same machine), read by clamd: SCAN.
/// let file = clamd.dir().join("eicar.txt");
/// std::fs::write(&file, EICAR)?;
/// let lines = client.scan_file(&file)?;
/// assert_eq!(lines[0].path(), file);
/// assert!(lines[0].is_infected());
///
/// // The same file of this host, streamed: the result carries its local path.
/// assert!(client.stream_file(&file)?.is_infected());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Arc<Endpoint>,
    config: Arc<ClientConfig>,
}

impl Client {
    /// A builder for a client of `endpoint`.
    pub fn builder(endpoint: impl Into<Endpoint>) -> ClientBuilder {
        ClientBuilder::new().endpoint(endpoint)
    }

    /// A client with default settings.
    pub fn new(endpoint: impl Into<Endpoint>) -> Self {
        Self::with_config(endpoint, ClientConfig::default())
    }

    /// A client of `endpoint` with settings built by [`ClientBuilder::build_config`].
    pub fn with_config(endpoint: impl Into<Endpoint>, config: ClientConfig) -> Self {
        Self {
            endpoint: Arc::new(endpoint.into()),
            config: Arc::new(config),
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The same client with another operation deadline.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut config = (*self.config).clone();
        config.timeout = timeout.clamp(Duration::from_millis(1), MAX_TIMEOUT);
        config.connect_timeout = config.connect_timeout.min(config.timeout);
        Self {
            endpoint: Arc::clone(&self.endpoint),
            config: Arc::new(config),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn connect(&self, op: &'static str) -> Result<Conn> {
        let deadline = Instant::now() + self.config.timeout;
        #[cfg(feature = "tls")]
        let tls = self.config.tls.as_deref();
        #[cfg(not(feature = "tls"))]
        let tls = None;
        Conn::connect(
            &self.endpoint,
            self.config.connect_timeout,
            tls,
            op,
            deadline,
        )
    }

    /// `PING`: succeeds when clamd answers `PONG`.
    ///
    /// # Errors
    ///
    /// Connection and protocol errors, as for every operation.
    pub fn ping(&self) -> Result<()> {
        match self.command(Command::Ping)? {
            Response::Pong => Ok(()),
            other => Err(unexpected("PING", &other)),
        }
    }

    /// `VERSION`.
    ///
    /// # Errors
    ///
    /// Connection and protocol errors.
    pub fn version(&self) -> Result<Version> {
        match self.command(Command::Version)? {
            Response::Version(v) => Ok(v),
            other => Err(unexpected("VERSION", &other)),
        }
    }

    /// `VERSIONCOMMANDS`.
    ///
    /// # Errors
    ///
    /// Connection and protocol errors.
    pub fn version_commands(&self) -> Result<VersionCommands> {
        match self.command(Command::VersionCommands)? {
            Response::VersionCommands(v) => Ok(v),
            other => Err(unexpected("VERSIONCOMMANDS", &other)),
        }
    }

    /// `RELOAD`: clamd answers `RELOADING` and reloads its database in the background.
    ///
    /// # Errors
    ///
    /// Connection and protocol errors.
    pub fn reload(&self) -> Result<()> {
        match self.command(Command::Reload)? {
            Response::Reloading => Ok(()),
            other => Err(unexpected("RELOAD", &other)),
        }
    }

    /// `SHUTDOWN`: clamd exits.
    ///
    /// # Errors
    ///
    /// Connection errors.
    pub fn shutdown(&self) -> Result<()> {
        self.command(Command::Shutdown).map(|_| ())
    }

    /// `STATS`.
    ///
    /// # Errors
    ///
    /// Connection and protocol errors.
    pub fn stats(&self) -> Result<Stats> {
        match self.command(Command::Stats)? {
            Response::Stats(s) => Ok(s),
            other => Err(unexpected("STATS", &other)),
        }
    }

    /// `SCAN` (pyClamd's `scan_file`): scans a path **on clamd's host**, read by clamd,
    /// stopping at the first infected file. To send a local file, see
    /// [`stream_file`](Self::stream_file).
    ///
    /// Returns every line clamd sent: usually one, `<path>: OK` for a clean tree.
    ///
    /// # Errors
    ///
    /// [`Error::PathContainsNul`], [`Error::ResolvePath`], connection and protocol errors.
    /// A missing or unreadable path is a [`Verdict::Error`](crate::Verdict::Error) line, not an
    /// error.
    pub fn scan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::Scan, path)
    }

    /// `CONTSCAN`: scans a path and reports every infected file.
    ///
    /// # Errors
    ///
    /// As [`scan_file`](Self::scan_file).
    pub fn contscan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::ContScan, path)
    }

    /// `MULTISCAN`: like CONTSCAN, with clamd's threads in parallel.
    ///
    /// # Errors
    ///
    /// As [`scan_file`](Self::scan_file).
    pub fn multiscan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::MultiScan, path)
    }

    /// `ALLMATCHSCAN`: reports every signature that matches, not only the first.
    ///
    /// # Errors
    ///
    /// As [`scan_file`](Self::scan_file).
    pub fn allmatchscan(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::AllMatchScan, path)
    }

    /// A path scan in any mode.
    ///
    /// # Errors
    ///
    /// As [`scan_file`](Self::scan_file).
    pub fn scan_path(&self, mode: ScanMode, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        match self.scan_path_budget(mode, path.as_ref(), Arc::new(self.config.budget())) {
            (lines, None) => Ok(lines),
            (_, Some(e)) => Err(e),
        }
    }

    /// A path scan that keeps what arrived before a failure: the result lines received so far,
    /// and the error that ended the scan, if any (a stall, a deadline, a truncated or garbled
    /// line, a reset).
    ///
    /// The results kept are capped by [`max_results`](ClientBuilder::max_results) and
    /// [`max_result_bytes`](ClientBuilder::max_result_bytes); past them the error is
    /// [`Error::TooManyResults`] or [`Error::ResultBytesExceeded`].
    pub fn scan_path_partial(
        &self,
        mode: ScanMode,
        path: impl AsRef<Path>,
    ) -> (Vec<ScanResult>, Option<Error>) {
        self.scan_path_budget(mode, path.as_ref(), Arc::new(self.config.budget()))
    }

    /// [`scan_path_partial`](Self::scan_path_partial) that calls `on_result` with each result
    /// line as soon as clamd sends it: CONTSCAN, MULTISCAN and ALLMATCHSCAN replies arrive
    /// line by line over the whole scan, so a caller can show them then rather than at the
    /// end. Every line given to `on_result` is also in the returned results (also when the
    /// scan then fails), and in the same order.
    pub fn scan_path_each(
        &self,
        mode: ScanMode,
        path: impl AsRef<Path>,
        mut on_result: impl FnMut(&ScanResult),
    ) -> (Vec<ScanResult>, Option<Error>) {
        let budget = Arc::new(self.config.budget());
        self.scan_path_budget_each(mode, path.as_ref(), budget, &mut on_result)
    }

    /// [`scan_path_partial`](Self::scan_path_partial), counting the results against `budget`.
    pub(crate) fn scan_path_budget(
        &self,
        mode: ScanMode,
        path: &Path,
        budget: Arc<Budget>,
    ) -> (Vec<ScanResult>, Option<Error>) {
        self.scan_path_budget_each(mode, path, budget, &mut |_| {})
    }

    /// [`scan_path_budget`](Self::scan_path_budget), calling `on_result` with each line as
    /// it arrives.
    pub(crate) fn scan_path_budget_each(
        &self,
        mode: ScanMode,
        path: &Path,
        budget: Arc<Budget>,
        on_result: &mut dyn FnMut(&ScanResult),
    ) -> (Vec<ScanResult>, Option<Error>) {
        let run = |ex: &mut Option<Exchange>| -> Result<Vec<ScanResult>> {
            let (new, bytes) = self.config.path_exchange(mode, self.prepare_path(path)?)?;
            let ex = ex.insert(new.with_budget(budget));
            let mut conn = self.connect(mode.name())?;
            conn.write_all(&bytes)?;
            match read_response_each(&mut conn, ex, on_result)? {
                Response::Scan(lines) => Ok(lines),
                other => Err(unexpected(mode.name(), &other)),
            }
        };
        let mut ex = None;
        match run(&mut ex) {
            Ok(lines) => (lines, None),
            Err(e) => (ex.map(Exchange::into_results).unwrap_or_default(), Some(e)),
        }
    }

    pub(crate) fn prepare_path(&self, path: &Path) -> Result<PathBuf> {
        self.config.prepare_path(path)
    }

    /// `INSTREAM`: streams everything `reader` yields to clamd in chunks and returns the
    /// verdict (its path is `stream`). Memory use is one chunk, whatever the stream's size.
    ///
    /// # Errors
    ///
    /// [`Error::SizeLimitExceeded`] when clamd refuses the stream as longer than its
    /// `StreamMaxLength`, also when it closes the socket while data is still being sent;
    /// [`Error::StreamTooLong`] when a configured
    /// [`stream_max_length`](ClientBuilder::stream_max_length) is crossed; [`Error::Read`] when
    /// the reader fails; connection and protocol errors.
    pub fn scan_stream(&self, reader: impl Read) -> Result<ScanResult> {
        self.scan_stream_sized(reader, None, Path::new("<stream>"))
    }

    /// INSTREAM of a byte slice.
    ///
    /// # Errors
    ///
    /// As [`scan_stream`](Self::scan_stream); a slice longer than a configured
    /// `stream_max_length` is refused before connecting.
    pub fn scan_bytes(&self, data: &[u8]) -> Result<ScanResult> {
        self.scan_stream_sized(data, Some(data.len() as u64), Path::new("<bytes>"))
    }

    /// INSTREAM of a file **on this host**, read here and streamed to clamd (pyClamd has no such
    /// method; its `scan_file` is [`scan_file`](Self::scan_file), a path on clamd's host). The
    /// result carries the local path instead of `stream`.
    ///
    /// # Errors
    ///
    /// As [`scan_stream`](Self::scan_stream), and [`Error::Read`] when the file cannot be
    /// opened; a file longer than a configured `stream_max_length` is refused before connecting.
    pub fn stream_file(&self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let path = path.as_ref();
        let (file, len) = crate::local::open_regular(path)?;
        Ok(self
            .scan_stream_sized(file, Some(len), path)?
            .with_path(path))
    }

    fn scan_stream_sized(
        &self,
        mut reader: impl Read,
        len: Option<u64>,
        name: &Path,
    ) -> Result<ScanResult> {
        if let (Some(len), Some(limit)) = (len, self.config.stream_max_length)
            && len > limit
        {
            return Err(Error::StreamTooLong { len, limit });
        }
        let mut conn = self.connect("INSTREAM")?;
        let (mut ex, cmd) =
            Exchange::new(Command::Instream, self.config.mode, self.config.max_line, 1)?;
        conn.write_all(&cmd)?;
        let chunk = match len {
            // No need for a buffer larger than the stream.
            Some(len) => self
                .config
                .chunk_size
                .min(usize::try_from(len).unwrap_or(usize::MAX))
                .max(1),
            None => self.config.chunk_size,
        };
        let mut buf = vec![0u8; 4 + chunk];
        let mut sent = 0u64;
        loop {
            let n = fill(&mut reader, &mut buf[4..]).map_err(|source| Error::Read {
                path: name.to_path_buf(),
                source,
            })?;
            if n == 0 {
                break;
            }
            if let Some(limit) = self.config.stream_max_length
                && sent + n as u64 > limit
            {
                return Err(Error::StreamTooLong {
                    len: sent + n as u64,
                    limit,
                });
            }
            buf[..4].copy_from_slice(&(n as u32).to_be_bytes());
            if let Err(e) = conn.write_all_raw(&buf[..4 + n]) {
                return Err(late_reply(&mut conn, &mut ex, e, sent));
            }
            sent += n as u64;
        }
        if let Err(e) = conn.write_all_raw(&END_OF_STREAM) {
            return Err(late_reply(&mut conn, &mut ex, e, sent));
        }
        tracing::debug!(endpoint = %self.endpoint, bytes = sent, "INSTREAM sent");
        let response = read_response(&mut conn, &mut ex).map_err(|e| with_sent(e, sent))?;
        single(response, "INSTREAM")
    }

    /// `FILDES`: passes an open descriptor to clamd over the Unix socket (`SCM_RIGHTS`), so that
    /// clamd reads the file itself and no data is copied. clamd accepts only regular files, so
    /// any other descriptor (a pipe, a socket) is read here and sent with INSTREAM instead; its
    /// result's path is then `stream`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on a TCP endpoint; connection and protocol errors.
    pub fn scan_fd(&self, fd: impl AsFd) -> Result<ScanResult> {
        let fd = fd.as_fd();
        if let Some(file) = crate::local::instream_instead(fd)? {
            return self.scan_stream_sized(file, None, Path::new("<descriptor>"));
        }
        if !self.endpoint.is_unix() {
            return Err(Error::Unsupported(
                "FILDES needs a Unix socket: a descriptor cannot cross TCP",
            ));
        }
        let mut conn = self.connect("FILDES")?;
        let (mut ex, cmd) =
            Exchange::new(Command::Fildes, self.config.mode, self.config.max_line, 1)?;
        conn.write_all(&cmd)?;
        conn.send_fd(fd)?;
        let response = read_response(&mut conn, &mut ex)?;
        single(response, "FILDES")
    }

    /// FILDES of a file **on this host**, opened here and passed to clamd over the Unix socket.
    /// The result carries the local path.
    ///
    /// # Errors
    ///
    /// As [`scan_fd`](Self::scan_fd), and [`Error::Read`] when the file cannot be opened.
    pub fn fildes_file(&self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let path = path.as_ref();
        let (file, _) = crate::local::open_regular(path)?;
        Ok(self.scan_fd(&file)?.with_path(path))
    }

    fn command(&self, command: Command) -> Result<Response> {
        let name = command.name();
        tracing::debug!(endpoint = %self.endpoint, command = name, "clamd command");
        let (ex, bytes) = Exchange::new(
            command,
            self.config.mode,
            self.config.max_line,
            self.config.max_results,
        )?;
        let mut ex = ex.with_limits(self.config.max_results, self.config.max_result_bytes);
        let mut conn = self.connect(name)?;
        conn.write_all(&bytes)?;
        read_response(&mut conn, &mut ex)
    }
}

/// Reads until the exchange is complete or clamd closes, before the connection's deadline.
fn read_response(conn: &mut Conn, ex: &mut Exchange) -> Result<Response> {
    read_response_each(conn, ex, &mut |_| {})
}

/// [`read_response`], giving each scan line to `on_result` once it is complete, before the
/// next read: what clamd sent is shown even when a later read stalls or fails.
fn read_response_each(
    conn: &mut Conn,
    ex: &mut Exchange,
    on_result: &mut dyn FnMut(&ScanResult),
) -> Result<Response> {
    let mut buf = [0u8; 16 * 1024];
    let mut shown = 0;
    loop {
        if let Some(r) = ex.poll_response() {
            return r;
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return ex.handle_eof();
        }
        let fed = ex.handle_input(&buf[..n]);
        for r in &ex.results()[shown..] {
            on_result(r);
        }
        shown = ex.results().len();
        fed?;
    }
}

/// clamd closed (or stopped reading) while data was being sent: the reason is usually waiting
/// in the socket, e.g. the size-limit reply.
fn late_reply(conn: &mut Conn, ex: &mut Exchange, e: WriteError, sent: u64) -> Error {
    let io = match e {
        WriteError::Proto(Error::Timeout { .. }) | WriteError::Closed(_) => e,
        WriteError::Proto(e) => return e,
    };
    match read_response(conn, ex) {
        Err(
            e @ (Error::SizeLimitExceeded { .. } | Error::Server(_) | Error::CommandReadTimedOut),
        ) => with_sent(e, sent),
        _ => match io {
            WriteError::Closed(source) => Error::Io {
                op: "writing INSTREAM data to",
                endpoint: conn.endpoint().to_owned(),
                source,
            },
            WriteError::Proto(e) => e,
        },
    }
}

fn with_sent(e: Error, sent: u64) -> Error {
    match e {
        Error::SizeLimitExceeded { .. } => Error::SizeLimitExceeded { sent },
        e => e,
    }
}

fn single(response: Response, op: &'static str) -> Result<ScanResult> {
    match response {
        Response::Scan(mut lines) if lines.len() == 1 => Ok(lines.remove(0)),
        other => Err(unexpected(op, &other)),
    }
}

fn unexpected(op: &'static str, r: &Response) -> Error {
    Error::malformed(op, format!("{r:?}").as_bytes())
}

/// Reads until `buf` is full or the reader ends.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_reports_the_first_bad_setting() {
        let err = ClientBuilder::new()
            .chunk_size(0)
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("chunk size"), "{err}");
        let err = ClientBuilder::new()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("connect timeout"), "{err}");
        let err = ClientBuilder::new()
            .timeout(Duration::MAX)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("100 days"), "{err}");
        let err = ClientBuilder::new().max_results(10).build().unwrap_err();
        assert!(err.to_string().contains("no endpoint"), "{err}");
        let err = ClientBuilder::new().max_results(0).build().unwrap_err();
        assert!(err.to_string().contains("max results"), "{err}");
    }

    #[test]
    fn settings_are_shared_by_endpoints() {
        let config = ClientBuilder::new()
            .mode(Mode::N)
            .timeout(Duration::from_secs(7))
            .build_config()
            .unwrap();
        let unix = Client::with_config(Endpoint::unix("/run/clamav/clamd.ctl"), config.clone());
        let tcp = Client::with_config("127.0.0.1:3310".parse::<Endpoint>().unwrap(), config);
        for c in [unix, tcp] {
            assert_eq!(c.config().mode(), Mode::N);
            assert_eq!(c.config().timeout(), Duration::from_secs(7));
        }
        let err = ClientBuilder::new()
            .chunk_size(0)
            .build_config()
            .unwrap_err();
        assert!(err.to_string().contains("chunk size"), "{err}");
    }

    #[test]
    fn relative_paths_are_resolved() {
        let p = ClientConfig::default()
            .prepare_path(Path::new("some/file"))
            .unwrap();
        assert!(p.is_absolute());
        assert!(p.ends_with("some/file"));
    }
}
