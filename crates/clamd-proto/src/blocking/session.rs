//! The blocking IDSESSION.

use std::io::Read;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Instant;

use super::{Client, Conn, fill};
use crate::proto::command::{Command, ScanMode};
use crate::proto::reply::{Reply, ScanResult, Stats, Version};
use crate::proto::session::SessionCore;
use crate::{Error, Result};

// `Client::session` lives here, beside what it opens, so that the client's own code needs
// nothing from this module.
impl Client {
    /// Opens an IDSESSION: one connection for many pipelined commands.
    ///
    /// # Errors
    ///
    /// Connection errors.
    pub fn session(&self) -> Result<Session> {
        Session::open(self.clone())
    }
}

/// An IDSESSION: many commands pipelined over one connection.
///
/// [`send`](Self::send) and its variants queue a request and return its id without waiting;
/// [`recv`](Self::recv) gives replies in the order they arrive and [`wait`](Self::wait) the
/// reply to one id, whatever the order clamd answers in. At most
/// [`session_window`](super::ClientBuilder::session_window) requests are in flight: `send`
/// reads replies when the window is full (they stay available to `recv` and `wait`).
/// [`keepalive`](Self::keepalive) pings an idle session; [`end`](Self::end) sends END and
/// collects what is still pending. Every call has the client's timeout as its deadline.
///
/// clamd accepts only PING, VERSION, VERSIONCOMMANDS, STATS, SCAN, INSTREAM and FILDES inside
/// a session; anything else is refused with [`Error::Unsupported`] before it is sent.
#[derive(Debug)]
pub struct Session {
    client: Client,
    conn: Conn,
    core: SessionCore,
    eof: bool,
    /// A hard end for every call, whatever the client's timeout leaves (a fleet host's
    /// deadline).
    until: Option<Instant>,
    /// The INSTREAM read buffer, kept between streams so that a pipeline of small files
    /// allocates and zeroes it once.
    scratch: Vec<u8>,
}

impl Session {
    pub(super) fn open(client: Client) -> Result<Self> {
        let conn = client.connect("IDSESSION")?;
        let cfg = client.config();
        let core =
            SessionCore::new(cfg.mode, cfg.max_line, Instant::now()).with_keepalive(cfg.keepalive);
        let mut s = Self {
            client,
            conn,
            core,
            eof: false,
            until: None,
            scratch: Vec::new(),
        };
        s.flush()?;
        Ok(s)
    }

    /// No call of this session waits past `deadline`.
    pub(crate) fn until(mut self, deadline: Instant) -> Self {
        self.set_until(deadline);
        self
    }

    /// As [`until`](Self::until), for a session that is kept between operations.
    pub(crate) fn set_until(&mut self, deadline: Instant) {
        self.until = Some(deadline);
    }

    fn begin(&mut self, op: &'static str) {
        let own = Instant::now() + self.client.config().timeout;
        self.conn.begin(op, self.until.map_or(own, |u| u.min(own)));
    }

    fn flush(&mut self) -> Result<()> {
        let Self { core, conn, .. } = self;
        while let Some(data) = core.poll_transmit() {
            let n = data.len();
            conn.write_all(data)?;
            core.advance_transmit(n);
        }
        Ok(())
    }

    /// Reads one block and feeds it to the core.
    fn read_some(&mut self) -> Result<()> {
        if self.eof {
            return Err(Error::Truncated("the session is closed"));
        }
        let mut buf = [0u8; 16 * 1024];
        let n = self.conn.read(&mut buf)?;
        if n == 0 {
            self.eof = true;
            return self.core.handle_eof();
        }
        self.core.handle_input(&buf[..n], Instant::now())
    }

    fn make_room(&mut self) -> Result<()> {
        while self.core.pending() >= self.client.config().session_window && !self.eof {
            self.read_some()?;
        }
        Ok(())
    }

    /// Queues a command and returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for commands clamd refuses in a session; connection errors.
    pub fn send(&mut self, command: Command) -> Result<u64> {
        self.begin(command.name());
        self.make_room()?;
        // A session idle for the keep-alive interval pings first.
        self.core.handle_timeout(Instant::now());
        let id = self.core.send(command, Instant::now())?;
        self.flush()?;
        Ok(id)
    }

