//! Commands and their encoding (sans-IO).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// How commands and replies are delimited.
///
/// clamd answers in the mode of the command's prefix. The legacy unprefixed form is never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// `z` prefix, NUL-terminated (the default). Paths may contain newlines.
    #[default]
    Z,
    /// `n` prefix, newline-terminated. Paths may not contain newlines.
    N,
}

impl Mode {
    /// The prefix byte of a command: `z` or `n`.
    pub fn prefix(self) -> u8 {
        match self {
            Mode::Z => b'z',
            Mode::N => b'n',
        }
    }

    /// The byte that ends commands and replies: NUL or newline.
    pub fn terminator(self) -> u8 {
        match self {
            Mode::Z => 0,
            Mode::N => b'\n',
        }
    }
}

/// How a path scan walks a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScanMode {
    /// `SCAN`: stops at the first infected file.
    Scan,
    /// `CONTSCAN`: scans everything and reports every infected file (the default).
    #[default]
    ContScan,
    /// `MULTISCAN`: like CONTSCAN, with clamd's thread pool working in parallel.
    MultiScan,
    /// `ALLMATCHSCAN`: reports every signature that matches a file, not only the first.
    AllMatchScan,
}

impl ScanMode {
    /// The command word, e.g. `CONTSCAN`.
    pub fn name(self) -> &'static str {
        match self {
            ScanMode::Scan => "SCAN",
            ScanMode::ContScan => "CONTSCAN",
            ScanMode::MultiScan => "MULTISCAN",
            ScanMode::AllMatchScan => "ALLMATCHSCAN",
        }
    }
}

/// One clamd command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `PING`, answered `PONG`.
    Ping,
    /// `VERSION`.
    Version,
    /// `VERSIONCOMMANDS`.
    VersionCommands,
    /// `RELOAD`, answered `RELOADING`.
    Reload,
    /// `SHUTDOWN`, not answered.
    Shutdown,
    /// `STATS`.
    Stats,
    /// A path scan in the given mode. The path is sent as its bytes.
    Path(ScanMode, PathBuf),
    /// `INSTREAM`: the command only; the chunks follow (each a 4-byte big-endian length and the data, then a zero length).
    Instream,
    /// `FILDES`: the command only; the descriptor follows over the Unix socket.
    Fildes,
    /// `IDSESSION`: starts a session.
    IdSession,
    /// `END`: ends a session.
    End,
}

impl Command {
    /// The command word, e.g. `PING` or `CONTSCAN`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ping => "PING",
            Command::Version => "VERSION",
            Command::VersionCommands => "VERSIONCOMMANDS",
            Command::Reload => "RELOAD",
            Command::Shutdown => "SHUTDOWN",
            Command::Stats => "STATS",
            Command::Path(mode, _) => mode.name(),
            Command::Instream => "INSTREAM",
            Command::Fildes => "FILDES",
            Command::IdSession => "IDSESSION",
            Command::End => "END",
        }
    }

    /// Whether clamd accepts the command inside IDSESSION (only SCAN among the path scans,
    /// since the others may answer with many lines under one id).
    pub fn allowed_in_session(&self) -> bool {
        matches!(
            self,
            Command::Ping
                | Command::Version
                | Command::VersionCommands
                | Command::Stats
                | Command::Path(ScanMode::Scan, _)
                | Command::Instream
                | Command::Fildes
                | Command::End
        )
    }

    /// Appends the encoded command to `out`.
    ///
    /// # Errors
    ///
    /// [`Error::PathContainsNul`] for a path with a NUL byte, and in n-mode
    /// [`Error::PathContainsNewline`] for one with a newline. Nothing is appended then.
    pub fn encode(&self, mode: Mode, out: &mut Vec<u8>) -> Result<()> {
        if let Command::Path(_, path) = self {
            check_path(path, mode)?;
        }
        out.push(mode.prefix());
        out.extend_from_slice(self.name().as_bytes());
        if let Command::Path(_, path) = self {
            out.push(b' ');
            out.extend_from_slice(path.as_os_str().as_bytes());
        }
        out.push(mode.terminator());
        Ok(())
    }

    /// The encoded command as a new vector.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn to_bytes(&self, mode: Mode) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode(mode, &mut out)?;
        Ok(out)
    }

    /// Parses one encoded command (with its prefix and terminator), the inverse of
    /// [`encode`](Self::encode). Used by tests and tools that inspect traffic.
    ///
    /// Returns `None` for anything that `encode` would not produce.
    pub fn decode(bytes: &[u8]) -> Option<(Mode, Command)> {
        let (&prefix, rest) = bytes.split_first()?;
        let mode = match prefix {
            b'z' => Mode::Z,
            b'n' => Mode::N,
            _ => return None,
        };
        let (&term, body) = rest.split_last()?;
        if term != mode.terminator() || body.contains(&mode.terminator()) {
            return None;
        }
        let (word, arg) = match body.iter().position(|&b| b == b' ') {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let scan = |m| arg.map(|a| Command::Path(m, PathBuf::from(OsStr::from_bytes(a))));
        let cmd = match (word, arg) {
            (b"PING", None) => Command::Ping,
            (b"VERSION", None) => Command::Version,
            (b"VERSIONCOMMANDS", None) => Command::VersionCommands,
            (b"RELOAD", None) => Command::Reload,
            (b"SHUTDOWN", None) => Command::Shutdown,
            (b"STATS", None) => Command::Stats,
            (b"INSTREAM", None) => Command::Instream,
            (b"FILDES", None) => Command::Fildes,
            (b"IDSESSION", None) => Command::IdSession,
            (b"END", None) => Command::End,
            (b"SCAN", _) => scan(ScanMode::Scan)?,
            (b"CONTSCAN", _) => scan(ScanMode::ContScan)?,
            (b"MULTISCAN", _) => scan(ScanMode::MultiScan)?,
            (b"ALLMATCHSCAN", _) => scan(ScanMode::AllMatchScan)?,
            _ => return None,
        };
        Some((mode, cmd))
    }
}

