//! IDSESSION (sans-IO): many commands pipelined over one connection, replies matched by id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use crate::proto::command::{Command, Mode, encode_chunk};
use crate::proto::decoder::Decoder;
use crate::proto::reply::{Reply, command_error};
use crate::{Error, Result};

/// The default interval after which an idle session sends PING. clamd ends a session that
/// sends nothing for its `ReadTimeout` (120 s by default) with `COMMAND READ TIMED OUT`.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Pending {
    command: Command,
    root: Option<Vec<u8>>,
    keepalive: bool,
}

/// The state of an IDSESSION.
///
/// clamd numbers the commands of a session from 1 in the order it receives them and prefixes
/// each reply with `<id>: `. Replies to scans arrive in the order the scans finish, not the order
/// they were sent; this type matches them to their requests by id.
///
/// Call order:
/// 1. [`new`](Self::new) queues `IDSESSION`;
/// 2. [`send`](Self::send) queues commands (and [`send_chunk`](Self::send_chunk) INSTREAM data)
///    and returns each request's id;
/// 3. [`poll_transmit`](Self::poll_transmit) gives the bytes to write, and
///    [`advance_transmit`](Self::advance_transmit) consumes what was written;
/// 4. [`handle_input`](Self::handle_input) takes the bytes read, then
///    [`poll_reply`](Self::poll_reply) or [`take_reply`](Self::take_reply) gives the replies;
/// 5. [`poll_timeout`](Self::poll_timeout) says when [`handle_timeout`](Self::handle_timeout)
///    must run to queue a keep-alive PING;
/// 6. [`end`](Self::end) queues `END`, and [`handle_eof`](Self::handle_eof) fails whatever is
///    still pending.
#[derive(Debug)]
pub struct SessionCore {
    mode: Mode,
    decoder: Decoder,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    done: HashSet<u64>,
    ready: VecDeque<(u64, Result<Reply>)>,
    outbox: Vec<u8>,
    sent: usize,
    keepalive: Duration,
    last_activity: Instant,
    ended: bool,
    closed: bool,
}

impl SessionCore {
    /// A new session; `IDSESSION` is queued for transmission.
    pub fn new(mode: Mode, max_line: usize, now: Instant) -> Self {
        let mut outbox = Vec::new();
        // IDSESSION has no argument: encoding cannot fail.
        let _ = Command::IdSession.encode(mode, &mut outbox);
        Self {
            mode,
            decoder: Decoder::new(mode, max_line).with_session_ids(true),
            next_id: 1,
            pending: HashMap::new(),
            done: HashSet::new(),
            ready: VecDeque::new(),
            outbox,
            sent: 0,
            keepalive: DEFAULT_KEEPALIVE,
            last_activity: now,
            ended: false,
            closed: false,
        }
    }

    /// Sets the keep-alive interval.
    #[must_use]
    pub fn with_keepalive(mut self, interval: Duration) -> Self {
        self.keepalive = interval;
        self
    }

    /// Queues a command and returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a command clamd refuses inside IDSESSION (CONTSCAN,
    /// MULTISCAN, ALLMATCHSCAN, RELOAD, SHUTDOWN, IDSESSION), [`Error::SessionClosed`] once the
    /// session has ended, and the encoding errors of [`Command::encode`].
    pub fn send(&mut self, command: Command, now: Instant) -> Result<u64> {
        self.send_inner(command, now, false)
    }

    fn send_inner(&mut self, command: Command, now: Instant, keepalive: bool) -> Result<u64> {
        if self.ended || self.closed {
            return Err(Error::SessionClosed { id: self.next_id });
        }
        if matches!(command, Command::End) {
            return Err(Error::Unsupported("use SessionCore::end to end a session"));
        }
        if !command.allowed_in_session() {
            return Err(Error::Unsupported(
                "clamd accepts only PING, VERSION, VERSIONCOMMANDS, STATS, SCAN, INSTREAM and \
                 FILDES inside IDSESSION",
            ));
        }
        command.encode(self.mode, &mut self.outbox)?;
        let id = self.next_id;
        self.next_id += 1;
        let root = match &command {
            Command::Path(_, p) => Some(p.as_os_str().as_bytes().to_vec()),
            _ => None,
        };
        self.pending.insert(
            id,
            Pending {
                command,
                root,
                keepalive,
            },
        );
        self.last_activity = now;
        Ok(id)
    }

    /// Queues one INSTREAM chunk after [`send`](Self::send)`(Command::Instream)`; an empty
    /// chunk ends the stream.
    pub fn send_chunk(&mut self, data: &[u8]) {
        encode_chunk(data, &mut self.outbox);
    }

    /// Queues `END`. Replies still pending keep arriving until clamd closes.
    pub fn end(&mut self) {
        if !self.ended && !self.closed {
            let _ = Command::End.encode(self.mode, &mut self.outbox);
            self.ended = true;
        }
    }

