//! The async client on tokio, built on the same sans-IO core as the blocking one.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::blocking::{Client, ClientConfig};
use crate::endpoint::Endpoint;
use crate::proto::command::{Command, END_OF_STREAM, ScanMode};
use crate::proto::exchange::{Exchange, Response};
use crate::proto::reply::Reply;
use crate::proto::reply::{ScanResult, Stats, Version, VersionCommands};
use crate::proto::session::SessionCore;
use crate::{Error, Result};

/// An async clamd client on tokio: the commands of [`Client`] and an IDSESSION
/// ([`AsyncSession`]), with the same settings, deadlines and errors.
///
/// ```no_run
/// # async fn demo() -> clamd_proto::Result<()> {
/// let client = clamd_proto::AsyncClient::from(clamd_proto::Client::new(
///     clamd_proto::Endpoint::unix("/run/clamav/clamd.ctl"),
/// ));
/// client.ping().await?;
/// let verdict = client.scan_bytes(clamd_proto::EICAR).await?;
/// assert!(verdict.is_infected());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AsyncClient {
    inner: Client,
}

impl From<Client> for AsyncClient {
    fn from(inner: Client) -> Self {
        Self { inner }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conn {
    io: Box<dyn Io>,
    /// The TLS connection over `io`, for a `tls://` endpoint.
    #[cfg(feature = "tls")]
    tls: Option<Box<crate::tls::TlsCore>>,
    endpoint: String,
    op: &'static str,
    timeout: Duration,
    deadline: tokio::time::Instant,
}

impl Conn {
    fn new(io: Box<dyn Io>, endpoint: String, op: &'static str, timeout: Duration) -> Self {
        Self {
            io,
            #[cfg(feature = "tls")]
            tls: None,
            endpoint,
            op,
            timeout,
            deadline: tokio::time::Instant::now() + timeout,
        }
    }

    fn begin(&mut self, op: &'static str) {
        self.op = op;
        self.deadline = tokio::time::Instant::now() + self.timeout;
    }

    fn timeout_error(&self) -> Error {
        Error::Timeout {
            op: self.op,
            endpoint: self.endpoint.clone(),
            after: self.timeout,
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> std::result::Result<(), std::io::Error> {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.write_all_tls(data).await;
        }
        self.write_raw(data).await
    }

    async fn write_raw(&mut self, data: &[u8]) -> std::result::Result<(), std::io::Error> {
        match tokio::time::timeout_at(self.deadline, self.io.write_all(data)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    /// Plaintext into the TLS connection, its ciphertext out to the socket.
    #[cfg(feature = "tls")]
    async fn write_all_tls(&mut self, mut data: &[u8]) -> std::result::Result<(), std::io::Error> {
        while !data.is_empty() {
            let n = self.tls.as_mut().map_or(0, |t| t.send(data));
            self.flush_tls().await?;
            if n == 0 {
                let n = self.tls.as_mut().map_or(0, |t| t.send(data));
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                data = &data[n..];
            } else {
                data = &data[n..];
            }
        }
        self.flush_tls().await
    }

    /// Sends what the TLS connection has for the socket.
    #[cfg(feature = "tls")]
    async fn flush_tls(&mut self) -> std::result::Result<(), std::io::Error> {
        loop {
            let Some(out) = self.tls.as_mut().and_then(|t| t.poll_transmit()) else {
                return Ok(());
            };
            let n = match tokio::time::timeout_at(self.deadline, self.io.write(out)).await {
                Ok(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            };
            if let Some(t) = self.tls.as_mut() {
                t.advance_transmit(n);
            }
        }
    }

    /// Plaintext from the TLS connection, reading ciphertext from the socket as needed.
    #[cfg(feature = "tls")]
    async fn read_tls(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut cipher = vec![0u8; 16 * 1024];
        loop {
            if let Some(t) = self.tls.as_mut()
                && let Some(n) = t.recv(buf)?
            {
                return Ok(n);
            }
            let n = self.read_raw(&mut cipher).await?;
            if let Some(t) = self.tls.as_mut() {
                if n == 0 {
                    t.handle_eof();
                } else if let Err(e) = t.handle_input(&cipher[..n]) {
                    // Tell the server why (rustls queued the alert), if the socket takes it.
                    let _ = self.flush_tls().await;
                    return Err(e);
                }
            }
            self.flush_tls().await.map_err(|e| self.write_error(e))?;
        }
    }

    /// The TLS handshake, by `by`: no plaintext is sent before the server's certificate has
    /// been verified, and a stall is [`Error::Timeout`] of `TLS handshake`.
    #[cfg(feature = "tls")]
    async fn handshake(&mut self, by: tokio::time::Instant) -> Result<()> {
        let (op, deadline) = (self.op, self.deadline);
        self.op = "TLS handshake";
        self.deadline = by.min(deadline);
        let started = tokio::time::Instant::now();
        let done = self.drive_handshake().await;
        self.op = op;
        self.deadline = deadline;
        done.map_err(|e| match e {
            Error::Timeout { endpoint, .. } => Error::Timeout {
                op: "TLS handshake",
                endpoint,
                after: started.elapsed(),
            },
            e => e,
        })
    }

    #[cfg(feature = "tls")]
    async fn drive_handshake(&mut self) -> Result<()> {
        let mut cipher = vec![0u8; 16 * 1024];
        let closed = |endpoint: &str, reason: String| Error::Tls {
            endpoint: endpoint.to_owned(),
            during: crate::tls::HANDSHAKING,
            reason,
        };
        loop {
            if let Err(e) = self.flush_tls().await {
                return Err(if e.kind() == std::io::ErrorKind::TimedOut {
                    self.timeout_error()
                } else {
                    closed(
                        &self.endpoint,
                        format!("the server closed the connection: {e}"),
                    )
                });
            }
            if !self.tls.as_ref().is_some_and(|t| t.is_handshaking()) {
                return Ok(());
            }
            let n = self.read_raw(&mut cipher).await?;
            if n == 0 {
                return Err(closed(
                    &self.endpoint,
                    "the server closed the connection before the handshake was done (it may \
                     speak no TLS, or refuse this client)"
                        .into(),
                ));
            }
            if let Some(t) = self.tls.as_mut()
                && let Err(e) = t.handle_input(&cipher[..n])
            {
                let _ = self.flush_tls().await;
                return Err(e);
            }
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.read_tls(buf).await;
        }
        self.read_raw(buf).await
    }

    async fn read_raw(&mut self, buf: &mut [u8]) -> Result<usize> {
        match tokio::time::timeout_at(self.deadline, self.io.read(buf)).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(source)) => Err(Error::Io {
                op: "reading from",
                endpoint: self.endpoint.clone(),
                source,
            }),
            Err(_) => Err(self.timeout_error()),
        }
    }

    fn write_error(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::TimedOut {
            self.timeout_error()
        } else {
            Error::Io {
                op: "writing to",
                endpoint: self.endpoint.clone(),
                source: e,
            }
        }
    }
}

impl AsyncClient {
    /// The blocking client with the same settings.
    pub fn blocking(&self) -> &Client {
        &self.inner
    }

    fn config(&self) -> &ClientConfig {
        self.inner.config()
    }

    async fn connect(&self, op: &'static str) -> Result<Conn> {
        let cfg = self.config();
        let start = Instant::now();
        let connect_by = tokio::time::Instant::now() + cfg.connect_timeout.min(cfg.timeout);
        let endpoint = self.inner.endpoint();
        let name = endpoint.to_string();
        let connect_err = |source| Error::Connect {
            endpoint: name.clone(),
            source,
        };
        let timeout = || Error::Timeout {
            op,
            endpoint: name.clone(),
            after: start.elapsed(),
        };
        let io: Box<dyn Io> = match endpoint {
            Endpoint::Tcp { host, port } => {
                let s =
                    tokio::time::timeout_at(connect_by, TcpStream::connect((host.as_str(), *port)))
                        .await
                        .map_err(|_| timeout())?
                        .map_err(connect_err)?;
                s.set_nodelay(true).map_err(connect_err)?;
                Box::new(s)
            }
            Endpoint::Unix(path) => Box::new(
                tokio::time::timeout_at(connect_by, UnixStream::connect(path))
                    .await
                    .map_err(|_| timeout())?
                    .map_err(connect_err)?,
            ),
            #[cfg(feature = "tls")]
            Endpoint::Tls { addr, server_name } => {
                let Some(settings) = cfg.tls.as_deref() else {
                    return Err(Error::TlsNotConfigured { endpoint: name });
                };
                let core =
                    crate::tls::TlsCore::new(settings, *addr, server_name.as_deref(), &name)?;
                let s = tokio::time::timeout_at(connect_by, TcpStream::connect(*addr))
                    .await
                    .map_err(|_| timeout())?
                    .map_err(connect_err)?;
                s.set_nodelay(true).map_err(connect_err)?;
                let mut conn = Conn::new(Box::new(s), name, op, cfg.timeout);
                conn.tls = Some(Box::new(core));
                conn.handshake(connect_by).await?;
                return Ok(conn);
            }
            // Nothing is sent to a TLS terminator in clear text.
            #[cfg(not(feature = "tls"))]
            Endpoint::Tls { .. } => {
                return Err(Error::TlsUnsupported {
                    endpoint: name.clone(),
                });
            }
        };
        Ok(Conn::new(io, name, op, cfg.timeout))
    }

    async fn command(&self, command: Command) -> Result<Response> {
        let cfg = self.config();
        let name = command.name();
        let (ex, bytes) = Exchange::new(command, cfg.mode, cfg.max_line, cfg.max_results)?;
        let mut ex = ex.with_limits(cfg.max_results, cfg.max_result_bytes);
        let mut conn = self.connect(name).await?;
        conn.write_all(&bytes)
            .await
            .map_err(|e| conn.write_error(e))?;
        read_response(&mut conn, &mut ex).await
    }

    /// `PING`.
    ///
    /// # Errors
    ///
    /// As [`Client::ping`].
    pub async fn ping(&self) -> Result<()> {
        match self.command(Command::Ping).await? {
            Response::Pong => Ok(()),
            other => Err(unexpected("PING", &other)),
        }
    }

    /// `VERSION`.
    ///
    /// # Errors
    ///
    /// As [`Client::version`].
    pub async fn version(&self) -> Result<Version> {
        match self.command(Command::Version).await? {
            Response::Version(v) => Ok(v),
            other => Err(unexpected("VERSION", &other)),
        }
    }

    /// `VERSIONCOMMANDS`.
    ///
    /// # Errors
    ///
    /// As [`Client::version_commands`].
    pub async fn version_commands(&self) -> Result<VersionCommands> {
        match self.command(Command::VersionCommands).await? {
            Response::VersionCommands(v) => Ok(v),
            other => Err(unexpected("VERSIONCOMMANDS", &other)),
        }
    }

    /// `RELOAD`.
    ///
    /// # Errors
    ///
    /// As [`Client::reload`].
    pub async fn reload(&self) -> Result<()> {
        match self.command(Command::Reload).await? {
            Response::Reloading => Ok(()),
            other => Err(unexpected("RELOAD", &other)),
        }
    }

    /// `SHUTDOWN`.
    ///
    /// # Errors
    ///
    /// As [`Client::shutdown`].
    pub async fn shutdown(&self) -> Result<()> {
        self.command(Command::Shutdown).await.map(|_| ())
    }

    /// `STATS`.
    ///
    /// # Errors
    ///
    /// As [`Client::stats`].
    pub async fn stats(&self) -> Result<Stats> {
        match self.command(Command::Stats).await? {
            Response::Stats(s) => Ok(s),
            other => Err(unexpected("STATS", &other)),
        }
    }

    /// A path scan in any mode (`SCAN`, `CONTSCAN`, `MULTISCAN`, `ALLMATCHSCAN`).
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn scan_path(
        &self,
        mode: ScanMode,
        path: impl AsRef<Path>,
    ) -> Result<Vec<ScanResult>> {
        self.scan_path_into(mode, path.as_ref(), &mut None).await
    }

    /// A path scan that keeps what arrived before a failure, as
    /// [`Client::scan_path_partial`]: the result lines received so far, and the error that
    /// ended the scan, if any (a stall, a deadline, a truncated or garbled line, a reset, a
    /// result cap).
    pub async fn scan_path_partial(
        &self,
        mode: ScanMode,
        path: impl AsRef<Path>,
    ) -> (Vec<ScanResult>, Option<Error>) {
        let mut ex = None;
        match self.scan_path_into(mode, path.as_ref(), &mut ex).await {
            Ok(lines) => (lines, None),
            Err(e) => (ex.map(Exchange::into_results).unwrap_or_default(), Some(e)),
        }
    }

    /// Runs a path scan in `ex`, which keeps the results received when it fails.
    async fn scan_path_into(
        &self,
        mode: ScanMode,
        path: &Path,
        ex: &mut Option<Exchange>,
    ) -> Result<Vec<ScanResult>> {
        let cfg = self.config();
        let (new, bytes) = cfg.path_exchange(mode, self.inner.prepare_path(path)?)?;
        let ex = ex.insert(new);
        let mut conn = self.connect(mode.name()).await?;
        conn.write_all(&bytes)
            .await
            .map_err(|e| conn.write_error(e))?;
        match read_response(&mut conn, ex).await? {
            Response::Scan(lines) => Ok(lines),
            other => Err(unexpected(mode.name(), &other)),
        }
    }

    /// `SCAN` of a path on clamd's host (pyClamd's `scan_file`).
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn scan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::Scan, path).await
    }

    /// `CONTSCAN` of a path on clamd's host (pyClamd's `contscan_file`).
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn contscan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::ContScan, path).await
    }

