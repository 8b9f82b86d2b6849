//! Reverse DNS: the PTR names of the addresses that answered a trace, looked up over UDP from
//! one nameserver given explicitly, under one overall deadline, with a cache.
//!
//! A small client of our own: a sans-IO core (the queries of a batch, their retransmits and
//! the deadline; the parser of answers, which follows compression and CNAME chains and checks
//! every length) under a thin UDP socket. Names are kept in presentation form with every byte
//! that is not a letter, digit, `-` or `_` escaped as `\DDD`, so that a hostile server cannot
//! put control characters on a terminal.

mod lookup;
mod message;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use lookup::{Lookups, Outcome};

use crate::error::{Error, Result};
use crate::model::TraceReport;

/// A PTR resolver over UDP to one nameserver, with a cache of the answers it got (names and
/// NXDOMAINs; not failures or timeouts, which the next lookup asks again).
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut rdns = tcptrace::ReverseDns::new("192.0.2.53:53".parse()?)
///     .deadline(Duration::from_secs(2));
/// let names = rdns.lookup(&["198.51.100.1".parse()?])?;
/// println!("{:?}", names.names);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ReverseDns {
    server: SocketAddr,
    deadline: Duration,
    retransmit: Duration,
    max_in_flight: usize,
    cache: HashMap<IpAddr, Option<String>>,
}

/// What a batch of lookups found, every address accounted for once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RdnsOutcome {
    /// The addresses with a name, and the name.
    pub names: HashMap<IpAddr, String>,
    /// The addresses that have no name (NXDOMAIN or no PTR record).
    pub no_name: Vec<IpAddr>,
    /// The addresses whose lookup failed: the server's RCODE (2 SERVFAIL, 5 REFUSED, ...;
    /// 255 for an answer too long for UDP), or 0 when the server could not be reached.
    pub failed: Vec<(IpAddr, u8)>,
    /// The addresses without an answer by the deadline.
    pub timed_out: Vec<IpAddr>,
}

impl RdnsOutcome {
    /// True when some lookup failed or timed out: names may be missing that exist.
    pub fn is_partial(&self) -> bool {
        !self.failed.is_empty() || !self.timed_out.is_empty()
    }
}

impl ReverseDns {
    /// The default overall deadline of a batch: 5 s.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);
    /// The default interval between resends of an unanswered query: 1 s.
    pub const DEFAULT_RETRANSMIT: Duration = Duration::from_secs(1);
    /// The default number of queries in flight at once: 64.
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

    /// A resolver asking `server` (port 53 for a nameserver), with the default deadline,
    /// retransmit interval and window.
    pub fn new(server: SocketAddr) -> Self {
        Self {
            server,
            deadline: Self::DEFAULT_DEADLINE,
            retransmit: Self::DEFAULT_RETRANSMIT,
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            cache: HashMap::new(),
        }
    }

    /// A resolver asking the first nameserver of `/etc/resolv.conf` (for real use; tests give
    /// their own server).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::NoNameserver`] when it names none.
    pub fn from_resolv_conf() -> Result<Self> {
        system_nameserver(Path::new("/etc/resolv.conf")).map(Self::new)
    }

    /// The overall deadline of each batch of lookups ([`DEFAULT_DEADLINE`](Self::DEFAULT_DEADLINE)).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The interval between resends of an unanswered query
    /// ([`DEFAULT_RETRANSMIT`](Self::DEFAULT_RETRANSMIT)).
    pub fn retransmit(mut self, interval: Duration) -> Self {
        self.retransmit = interval.max(Duration::from_millis(1));
        self
    }

    /// The server asked.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Looks up the names of `addrs` (duplicates are asked once, cached answers not at all),
    /// returning within the deadline.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the UDP socket cannot be opened or sent from.
    pub fn lookup(&mut self, addrs: &[IpAddr]) -> Result<RdnsOutcome> {
        let mut out = RdnsOutcome::default();
        let mut ask = Vec::new();
        let mut asked = std::collections::HashSet::new();
        for &a in addrs {
            match self.cache.get(&a) {
                Some(Some(name)) => {
                    out.names.insert(a, name.clone());
                }
                Some(None) => {
                    if asked.insert(a) {
                        out.no_name.push(a);
                    }
                }
                None => {
                    if asked.insert(a) {
                        ask.push(a);
                    }
                }
            }
        }
        if ask.is_empty() {
            return Ok(out);
        }
        for (addr, outcome) in self.run(ask)? {
            match outcome {
                Outcome::Name(n) => {
                    self.cache.insert(addr, Some(n.clone()));
                    out.names.insert(addr, n);
                }
                Outcome::NoName => {
                    self.cache.insert(addr, None);
                    out.no_name.push(addr);
                }
                Outcome::Failed(rcode) => out.failed.push((addr, rcode)),
                Outcome::TimedOut => out.timed_out.push(addr),
            }
        }
        Ok(out)
    }