/// Checks that a path can be sent in `mode`.
///
/// # Errors
///
/// [`Error::PathContainsNul`], or [`Error::PathContainsNewline`] in n-mode.
pub(crate) fn check_path(path: &Path, mode: Mode) -> Result<()> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(Error::PathContainsNul(path.to_path_buf()));
    }
    if mode == Mode::N && bytes.contains(&b'\n') {
        return Err(Error::PathContainsNewline(path.to_path_buf()));
    }
    Ok(())
}

/// The largest INSTREAM chunk the wire format can describe.
pub(crate) const MAX_CHUNK: usize = u32::MAX as usize;

/// Appends one INSTREAM chunk: a 4-byte big-endian length, then the data. An empty `data`
/// appends the zero-length chunk that ends the stream. Data longer than [`MAX_CHUNK`] is split
/// into several chunks.
pub(crate) fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        out.extend_from_slice(&0u32.to_be_bytes());
        return;
    }
    for part in data.chunks(MAX_CHUNK) {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part);
    }
}

/// The zero-length chunk that ends an INSTREAM body.
pub(crate) const END_OF_STREAM: [u8; 4] = [0; 4];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_command_in_both_modes() {
        let cases: &[(Command, &[u8], &[u8])] = &[
            (Command::Ping, b"zPING\0", b"nPING\n"),
            (Command::Version, b"zVERSION\0", b"nVERSION\n"),
            (
                Command::VersionCommands,
                b"zVERSIONCOMMANDS\0",
                b"nVERSIONCOMMANDS\n",
            ),
            (Command::Reload, b"zRELOAD\0", b"nRELOAD\n"),
            (Command::Shutdown, b"zSHUTDOWN\0", b"nSHUTDOWN\n"),
            (Command::Stats, b"zSTATS\0", b"nSTATS\n"),
            (Command::Instream, b"zINSTREAM\0", b"nINSTREAM\n"),
            (Command::Fildes, b"zFILDES\0", b"nFILDES\n"),
            (Command::IdSession, b"zIDSESSION\0", b"nIDSESSION\n"),
            (Command::End, b"zEND\0", b"nEND\n"),
            (
                Command::Path(ScanMode::Scan, "/a b".into()),
                b"zSCAN /a b\0",
                b"nSCAN /a b\n",
            ),
            (
                Command::Path(ScanMode::ContScan, "/x".into()),
                b"zCONTSCAN /x\0",
                b"nCONTSCAN /x\n",
            ),
            (
                Command::Path(ScanMode::MultiScan, "/x".into()),
                b"zMULTISCAN /x\0",
                b"nMULTISCAN /x\n",
            ),
            (
                Command::Path(ScanMode::AllMatchScan, "/x".into()),
                b"zALLMATCHSCAN /x\0",
                b"nALLMATCHSCAN /x\n",
            ),
        ];
        for (cmd, z, n) in cases {
            assert_eq!(cmd.to_bytes(Mode::Z).unwrap(), *z);
            assert_eq!(cmd.to_bytes(Mode::N).unwrap(), *n);
            assert_eq!(Command::decode(z), Some((Mode::Z, cmd.clone())));
            assert_eq!(Command::decode(n), Some((Mode::N, cmd.clone())));
        }
    }

    #[test]
    fn nul_in_a_path_is_refused() {
        let path = PathBuf::from(OsStr::from_bytes(b"/tmp/a\0b"));
        let mut out = Vec::new();
        let err = Command::Path(ScanMode::Scan, path)
            .encode(Mode::Z, &mut out)
            .unwrap_err();
        assert!(matches!(err, Error::PathContainsNul(_)));
        assert!(out.is_empty());
    }

    #[test]
    fn newline_is_fine_in_z_mode_only() {
        let cmd = Command::Path(ScanMode::Scan, "/tmp/a\nb".into());
        assert_eq!(cmd.to_bytes(Mode::Z).unwrap(), b"zSCAN /tmp/a\nb\0");
        assert!(matches!(
            cmd.to_bytes(Mode::N),
            Err(Error::PathContainsNewline(_))
        ));
    }

    #[test]
    fn latin1_bytes_are_sent_as_is() {
        let cmd = Command::Path(
            ScanMode::Scan,
            PathBuf::from(OsStr::from_bytes(b"/t/caf\xe9")),
        );
        assert_eq!(cmd.to_bytes(Mode::Z).unwrap(), b"zSCAN /t/caf\xe9\0");
    }

    #[test]
    fn chunks_are_length_prefixed() {
        let mut out = Vec::new();
        encode_chunk(b"abcd", &mut out);
        encode_chunk(b"", &mut out);
        assert_eq!(out, b"\0\0\0\x04abcd\0\0\0\0");
    }

    #[test]
    fn decode_rejects_legacy_and_garbage() {
        assert_eq!(Command::decode(b"PING\n"), None);
        assert_eq!(Command::decode(b"zPING"), None);
        assert_eq!(Command::decode(b"zPONG\0"), None);
        assert_eq!(Command::decode(b"zPING x\0"), None);
        assert_eq!(Command::decode(b""), None);
    }
}