    /// Queues a SCAN of a path on clamd's host.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), and the path errors of [`Client::scan_file`].
    pub fn send_scan(&mut self, path: impl AsRef<Path>) -> Result<u64> {
        let path = self.client.prepare_path(path.as_ref())?;
        self.send(Command::Path(ScanMode::Scan, path))
    }

    /// Queues an INSTREAM of everything `reader` yields.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); [`Error::Read`] when the reader fails (the session is then
    /// unusable, since a stream cannot be abandoned halfway); [`Error::StreamTooLong`] before
    /// sending when a configured `stream_max_length` is crossed.
    pub fn send_stream(&mut self, mut reader: impl Read) -> Result<u64> {
        self.begin("INSTREAM");
        self.make_room()?;
        let chunk = self.client.config().chunk_size;
        let limit = self.client.config().stream_max_length;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.resize(chunk, 0);
        // Read the first chunk before committing the command, so that a failing or too long
        // reader of a small file leaves the session intact.
        let mut n = fill(&mut reader, &mut buf).map_err(|source| Error::Read {
            path: "<stream>".into(),
            source,
        })?;
        let mut sent = 0u64;
        if let Some(limit) = limit
            && n as u64 > limit
        {
            return Err(Error::StreamTooLong {
                len: n as u64,
                limit,
            });
        }
        let id = self.core.send(Command::Instream, Instant::now())?;
        while n > 0 {
            self.core.send_chunk(&buf[..n]);
            // Small streams go out in one write with their command and end marker.
            if self.core.poll_transmit().is_some_and(|t| t.len() >= chunk) {
                self.flush()?;
            }
            sent += n as u64;
            // `fill` stops short only at the end of the stream: a small file needs no more
            // reads to learn that again.
            n = if n < buf.len() {
                0
            } else {
                fill(&mut reader, &mut buf).map_err(|source| Error::Read {
                    path: "<stream>".into(),
                    source,
                })?
            };
            if let Some(limit) = limit
                && sent + n as u64 > limit
            {
                return Err(Error::StreamTooLong {
                    len: sent + n as u64,
                    limit,
                });
            }
        }
        self.scratch = buf;
        self.core.send_chunk(&[]);
        self.flush()?;
        Ok(id)
    }

    /// Queues a FILDES of an open descriptor (Unix sockets only).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] over TCP; as [`send`](Self::send).
    pub fn send_fd(&mut self, fd: impl AsFd) -> Result<u64> {
        if !self.conn.is_unix() {
            return Err(Error::Unsupported(
                "FILDES needs a Unix socket: a descriptor cannot cross TCP",
            ));
        }
        let id = self.send(Command::Fildes)?;
        self.conn.send_fd(fd)?;
        Ok(id)
    }

    /// The next reply in order of arrival, with its request's id.
    ///
    /// # Errors
    ///
    /// Errors that end the session ([`Error::UnexpectedSessionId`], [`Error::LineTooLong`],
    /// [`Error::Timeout`], ...); [`Error::Truncated`] when nothing is pending.
    pub fn recv(&mut self) -> Result<(u64, Result<Reply>)> {
        self.begin("IDSESSION");
        loop {
            if let Some(r) = self.core.poll_reply() {
                return Ok(r);
            }
            if self.core.pending_requests() == 0 {
                return Err(Error::Truncated("no request is pending in the session"));
            }
            self.read_some()?;
        }
    }

    /// Waits for the reply to request `id`; replies to other requests that arrive first are
    /// kept for them.
    ///
    /// # Errors
    ///
    /// The request's own error, or an error that ends the session.
    pub fn wait(&mut self, id: u64) -> Result<Reply> {
        self.begin("IDSESSION");
        loop {
            if let Some(r) = self.core.take_reply(id) {
                return r;
            }
            if self.eof {
                return Err(Error::SessionClosed { id });
            }
            self.read_some()?;
        }
    }