    /// Looks up every address that answered in `report` and puts the names on its replies
    /// ([`Reply::name`](crate::Reply::name)), and records the nameserver in its parameters
    /// ([`TraceParams::rdns_server`](crate::TraceParams::rdns_server)).
    ///
    /// # Errors
    ///
    /// As [`ReverseDns::lookup`].
    pub fn annotate(&mut self, report: &mut TraceReport) -> Result<RdnsOutcome> {
        let mut addrs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in report
            .traces
            .iter()
            .flat_map(|t| &t.hops)
            .flat_map(|h| &h.replies)
        {
            if seen.insert(r.from) {
                addrs.push(r.from);
            }
        }
        let out = self.lookup(&addrs)?;
        for r in report
            .traces
            .iter_mut()
            .flat_map(|t| &mut t.hops)
            .flat_map(|h| &mut h.replies)
        {
            r.name = out.names.get(&r.from).cloned();
        }
        report.params.rdns_server = Some(self.server.to_string());
        Ok(out)
    }

    fn run(&self, addrs: Vec<IpAddr>) -> Result<Vec<(IpAddr, Outcome)>> {
        let context = |what: &str| format!("reverse DNS: {what} {}", self.server);
        let bind: SocketAddr = if self.server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock =
            UdpSocket::bind(bind).map_err(|e| Error::io(context("binding a socket for"), e))?;
        // Connected: the kernel drops datagrams from anyone but the server.
        sock.connect(self.server)
            .map_err(|e| Error::io(context("connecting to"), e))?;
        let key = RandomState::new().hash_one((Instant::now(), std::process::id()));
        let start = Instant::now();
        let mut core = Lookups::new(
            addrs,
            start,
            self.deadline,
            self.retransmit,
            self.max_in_flight,
            key,
        );
        let (mut out, mut input) = (Vec::with_capacity(512), vec![0u8; 4096]);
        loop {
            let now = Instant::now();
            core.handle_timeout(now);
            while core.poll_transmit(now, &mut out).is_some() {
                match sock.send(&out) {
                    Ok(_) => {}
                    // An ICMP port unreachable for an earlier query: nobody listens there.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                        core.fail_all(&Outcome::Failed(0));
                    }
                    Err(e) => return Err(Error::io(context("sending a query to"), e)),
                }
            }
            let Some(wake) = core.poll_timeout() else {
                break;
            };
            let wait = wake
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            sock.set_read_timeout(Some(wait))
                .map_err(|e| Error::io(context("waiting for"), e))?;
            match sock.recv(&mut input) {
                Ok(n) => {
                    core.handle_datagram(&input[..n]);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    core.fail_all(&Outcome::Failed(0));
                }
                Err(e) => return Err(Error::io(context("reading an answer from"), e)),
            }
        }
        Ok(core.outcomes())
    }
}

/// The first `nameserver` of a resolv.conf text, as an address on port 53.
pub fn parse_resolv_conf(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "nameserver" {
            return None;
        }
        // A scoped IPv6 address (fe80::1%eth0) carries its zone after '%'.
        let addr = words.next()?.split('%').next()?;
        addr.parse::<IpAddr>().ok().map(|a| SocketAddr::new(a, 53))
    })
}

fn system_nameserver(path: &Path) -> Result<SocketAddr> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    parse_resolv_conf(&text).ok_or_else(|| Error::NoNameserver {
        path: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf() {
        let text = "# generated\nsearch example\nnameserver  fe80::1%eth0\nnameserver 192.0.2.53\n";
        assert_eq!(
            parse_resolv_conf(text),
            Some("[fe80::1]:53".parse().unwrap())
        );
        assert_eq!(
            parse_resolv_conf("nameserver 192.0.2.53"),
            Some("192.0.2.53:53".parse().unwrap())
        );
        assert_eq!(
            parse_resolv_conf("options ndots:2\nnameserver nope\n"),
            None
        );
        let dir = std::env::temp_dir().join(format!("tcptrace-resolv-{}", std::process::id()));
        std::fs::write(&dir, "search x\n").unwrap();
        let e = system_nameserver(&dir).unwrap_err();
        std::fs::remove_file(&dir).unwrap();
        assert!(matches!(e, Error::NoNameserver { .. }), "{e}");
    }
}
