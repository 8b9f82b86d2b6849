//! Reply framing (sans-IO): splits the byte stream from clamd into frames, with bounded memory.

use crate::proto::command::Mode;
use crate::{Error, Result};

/// The default limit on one reply frame: far above any path clamd can print plus a signature
/// name, and above a STATS reply of a large thread pool.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// One reply frame: its session id (inside IDSESSION) and its body, without the terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame {
    /// The `<id>: ` prefix of a session reply, parsed; `None` outside a session.
    pub id: Option<u64>,
    /// The reply text without id prefix and terminator.
    pub body: Vec<u8>,
}

/// Splits clamd's replies into [`Frame`]s.
///
/// Call order: [`handle_input`](Self::handle_input) with each block of bytes read, then
/// [`poll_frame`](Self::poll_frame) until it returns `None`; at end of stream,
/// [`handle_eof`](Self::handle_eof). After an error the decoder is poisoned: it returns no more
/// frames and refuses more input.
///
/// In z-mode a frame ends at NUL. In n-mode it ends at a newline, except that a STATS reply
/// (which starts with `POOLS:`) runs to its `END` line. A frame, or the unterminated tail of
/// the input, longer than the limit is [`Error::LineTooLong`]: the decoder never holds more than
/// the limit plus the last block of input.
#[derive(Debug, Clone)]
pub struct Decoder {
    mode: Mode,
    max_line: usize,
    session: bool,
    buf: Vec<u8>,
    /// Start of the first byte not yet returned in a frame.
    start: usize,
    /// How far past `start` the buffer has been searched for a terminator.
    searched: usize,
    failed: bool,
}

impl Decoder {
    /// A decoder for replies in `mode`, with frames of at most `max_line` bytes.
    pub fn new(mode: Mode, max_line: usize) -> Self {
        Self {
            mode,
            max_line: max_line.max(16),
            session: false,
            buf: Vec::new(),
            start: 0,
            searched: 0,
            failed: false,
        }
    }

    /// Whether frames carry an IDSESSION `<id>: ` prefix to parse.
    #[must_use]
    pub fn with_session_ids(mut self, session: bool) -> Self {
        self.session = session;
        self
    }

