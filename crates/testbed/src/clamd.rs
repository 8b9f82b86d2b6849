//! A private `clamd` with its own signature database, for tests, examples and benchmarks.
//!
//! [`Clamd::builder`] writes a `clamd.conf` and a two-line signature database into a short
//! temporary directory (Unix socket paths are limited to 108 bytes) and runs Debian's `clamd` in
//! the foreground. The database holds:
//!
//! - an `.ndb` line that detects the [`EICAR`] test string under a chosen name
//!   ([`DEFAULT_EICAR_SIGNATURE`] unless [`ClamdBuilder::eicar_signature`] says otherwise);
//! - the `.hdb` line `aa15bcf478d165efd2065190eb473bcb:544:ClamAV-Test-File`, which detects
//!   `clam.exe` from Debian's `clamav-testfiles` (installed in [`TESTFILES_DIR`]).
//!
//! The daemon listens on a free TCP port on 127.0.0.1 and on a Unix socket in the temporary
//! directory. [`ClamdBuilder::start`] returns once clamd answers `PONG` on both, or fails by its
//! deadline with clamd's log in the error. Dropping the [`Clamd`] kills the daemon and removes
//! the directory, also during a panic's unwinding. If the whole process dies without unwinding,
//! the kernel kills clamd too: it is started through `setpriv --pdeathsig KILL` from a spawner
//! thread that lives as long as the process. `freshclam` is never used.
//!
//! Several instances can run at once, as a fleet. [`Clamd::kill`] and [`Clamd::restart`] take
//! one down and bring it back at the same addresses, for tests of failover and rejoin.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use std::io::{Read, Write};
//!
//! let clamd = testbed::clamd::Clamd::builder().max_threads(4).start()?;
//! let mut conn = std::net::TcpStream::connect(clamd.tcp_addr())?;
//! conn.write_all(b"zPING\0")?;
//! let mut reply = Vec::new();
//! conn.read_to_end(&mut reply)?;
//! assert_eq!(reply, b"PONG\0");
//! # Ok(())
//! # }
//! ```

mod fake;

pub use fake::{Staller, fake_clamd};

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The 68-byte EICAR anti-virus test string.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The name under which the `.ndb` signature detects [`EICAR`] unless the builder chooses
/// another one. clamd reports it with the `.UNOFFICIAL` suffix that it gives every unsigned
/// database; see [`Clamd::eicar_signature`].
pub const DEFAULT_EICAR_SIGNATURE: &str = "Opskit-Test-EICAR";

/// The name of the `.hdb` signature that detects `clam.exe` from `clamav-testfiles`.
pub const TEST_FILE_SIGNATURE: &str = "ClamAV-Test-File";

/// Where Debian's `clamav-testfiles` package installs its 44 test files.
pub const TESTFILES_DIR: &str = "/usr/share/clamav-testfiles";

/// The `.hdb` line for `clam.exe`: MD5, size and name.
const TEST_FILE_HDB: &str = "aa15bcf478d165efd2065190eb473bcb:544:ClamAV-Test-File";

/// Default time allowed for clamd to load its database and answer PONG.
const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a lost race for the free TCP port is retried.
const PORT_ATTEMPTS: usize = 5;

/// Builder of a private clamd. Every option left unset keeps clamd's own default.
#[derive(Debug, Clone)]
#[must_use]
pub struct ClamdBuilder {
    stream_max_length: Option<u64>,
    command_read_timeout: Option<u32>,
    read_timeout: Option<u32>,
    send_buf_timeout: Option<u32>,
    idle_timeout: Option<u32>,
    max_threads: Option<u32>,
    max_queue: Option<u32>,
    max_connection_queue_length: Option<u32>,
    allow_all_match_scan: Option<bool>,
    disable_cache: bool,
    tcp: bool,
    eicar_signature: String,
    extra: Vec<String>,
    start_timeout: Duration,
    clamd_path: PathBuf,
}

impl Default for ClamdBuilder {
    fn default() -> Self {
        Self {
            stream_max_length: None,
            command_read_timeout: None,
            read_timeout: None,
            send_buf_timeout: None,
            idle_timeout: None,
            max_threads: None,
            max_queue: None,
            max_connection_queue_length: None,
            allow_all_match_scan: None,
            disable_cache: false,
            tcp: true,
            eicar_signature: DEFAULT_EICAR_SIGNATURE.to_owned(),
            extra: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
            clamd_path: PathBuf::from("clamd"),
        }
    }
}

impl ClamdBuilder {
    /// `StreamMaxLength`: the largest INSTREAM body, in bytes, before clamd replies
    /// `INSTREAM size limit exceeded. ERROR` and closes the connection.
    pub fn stream_max_length(mut self, bytes: u64) -> Self {
        self.stream_max_length = Some(bytes);
        self
    }

