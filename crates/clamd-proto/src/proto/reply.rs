//! Typed replies and their parsers (sans-IO).

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::proto::command::Command;
use crate::{Error, Result};

/// What clamd concluded about one path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum Verdict {
    /// `OK`: nothing found.
    Clean,
    /// `<signature> FOUND`.
    Found(String),
    /// `<message> ERROR`: clamd could not scan the path.
    Error(String),
}

/// The bytes counted for every [`ScanResult`] on top of its path and text
/// ([`ScanResult::footprint`]): the result's own size, its share of the list that holds it
/// (which grows by doubling) and the allocator's bookkeeping.
pub const RESULT_OVERHEAD: usize = 128;

/// One scan line: a path as clamd wrote it, and its verdict.
///
/// The path is kept as raw bytes, never a lossy string: [`path`](Self::path) gives it back as
/// a [`Path`] with exactly the bytes clamd sent (Latin-1 file names included).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanResult {
    path: Vec<u8>,
    verdict: Verdict,
}

impl ScanResult {
    /// A result from its parts.
    pub fn new(path: impl AsRef<Path>, verdict: Verdict) -> Self {
        Self {
            path: path.as_ref().as_os_str().as_bytes().to_vec(),
            verdict,
        }
    }

    /// The path, as clamd reported it (`stream` for INSTREAM, `fd[N]` for FILDES).
    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// The path's bytes.
    pub fn path_bytes(&self) -> &[u8] {
        &self.path
    }

    /// The verdict.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Takes the result apart.
    pub fn into_parts(self) -> (Vec<u8>, Verdict) {
        (self.path, self.verdict)
    }

    /// The same verdict for another path (e.g. the local file behind a `stream` result).
    #[must_use]
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = path.as_ref().as_os_str().as_bytes().to_vec();
        self
    }

    /// The bytes this result counts against a result budget
    /// ([`ClientBuilder::max_result_bytes`](crate::ClientBuilder::max_result_bytes)): its path,
    /// its signature or message, and [`RESULT_OVERHEAD`].
    pub fn footprint(&self) -> usize {
        let text = match &self.verdict {
            Verdict::Clean => 0,
            Verdict::Found(s) | Verdict::Error(s) => s.len(),
        };
        RESULT_OVERHEAD + self.path.len() + text
    }

    /// Whether a signature matched.
    pub fn is_infected(&self) -> bool {
        matches!(self.verdict, Verdict::Found(_))
    }

    /// Whether clamd could not scan the path.
    pub fn is_error(&self) -> bool {
        matches!(self.verdict, Verdict::Error(_))
    }

    /// The signature name, if one matched.
    pub fn signature(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Found(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the line clamd would send for this result (without terminator): the inverse of
    /// [`parse`](Self::parse).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.path);
        out.extend_from_slice(b": ");
        match &self.verdict {
            Verdict::Clean => out.extend_from_slice(b"OK"),
            Verdict::Found(sig) => {
                out.extend_from_slice(sig.as_bytes());
                out.extend_from_slice(b" FOUND");
            }
            Verdict::Error(msg) => {
                out.extend_from_slice(msg.as_bytes());
                out.extend_from_slice(b" ERROR");
            }
        }
    }

    /// Parses one scan line (without its terminator): `<path>: OK`, `<path>: <sig> FOUND` or
    /// `<path>: <message> ERROR`.
    ///
    /// The line is parsed from the right, so paths that contain `: ` or newlines are kept whole.
    /// An ERROR message may itself contain `: ` (`File path check failure: No such file or
    /// directory.`); the split then prefers clamd's known messages, then the `root` that was
    /// scanned (the path in the command), and otherwise the first `: ` after it.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else.
    pub fn parse(line: &[u8], root: Option<&[u8]>) -> Result<Self> {
        let bad = || Error::malformed("a scan", line);
        if let Some(path) = line.strip_suffix(b": OK") {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(Self {
                path: path.to_vec(),
                verdict: Verdict::Clean,
            });
        }
        if let Some(rest) = line.strip_suffix(b" FOUND") {
            let i = rfind(rest, b": ").ok_or_else(bad)?;
            let (path, sig) = (&rest[..i], &rest[i + 2..]);
            if path.is_empty() || sig.is_empty() || sig.contains(&b' ') {
                return Err(bad());
            }
            return Ok(Self {
                path: path.to_vec(),
                verdict: Verdict::Found(String::from_utf8_lossy(sig).into_owned()),
            });
        }
        if let Some(rest) = line.strip_suffix(b" ERROR") {
            let i = error_split(rest, root).ok_or_else(bad)?;
            let (path, msg) = (&rest[..i], &rest[i + 2..]);
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(Self {
                path: path.to_vec(),
                verdict: Verdict::Error(String::from_utf8_lossy(msg).into_owned()),
            });
        }
        Err(bad())
    }
}