    /// `MULTISCAN` of a path on clamd's host (pyClamd's `multiscan_file`).
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn multiscan_file(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::MultiScan, path).await
    }

    /// `ALLMATCHSCAN` of a path on clamd's host (pyClamd's `allmatchscan`).
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn allmatchscan(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::AllMatchScan, path).await
    }

    /// `INSTREAM` of an async reader, one chunk in memory at a time.
    ///
    /// # Errors
    ///
    /// As [`Client::scan_stream`].
    pub async fn scan_stream(&self, mut reader: impl AsyncRead + Unpin) -> Result<ScanResult> {
        let cfg = self.config();
        let limit = cfg.stream_max_length;
        let (mut ex, cmd) = Exchange::new(Command::Instream, cfg.mode, cfg.max_line, 1)?;
        let mut conn = self.connect("INSTREAM").await?;
        conn.write_all(&cmd)
            .await
            .map_err(|e| conn.write_error(e))?;
        let mut buf = vec![0u8; 4 + cfg.chunk_size];
        let mut sent = 0u64;
        let mut failed = None;
        loop {
            let mut n = 0;
            while n < cfg.chunk_size {
                let k = reader
                    .read(&mut buf[4 + n..])
                    .await
                    .map_err(|source| Error::Read {
                        path: "<stream>".into(),
                        source,
                    })?;
                if k == 0 {
                    break;
                }
                n += k;
            }
            if n == 0 {
                break;
            }
            if let Some(limit) = limit
                && sent + n as u64 > limit
            {
                return Err(Error::StreamTooLong {
                    len: sent + n as u64,
                    limit,
                });
            }
            buf[..4].copy_from_slice(&(n as u32).to_be_bytes());
            if let Err(e) = conn.write_all(&buf[..4 + n]).await {
                failed = Some(e);
                break;
            }
            sent += n as u64;
        }
        if failed.is_none()
            && let Err(e) = conn.write_all(&END_OF_STREAM).await
        {
            failed = Some(e);
        }
        let response = read_response(&mut conn, &mut ex).await;
        match (response, failed) {
            (Err(Error::SizeLimitExceeded { .. }), _) => Err(Error::SizeLimitExceeded { sent }),
            (Ok(Response::Scan(mut lines)), None) if lines.len() == 1 => Ok(lines.remove(0)),
            (Err(e), None) | (Err(e @ (Error::Server(_) | Error::CommandReadTimedOut)), _) => {
                Err(e)
            }
            (_, Some(e)) => Err(conn.write_error(e)),
            (Ok(other), None) => Err(unexpected("INSTREAM", &other)),
        }
    }

    /// Opens an IDSESSION.
    ///
    /// # Errors
    ///
    /// Connection errors.
    pub async fn session(&self) -> Result<AsyncSession> {
        let cfg = self.config();
        let conn = self.connect("IDSESSION").await?;
        let core =
            SessionCore::new(cfg.mode, cfg.max_line, Instant::now()).with_keepalive(cfg.keepalive);
        let mut s = AsyncSession {
            client: self.clone(),
            conn,
            core,
            eof: false,
        };
        s.flush().await?;
        Ok(s)
    }

    /// INSTREAM of bytes.
    ///
    /// # Errors
    ///
    /// As [`Client::scan_bytes`].
    pub async fn scan_bytes(&self, data: &[u8]) -> Result<ScanResult> {
        if let Some(limit) = self.config().stream_max_length
            && data.len() as u64 > limit
        {
            return Err(Error::StreamTooLong {
                len: data.len() as u64,
                limit,
            });
        }
        self.scan_stream(data).await
    }

    /// `FILDES`: passes an open descriptor over the Unix socket, so clamd reads the file itself
    /// and no byte is copied. clamd refuses anything but a regular file, so pipes, sockets and
    /// devices are streamed with INSTREAM instead, as [`Client::scan_fd`] does.
    ///
    /// # Errors
    ///
    /// As [`Client::scan_fd`]: [`Error::Unsupported`] over TCP, where a descriptor cannot go.
    pub async fn scan_fd(&self, fd: impl AsFd) -> Result<ScanResult> {
        let fd = fd.as_fd();
        if let Some(file) = crate::local::instream_instead(fd)? {
            return self.scan_stream(tokio::fs::File::from_std(file)).await;
        }
        let Endpoint::Unix(path) = self.inner.endpoint() else {
            return Err(Error::Unsupported(
                "FILDES needs a Unix socket: a descriptor cannot cross TCP",
            ));
        };
        let cfg = self.config();
        let (mut ex, cmd) = Exchange::new(Command::Fildes, cfg.mode, cfg.max_line, 1)?;
        let name = self.inner.endpoint().to_string();
        let connect_by = tokio::time::Instant::now() + cfg.connect_timeout.min(cfg.timeout);
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        let timeout = || Error::Timeout {
            op: "FILDES",
            endpoint: name.clone(),
            after: cfg.timeout,
        };
        let mut stream = tokio::time::timeout_at(connect_by, UnixStream::connect(path))
            .await
            .map_err(|_| timeout())?
            .map_err(|source| Error::Connect {
                endpoint: name.clone(),
                source,
            })?;
        let io_error = |source| Error::Io {
            op: "passing a descriptor to",
            endpoint: name.clone(),
            source,
        };
        tokio::time::timeout_at(deadline, stream.write_all(&cmd))
            .await
            .map_err(|_| timeout())?
            .map_err(io_error)?;
        tokio::time::timeout_at(deadline, send_fd(&stream, fd))
            .await
            .map_err(|_| timeout())?
            .map_err(io_error)?;
        let mut conn = Conn::new(Box::new(stream), name.clone(), "FILDES", cfg.timeout);
        conn.deadline = deadline;
        match read_response(&mut conn, &mut ex).await? {
            Response::Scan(mut lines) if lines.len() == 1 => Ok(lines.remove(0)),
            other => Err(unexpected("FILDES", &other)),
        }
    }

    /// INSTREAM of a file on this host; the result carries the local path.
    ///
    /// # Errors
    ///
    /// As [`Client::stream_file`].
    pub async fn stream_file(&self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let path = path.as_ref();
        // A non-blocking open of a local file is a short system call: no need for the blocking
        // pool, and one place decides what may be sent.
        let (file, len) = crate::local::open_regular(path)?;
        let file = tokio::fs::File::from_std(file);
        if let Some(limit) = self.config().stream_max_length
            && len > limit
        {
            return Err(Error::StreamTooLong { len, limit });
        }
        Ok(self.scan_stream(file).await?.with_path(path))
    }
}

