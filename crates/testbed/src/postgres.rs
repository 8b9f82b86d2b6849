//! A private PostgreSQL server: Debian's own `postgres`, with a cluster made by `initdb` in a
//! temporary directory, for the history tests that must run on a real server.
//!
//! [`Postgres::start`] finds the newest server under `/usr/lib/postgresql/*/bin`, runs
//! `initdb` (superuser `opskit`, trust authentication, UTF-8, C locale), and starts
//! `postgres -D DATA -k DIR -p PORT -c listen_addresses=127.0.0.1` on a free loopback port,
//! with its socket in the temporary directory. PostgreSQL refuses to run as root, so as
//! root both run as the `postgres` user the Debian package creates (else `nobody`), through
//! `setpriv`, which also gives the server the parent-death signal: if the test process dies
//! without unwinding, the kernel kills the server. `start` returns once `pg_isready`
//! answers, or fails by its deadline (30 s) with the server's log. Dropping the
//! [`Postgres`] stops the server (fast shutdown, then SIGKILL after 10 s) and removes the
//! directory. With the feature `stunnel` too, `Postgres::start_tls` starts it with `ssl = on`
//! and the server certificate of a `stunnel::Pki` (made by openssl), taking TCP connections
//! only over TLS.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! let pg = testbed::postgres::Postgres::start()?;
//! println!("{}", pg.url()); // postgres://opskit@127.0.0.1:PORT/postgres
//! # Ok(())
//! # }
//! ```

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server has to answer `pg_isready`.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a fast shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a lost race for the free port is retried.
const PORT_ATTEMPTS: usize = 5;

/// The database superuser that `initdb` creates.
pub const USER: &str = "opskit";

/// A running private PostgreSQL server.
#[derive(Debug)]
pub struct Postgres {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    /// The server's `-c` settings beyond the defaults (TLS).
    settings: Vec<String>,
}

/// The newest PostgreSQL's `bin` directory, holding `initdb`, `postgres` and `pg_isready`.
fn bin_dir() -> io::Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "no PostgreSQL server under /usr/lib/postgresql/*/bin; install Debian's postgresql \
             (cargo xtask setup)",
        )
    })
}

/// The uid and gid of a user, from `/etc/passwd`.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// Who the server runs as: `None` to stay this user, or the uid and gid to switch to (as
/// root, which PostgreSQL refuses).
fn server_user() -> io::Result<Option<(u32, u32)>> {
    if !crate::privileges::is_root() {
        return Ok(None);
    }
    user_ids("postgres")
        .or_else(|| user_ids("nobody"))
        .map(Some)
        .ok_or_else(|| {
            io::Error::other("neither a postgres nor a nobody user to run PostgreSQL as")
        })
}