impl fmt::Display for ScanResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path().display();
        match &self.verdict {
            Verdict::Clean => write!(f, "{path}: OK"),
            Verdict::Found(sig) => write!(f, "{path}: {sig} FOUND"),
            Verdict::Error(msg) => write!(f, "{path}: {msg} ERROR"),
        }
    }
}

/// Beginnings of clamd's per-path error messages, some of which contain `: ` themselves.
const KNOWN_ERRORS: &[&[u8]] = &[
    b"File path check failure",
    b"Access denied",
    b"Not supported file type",
    b"lstat() failed",
    b"Can't open file or directory",
    b"Can't",
    b"Excluded",
    b"Symbolic link",
    b"Not enough threads for multiscan",
    b"ALLMATCHSCAN command disabled",
    b"Permission denied",
    b"No such file or directory",
    b"Failed",
];

fn error_split(rest: &[u8], root: Option<&[u8]>) -> Option<usize> {
    let splits: Vec<usize> = find_all(rest, b": ").collect();
    if let Some(&i) = splits
        .iter()
        .find(|&&i| KNOWN_ERRORS.iter().any(|k| rest[i + 2..].starts_with(k)))
    {
        return Some(i);
    }
    if let Some(root) = root.filter(|r| !r.is_empty() && rest.starts_with(r)) {
        return splits.into_iter().find(|&i| i >= root.len());
    }
    splits.first().copied()
}

fn find_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    hay.windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(i, _)| i)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// clamd's VERSION reply: the engine version, and the database version and date when the
/// database has them (a custom database has neither).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Version {
    /// The engine version, e.g. `1.4.6`.
    pub engine: String,
    /// The database version, e.g. `27000`.
    pub database: Option<u32>,
    /// The database build date as clamd wrote it, e.g. `Mon Nov 25 08:31:22 2024`.
    pub database_date: Option<String>,
}

impl Version {
    /// The database build time, from [`database_date`](Self::database_date), read as UTC
    /// (clamd writes it with C `ctime`, in its own time zone: run clamd in UTC, as servers
    /// usually are, for an exact age). `None` when clamd gave no date (it loaded no official
    /// `daily` database) or the date is not in `ctime` form.
    pub fn database_time(&self) -> Option<std::time::SystemTime> {
        let secs = crate::calendar::parse_ctime(self.database_date.as_deref()?)?;
        let secs = u64::try_from(secs).ok()?;
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
    }

    /// Parses `ClamAV 1.4.6` or `ClamAV 1.4.6/27000/Mon Nov 25 08:31:22 2024`.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else.
    pub fn parse(reply: &[u8]) -> Result<Self> {
        let bad = || Error::malformed("VERSION", reply);
        let text = std::str::from_utf8(reply).map_err(|_| bad())?;
        let rest = text.strip_prefix("ClamAV ").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, '/');
        let engine = parts.next().filter(|e| valid_word(e)).ok_or_else(bad)?;
        let database = match parts.next() {
            Some(db) => Some(db.parse::<u32>().map_err(|_| bad())?),
            None => None,
        };
        let database_date = parts.next().map(str::to_owned);
        Ok(Self {
            engine: engine.to_owned(),
            database,
            database_date,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClamAV {}", self.engine)?;
        if let Some(db) = self.database {
            write!(f, "/{db}")?;
            if let Some(date) = &self.database_date {
                write!(f, "/{date}")?;
            }
        }
        Ok(())
    }
}

fn valid_word(s: &str) -> bool {
    !s.is_empty() && !s.contains(char::is_whitespace)
}

/// clamd's VERSIONCOMMANDS reply: the version and the commands it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct VersionCommands {
    /// The version part.
    pub version: Version,
    /// The command words, e.g. `SCAN`, `INSTREAM`.
    pub commands: Vec<String>,
}