    /// `CommandReadTimeout`: seconds clamd waits for a complete command.
    pub fn command_read_timeout(mut self, seconds: u32) -> Self {
        self.command_read_timeout = Some(seconds);
        self
    }

    /// `ReadTimeout`: seconds clamd waits for INSTREAM data, and for the next command of an
    /// IDSESSION before it ends the session.
    pub fn read_timeout(mut self, seconds: u32) -> Self {
        self.read_timeout = Some(seconds);
        self
    }

    /// `SendBufTimeout`: milliseconds clamd waits for a client that does not read its replies.
    pub fn send_buf_timeout(mut self, millis: u32) -> Self {
        self.send_buf_timeout = Some(millis);
        self
    }

    /// `IdleTimeout`: seconds an idle worker thread waits for a job before it exits.
    pub fn idle_timeout(mut self, seconds: u32) -> Self {
        self.idle_timeout = Some(seconds);
        self
    }

    /// `MaxThreads`: the size of clamd's scanning thread pool.
    pub fn max_threads(mut self, threads: u32) -> Self {
        self.max_threads = Some(threads);
        self
    }

    /// `MaxQueue`: the most queued scan items (matters for long IDSESSION pipelines).
    pub fn max_queue(mut self, items: u32) -> Self {
        self.max_queue = Some(items);
        self
    }

    /// `MaxConnectionQueueLength`: the listen backlog.
    pub fn max_connection_queue_length(mut self, connections: u32) -> Self {
        self.max_connection_queue_length = Some(connections);
        self
    }

    /// `AllowAllMatchScan`: whether ALLMATCHSCAN is accepted (clamd's default is yes).
    pub fn allow_all_match_scan(mut self, allow: bool) -> Self {
        self.allow_all_match_scan = Some(allow);
        self
    }

    /// `DisableCache`: when set, clamd does not remember the hashes of clean files, so that
    /// repeated scans of the same bytes cost the same (for benchmarks).
    pub fn disable_cache(mut self, disable: bool) -> Self {
        self.disable_cache = disable;
        self
    }

    /// Whether clamd also listens on TCP 127.0.0.1 (the default) or on its Unix socket only.
    pub fn tcp(mut self, tcp: bool) -> Self {
        self.tcp = tcp;
        self
    }

    /// The name under which the `.ndb` signature detects [`EICAR`]. Only letters, digits, `-`,
    /// `_` and `.` are kept; anything else becomes `_`.
    pub fn eicar_signature(mut self, name: &str) -> Self {
        self.eicar_signature = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if self.eicar_signature.is_empty() {
            DEFAULT_EICAR_SIGNATURE.clone_into(&mut self.eicar_signature);
        }
        self
    }

    /// Appends a raw `clamd.conf` line, for options this builder does not name.
    pub fn conf_line(mut self, line: &str) -> Self {
        self.extra.push(line.replace('\n', " "));
        self
    }

