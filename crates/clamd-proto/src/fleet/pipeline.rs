//! Local files of one fleet connection pipelined through an IDSESSION.
//!
//! A connection per file costs the controller a socket, a connect, a close and a copy of the
//! client's settings for every file; inside one session each small file is a single write of
//! its command, data and end marker, and replies are read in blocks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::blocking::Client;
use crate::proto::reply::{Reply, ScanResult};
use crate::{Error, Result};

/// How one connection's files are sent.
pub(super) struct Pipeline<'a> {
    /// The files of the plan, by job index.
    pub(super) files: &'a [PathBuf],
    /// FILDES instead of INSTREAM.
    pub(super) fildes: bool,
    /// The host's deadline: nothing of the session waits past it.
    pub(super) deadline: Instant,
    /// The next job for this connection; `None` when none is left or none may start.
    pub(super) claim: &'a (dyn Fn() -> Option<usize> + Sync),
    /// True once no more jobs may go into the session (the host's result limit was reached);
    /// the rest then run alone, which skips them.
    pub(super) stop: &'a (dyn Fn() -> bool + Sync),
    /// Records job `i`'s outcome (result or error), exactly once per job.
    pub(super) finish: &'a (dyn Fn(usize, Result<ScanResult>) + Sync),
    /// Runs job `i` on a connection of its own: for the jobs a broken session leaves unfinished.
    pub(super) alone: &'a (dyn Fn(usize) + Sync),
}

impl Pipeline<'_> {
    /// Runs jobs through one session on `client` until `claim` has no more. When the session
    /// cannot be opened or breaks, the jobs it had not answered, and every later one, run one
    /// connection each, as without a session, so that each is still reported exactly once.
    pub(super) fn run(&self, client: &Client) {
        let mut inflight = HashMap::new();
        if let Err(e) = self.pipelined(client, &mut inflight) {
            tracing::debug!(endpoint = %client.endpoint(), error = %e, "fleet session broke");
        }
        for i in inflight.into_values() {
            (self.alone)(i);
        }
        while let Some(i) = (self.claim)() {
            (self.alone)(i);
        }
    }

    /// The session's part: returns early with the error that broke it, leaving the jobs it
    /// had not answered in `inflight` (request id to job).
    fn pipelined(&self, client: &Client, inflight: &mut HashMap<u64, usize>) -> Result<()> {
        let mut session = client.session()?.until(self.deadline);
        let window = client.config().session_window.max(1);
        let limit = client.config().stream_max_length;
        while Instant::now() < self.deadline && !(self.stop)() {
            let Some(i) = (self.claim)() else { break };
            let path = &self.files[i];
            // A file that cannot be opened, or is too long, is that file's outcome; the
            // session goes on.
            let (file, len) = match crate::local::open_regular(path) {
                Ok(f) => f,
                Err(e) => {
                    (self.finish)(i, Err(e));
                    continue;
                }
            };
            if let Some(limit) = limit.filter(|&l| len > l) {
                (self.finish)(i, Err(Error::StreamTooLong { len, limit }));
                continue;
            }
            // Until the send returns, the job belongs to this session.
            inflight.insert(u64::MAX, i);
            let id = if self.fildes {
                session.send_fd(&file)?
            } else {
                session.send_stream(file)?
            };
            inflight.remove(&u64::MAX);
            inflight.insert(id, i);
            while session.pending() >= window {
                self.take(&mut session, inflight)?;
            }
        }
        while session.pending() > 0 {
            self.take(&mut session, inflight)?;
        }
        for (id, reply) in session.end()? {
            self.answer(inflight, id, reply);
        }
        Ok(())
    }

    /// Reads the next reply and records it for its job.
    fn take(
        &self,
        session: &mut crate::blocking::Session,
        inflight: &mut HashMap<u64, usize>,
    ) -> Result<()> {
        let (id, reply) = session.recv()?;
        self.answer(inflight, id, reply);
        Ok(())
    }

    fn answer(&self, inflight: &mut HashMap<u64, usize>, id: u64, reply: Result<Reply>) {
        // A PING reply of the session's keep-alive belongs to no job.
        let Some(i) = inflight.remove(&id) else {
            return;
        };
        let result = reply.and_then(|r| match r {
            Reply::Scan(r) => Ok(r.with_path(&self.files[i])),
            other => Err(Error::malformed("a scan", format!("{other:?}").as_bytes())),
        });
        (self.finish)(i, result);
    }
}