    /// Bytes waiting to be written, if any.
    #[must_use]
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let rest = &self.outbox[self.sent..];
        (!rest.is_empty()).then_some(rest)
    }

    /// Marks `n` bytes of [`poll_transmit`](Self::poll_transmit) as written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.outbox.len());
        if self.sent == self.outbox.len() {
            self.outbox.clear();
            self.sent = 0;
        }
    }

    /// Requests sent and not yet answered (keep-alive PINGs included).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Requests sent by the user and not yet answered.
    pub fn pending_requests(&self) -> usize {
        self.pending.values().filter(|p| !p.keepalive).count()
    }

    /// Whether END was queued or clamd closed the session.
    pub fn is_ended(&self) -> bool {
        self.ended || self.closed
    }

    /// Feeds bytes read from clamd.
    ///
    /// # Errors
    ///
    /// Errors that end the session: framing errors, [`Error::UnexpectedSessionId`], replies
    /// without an id ([`Error::UnknownCommand`], [`Error::CommandReadTimedOut`],
    /// [`Error::Malformed`]). Errors of one request (including
    /// [`Error::SessionCommandInvalid`], after which clamd ends the session) are delivered as
    /// that request's reply instead.
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<()> {
        self.last_activity = now;
        if let Err(e) = self.decoder.handle_input(data) {
            self.closed = true;
            return Err(e);
        }
        while let Some(frame) = self.decoder.poll_frame() {
            let frame = frame.inspect_err(|_| self.closed = true)?;
            let Some(id) = frame.id else {
                self.closed = true;
                return Err(command_error(&frame.body)
                    .unwrap_or_else(|| Error::malformed("IDSESSION", &frame.body)));
            };
            let Some(pending) = self.pending.remove(&id) else {
                if self.done.contains(&id) {
                    // A second line for a finished request (clamd sends `ERROR` then `OK` for
                    // some special files): the first one is the verdict.
                    continue;
                }
                self.closed = true;
                tracing::debug!(id, "IDSESSION reply with an id no request has");
                return Err(Error::UnexpectedSessionId { id });
            };
            self.done.insert(id);
            let reply = Reply::parse(&pending.command, &frame.body, pending.root.as_deref());
            if matches!(reply, Err(Error::SessionCommandInvalid)) {
                self.closed = true;
            }
            if !pending.keepalive {
                self.ready.push_back((id, reply));
            }
        }
        Ok(())
    }

    /// Ends the session at end of stream: every pending request fails with
    /// [`Error::SessionClosed`].
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when a partial reply is left over.
    pub fn handle_eof(&mut self) -> Result<()> {
        self.closed = true;
        let mut ids: Vec<u64> = self
            .pending
            .drain()
            .filter(|(_, p)| !p.keepalive)
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.done.insert(id);
            self.ready.push_back((id, Err(Error::SessionClosed { id })));
        }
        self.decoder.handle_eof()
    }

    /// The next reply, in order of arrival, with its request's id.
    #[must_use]
    pub fn poll_reply(&mut self) -> Option<(u64, Result<Reply>)> {
        self.ready.pop_front()
    }

    /// The reply to one request, if it has arrived.
    pub fn take_reply(&mut self, id: u64) -> Option<Result<Reply>> {
        let i = self.ready.iter().position(|(r, _)| *r == id)?;
        self.ready.remove(i).map(|(_, r)| r)
    }

    /// When a keep-alive PING is due, if the session is open and idle.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.ended && !self.closed && self.pending.is_empty())
            .then(|| self.last_activity + self.keepalive)
    }

    /// Queues a keep-alive PING if one is due at `now`. Its PONG is consumed internally.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            let _ = self.send_inner(Command::Ping, now, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::command::ScanMode;

    #[test]
    #[expect(
        clippy::many_single_char_names,
        reason = "ids a, b, c read best in this test"
    )]
    fn out_of_order_replies_are_matched_by_id() {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 1024, now);
        let a = s
            .send(Command::Path(ScanMode::Scan, "/a".into()), now)
            .unwrap();
        let b = s.send(Command::Ping, now).unwrap();
        let c = s
            .send(Command::Path(ScanMode::Scan, "/c".into()), now)
            .unwrap();
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(
            s.poll_transmit().unwrap(),
            b"zIDSESSION\0zSCAN /a\0zPING\0zSCAN /c\0"
        );
        s.advance_transmit(40);
        assert!(s.poll_transmit().is_none());
        s.handle_input(b"2: PONG\x003: /c: X FOUND\x001: /a: OK\0", now)
            .unwrap();
        let Some(Ok(Reply::Scan(r))) = s.take_reply(1) else {
            panic!()
        };
        assert_eq!(r.path_bytes(), b"/a");
        let order: Vec<u64> = std::iter::from_fn(|| s.poll_reply())
            .map(|(id, _)| id)
            .collect();
        assert_eq!(order, vec![2, 3]);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn wrong_id_is_an_error() {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 1024, now);
        s.send(Command::Ping, now).unwrap();
        assert!(matches!(
            s.handle_input(b"7: PONG\0", now),
            Err(Error::UnexpectedSessionId { id: 7 })
        ));
    }

    #[test]
    fn refused_commands_and_eof() {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 1024, now);
        assert!(matches!(
            s.send(Command::Path(ScanMode::ContScan, "/a".into()), now),
            Err(Error::Unsupported(_))
        ));
        let id = s.send(Command::Version, now).unwrap();
        s.handle_eof().unwrap();
        assert!(matches!(s.poll_reply(), Some((i, Err(Error::SessionClosed { .. }))) if i == id));
        assert!(s.send(Command::Ping, now).is_err());
    }

    #[test]
    fn keepalive_ping_is_internal() {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 1024, now).with_keepalive(Duration::from_secs(1));
        s.advance_transmit(usize::MAX);
        assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(1)));
        s.handle_timeout(now);
        assert!(s.poll_transmit().is_none());
        let later = now + Duration::from_secs(2);
        s.handle_timeout(later);
        assert_eq!(s.poll_transmit().unwrap(), b"zPING\0");
        s.handle_input(b"1: PONG\0", later).unwrap();
        assert!(s.poll_reply().is_none());
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn invalid_command_closes_the_session() {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 1024, now);
        s.send(Command::Stats, now).unwrap();
        s.handle_input(b"1: Command invalid inside IDSESSION. ERROR\0", now)
            .unwrap();
        assert!(matches!(
            s.poll_reply(),
            Some((1, Err(Error::SessionCommandInvalid)))
        ));
        assert!(s.is_ended());
    }
}