    /// How long [`start`](Self::start) waits for clamd to load and answer PONG (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// The clamd executable (default: `clamd` from `PATH`).
    pub fn clamd_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.clamd_path = path.into();
        self
    }

    /// Writes the configuration and database, starts clamd and waits until it answers PONG on
    /// its Unix socket and (unless disabled) on TCP.
    ///
    /// # Errors
    ///
    /// Fails when the temporary directory cannot be written, when `clamd` cannot be run (with a
    /// hint to install `clamav-daemon`), when clamd exits during start-up, or when it does not
    /// answer by the start timeout. Start-up errors carry the tail of clamd's log.
    pub fn start(self) -> io::Result<Clamd> {
        let mut last_err = None;
        for _ in 0..PORT_ATTEMPTS {
            match self.try_start() {
                Ok(clamd) => return Ok(clamd),
                // Another process may have taken the free port between our probe and clamd's
                // bind: try again with a new port.
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("clamd: could not start")))
    }

    fn try_start(&self) -> io::Result<Clamd> {
        let dir = tempfile::Builder::new()
            .prefix("clamd-")
            .tempdir_in("/tmp")
            .map_err(|e| context(&e, "creating the clamd temp dir in /tmp"))?;
        let root = dir.path().to_path_buf();
        let db_dir = root.join("db");
        std::fs::create_dir(&db_dir).map_err(|e| context(&e, "creating the database dir"))?;
        let mut ndb = String::new();
        let _ = writeln!(ndb, "{}:0:*:{}", self.eicar_signature, hex(EICAR).as_str());
        write_file(&db_dir.join("opskit.ndb"), ndb.as_bytes())?;
        write_file(
            &db_dir.join("opskit.hdb"),
            format!("{TEST_FILE_HDB}\n").as_bytes(),
        )?;

        let socket = root.join("clamd.sock");
        let log = root.join("clamd.log");
        let tcp_addr = if self.tcp { Some(free_port()?) } else { None };
        let conf = root.join("clamd.conf");
        write_file(
            &conf,
            self.conf_text(&db_dir, &socket, &log, tcp_addr).as_bytes(),
        )?;

        let child = spawn(&self.clamd_path, &conf)?;
        let mut clamd = Clamd {
            child,
            tcp_addr,
            socket,
            log,
            conf,
            db_dir,
            eicar_signature: format!("{}.UNOFFICIAL", self.eicar_signature),
            stream_max_length: self.stream_max_length,
            program: self.clamd_path.clone(),
            start_timeout: self.start_timeout,
            dir,
        };
        clamd.wait_ready(self.start_timeout)?;
        Ok(clamd)
    }

    fn conf_text(
        &self,
        db_dir: &Path,
        socket: &Path,
        log: &Path,
        tcp: Option<SocketAddr>,
    ) -> String {
        let mut c = String::new();
        let _ = writeln!(c, "# Written by testbed::clamd for one private instance.");
        let _ = writeln!(c, "Foreground yes");
        let _ = writeln!(c, "DatabaseDirectory {}", db_dir.display());
        let _ = writeln!(c, "LocalSocket {}", socket.display());
        let _ = writeln!(c, "LocalSocketMode 666");
        let _ = writeln!(c, "LogFile {}", log.display());
        let _ = writeln!(c, "LogTime yes");
        let _ = writeln!(c, "PidFile {}", log.with_file_name("clamd.pid").display());
        if let Some(dir) = log.parent() {
            let _ = writeln!(c, "TemporaryDirectory {}", dir.display());
        }
        // The test database never changes behind clamd's back, and a private instance must
        // not spend its time re-reading it.
        let _ = writeln!(c, "SelfCheck 0");
        if let Some(addr) = tcp {
            let _ = writeln!(c, "TCPAddr {}", addr.ip());
            let _ = writeln!(c, "TCPSocket {}", addr.port());
        }
        if let Some(v) = self.stream_max_length {
            let _ = writeln!(c, "StreamMaxLength {v}");
        }
        if let Some(v) = self.command_read_timeout {
            let _ = writeln!(c, "CommandReadTimeout {v}");
        }
        if let Some(v) = self.read_timeout {
            let _ = writeln!(c, "ReadTimeout {v}");
        }
        if let Some(v) = self.send_buf_timeout {
            let _ = writeln!(c, "SendBufTimeout {v}");
        }
        if let Some(v) = self.idle_timeout {
            let _ = writeln!(c, "IdleTimeout {v}");
        }
        if let Some(v) = self.max_threads {
            let _ = writeln!(c, "MaxThreads {v}");
        }
        if let Some(v) = self.max_queue {
            let _ = writeln!(c, "MaxQueue {v}");
        }
        if let Some(v) = self.max_connection_queue_length {
            let _ = writeln!(c, "MaxConnectionQueueLength {v}");
        }
        if let Some(v) = self.allow_all_match_scan {
            let _ = writeln!(c, "AllowAllMatchScan {}", yes_no(v));
        }
        if self.disable_cache {
            let _ = writeln!(c, "DisableCache yes");
        }
        for line in &self.extra {
            let _ = writeln!(c, "{line}");
        }
        c
    }
}

/// A running private clamd. Dropping it kills the daemon and removes its directory.
#[derive(Debug)]
pub struct Clamd {
    child: Child,
    tcp_addr: Option<SocketAddr>,
    socket: PathBuf,
    log: PathBuf,
    conf: PathBuf,
    db_dir: PathBuf,
    eicar_signature: String,
    stream_max_length: Option<u64>,
    program: PathBuf,
    start_timeout: Duration,
    // Last, so that the directory goes after the daemon is dead.
    dir: tempfile::TempDir,
}

impl Clamd {
    /// A builder with clamd's defaults.
    pub fn builder() -> ClamdBuilder {
        ClamdBuilder::default()
    }

    /// Starts a clamd with default settings.
    ///
    /// # Errors
    ///
    /// As [`ClamdBuilder::start`].
    pub fn start() -> io::Result<Self> {
        Self::builder().start()
    }