/// An IDSESSION on tokio: the same pipelining, out-of-order matching, window and keep-alive as
/// the blocking [`Session`](crate::Session), on the same [`SessionCore`]. Every call has the
/// client's timeout as its deadline.
pub struct AsyncSession {
    client: AsyncClient,
    conn: Conn,
    core: SessionCore,
    eof: bool,
}

impl std::fmt::Debug for AsyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSession")
            .field("endpoint", &self.conn.endpoint)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl AsyncSession {
    async fn flush(&mut self) -> Result<()> {
        let Self { core, conn, .. } = self;
        while let Some(data) = core.poll_transmit() {
            let n = data.len();
            if let Err(e) = conn.write_all(data).await {
                return Err(conn.write_error(e));
            }
            core.advance_transmit(n);
        }
        Ok(())
    }

    async fn read_some(&mut self) -> Result<()> {
        if self.eof {
            return Err(Error::Truncated("the session is closed"));
        }
        let mut buf = vec![0u8; 16 * 1024];
        let n = self.conn.read(&mut buf).await?;
        if n == 0 {
            self.eof = true;
            return self.core.handle_eof();
        }
        self.core.handle_input(&buf[..n], Instant::now())
    }

    /// Queues a command and returns its id (reading replies first when the window is full).
    ///
    /// # Errors
    ///
    /// As [`Session::send`](crate::Session::send).
    pub async fn send(&mut self, command: Command) -> Result<u64> {
        self.conn.begin(command.name());
        while self.core.pending() >= self.client.config().session_window && !self.eof {
            Box::pin(self.read_some()).await?;
        }
        self.core.handle_timeout(Instant::now());
        let id = self.core.send(command, Instant::now())?;
        self.flush().await?;
        Ok(id)
    }

    /// Queues a SCAN of a path on clamd's host.
    ///
    /// # Errors
    ///
    /// As [`Session::send_scan`](crate::Session::send_scan).
    pub async fn send_scan(&mut self, path: impl AsRef<Path>) -> Result<u64> {
        let path = self.client.inner.prepare_path(path.as_ref())?;
        self.send(Command::Path(ScanMode::Scan, path)).await
    }

    /// Queues an INSTREAM of bytes.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); [`Error::StreamTooLong`] over a configured
    /// `stream_max_length`.
    pub async fn send_bytes(&mut self, data: &[u8]) -> Result<u64> {
        if let Some(limit) = self.client.config().stream_max_length
            && data.len() as u64 > limit
        {
            return Err(Error::StreamTooLong {
                len: data.len() as u64,
                limit,
            });
        }
        self.conn.begin("INSTREAM");
        while self.core.pending() >= self.client.config().session_window && !self.eof {
            Box::pin(self.read_some()).await?;
        }
        let id = self.core.send(Command::Instream, Instant::now())?;
        for chunk in data.chunks(self.client.config().chunk_size) {
            self.core.send_chunk(chunk);
            self.flush().await?;
        }
        self.core.send_chunk(&[]);
        self.flush().await?;
        Ok(id)
    }

    /// The next reply in order of arrival, with its request's id.
    ///
    /// # Errors
    ///
    /// As [`Session::recv`](crate::Session::recv).
    pub async fn recv(&mut self) -> Result<(u64, Result<Reply>)> {
        self.conn.begin("IDSESSION");
        loop {
            if let Some(r) = self.core.poll_reply() {
                return Ok(r);
            }
            if self.core.pending_requests() == 0 {
                return Err(Error::Truncated("no request is pending in the session"));
            }
            Box::pin(self.read_some()).await?;
        }
    }

    /// Waits for the reply to request `id`.
    ///
    /// # Errors
    ///
    /// As [`Session::wait`](crate::Session::wait).
    pub async fn wait(&mut self, id: u64) -> Result<Reply> {
        self.conn.begin("IDSESSION");
        loop {
            if let Some(r) = self.core.take_reply(id) {
                return r;
            }
            if self.eof {
                return Err(Error::SessionClosed { id });
            }
            Box::pin(self.read_some()).await?;
        }
    }

    /// SCAN of one path, waiting for its verdict.
    ///
    /// # Errors
    ///
    /// As [`Session::scan_file`](crate::Session::scan_file).
    pub async fn scan_file(&mut self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let id = self.send_scan(path).await?;
        match self.wait(id).await? {
            Reply::Scan(r) => Ok(r),
            other => Err(Error::malformed("SCAN", format!("{other:?}").as_bytes())),
        }
    }

    /// PING inside the session.
    ///
    /// # Errors
    ///
    /// As [`Session::ping`](crate::Session::ping).
    pub async fn ping(&mut self) -> Result<()> {
        let id = self.send(Command::Ping).await?;
        match self.wait(id).await? {
            Reply::Pong => Ok(()),
            other => Err(Error::malformed("PING", format!("{other:?}").as_bytes())),
        }
    }

    /// Requests in flight.
    pub fn pending(&self) -> usize {
        self.core.pending_requests()
    }

    /// Sends END and reads until clamd closes; returns the replies not yet collected.
    ///
    /// # Errors
    ///
    /// As [`Session::end`](crate::Session::end).
    pub async fn end(mut self) -> Result<Vec<(u64, Result<Reply>)>> {
        self.conn.begin("END");
        self.core.end();
        self.flush().await?;
        while !self.eof {
            Box::pin(self.read_some()).await?;
        }
        Ok(std::iter::from_fn(|| self.core.poll_reply()).collect())
    }
}

/// Sends one descriptor with `SCM_RIGHTS` (and the one dummy byte clamd expects) once the socket
/// is writable, through rustix's safe wrapper.
async fn send_fd(stream: &UnixStream, fd: BorrowedFd<'_>) -> std::io::Result<()> {
    loop {
        stream.writable().await?;
        let sent = stream.try_io(tokio::io::Interest::WRITABLE, || {
            let fds = [fd];
            let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
            let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
            if !control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)) {
                return Err(std::io::Error::other(
                    "no room for the descriptor in the control buffer",
                ));
            }
            rustix::net::sendmsg(
                stream,
                &[std::io::IoSlice::new(&[0])],
                &mut control,
                rustix::net::SendFlags::NOSIGNAL,
            )
            .map_err(std::io::Error::from)
        });
        match sent {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

async fn read_response(conn: &mut Conn, ex: &mut Exchange) -> Result<Response> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if let Some(r) = ex.poll_response() {
            return r;
        }
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return ex.handle_eof();
        }
        ex.handle_input(&buf[..n])?;
    }
}

fn unexpected(op: &'static str, r: &Response) -> Error {
    Error::malformed(op, format!("{r:?}").as_bytes())
}