    /// The configured frame limit.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Bytes buffered and not yet returned in a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Feeds bytes read from clamd.
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] when the bytes after the last terminator exceed the limit, and the
    /// same error again once the decoder has failed.
    pub fn handle_input(&mut self, data: &[u8]) -> Result<()> {
        if self.failed {
            return Err(Error::LineTooLong {
                limit: self.max_line,
            });
        }
        if self.start > 0 && (self.start >= self.buf.len() / 2 || self.start > 1 << 20) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        // Only keep what can still form a frame: if the tail after the last terminator is
        // already over the limit, fail without storing it.
        let term = self.mode.terminator();
        let tail_in_data = match data.iter().rposition(|&b| b == term) {
            Some(i) => data.len() - i - 1,
            None => self.buffered() + data.len(),
        };
        if tail_in_data > self.max_line {
            self.failed = true;
            return Err(Error::LineTooLong {
                limit: self.max_line,
            });
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete frame, if one is buffered.
    pub fn poll_frame(&mut self) -> Option<Result<Frame>> {
        if self.failed {
            return None;
        }
        let end = match self.find_end() {
            Ok(Some(end)) => end,
            Ok(None) => return None,
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        };
        let (body_end, next) = end;
        let raw = &self.buf[self.start..body_end];
        if raw.len() > self.max_line {
            self.failed = true;
            return Some(Err(Error::LineTooLong {
                limit: self.max_line,
            }));
        }
        let (id, body) = if self.session {
            match split_id(raw) {
                Some((id, body)) => (Some(id), body),
                None => (None, raw),
            }
        } else {
            (None, raw)
        };
        let frame = Frame {
            id,
            body: body.to_vec(),
        };
        self.start = next;
        self.searched = 0;
        Some(Ok(frame))
    }

    /// Signals the end of the stream.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when a partial frame is left over, or the command error it holds
    /// (clamd ends `COMMAND READ TIMED OUT` with a newline even in z-mode).
    pub fn handle_eof(&mut self) -> Result<()> {
        if self.buffered() > 0 && !self.failed {
            self.failed = true;
            // clamd answers a command it could not read in time with a newline-terminated
            // `COMMAND READ TIMED OUT`, whatever the mode.
            let rest = &self.buf[self.start..];
            if let Some(e) = rest
                .strip_suffix(b"\n")
                .and_then(crate::proto::reply::command_error)
            {
                return Err(e);
            }
            return Err(Error::Truncated("in the middle of a reply"));
        }
        Ok(())
    }

    /// Finds the end of the next frame: (end of body, start of the next frame).
    fn find_end(&mut self) -> Result<Option<(usize, usize)>> {
        let term = self.mode.terminator();
        let data = &self.buf[self.start..];
        match self.mode {
            Mode::Z => {
                let from = self.searched.min(data.len());
                if let Some(i) = data[from..].iter().position(|&b| b == term) {
                    let at = self.start + from + i;
                    return Ok(Some((at, at + 1)));
                }
                self.searched = data.len();
                if data.len() > self.max_line {
                    return Err(Error::LineTooLong {
                        limit: self.max_line,
                    });
                }
                Ok(None)
            }
            Mode::N => {
                let Some(first) = data.iter().position(|&b| b == term) else {
                    if data.len() > self.max_line {
                        return Err(Error::LineTooLong {
                            limit: self.max_line,
                        });
                    }
                    return Ok(None);
                };
                let line = &data[..first];
                let body = if self.session {
                    split_id(line).map_or(line, |(_, b)| b)
                } else {
                    line
                };
                if !body.starts_with(b"POOLS:") {
                    return Ok(Some((self.start + first, self.start + first + 1)));
                }
                // A STATS reply in n-mode: up to and including the line `END`.
                let mut pos = first + 1;
                loop {
                    let Some(i) = data[pos..].iter().position(|&b| b == term) else {
                        if data.len() > self.max_line {
                            return Err(Error::LineTooLong {
                                limit: self.max_line,
                            });
                        }
                        return Ok(None);
                    };
                    if &data[pos..pos + i] == b"END" {
                        let end = self.start + pos + i;
                        return Ok(Some((end, end + 1)));
                    }
                    pos += i + 1;
                }
            }
        }
    }
}

/// Splits `<digits>: rest`.
fn split_id(raw: &[u8]) -> Option<(u64, &[u8])> {
    let digits = raw.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || !raw[digits..].starts_with(b": ") {
        return None;
    }
    let id = std::str::from_utf8(&raw[..digits]).ok()?.parse().ok()?;
    Some((id, &raw[digits + 2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(d: &mut Decoder) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(f) = d.poll_frame() {
            out.push(f.unwrap().body);
        }
        out
    }

    #[test]
    fn z_frames_across_reads() {
        let mut d = Decoder::new(Mode::Z, 1024);
        d.handle_input(b"/a: OK\0/b: Ei").unwrap();
        assert_eq!(frames(&mut d), vec![b"/a: OK".to_vec()]);
        d.handle_input(b"car FOUND\0").unwrap();
        assert_eq!(frames(&mut d), vec![b"/b: Eicar FOUND".to_vec()]);
        d.handle_eof().unwrap();
    }

    #[test]
    fn newline_inside_a_z_frame() {
        let mut d = Decoder::new(Mode::Z, 1024);
        d.handle_input(b"/a\nb: OK\0").unwrap();
        assert_eq!(frames(&mut d), vec![b"/a\nb: OK".to_vec()]);
    }

    #[test]
    fn n_mode_stats_runs_to_end() {
        let mut d = Decoder::new(Mode::N, 1024);
        d.handle_input(b"POOLS: 1\n\nSTATE: VALID PRIMARY\n")
            .unwrap();
        assert!(d.poll_frame().is_none());
        d.handle_input(b"END\nPONG\n").unwrap();
        assert_eq!(
            frames(&mut d),
            vec![
                b"POOLS: 1\n\nSTATE: VALID PRIMARY\nEND".to_vec(),
                b"PONG".to_vec()
            ]
        );
    }

    #[test]
    fn session_ids() {
        let mut d = Decoder::new(Mode::Z, 1024).with_session_ids(true);
        d.handle_input(b"2: PONG\x0017: /a: OK\0UNKNOWN COMMAND\0")
            .unwrap();
        let f: Vec<Frame> = std::iter::from_fn(|| d.poll_frame())
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            f[0],
            Frame {
                id: Some(2),
                body: b"PONG".to_vec()
            }
        );
        assert_eq!(
            f[1],
            Frame {
                id: Some(17),
                body: b"/a: OK".to_vec()
            }
        );
        assert_eq!(
            f[2],
            Frame {
                id: None,
                body: b"UNKNOWN COMMAND".to_vec()
            }
        );
    }

    #[test]
    fn truncated_reply() {
        let mut d = Decoder::new(Mode::Z, 1024);
        d.handle_input(b"/a: O").unwrap();
        assert!(d.poll_frame().is_none());
        assert!(matches!(d.handle_eof(), Err(Error::Truncated(_))));
    }

    #[test]
    fn long_line_is_refused_without_buffering_it() {
        let mut d = Decoder::new(Mode::Z, 100);
        let block = [b'x'; 64];
        d.handle_input(&block).unwrap();
        assert!(matches!(
            d.handle_input(&block),
            Err(Error::LineTooLong { limit: 100 })
        ));
        assert!(d.buffered() <= 100);
        assert!(d.poll_frame().is_none());
        assert!(d.handle_input(b"\0").is_err());
    }

    #[test]
    fn long_terminated_frame_is_refused() {
        let mut d = Decoder::new(Mode::Z, 16);
        d.handle_input(&[b'x'; 17]).unwrap_err();
        let mut d = Decoder::new(Mode::N, 16);
        let mut data = vec![b'x'; 40];
        data.push(b'\n');
        d.handle_input(&data).unwrap();
        assert!(matches!(
            d.poll_frame(),
            Some(Err(Error::LineTooLong { .. }))
        ));
    }
}
