//! A real DNS server inside the test network: dnsmasq, answering PTR (and A/AAAA) queries for
//! the names a test gives it and NXDOMAIN for every other reverse name, never forwarding.

use std::net::{IpAddr, UdpSocket};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::setup::Topology;

/// How long dnsmasq has to start listening.
const READY: Duration = Duration::from_secs(10);

/// A dnsmasq process in one node of a [`Topology`], listening on one of its addresses (UDP and
/// TCP port 53). Dropping it kills the process.
#[derive(Debug)]
pub struct Dnsmasq {
    child: Child,
    addr: IpAddr,
}

impl Dnsmasq {
    /// Starts dnsmasq in `node`, listening on `addr` (one of the node's addresses), with a
    /// host record (A or AAAA, and its PTR) for each (name, address) of `records`. It reads no
    /// configuration, hosts file or resolv.conf of the machine and forwards nothing: reverse
    /// names it has no record for get NXDOMAIN (`--local` for `in-addr.arpa` and
    /// `ip6.arpa`). Needs the `dnsmasq` binary (Debian `dnsmasq-base`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`], [`Error::Io`] when dnsmasq cannot be started, and
    /// [`Error::Command`] when it exits or does not listen within 10 s.
    pub fn start(
        net: &Topology,
        node: &str,
        addr: IpAddr,
        records: &[(&str, IpAddr)],
    ) -> Result<Self> {
        let mut cmd = net.command(node, "dnsmasq")?;
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--port=53",
            "--user=root",
            "--pid-file=",
            "--log-facility=-",
            "--local=/in-addr.arpa/",
            "--local=/ip6.arpa/",
        ])
        .arg(format!("--listen-address={addr}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        for (name, a) in records {
            cmd.arg(format!("--host-record={name},{a}"));
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io("start dnsmasq (Debian package dnsmasq-base)", &e))?;
        let ns = net.netns(node)?.to_owned();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let err = child
                    .wait_with_output()
                    .map(|o| o.stderr)
                    .unwrap_or_default();
                return Err(Error::Command {
                    context: format!("dnsmasq on {addr} in namespace {ns}"),
                    message: format!("{status}: {}", String::from_utf8_lossy(&err).trim()),
                });
            }
            // Listening once its port can no longer be bound.
            let bound = super::enter::run_in_namespace(&ns, move || UdpSocket::bind((addr, 53)))?;
            if bound.is_err() {
                return Ok(Self { child, addr });
            }
            drop(bound);
            if start.elapsed() > READY {
                let _ = child.kill();
                return Err(Error::Command {
                    context: format!("dnsmasq on {addr} in namespace {ns}"),
                    message: "not listening after 10 s".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address it listens on (port 53).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
