//! Blocking sockets with a deadline on every read and write.

use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::endpoint::Endpoint;
use crate::{Error, Result};

/// The TLS settings a connection may use.
#[cfg(feature = "tls")]
pub(crate) type TlsSettings = crate::tls::TlsSettings;
/// No TLS in this build: there is never a value.
#[cfg(not(feature = "tls"))]
#[derive(Debug)]
pub(crate) enum TlsSettings {}

#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream>),
}

/// TLS over TCP: the socket, the sans-IO TLS connection, and a buffer for ciphertext.
#[cfg(feature = "tls")]
#[derive(Debug)]
struct TlsStream {
    sock: TcpStream,
    core: crate::tls::TlsCore,
    buf: Vec<u8>,
}

/// One connection to clamd, with the deadline of the operation in progress.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Stream,
    endpoint: String,
    op: &'static str,
    start: Instant,
    deadline: Instant,
}

impl Conn {
    /// Connects within the connect timeout and before `deadline`; for a `tls://` endpoint the
    /// connect includes the TLS handshake, so a server that stalls it gives
    /// [`Error::Timeout`] of `TLS handshake` by then.
    #[cfg_attr(
        not(feature = "tls"),
        expect(unused_variables, reason = "only TLS uses it")
    )]
    pub(crate) fn connect(
        endpoint: &Endpoint,
        connect_timeout: Duration,
        tls: Option<&TlsSettings>,
        op: &'static str,
        deadline: Instant,
    ) -> Result<Self> {
        let start = Instant::now();
        let name = endpoint.to_string();
        let left = deadline.saturating_duration_since(start);
        if left.is_zero() {
            return Err(Error::Timeout {
                op,
                endpoint: name,
                after: Duration::ZERO,
            });
        }
        let limit = connect_timeout.min(left);
        let connect_err = |source| Error::Connect {
            endpoint: name.clone(),
            source,
        };
        let stream = match endpoint {
            Endpoint::Tcp { host, port } => {
                let addrs: Vec<_> = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(connect_err)?
                    .collect();
                Stream::Tcp(tcp(&addrs, limit, deadline, op, &name, start)?)
            }
            Endpoint::Unix(path) => {
                let socket = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(connect_err)?;
                let addr = SockAddr::unix(path).map_err(connect_err)?;
                socket.connect_timeout(&addr, limit).map_err(|e| {
                    if e.kind() == io::ErrorKind::TimedOut {
                        Error::Timeout {
                            op,
                            endpoint: name.clone(),
                            after: start.elapsed(),
                        }
                    } else {
                        connect_err(e)
                    }
                })?;
                Stream::Unix(socket.into())
            }
            #[cfg(feature = "tls")]
            Endpoint::Tls { addr, server_name } => {
                let Some(settings) = tls else {
                    return Err(Error::TlsNotConfigured { endpoint: name });
                };
                let core =
                    crate::tls::TlsCore::new(settings, *addr, server_name.as_deref(), &name)?;
                let sock = tcp(&[*addr], limit, deadline, op, &name, start)?;
                Stream::Tls(Box::new(TlsStream {
                    sock,
                    core,
                    buf: vec![0; 16 * 1024],
                }))
            }
            // Nothing is sent to a TLS terminator in clear text.
            #[cfg(not(feature = "tls"))]
            Endpoint::Tls { .. } => {
                return Err(Error::TlsUnsupported {
                    endpoint: name.clone(),
                });
            }
        };
        let conn = Self {
            stream,
            endpoint: name,
            op,
            start,
            deadline,
        };
        #[cfg(feature = "tls")]
        let conn = {
            let mut conn = conn;
            conn.handshake(start + limit)?;
            conn
        };
        tracing::trace!(endpoint = %conn.endpoint, op, elapsed = ?start.elapsed(), "connected");
        Ok(conn)
    }

    /// Runs the TLS handshake (if this is TLS) by `by`, and never past the operation's
    /// deadline: a stall is [`Error::Timeout`] of `TLS handshake`. No plaintext is sent
    /// before the server's certificate has been verified.
    #[cfg(feature = "tls")]
    fn handshake(&mut self, by: Instant) -> Result<()> {
        if !matches!(self.stream, Stream::Tls(_)) {
            return Ok(());
        }
        let (op, deadline) = (self.op, self.deadline);
        self.op = "TLS handshake";
        self.deadline = by.min(deadline);
        let done = self.drive_handshake();
        self.op = op;
        self.deadline = deadline;
        done
    }

    #[cfg(feature = "tls")]
    fn drive_handshake(&mut self) -> Result<()> {
        let closed = |endpoint: &str, why: String| Error::Tls {
            endpoint: endpoint.to_owned(),
            during: crate::tls::HANDSHAKING,
            reason: why,
        };
        loop {
            self.flush_tls().map_err(|e| match e {
                WriteError::Proto(e) => e,
                WriteError::Closed(e) => closed(
                    &self.endpoint,
                    format!("the server closed the connection: {e}"),
                ),
            })?;
            let left = self.left()?;
            let Stream::Tls(t) = &mut self.stream else {
                return Ok(());
            };
            if !t.core.is_handshaking() {
                return Ok(());
            }
            t.sock
                .set_read_timeout(Some(left))
                .map_err(|e| self.io_error("configuring", e))?;
            let Stream::Tls(t) = &mut self.stream else {
                return Ok(());
            };
            match (&t.sock).read(&mut t.buf) {
                Ok(0) => {
                    return Err(closed(
                        &self.endpoint,
                        "the server closed the connection before the handshake was done \
                         (it may speak no TLS, or refuse this client)"
                            .into(),
                    ));
                }
                Ok(n) => self.take_tls_input(n)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error("handshaking with", e)),
            }
        }
    }

    /// Gives the TLS connection the `n` bytes just read into its buffer. When they show a
    /// failure, the alert rustls queued goes to the server, if the socket takes it, so that
    /// its log says why.
    #[cfg(feature = "tls")]
    fn take_tls_input(&mut self, n: usize) -> Result<()> {
        let Stream::Tls(t) = &mut self.stream else {
            return Ok(());
        };
        let taken = t.core.handle_input(&t.buf[..n]);
        if taken.is_err() {
            let _ = self.flush_tls();
        }
        taken
    }

    /// Sends the ciphertext the TLS connection has for the socket, before the deadline.
    #[cfg(feature = "tls")]
    fn flush_tls(&mut self) -> std::result::Result<(), WriteError> {
        loop {
            let left = self.left().map_err(WriteError::Proto)?;
            let Stream::Tls(t) = &mut self.stream else {
                return Ok(());
            };
            let Some(out) = t.core.poll_transmit() else {
                return Ok(());
            };
            let r = t
                .sock
                .set_write_timeout(Some(left))
                .and_then(|()| (&t.sock).write(out));
            match r {
                Ok(0) => {
                    return Err(WriteError::Closed(io::Error::from(
                        io::ErrorKind::WriteZero,
                    )));
                }
                Ok(n) => t.core.advance_transmit(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_closed(&e) => return Err(WriteError::Closed(e)),
                Err(e) => return Err(WriteError::Proto(self.io_error("writing to", e))),
            }
        }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn is_unix(&self) -> bool {
        matches!(self.stream, Stream::Unix(_))
    }

    /// Starts a new operation on this connection (inside a session).
    pub(crate) fn begin(&mut self, op: &'static str, deadline: Instant) {
        self.op = op;
        self.start = Instant::now();
        self.deadline = deadline;
    }

    pub(crate) fn timeout_error(&self) -> Error {
        Error::Timeout {
            op: self.op,
            endpoint: self.endpoint.clone(),
            after: self.deadline.saturating_duration_since(self.start),
        }
    }

    fn io_error(&self, op: &'static str, e: io::Error) -> Error {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            self.timeout_error()
        } else {
            Error::Io {
                op,
                endpoint: self.endpoint.clone(),
                source: e,
            }
        }
    }

    fn left(&self) -> Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.timeout_error())
        } else {
            Ok(left)
        }
    }

    fn set_write_timeout(&self, t: Duration) -> io::Result<()> {
        match &self.stream {
            Stream::Tcp(s) => s.set_write_timeout(Some(t)),
            Stream::Unix(s) => s.set_write_timeout(Some(t)),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_write_timeout(Some(t)),
        }
    }

    fn set_read_timeout(&self, t: Duration) -> io::Result<()> {
        match &self.stream {
            Stream::Tcp(s) => s.set_read_timeout(Some(t)),
            Stream::Unix(s) => s.set_read_timeout(Some(t)),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.sock.set_read_timeout(Some(t)),
        }
    }

    /// Writes everything before the deadline. A raw `io::Error` is returned for the caller to
    /// tell a closed socket (EPIPE, ECONNRESET) from other failures.
    pub(crate) fn write_all_raw(&mut self, mut data: &[u8]) -> std::result::Result<(), WriteError> {
        while !data.is_empty() {
            let left = self.left().map_err(WriteError::Proto)?;
            self.set_write_timeout(left)
                .map_err(|e| WriteError::Proto(self.io_error("configuring", e)))?;
            let r = match &mut self.stream {
                Stream::Tcp(s) => s.write(data),
                Stream::Unix(s) => s.write(data),
                #[cfg(feature = "tls")]
                Stream::Tls(t) => {
                    // Plaintext goes into the TLS connection, ciphertext out to the socket.
                    let mut n = t.core.send(data);
                    self.flush_tls()?;
                    if n == 0
                        && let Stream::Tls(t) = &mut self.stream
                    {
                        n = t.core.send(data);
                    }
                    Ok(n)
                }
            };
            match r {
                Ok(0) => {
                    return Err(WriteError::Closed(io::Error::from(
                        io::ErrorKind::WriteZero,
                    )));
                }
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_closed(&e) => return Err(WriteError::Closed(e)),
                Err(e) => return Err(WriteError::Proto(self.io_error("writing to", e))),
            }
        }
        Ok(())
    }

    /// Writes everything before the deadline.
    pub(crate) fn write_all(&mut self, data: &[u8]) -> Result<()> {
        self.write_all_raw(data).map_err(|e| match e {
            WriteError::Proto(e) => e,
            WriteError::Closed(e) => Error::Io {
                op: "writing to",
                endpoint: self.endpoint.clone(),
                source: e,
            },
        })
    }

    /// Reads what is available, waiting no later than the deadline. `Ok(0)` is end of stream.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            let left = self.left()?;
            self.set_read_timeout(left)
                .map_err(|e| self.io_error("configuring", e))?;
            let r = match &mut self.stream {
                Stream::Tcp(s) => s.read(buf),
                Stream::Unix(s) => s.read(buf),
                #[cfg(feature = "tls")]
                Stream::Tls(_) => match self.read_tls(buf)? {
                    Some(n) => return Ok(n),
                    None => continue,
                },
            };
            match r {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error("reading from", e)),
            }
        }
    }

    /// One step of a read over TLS, the socket's read timeout set: plaintext if there is
    /// some (`Some(0)` at the end), or `None` after reading ciphertext into the TLS connection.
    #[cfg(feature = "tls")]
    fn read_tls(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        let Stream::Tls(t) = &mut self.stream else {
            return Ok(None);
        };
        if let Some(n) = t.core.recv(buf)? {
            return Ok(Some(n));
        }
        match (&t.sock).read(&mut t.buf) {
            Ok(0) => t.core.handle_eof(),
            Ok(n) => self.take_tls_input(n)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(self.io_error("reading from", e)),
        }
        // Whatever the input asks to be sent (an alert, a key update).
        self.flush_tls().map_err(|e| match e {
            WriteError::Proto(e) => e,
            WriteError::Closed(source) => Error::Io {
                op: "writing to",
                endpoint: self.endpoint.clone(),
                source,
            },
        })?;
        Ok(None)
    }

    /// Sends one descriptor with `SCM_RIGHTS` (and the one dummy byte clamd expects), through
    /// rustix's safe wrapper.
    pub(crate) fn send_fd(&mut self, fd: impl AsFd) -> Result<()> {
        let Stream::Unix(sock) = &self.stream else {
            return Err(Error::Unsupported(
                "FILDES needs a Unix socket: a descriptor cannot cross TCP",
            ));
        };
        let left = self.left()?;
        sock.set_write_timeout(Some(left))
            .map_err(|e| self.io_error("configuring", e))?;
        let fds = [fd.as_fd()];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
        if !control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)) {
            return Err(Error::Unsupported(
                "no room for the descriptor in the control buffer",
            ));
        }
        loop {
            match rustix::net::sendmsg(
                sock,
                &[IoSlice::new(&[0])],
                &mut control,
                rustix::net::SendFlags::NOSIGNAL,
            ) {
                Ok(_) => return Ok(()),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(self.io_error("passing a descriptor to", e.into())),
            }
        }
    }
}

/// The first of `addrs` that accepts a TCP connection within `limit` each and before
/// `deadline`.
fn tcp(
    addrs: &[std::net::SocketAddr],
    limit: Duration,
    deadline: Instant,
    op: &'static str,
    name: &str,
    start: Instant,
) -> Result<TcpStream> {
    let connect_err = |source| Error::Connect {
        endpoint: name.to_owned(),
        source,
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
    for &addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(connect_err)?;
        match socket.connect_timeout(&addr.into(), limit.min(left)) {
            Ok(()) => {
                socket.set_tcp_nodelay(true).map_err(connect_err)?;
                return Ok(socket.into());
            }
            Err(e) => last = e,
        }
    }
    if last.kind() == io::ErrorKind::TimedOut || last.kind() == io::ErrorKind::WouldBlock {
        return Err(Error::Timeout {
            op,
            endpoint: name.to_owned(),
            after: start.elapsed(),
        });
    }
    Err(connect_err(last))
}

/// A failed write: either the peer closed (so a reply may be waiting), or anything else.
#[derive(Debug)]
pub(crate) enum WriteError {
    Closed(io::Error),
    Proto(Error),
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}
