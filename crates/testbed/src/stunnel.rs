//! Debian's `stunnel` in front of a TCP service (the private clamd), as operators put it in
//! front of clamd, which speaks no TLS.
//!
//! [`Pki::generate`] makes, with the `openssl` command, a test CA, a server certificate for
//! [`SERVER_NAME`] and `127.0.0.1` signed by it, a client certificate signed by it, and an
//! unrelated CA with its own client certificate (for the wrong-CA cases), in a temporary
//! directory. [`Stunnel::builder`] writes a configuration that accepts TLS on a free
//! 127.0.0.1 port and forwards the plaintext to the target, runs `stunnel` in the foreground
//! (through `setpriv --pdeathsig KILL`, as the clamd fixture does) and returns once it
//! accepts connections. With [`StunnelBuilder::verify_clients`] stunnel asks for a client
//! certificate signed by the test CA and refuses connections without one (`verify = 2`).
//! [`Stunnel::freeze`] stops the process (SIGSTOP): the kernel still accepts connections on
//! its socket, but nobody answers, which is a TLS server that stalls the handshake. Dropping
//! the [`Stunnel`] kills it and removes its directory.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! let clamd = testbed::clamd::Clamd::start()?;
//! let tls = testbed::stunnel::Stunnel::builder(clamd.tcp_addr()).start()?;
//! println!("tls://{}#{}", tls.addr(), testbed::stunnel::SERVER_NAME);
//! println!("CA: {}", tls.pki().ca_cert().display());
//! # Ok(())
//! # }
//! ```

use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The DNS name in the server certificate (with the IP address `127.0.0.1`).
pub const SERVER_NAME: &str = "scan1.example";

/// Default time allowed for stunnel to load its configuration and accept connections.
const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(20);

/// How often a lost race for the free TCP port is retried.
const PORT_ATTEMPTS: usize = 5;

/// Certificates for TLS tests, made by `openssl` in a temporary directory that is removed on
/// drop. Every key is P-256 ECDSA, every certificate valid for two days from now.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// Makes the test CA, the server certificate (for [`SERVER_NAME`] and `127.0.0.1`), a
    /// client certificate, and an unrelated CA with a client certificate of its own.
    ///
    /// # Errors
    ///
    /// When the directory cannot be made or `openssl` fails (with its output; install
    /// Debian's `openssl`, `cargo xtask setup`).
    pub fn generate() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("pki-")
            .tempdir_in("/tmp")
            .map_err(|e| context(&e, "creating the PKI temp dir in /tmp"))?;
        let pki = Self { dir };
        pki.ca("ca", "opskit test CA")?;
        pki.ca("other-ca", "unrelated test CA")?;
        pki.leaf(
            "server",
            "ca",
            SERVER_NAME,
            &format!("subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        )?;
        pki.leaf(
            "client",
            "ca",
            "opskit client",
            "extendedKeyUsage=clientAuth",
        )?;
        pki.leaf(
            "other-client",
            "other-ca",
            "stranger",
            "extendedKeyUsage=clientAuth",
        )?;
        Ok(pki)
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The test CA's certificate (PEM): what a client verifies the server with.
    pub fn ca_cert(&self) -> PathBuf {
        self.file("ca.pem")
    }

    /// The server's certificate (PEM), signed by the test CA.
    pub fn server_cert(&self) -> PathBuf {
        self.file("server.pem")
    }

    /// The server's private key (PEM, PKCS#8).
    pub fn server_key(&self) -> PathBuf {
        self.file("server.key")
    }

    /// A client certificate signed by the test CA (PEM).
    pub fn client_cert(&self) -> PathBuf {
        self.file("client.pem")
    }

    /// The client certificate's key (PEM, PKCS#8).
    pub fn client_key(&self) -> PathBuf {
        self.file("client.key")
    }

    /// An unrelated CA's certificate: verifying the server with it must fail.
    pub fn other_ca_cert(&self) -> PathBuf {
        self.file("other-ca.pem")
    }

    /// A client certificate signed by the unrelated CA, which a `verify = 2` stunnel refuses.
    pub fn other_client_cert(&self) -> PathBuf {
        self.file("other-client.pem")
    }

    /// The unrelated client certificate's key.
    pub fn other_client_key(&self) -> PathBuf {
        self.file("other-client.key")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A self-signed CA `name`.pem / `name`.key.
    fn ca(&self, name: &str, cn: &str) -> io::Result<()> {
        openssl(
            self.dir(),
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={cn}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ],
        )
    }

    /// A certificate `name`.pem / `name`.key signed by the CA `ca`, with `extensions`.
    fn leaf(&self, name: &str, ca: &str, cn: &str, extensions: &str) -> io::Result<()> {
        let ext = self.file(&format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!(
                "{extensions}\nbasicConstraints=critical,CA:FALSE\n\
                 keyUsage=critical,digitalSignature\n"
            ),
        )
        .map_err(|e| context(&e, &format!("writing {}", ext.display())))?;
        openssl(
            self.dir(),
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                &format!("/CN={cn}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        )?;
        openssl(
            self.dir(),
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-CAserial",
                &format!("{ca}.srl"),
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        )
    }
}

/// Runs `openssl ARGS` in `dir`; its output goes into the error when it fails.
fn openssl(dir: &Path, args: &[&str]) -> io::Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            context(
                &e,
                "running openssl (install Debian's openssl: cargo xtask setup)",
            )
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "openssl {} failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// Builder of a [`Stunnel`].
#[derive(Debug, Clone)]
#[must_use]
pub struct StunnelBuilder {
    target: SocketAddr,
    verify_clients: bool,
    pki: Option<Arc<Pki>>,
    start_timeout: Duration,
}

impl StunnelBuilder {
    /// Whether stunnel requires a client certificate signed by the test CA (`verify = 2`);
    /// default no.
    pub fn verify_clients(mut self, verify: bool) -> Self {
        self.verify_clients = verify;
        self
    }

    /// Certificates to use instead of fresh ones (several tunnels can share one PKI).
    pub fn pki(mut self, pki: Arc<Pki>) -> Self {
        self.pki = Some(pki);
        self
    }

    /// How long stunnel may take to accept connections (default 20 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Makes the certificates (unless given), writes the configuration and starts stunnel.
    ///
    /// # Errors
    ///
    /// When `openssl` or `stunnel` cannot be run (with a hint to install them), when stunnel
    /// exits during start-up, or when it does not accept connections by the start timeout;
    /// start-up errors carry the tail of stunnel's log.
    pub fn start(self) -> io::Result<Stunnel> {
        let pki = match &self.pki {
            Some(p) => Arc::clone(p),
            None => Arc::new(Pki::generate()?),
        };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match self.try_start(&pki) {
                Ok(s) => return Ok(s),
                // Another process took the free port between our probe and stunnel's bind.
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("stunnel: could not start")))
    }

    fn try_start(&self, pki: &Arc<Pki>) -> io::Result<Stunnel> {
        let dir = tempfile::Builder::new()
            .prefix("stunnel-")
            .tempdir_in("/tmp")
            .map_err(|e| context(&e, "creating the stunnel temp dir in /tmp"))?;
        let addr = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| context(&e, "finding a free TCP port on 127.0.0.1"))?;
        let log = dir.path().join("stunnel.log");
        let conf = dir.path().join("stunnel.conf");
        let mut text = format!(
            "foreground = yes\npid =\noutput = {log}\ndebug = info\n\n[clamd]\n\
             accept = {addr}\nconnect = {target}\ncert = {cert}\nkey = {key}\n",
            log = log.display(),
            target = self.target,
            cert = pki.server_cert().display(),
            key = pki.server_key().display(),
        );
        if self.verify_clients {
            let _ = writeln!(text, "verify = 2\nCAfile = {}", pki.ca_cert().display());
        }
        std::fs::write(&conf, text)
            .map_err(|e| context(&e, &format!("writing {}", conf.display())))?;
        let child = crate::spawner::spawn({
            let conf = conf.clone();
            let root = dir.path().to_path_buf();
            move || start_stunnel(&conf, &root)
        })?;
        let mut tunnel = Stunnel {
            child,
            addr,
            log,
            pki: Arc::clone(pki),
            frozen: false,
            dir,
        };
        tunnel.wait_ready(self.start_timeout)?;
        Ok(tunnel)
    }
}

fn start_stunnel(conf: &Path, root: &Path) -> io::Result<Child> {
    let program = ["/usr/bin/stunnel4", "/usr/bin/stunnel"]
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "stunnel not found; install Debian's stunnel4 (cargo xtask setup)",
            )
        })?;
    crate::spawner::command(program)
        .arg(conf)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| context(&e, &format!("running {}", program.display())))
}