    /// SCAN of one path, waiting for its verdict.
    ///
    /// # Errors
    ///
    /// As [`send_scan`](Self::send_scan) and [`wait`](Self::wait).
    pub fn scan_file(&mut self, path: impl AsRef<Path>) -> Result<ScanResult> {
        let id = self.send_scan(path)?;
        scan_reply(self.wait(id)?)
    }

    /// INSTREAM, waiting for the verdict.
    ///
    /// # Errors
    ///
    /// As [`send_stream`](Self::send_stream) and [`wait`](Self::wait).
    pub fn scan_stream(&mut self, reader: impl Read) -> Result<ScanResult> {
        let id = self.send_stream(reader)?;
        scan_reply(self.wait(id)?)
    }

    /// FILDES, waiting for the verdict.
    ///
    /// # Errors
    ///
    /// As [`send_fd`](Self::send_fd) and [`wait`](Self::wait).
    pub fn scan_fd(&mut self, fd: impl AsFd) -> Result<ScanResult> {
        let id = self.send_fd(fd)?;
        scan_reply(self.wait(id)?)
    }

    /// Scans many paths pipelined, and returns their verdicts in the order of `paths`.
    ///
    /// # Errors
    ///
    /// Errors that end the session; a path's own failure is its entry's error.
    pub fn scan_many<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<Vec<Result<ScanResult>>> {
        let mut ids = Vec::with_capacity(paths.len());
        for p in paths {
            ids.push(self.send_scan(p)?);
        }
        ids.into_iter()
            .map(|id| match self.wait(id) {
                Err(e @ (Error::Timeout { .. } | Error::Io { .. } | Error::Truncated(_))) => Err(e),
                r => Ok(r.and_then(scan_reply)),
            })
            .collect()
    }

    /// PING inside the session.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn ping(&mut self) -> Result<()> {
        let id = self.send(Command::Ping)?;
        match self.wait(id)? {
            Reply::Pong => Ok(()),
            other => Err(Error::malformed("PING", format!("{other:?}").as_bytes())),
        }
    }

    /// VERSION inside the session.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn version(&mut self) -> Result<Version> {
        let id = self.send(Command::Version)?;
        match self.wait(id)? {
            Reply::Version(v) => Ok(v),
            other => Err(Error::malformed("VERSION", format!("{other:?}").as_bytes())),
        }
    }

    /// STATS inside the session.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn stats(&mut self) -> Result<Stats> {
        let id = self.send(Command::Stats)?;
        match self.wait(id)? {
            Reply::Stats(s) => Ok(s),
            other => Err(Error::malformed("STATS", format!("{other:?}").as_bytes())),
        }
    }

    /// Sends a PING if the session has been idle for the keep-alive interval, so that clamd's
    /// `ReadTimeout` does not close it; waits for its PONG.
    ///
    /// # Errors
    ///
    /// Connection errors.
    pub fn keepalive(&mut self) -> Result<()> {
        self.begin("PING");
        self.core.handle_timeout(Instant::now());
        self.flush()?;
        while self.core.pending() > self.core.pending_requests() && !self.eof {
            self.read_some()?;
        }
        Ok(())
    }

    /// Requests in flight.
    pub fn pending(&self) -> usize {
        self.core.pending_requests()
    }

    /// Sends END, then reads until clamd closes. Returns the replies that were still pending
    /// (or not yet collected), in order of arrival.
    ///
    /// # Errors
    ///
    /// Connection errors and errors that end the session.
    pub fn end(mut self) -> Result<Vec<(u64, Result<Reply>)>> {
        self.begin("END");
        self.core.end();
        self.flush()?;
        while !self.eof {
            self.read_some()?;
        }
        Ok(std::iter::from_fn(|| self.core.poll_reply()).collect())
    }
}

fn scan_reply(reply: Reply) -> Result<ScanResult> {
    match reply {
        Reply::Scan(r) => Ok(r),
        other => Err(Error::malformed("a scan", format!("{other:?}").as_bytes())),
    }
}
