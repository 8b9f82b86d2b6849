//! One command on its own connection (sans-IO).

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use crate::budget::Budget;
use crate::proto::command::{Command, Mode};
use crate::proto::decoder::Decoder;
use crate::proto::reply::{Reply, ScanResult, Stats, Version, VersionCommands};
use crate::{Error, Result};

/// The complete answer to one command sent on its own connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Response {
    /// `PONG`.
    Pong,
    /// `RELOADING`.
    Reloading,
    /// SHUTDOWN is not answered; clamd closes the connection.
    Closed,
    /// The VERSION reply.
    Version(Version),
    /// The VERSIONCOMMANDS reply.
    VersionCommands(VersionCommands),
    /// The STATS reply.
    Stats(Stats),
    /// The lines of a scan, in the order clamd sent them.
    Scan(Vec<ScanResult>),
}

/// The state of one command on its own connection: clamd answers and closes.
///
/// Call order: [`new`](Self::new) gives the bytes to send; then, for each block read,
/// [`handle_input`](Self::handle_input) and [`poll_response`](Self::poll_response) (which
/// answers early for commands with a one-line reply); at end of stream,
/// [`handle_eof`](Self::handle_eof). INSTREAM and FILDES bodies are sent by the transport
/// between `new` and reading.
#[derive(Debug)]
pub struct Exchange {
    command: Command,
    decoder: Decoder,
    results: Vec<ScanResult>,
    budget: Arc<Budget>,
    done: Option<Result<Response>>,
    root: Option<Vec<u8>>,
}

impl Exchange {
    /// Starts an exchange and returns the encoded command. A path scan keeps at most
    /// `max_results` result lines; [`with_limits`](Self::with_limits) sets a byte budget
    /// too.
    ///
    /// # Errors
    ///
    /// As [`Command::encode`].
    pub fn new(
        command: Command,
        mode: Mode,
        max_line: usize,
        max_results: usize,
    ) -> Result<(Self, Vec<u8>)> {
        let bytes = command.to_bytes(mode)?;
        let root = match &command {
            Command::Path(_, p) => Some(p.as_os_str().as_bytes().to_vec()),
            _ => None,
        };
        Ok((
            Self {
                command,
                decoder: Decoder::new(mode, max_line),
                results: Vec::new(),
                budget: Arc::new(Budget::new(max_results, usize::MAX)),
                done: None,
                root,
            },
            bytes,
        ))
    }

    /// The same exchange with new limits on its results: a number of lines and a byte budget,
    /// counted by
    /// [`ScanResult::footprint`]: past it, [`handle_input`](Self::handle_input) fails with
    /// [`Error::ResultBytesExceeded`] and the results before it are kept.
    #[must_use]
    pub fn with_limits(mut self, max_results: usize, max_bytes: usize) -> Self {
        self.budget = Arc::new(Budget::new(max_results, max_bytes));
        self
    }