    /// The TCP address on 127.0.0.1.
    ///
    /// # Panics
    ///
    /// Panics when the instance was built with [`ClamdBuilder::tcp`]`(false)`.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
            .expect("this clamd was started without TCP (ClamdBuilder::tcp(false))")
    }

    /// The TCP address, or `None` for a Unix-only instance.
    pub fn tcp_addr_opt(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The Unix socket path.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// The signature name clamd reports for the [`EICAR`] string, e.g.
    /// `Opskit-Test-EICAR.UNOFFICIAL`.
    pub fn eicar_signature(&self) -> &str {
        &self.eicar_signature
    }

    /// The signature name clamd reports for `clam.exe` from `clamav-testfiles`. Since the
    /// database is unsigned, clamd appends `.UNOFFICIAL`.
    pub fn test_file_signature(&self) -> String {
        format!("{TEST_FILE_SIGNATURE}.UNOFFICIAL")
    }

    /// The `StreamMaxLength` this instance was configured with, if any (clamd's default is
    /// 25 MiB).
    pub fn stream_max_length(&self) -> Option<u64> {
        self.stream_max_length
    }

    /// The private temporary directory (configuration, database, socket, log). Files written
    /// here are readable by clamd.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The signature database directory.
    pub fn database_dir(&self) -> &Path {
        &self.db_dir
    }

    /// The `clamd.conf` in use.
    pub fn conf_path(&self) -> &Path {
        &self.conf
    }

    /// clamd's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The text of clamd's log so far (empty if unreadable).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// clamd's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the daemon is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the daemon now (as drop does), for tests of a host that goes away.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the daemon again after [`kill`](Self::kill) (or kills it first if it still
    /// runs), with the same configuration: the same Unix socket, TCP port and database, so
    /// that clients that knew it find it back. Returns once it answers PONG, as
    /// [`ClamdBuilder::start`] does.
    ///
    /// # Errors
    ///
    /// As [`ClamdBuilder::start`], also when another process took the TCP port while clamd
    /// was down (clamd exits, and the error carries its log's tail).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        // The killed daemon left its socket file behind; nobody else listens on it.
        match std::fs::remove_file(&self.socket) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(context(&e, "removing the old clamd socket"));
            }
            _ => {}
        }
        self.child = spawn(&self.program, &self.conf)?;
        self.wait_ready(self.start_timeout)
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut unix_ok = false;
        let mut tcp_ok = self.tcp_addr.is_none();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(crate::spawner::exited("clamd", status, &self.log()));
            }
            if !unix_ok {
                unix_ok = UnixStream::connect(&self.socket)
                    .and_then(|s| ping(s, deadline))
                    .unwrap_or(false);
            }
            if unix_ok
                && !tcp_ok
                && let Some(addr) = self.tcp_addr
            {
                tcp_ok = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                    .and_then(|s| ping(s, deadline))
                    .unwrap_or(false);
            }
            if unix_ok && tcp_ok {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "clamd did not answer PONG within {timeout:?}; log tail:\n{}",
                        crate::spawner::tail(&self.log())
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends `zPING` and reads the reply, within the deadline.
fn ping<S: Read + Write + SetTimeouts>(mut s: S, deadline: Instant) -> io::Result<bool> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(10));
    s.set_timeouts(left)?;
    s.write_all(b"zPING\0")?;
    let mut reply = Vec::new();
    s.take(64).read_to_end(&mut reply)?;
    Ok(reply == b"PONG\0")
}

trait SetTimeouts {
    fn set_timeouts(&self, t: Duration) -> io::Result<()>;
}

impl SetTimeouts for TcpStream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

impl SetTimeouts for UnixStream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

/// Spawns clamd from the spawner thread (see [`crate::spawner`]), so that the kernel kills it
/// even when the process is killed without unwinding.
fn spawn(clamd: &Path, conf: &Path) -> io::Result<Child> {
    let (clamd, conf) = (clamd.to_path_buf(), conf.to_path_buf());
    crate::spawner::spawn(move || spawn_now(&clamd, &conf))
}

fn spawn_now(clamd: &Path, conf: &Path) -> io::Result<Child> {
    let clamd = &resolve(clamd).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "running {}: not found; install Debian's clamav-daemon (cargo xtask setup)",
                clamd.display()
            ),
        )
    })?;
    let mut cmd = crate::spawner::command(clamd);
    // clamd's working directory is its private root, not the test's (cargo runs tests in the
    // crate directory): a file clamd ever opens by a relative name then lands in the temporary
    // directory that `Drop` removes, never in the source tree.
    if let Some(root) = conf.parent() {
        cmd.current_dir(root);
    }
    cmd.arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            io::Error::new(
                e.kind(),
                format!(
                    "running {}: not found; install Debian's clamav-daemon (cargo xtask setup)",
                    clamd.display()
                ),
            )
        } else {
            context(&e, &format!("running {}", clamd.display()))
        }
    })
}

/// Finds an executable the way the shell would (clamd lives in /usr/sbin, which a non-root
/// `PATH` may lack).
fn resolve(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn free_port() -> io::Result<SocketAddr> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| context(&e, "finding a free TCP port on 127.0.0.1"))?;
    l.local_addr()
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes).map_err(|e| context(&e, &format!("writing {}", path.display())))
}

fn context(e: &io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}