impl VersionCommands {
    /// Parses `ClamAV 1.4.6| COMMANDS: SCAN QUIT ...`.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else.
    pub fn parse(reply: &[u8]) -> Result<Self> {
        let bad = || Error::malformed("VERSIONCOMMANDS", reply);
        let text = std::str::from_utf8(reply).map_err(|_| bad())?;
        let (version, commands) = text.split_once("| COMMANDS:").ok_or_else(bad)?;
        Ok(Self {
            version: Version::parse(version.as_bytes())?,
            commands: commands.split_whitespace().map(str::to_owned).collect(),
        })
    }

    /// Whether clamd lists the command.
    pub fn supports(&self, command: &str) -> bool {
        self.commands.iter().any(|c| c == command)
    }
}

/// clamd's STATS reply: typed where the format is stable, and the raw text always.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// `POOLS:` the number of thread pools.
    pub pools: Option<u32>,
    /// `STATE:` e.g. `VALID PRIMARY`.
    pub state: Option<String>,
    /// `THREADS:` line.
    pub threads: Option<ThreadStats>,
    /// `QUEUE:` line.
    pub queue: Option<QueueStats>,
    /// `MEMSTATS:` line.
    pub memstats: Option<MemStats>,
    /// The whole reply, without the final `END`.
    pub raw: String,
}

/// The `THREADS:` line of STATS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ThreadStats {
    /// Threads alive.
    pub live: u32,
    /// Threads idle.
    pub idle: u32,
    /// `MaxThreads`.
    pub max: u32,
    /// Seconds before an idle thread exits.
    pub idle_timeout: u32,
}

/// The `QUEUE:` line of STATS.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct QueueStats {
    /// Items queued.
    pub items: u32,
    /// Shortest wait of a queued item, in seconds, when items are queued.
    pub min_wait: Option<f64>,
    /// Longest wait, in seconds.
    pub max_wait: Option<f64>,
    /// Average wait, in seconds.
    pub avg_wait: Option<f64>,
}

/// The `MEMSTATS:` line of STATS. Sizes are in MiB as clamd prints them; `N/A` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct MemStats {
    /// Heap in use.
    pub heap: Option<f64>,
    /// Memory mapped.
    pub mmap: Option<f64>,
    /// Used.
    pub used: Option<f64>,
    /// Free.
    pub free: Option<f64>,
    /// Releasable.
    pub releasable: Option<f64>,
    /// Memory pools.
    pub pools: Option<u32>,
    /// Pool memory used.
    pub pools_used: Option<f64>,
    /// Pool memory total.
    pub pools_total: Option<f64>,
}