    /// Counts this exchange's results against a budget shared with other exchanges (the scans
    /// of one fleet host).
    pub(crate) fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = budget;
        self
    }

    /// The result lines received so far (kept when the exchange fails).
    pub fn into_results(self) -> Vec<ScanResult> {
        self.results
    }

    /// The result lines received so far, in clamd's order: a driver that shows results as
    /// they arrive reads the ones past those it has shown after each
    /// [`handle_input`](Self::handle_input) (also after one that failed).
    pub fn results(&self) -> &[ScanResult] {
        &self.results
    }

    /// The command being answered.
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// Whether the command's reply is a number of scan lines ended by the close of the
    /// connection.
    fn multi_line(&self) -> bool {
        matches!(self.command, Command::Path(..))
    }

    /// Feeds bytes read from clamd.
    ///
    /// # Errors
    ///
    /// A framing error ([`Error::LineTooLong`]), a command-level error reply, a malformed
    /// reply, [`Error::TooManyResults`] or [`Error::ResultBytesExceeded`]. The results before
    /// the error are kept ([`into_results`](Self::into_results)).
    pub fn handle_input(&mut self, data: &[u8]) -> Result<()> {
        if self.done.is_some() {
            // clamd answers once; anything after a one-line reply is ignored.
            return Ok(());
        }
        self.decoder.handle_input(data)?;
        while let Some(frame) = self.decoder.poll_frame() {
            let frame = frame?;
            let reply = Reply::parse(&self.command, &frame.body, self.root.as_deref())?;
            match reply {
                Reply::Scan(r) if self.multi_line() => {
                    self.budget.charge(&r)?;
                    self.results.push(r);
                }
                Reply::Scan(r) => self.done = Some(Ok(Response::Scan(vec![r]))),
                Reply::Pong => self.done = Some(Ok(Response::Pong)),
                Reply::Reloading => self.done = Some(Ok(Response::Reloading)),
                Reply::Version(v) => self.done = Some(Ok(Response::Version(v))),
                Reply::VersionCommands(v) => self.done = Some(Ok(Response::VersionCommands(v))),
                Reply::Stats(s) => self.done = Some(Ok(Response::Stats(s))),
            }
            if self.done.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// The response, once complete before the end of stream.
    #[must_use]
    pub fn poll_response(&mut self) -> Option<Result<Response>> {
        self.done.take()
    }

    /// Ends the exchange at end of stream.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when clamd closed before a complete reply.
    pub fn handle_eof(&mut self) -> Result<Response> {
        if let Some(done) = self.done.take() {
            return done;
        }
        self.decoder.handle_eof()?;
        match self.command {
            Command::Shutdown => Ok(Response::Closed),
            Command::Path(..) if !self.results.is_empty() => {
                Ok(Response::Scan(std::mem::take(&mut self.results)))
            }
            _ => Err(Error::Truncated("before any reply")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::command::ScanMode;
    use crate::proto::reply::Verdict;

    fn run(cmd: Command, input: &[&[u8]]) -> Result<Response> {
        let (mut ex, _) = Exchange::new(cmd, Mode::Z, 1024, 10)?;
        for block in input {
            ex.handle_input(block)?;
            if let Some(r) = ex.poll_response() {
                return r;
            }
        }
        ex.handle_eof()
    }

    #[test]
    fn one_line_replies_finish_early() {
        assert_eq!(run(Command::Ping, &[b"PONG\0"]).unwrap(), Response::Pong);
        assert_eq!(
            run(Command::Reload, &[b"RELOADING\0"]).unwrap(),
            Response::Reloading
        );
        assert_eq!(run(Command::Shutdown, &[]).unwrap(), Response::Closed);
    }

    #[test]
    fn dev_null_gives_error_then_ok() {
        let r = run(
            Command::Path(ScanMode::Scan, "/dev/null".into()),
            &[b"/dev/null: Not supported file type ERROR\0/dev/null: OK\0"],
        )
        .unwrap();
        let Response::Scan(lines) = r else { panic!() };
        assert_eq!(lines.len(), 2);
        assert!(lines[0].is_error());
        assert_eq!(lines[1].verdict(), &Verdict::Clean);
    }

    #[test]
    fn truncation_and_limits() {
        assert!(matches!(
            run(Command::Ping, &[b"PON"]),
            Err(Error::Truncated(_))
        ));
        assert!(matches!(run(Command::Ping, &[]), Err(Error::Truncated(_))));
        let many: Vec<u8> = b"/a: X FOUND\0".repeat(11);
        assert!(matches!(
            run(Command::Path(ScanMode::ContScan, "/a".into()), &[&many]),
            Err(Error::TooManyResults { limit: 10 })
        ));
    }

    #[test]
    fn results_are_visible_as_they_arrive() {
        let (mut ex, _) = Exchange::new(
            Command::Path(ScanMode::ContScan, "/a".into()),
            Mode::Z,
            1024,
            10,
        )
        .unwrap();
        ex.handle_input(b"/a/x: Eicar FOUND\0/a/y: Ei").unwrap();
        assert_eq!(ex.results().len(), 1);
        assert!(ex.results()[0].is_infected());
        ex.handle_input(b"car FOUND\0").unwrap();
        assert_eq!(ex.results().len(), 2);
        assert!(ex.poll_response().is_none(), "a scan ends at the close");
        let Response::Scan(lines) = ex.handle_eof().unwrap() else {
            panic!()
        };
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn the_byte_budget_keeps_what_fits() {
        let line = b"/a/x: OK\0";
        let cost = ScanResult::new("/a/x", Verdict::Clean).footprint();
        let (ex, _) = Exchange::new(
            Command::Path(ScanMode::ContScan, "/a".into()),
            Mode::Z,
            1024,
            100,
        )
        .unwrap();
        let mut ex = ex.with_limits(100, 3 * cost);
        let err = ex.handle_input(&line.repeat(5)).unwrap_err();
        assert!(matches!(err, Error::ResultBytesExceeded { .. }), "{err:?}");
        assert_eq!(ex.into_results().len(), 3);
    }
}
