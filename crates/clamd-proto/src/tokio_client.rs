//! The async client on tokio, built on the same sans-IO core as the blocking one.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::client::{Client, Config};
use crate::command::{Command, END_OF_STREAM, ScanMode};
use crate::endpoint::Endpoint;
use crate::exchange::{Exchange, Response};
use crate::reply::{ScanResult, Stats, Version, VersionCommands};
use crate::{Error, Result};

/// An async clamd client on tokio: the commands of [`Client`] (all but FILDES and IDSESSION),
/// with the same settings, deadlines and errors.
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
    endpoint: String,
    op: &'static str,
    timeout: Duration,
    deadline: tokio::time::Instant,
}

impl Conn {
    fn timeout_error(&self) -> Error {
        Error::Timeout {
            op: self.op,
            endpoint: self.endpoint.clone(),
            after: self.timeout,
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> std::result::Result<(), std::io::Error> {
        match tokio::time::timeout_at(self.deadline, self.io.write_all(data)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
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

    fn config(&self) -> &Config {
        self.inner.config()
    }

    async fn connect(&self, op: &'static str) -> Result<Conn> {
        let cfg = self.config();
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + cfg.timeout;
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
        };
        Ok(Conn {
            io,
            endpoint: name,
            op,
            timeout: cfg.timeout,
            deadline,
        })
    }

    async fn command(&self, command: Command) -> Result<Response> {
        let cfg = self.config();
        let name = command.name();
        let (mut ex, bytes) = Exchange::new(command, cfg.mode, cfg.max_line, cfg.max_results)?;
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
    /// As [`Client::scan`].
    pub async fn scan_path(
        &self,
        mode: ScanMode,
        path: impl AsRef<Path>,
    ) -> Result<Vec<ScanResult>> {
        let path = self.inner.prepare_path(path.as_ref())?;
        match self.command(Command::Path(mode, path)).await? {
            Response::Scan(lines) => Ok(lines),
            other => Err(unexpected(mode.name(), &other)),
        }
    }

    /// `SCAN`.
    ///
    /// # Errors
    ///
    /// As [`Client::scan`].
    pub async fn scan(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::Scan, path).await
    }

    /// `CONTSCAN`.
    ///
    /// # Errors
    ///
    /// As [`Client::scan`].
    pub async fn contscan(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::ContScan, path).await
    }

    /// `MULTISCAN`.
    ///
    /// # Errors
    ///
    /// As [`Client::scan`].
    pub async fn multiscan(&self, path: impl AsRef<Path>) -> Result<Vec<ScanResult>> {
        self.scan_path(ScanMode::MultiScan, path).await
    }

    /// `ALLMATCHSCAN`.
    ///
    /// # Errors
    ///
    /// As [`Client::scan`].
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

    /// INSTREAM of a local file; the result carries the local path.
    ///
    /// # Errors
    ///
    /// As [`Client::scan_file`].
    pub async fn scan_file(&self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let path = path.as_ref();
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = tokio::fs::File::open(path).await.map_err(read_err)?;
        let len = file.metadata().await.map_err(read_err)?.len();
        if let Some(limit) = self.config().stream_max_length
            && len > limit
        {
            return Err(Error::StreamTooLong { len, limit });
        }
        Ok(self.scan_stream(file).await?.with_path(path))
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