/// A running stunnel. Dropping it kills the process and removes its directory.
#[derive(Debug)]
pub struct Stunnel {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    pki: Arc<Pki>,
    frozen: bool,
    dir: tempfile::TempDir,
}

impl Stunnel {
    /// A builder of a stunnel that forwards to `target` (e.g. the private clamd's TCP
    /// address).
    pub fn builder(target: SocketAddr) -> StunnelBuilder {
        StunnelBuilder {
            target,
            verify_clients: false,
            pki: None,
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// Where it accepts TLS.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The certificates it serves and verifies with.
    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// The certificates, to share with another tunnel.
    pub fn pki_shared(&self) -> Arc<Pki> {
        Arc::clone(&self.pki)
    }

    /// Its directory (configuration and log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many connections it accepted from clients so far, from its log.
    pub fn accepted(&self) -> usize {
        self.log().matches("accepted connection from").count()
    }

    /// Stops the process (SIGSTOP) until [`thaw`](Self::thaw) or drop: connections are still
    /// accepted by the kernel, and nothing answers them.
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn freeze(&mut self) -> io::Result<()> {
        self.signal(rustix::process::Signal::STOP)?;
        self.frozen = true;
        Ok(())
    }

    /// Lets a frozen stunnel run again (SIGCONT).
    ///
    /// # Errors
    ///
    /// When the signal cannot be sent.
    pub fn thaw(&mut self) -> io::Result<()> {
        self.signal(rustix::process::Signal::CONT)?;
        self.frozen = false;
        Ok(())
    }

    fn signal(&self, sig: rustix::process::Signal) -> io::Result<()> {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, sig).map_err(io::Error::from)
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(crate::spawner::exited("stunnel", status, &self.log()));
            }
            // The log says it listens; a probe connection is not made, so that the log's
            // count of accepted connections is the clients' alone.
            if self.log().contains("Accepting new connections") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let log = self.log();
                self.kill();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "stunnel did not accept connections within {timeout:?}; log tail:\n{}",
                        crate::spawner::tail(&log)
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if self.frozen {
            let _ = self.thaw();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        self.kill();
    }
}

fn context(e: &io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