/// `program` run as `user` (through setpriv) with the parent-death signal.
fn command(program: &Path, user: Option<(u32, u32)>) -> Command {
    let mut c = Command::new("/usr/bin/setpriv");
    if let Some((uid, gid)) = user {
        c.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups");
    }
    c.args(["--pdeathsig", "KILL", "--"]).arg(program);
    c
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

impl Postgres {
    /// Makes a cluster and starts its server; see the module docs.
    ///
    /// # Errors
    ///
    /// When PostgreSQL is not installed, `initdb` fails, or the server does not answer within
    /// [`START_TIMEOUT`] (the error holds its log).
    pub fn start() -> io::Result<Self> {
        Self::start_with(None)
    }

    /// As [`start`](Self::start), with `ssl = on` and the server certificate and key of
    /// `pki` (valid for [`SERVER_NAME`](crate::stunnel::SERVER_NAME) and `127.0.0.1`, signed
    /// by its CA), and TCP connections without TLS refused (`hostnossl ... reject` in
    /// `pg_hba.conf`), so that a client that gets in spoke TLS. The Unix socket stays open.
    ///
    /// # Errors
    ///
    /// As for [`start`](Self::start), or when the certificate cannot be copied for the
    /// server.
    #[cfg(feature = "stunnel")]
    pub fn start_tls(pki: &crate::stunnel::Pki) -> io::Result<Self> {
        Self::start_with(Some((pki, false)))
    }

    /// As [`start_tls`](Self::start_tls), and TCP clients must also present a client
    /// certificate signed by `pki`'s CA (`hostssl ... trust clientcert=verify-ca` in
    /// `pg_hba.conf`, `ssl_ca_file` the CA): one without, or signed by another CA, fails the
    /// handshake before any statement.
    ///
    /// # Errors
    ///
    /// As for [`start_tls`](Self::start_tls).
    #[cfg(feature = "stunnel")]
    pub fn start_tls_client_cert(pki: &crate::stunnel::Pki) -> io::Result<Self> {
        Self::start_with(Some((pki, true)))
    }

    #[cfg(not(feature = "stunnel"))]
    fn start_with(_: Option<(&std::convert::Infallible, bool)>) -> io::Result<Self> {
        Self::start_cluster(|_, _| Ok(Vec::new()))
    }

    #[cfg(feature = "stunnel")]
    fn start_with(pki: Option<(&crate::stunnel::Pki, bool)>) -> io::Result<Self> {
        Self::start_cluster(|dir, user| match pki {
            None => Ok(Vec::new()),
            Some((pki, client_cert)) => tls_settings(pki, dir, user, client_cert),
        })
    }

    /// Makes the cluster and starts it with the settings `settings` gives for its directory.
    fn start_cluster(
        settings: impl FnOnce(&Path, Option<(u32, u32)>) -> io::Result<Vec<String>>,
    ) -> io::Result<Self> {
        let bin = bin_dir()?;
        let user = server_user()?;
        let dir = tempfile::Builder::new().prefix("opskit-pg").tempdir()?;
        let data = dir.path().join("data");
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let out = command(&bin.join("initdb"), user)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "initdb failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let settings = settings(dir.path(), user)?;
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match Self::run(&bin, user, dir.path(), &data, port, &settings) {
                Ok(child) => {
                    return Ok(Self {
                        child,
                        dir,
                        port,
                        bin,
                        user,
                        settings,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("PostgreSQL did not start")))
    }

    fn run(
        bin: &Path,
        user: Option<(u32, u32)>,
        dir: &Path,
        data: &Path,
        port: u16,
        settings: &[String],
    ) -> io::Result<Child> {
        let log = dir.join("postgres.log");
        let log_file = std::fs::File::create(&log)?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&log, Some(uid), Some(gid))?;
        }
        let mut cmd = command(&bin.join("postgres"), user);
        cmd.arg("-D")
            .arg(data)
            .arg("-k")
            .arg(dir)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(settings.iter().flat_map(|s| ["-c", s.as_str()]))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let mut child = crate::spawner::spawn(move || cmd.spawn())?;
        let until = Instant::now() + START_TIMEOUT;
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", USER])
                .status()?
                .success();
            if ready {
                return Ok(child);
            }
            let died = child.try_wait()?;
            if died.is_some() || Instant::now() >= until {
                let _ = child.kill();
                let _ = child.wait();
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(io::Error::other(format!(
                    "PostgreSQL on port {port} {}: {text}",
                    if died.is_some() {
                        "exited"
                    } else {
                        "did not answer within its deadline"
                    }
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (every session is cut, as in a server restart under its clients) and
    /// starts it again on the same port and data.
    ///
    /// # Errors
    ///
    /// As for [`start`](Self::start).
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let data = self.data_dir();
        self.child = Self::run(
            &self.bin,
            self.user,
            self.dir.path(),
            &data,
            self.port,
            &self.settings,
        )?;
        Ok(())
    }

    /// Fast shutdown (SIGINT: sessions are ended, the server exits), then SIGKILL after
    /// [`STOP_TIMEOUT`].
    fn stop(&mut self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        let until = Instant::now() + STOP_TIMEOUT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for the superuser's `postgres` database over TCP on loopback.
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/postgres", self.port)
    }

    /// The directory of the server's Unix socket (`.s.PGSQL.PORT`), which takes every
    /// connection as the TCP port does, without TLS.
    #[must_use]
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's (postmaster's) process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The cluster's data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

/// The server's TLS settings: `pki`'s server certificate and key copied into the cluster's
/// directory `dir` for the server's user (PostgreSQL wants its key private to it), and a
/// `pg_hba.conf` that takes TCP connections only over TLS.
#[cfg(feature = "stunnel")]
fn tls_settings(
    pki: &crate::stunnel::Pki,
    dir: &Path,
    user: Option<(u32, u32)>,
    client_cert: bool,
) -> io::Result<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let (cert, key, hba, ca) = (
        dir.join("server.pem"),
        dir.join("server.key"),
        dir.join("tls_hba.conf"),
        dir.join("client_ca.pem"),
    );
    std::fs::copy(pki.server_cert(), &cert)?;
    std::fs::copy(pki.server_key(), &key)?;
    std::fs::copy(pki.ca_cert(), &ca)?;
    let ssl_line = if client_cert {
        "hostssl all all 127.0.0.1/32 trust clientcert=verify-ca"
    } else {
        "hostssl all all 127.0.0.1/32 trust"
    };
    std::fs::write(
        &hba,
        format!(
            "local all all trust
             {ssl_line}
             hostnossl all all 127.0.0.1/32 reject
"
        ),
    )?;
    for f in [&cert, &key, &hba, &ca] {
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(f, Some(uid), Some(gid))?;
        }
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(vec![
        "ssl=on".to_owned(),
        format!("ssl_cert_file={}", cert.display()),
        format!("ssl_key_file={}", key.display()),
        format!("hba_file={}", hba.display()),
        format!("ssl_ca_file={}", ca.display()),
    ])
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