impl Stats {
    /// Parses a STATS reply, which ends with an `END` line.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] when the reply is not UTF-8, does not start with `POOLS:` or lacks
    /// the `END` line. Lines whose format is unknown are kept in `raw` only.
    pub fn parse(reply: &[u8]) -> Result<Self> {
        let bad = || Error::malformed("STATS", reply);
        let text = std::str::from_utf8(reply).map_err(|_| bad())?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let raw = text.strip_suffix("END").ok_or_else(bad)?;
        if !raw.starts_with("POOLS:") {
            return Err(bad());
        }
        let mut stats = Stats {
            pools: None,
            state: None,
            threads: None,
            queue: None,
            memstats: None,
            raw: raw.to_owned(),
        };
        for line in raw.lines() {
            if let Some(v) = line.strip_prefix("POOLS:") {
                stats.pools = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("STATE:") {
                stats.state = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("THREADS:") {
                stats.threads = parse_threads(v);
            } else if let Some(v) = line.strip_prefix("QUEUE:") {
                stats.queue = parse_queue(v);
            } else if let Some(v) = line.strip_prefix("MEMSTATS:") {
                stats.memstats = Some(parse_memstats(v));
            }
        }
        Ok(stats)
    }
}

fn pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < words.len() {
        out.push((words[i].trim_end_matches(':'), words[i + 1]));
        i += 2;
    }
    out.into_iter()
}

fn parse_threads(v: &str) -> Option<ThreadStats> {
    let mut t = ThreadStats {
        live: 0,
        idle: 0,
        max: 0,
        idle_timeout: 0,
    };
    let mut seen = 0;
    for (k, v) in pairs(v) {
        let n: u32 = v.parse().ok()?;
        match k {
            "live" => t.live = n,
            "idle" => t.idle = n,
            "max" => t.max = n,
            "idle-timeout" => t.idle_timeout = n,
            _ => continue,
        }
        seen += 1;
    }
    (seen == 4).then_some(t)
}

fn parse_queue(v: &str) -> Option<QueueStats> {
    let mut words = v.split_whitespace();
    let items = words.next()?.parse().ok()?;
    if words.next()? != "items" {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let mut q = QueueStats {
        items,
        min_wait: None,
        max_wait: None,
        avg_wait: None,
    };
    for (k, v) in pairs(&rest.join(" ")) {
        let n = v.parse().ok();
        match k {
            "min_wait" => q.min_wait = n,
            "max_wait" => q.max_wait = n,
            "avg_wait" => q.avg_wait = n,
            _ => {}
        }
    }
    Some(q)
}

fn parse_memstats(v: &str) -> MemStats {
    let mib = |s: &str| s.strip_suffix('M').unwrap_or(s).parse::<f64>().ok();
    let mut m = MemStats {
        heap: None,
        mmap: None,
        used: None,
        free: None,
        releasable: None,
        pools: None,
        pools_used: None,
        pools_total: None,
    };
    for (k, v) in pairs(v) {
        match k {
            "heap" => m.heap = mib(v),
            "mmap" => m.mmap = mib(v),
            "used" => m.used = mib(v),
            "free" => m.free = mib(v),
            "releasable" => m.releasable = mib(v),
            "pools" => m.pools = v.parse().ok(),
            "pools_used" => m.pools_used = mib(v),
            "pools_total" => m.pools_total = mib(v),
            _ => {}
        }
    }
    m
}

/// A typed reply to one command.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `PONG`.
    Pong,
    /// `RELOADING`.
    Reloading,
    /// The VERSION reply.
    Version(Version),
    /// The VERSIONCOMMANDS reply.
    VersionCommands(VersionCommands),
    /// The STATS reply.
    Stats(Stats),
    /// One scan line.
    Scan(ScanResult),
}

/// Maps a reply that is a failure of the command as a whole to its error.
///
/// Returns `None` for anything else.
pub(crate) fn command_error(reply: &[u8]) -> Option<Error> {
    match reply {
        b"UNKNOWN COMMAND" => Some(Error::UnknownCommand),
        b"COMMAND READ TIMED OUT" => Some(Error::CommandReadTimedOut),
        b"INSTREAM size limit exceeded. ERROR" => Some(Error::SizeLimitExceeded { sent: 0 }),
        b"Command invalid inside IDSESSION. ERROR" => Some(Error::SessionCommandInvalid),
        _ => None,
    }
}

impl Reply {
    /// Parses one reply frame (without terminator or session id) to `command`.
    ///
    /// `root` is the scanned path, if any, which helps to split ERROR lines.
    ///
    /// # Errors
    ///
    /// The failures of the command as a whole ([`Error::UnknownCommand`],
    /// [`Error::CommandReadTimedOut`], [`Error::SizeLimitExceeded`],
    /// [`Error::SessionCommandInvalid`]), [`Error::Server`] for other errors not
    /// tied to a path, and [`Error::Malformed`] for anything unexpected.
    pub fn parse(command: &Command, frame: &[u8], root: Option<&[u8]>) -> Result<Self> {
        if let Some(e) = command_error(frame) {
            return Err(e);
        }
        let reply = match command {
            Command::Ping => {
                if frame != b"PONG" {
                    return Err(Error::malformed("PING", frame));
                }
                Reply::Pong
            }
            Command::Reload => {
                if frame != b"RELOADING" {
                    return Err(Error::malformed("RELOAD", frame));
                }
                Reply::Reloading
            }
            Command::Version => Reply::Version(Version::parse(frame)?),
            Command::VersionCommands => Reply::VersionCommands(VersionCommands::parse(frame)?),
            Command::Stats => Reply::Stats(Stats::parse(frame)?),
            Command::Path(_, asked) => {
                let result = ScanResult::parse(frame, root)?;
                let asked = asked.as_os_str().as_bytes();
                if !names_path_under(&result.path, asked) {
                    return Err(Error::PathMismatch {
                        command: command.name(),
                        asked: String::from_utf8_lossy(asked).chars().take(200).collect(),
                        reply: String::from_utf8_lossy(frame).chars().take(200).collect(),
                    });
                }
                Reply::Scan(result)
            }
            Command::Instream => Reply::Scan(parse_anonymous(frame, b"stream", "INSTREAM")?),
            Command::Fildes => Reply::Scan(parse_anonymous(frame, b"fd[", "FILDES")?),
            Command::Shutdown | Command::IdSession | Command::End => {
                return Err(Error::malformed(command.name(), frame));
            }
        };
        Ok(reply)
    }
}

/// Whether a verdict for `path` can answer a scan of `asked`: the path itself, or (for a
/// directory) an entry under it. clamd drops trailing slashes of the path it was given.
fn names_path_under(path: &[u8], asked: &[u8]) -> bool {
    let mut root = asked;
    while root.len() > 1 && root.ends_with(b"/") {
        root = &root[..root.len() - 1];
    }
    if path == root {
        return true;
    }
    if root == b"/" {
        return path.starts_with(b"/");
    }
    path.len() > root.len() && path.starts_with(root) && path[root.len()] == b'/'
}

/// Parses the result of INSTREAM (`stream: ...`) or FILDES (`fd[N]: ...`); any other ERROR
/// line is an error of the command.
fn parse_anonymous(frame: &[u8], prefix: &[u8], command: &'static str) -> Result<ScanResult> {
    if frame.starts_with(prefix) {
        return ScanResult::parse(frame, Some(prefix));
    }
    if let Some(msg) = frame.strip_suffix(b" ERROR") {
        return Err(Error::Server(String::from_utf8_lossy(msg).into_owned()));
    }
    Err(Error::malformed(command, frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::command::ScanMode;

    #[test]
    fn scan_lines() {
        let r = ScanResult::parse(b"/tmp/a: OK", None).unwrap();
        assert_eq!(
            (r.path_bytes(), r.verdict()),
            (&b"/tmp/a"[..], &Verdict::Clean)
        );
        let r = ScanResult::parse(b"/tmp/x: y: Eicar-Test.UNOFFICIAL FOUND", None).unwrap();
        assert_eq!(r.path_bytes(), b"/tmp/x: y");
        assert_eq!(r.signature(), Some("Eicar-Test.UNOFFICIAL"));
        let r = ScanResult::parse(b"/tmp/a\nb: OK", None).unwrap();
        assert_eq!(r.path_bytes(), b"/tmp/a\nb");
        let r = ScanResult::parse(b"/t/caf\xe9: OK", None).unwrap();
        assert_eq!(r.path().as_os_str().as_bytes(), b"/t/caf\xe9");
    }

    #[test]
    fn error_lines_with_colons_on_both_sides() {
        let line = b"/tmp/a: b: File path check failure: No such file or directory. ERROR";
        let r = ScanResult::parse(line, Some(b"/tmp/a: b")).unwrap();
        assert_eq!(r.path_bytes(), b"/tmp/a: b");
        assert_eq!(
            r.verdict(),
            &Verdict::Error("File path check failure: No such file or directory.".into())
        );
        let r = ScanResult::parse(b"/dev/null: Not supported file type ERROR", None).unwrap();
        assert_eq!(r.path_bytes(), b"/dev/null");
        let r = ScanResult::parse(b"/r: x/f: Weird: thing ERROR", Some(b"/r: x")).unwrap();
        assert_eq!(r.path_bytes(), b"/r: x/f");
        assert_eq!(r.verdict(), &Verdict::Error("Weird: thing".into()));
    }

    #[test]
    fn malformed_scan_lines() {
        for line in [
            &b""[..],
            b"OK",
            b": OK",
            b"/a FOUND",
            b"/a: FOUND",
            b"/a: two words FOUND",
            b"/a: whatever",
            b": x ERROR",
        ] {
            assert!(
                matches!(ScanResult::parse(line, None), Err(Error::Malformed { .. })),
                "{line:?}"
            );
        }
    }

    #[test]
    fn scan_result_display_round_trips() {
        for line in [
            &b"/a: OK"[..],
            b"/a b: Sig.X FOUND",
            b"/q: Access denied ERROR",
        ] {
            let r = ScanResult::parse(line, None).unwrap();
            assert_eq!(r.to_string().as_bytes(), line);
        }
    }

    #[test]
    fn versions() {
        let v = Version::parse(b"ClamAV 1.4.6").unwrap();
        assert_eq!(
            (v.engine.as_str(), v.database, v.database_date),
            ("1.4.6", None, None)
        );
        let v = Version::parse(b"ClamAV 1.0.7/27466/Mon Nov 25 08:31:22 2024").unwrap();
        assert_eq!(v.database, Some(27466));
        assert_eq!(v.database_date.as_deref(), Some("Mon Nov 25 08:31:22 2024"));
        assert_eq!(v.to_string(), "ClamAV 1.0.7/27466/Mon Nov 25 08:31:22 2024");
        let t = v.database_time().unwrap();
        let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_732_523_482);
        assert_eq!(
            Version::parse(b"ClamAV 1.4.6").unwrap().database_time(),
            None
        );
        for bad in [
            &b"ClamAV"[..],
            b"ClamAV ",
            b"Clam 1.0",
            b"ClamAV 1.0/x",
            b"\xff",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn version_commands() {
        let v = VersionCommands::parse(
            b"ClamAV 1.4.6| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION \
              END SHUTDOWN MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS \
              ALLMATCHSCAN",
        )
        .unwrap();
        assert_eq!(v.version.engine, "1.4.6");
        assert_eq!(v.commands.len(), 17);
        assert!(v.supports("INSTREAM"));
        assert!(!v.supports("FOO"));
    }

    const STATS_IDLE: &[u8] = b"POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 1  idle 0 max 10 \
idle-timeout 30\nQUEUE: 0 items\n\tSTATS 0.000002 \n\nMEMSTATS: heap N/A mmap N/A used N/A free \
N/A releasable N/A pools 1 pools_used 5.883M pools_total 5.964M\nEND";

    const STATS_BUSY: &[u8] = b"POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 5  idle 4 max 10 \
idle-timeout 30\nQUEUE: 2 items min_wait: 0.000026 max_wait: 0.000032 avg_wait: 0.000029\n\tIDLE \
0.009914 \n\tSTATS 0.000009 \n\nMEMSTATS: heap 1.5M mmap 0.1M used 1.2M free 0.3M releasable 0.1M \
pools 1 pools_used 5.883M pools_total 5.964M\nEND";

    #[test]
    fn stats() {
        let s = Stats::parse(STATS_IDLE).unwrap();
        assert_eq!(s.pools, Some(1));
        assert_eq!(s.state.as_deref(), Some("VALID PRIMARY"));
        assert_eq!(
            s.threads,
            Some(ThreadStats {
                live: 1,
                idle: 0,
                max: 10,
                idle_timeout: 30
            })
        );
        let q = s.queue.unwrap();
        assert_eq!((q.items, q.min_wait), (0, None));
        let m = s.memstats.unwrap();
        assert_eq!(
            (m.heap, m.pools, m.pools_used),
            (None, Some(1), Some(5.883))
        );
        assert!(s.raw.contains("\tSTATS 0.000002"));

        let s = Stats::parse(STATS_BUSY).unwrap();
        let q = s.queue.unwrap();
        assert_eq!((q.items, q.max_wait), (2, Some(0.000_032)));
        assert_eq!(s.memstats.unwrap().heap, Some(1.5));
        assert!(Stats::parse(b"POOLS: 1\n").is_err());
        assert!(Stats::parse(b"garbage\nEND").is_err());
    }

    #[test]
    fn replies_and_command_errors() {
        let scan = Command::Path(ScanMode::Scan, "/x".into());
        assert_eq!(
            Reply::parse(&Command::Ping, b"PONG", None).unwrap(),
            Reply::Pong
        );
        assert!(matches!(
            Reply::parse(&Command::Ping, b"UNKNOWN COMMAND", None),
            Err(Error::UnknownCommand)
        ));
        assert!(matches!(
            Reply::parse(&scan, b"COMMAND READ TIMED OUT", None),
            Err(Error::CommandReadTimedOut)
        ));
        assert!(matches!(
            Reply::parse(
                &Command::Instream,
                b"INSTREAM size limit exceeded. ERROR",
                None
            ),
            Err(Error::SizeLimitExceeded { .. })
        ));
        assert!(matches!(
            Reply::parse(&scan, b"Command invalid inside IDSESSION. ERROR", None),
            Err(Error::SessionCommandInvalid)
        ));
        assert!(matches!(
            Reply::parse(
                &Command::Fildes,
                b"FILDES: didn't receive file descriptor. ERROR",
                None
            ),
            Err(Error::Server(_))
        ));
        let r = Reply::parse(&Command::Instream, b"stream: Eicar FOUND", None).unwrap();
        assert!(matches!(r, Reply::Scan(s) if s.signature() == Some("Eicar")));
        let r = Reply::parse(&Command::Fildes, b"fd[10]: OK", None).unwrap();
        assert!(matches!(r, Reply::Scan(s) if s.path_bytes() == b"fd[10]"));
        assert!(matches!(
            Reply::parse(&Command::Ping, b"PANG", None),
            Err(Error::Malformed { .. })
        ));
    }
}
