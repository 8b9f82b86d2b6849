//! Online backends: whois over TCP port 43 (Team Cymru, RIPE RIS, RADB).
//!
//! The protocol is sans-IO: [`WhoisExchange`] (in `exchange`) holds one exchange's state,
//! deadlines and size bound, and parses replies with `cymru` and `rpsl`. This file holds the
//! settings, the batch logic and the thin blocking transport (connect, then a loop that moves
//! bytes and time between the socket and the core).

use std::collections::HashMap;
use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{AsName, AsnError, AsnResolver, BatchReport, Outcome, Resolution, UnresolvedReason};

mod cymru;
mod exchange;
mod rpsl;

pub use exchange::{WhoisEvent, WhoisExchange, WhoisLimits, WhoisQuery};

/// What one blocking socket call did.
enum Io {
    Sent(usize),
    Read(usize),
}

/// An online AS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WhoisService {
    /// Team Cymru IP to ASN bulk whois (`whois.cymru.com:43`).
    Cymru,
    /// RIPE RIS whois (`riswhois.ripe.net:43`).
    Ris,
    /// RADB (`whois.radb.net:43`).
    Radb,
}

impl WhoisService {
    /// The public server of the service.
    pub fn default_server(self) -> &'static str {
        match self {
            Self::Cymru => "whois.cymru.com:43",
            Self::Ris => "riswhois.ripe.net:43",
            Self::Radb => "whois.radb.net:43",
        }
    }

    /// The name accepted by [`FromStr`]: `cymru`, `ris` or `radb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cymru => "cymru",
            Self::Ris => "ris",
            Self::Radb => "radb",
        }
    }
}

impl fmt::Display for WhoisService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WhoisService {
    type Err = AsnError;

    fn from_str(s: &str) -> Result<Self, AsnError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cymru" | "team-cymru" => Ok(Self::Cymru),
            "ris" | "riswhois" | "ripe" => Ok(Self::Ris),
            "radb" => Ok(Self::Radb),
            _ => Err(AsnError::UnknownService {
                name: s.chars().take(64).collect(),
            }),
        }
    }
}

/// The settings a [`WhoisBuilder`] collects and a [`WhoisResolver`] runs with, kept in one place
/// so that a new setting is added once.
#[derive(Clone, Copy, Debug)]
struct Settings {
    connect_timeout: Duration,
    read_timeout: Duration,
    deadline: Duration,
    max_reply: usize,
    batch: usize,
    parallel: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            max_reply: 4 << 20,
            batch: 1000,
            parallel: 4,
        }
    }
}

/// Builds a [`WhoisResolver`]; see [`WhoisResolver::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct WhoisBuilder {
    service: WhoisService,
    server: Option<String>,
    settings: Settings,
}

impl WhoisBuilder {
    /// Uses `HOST:PORT` (or `HOST`, port 43; `[v6]:PORT` for IPv6 literals) instead of the
    /// service's public server.
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into());
        self
    }

    /// How long to wait for the TCP connection (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.settings.connect_timeout = t;
        self
    }

    /// The longest silence allowed while reading the reply (default 10 s).
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.settings.read_timeout = t;
        self
    }

    /// The longest a whole batch of exchanges (name lookup, connects, queries, replies) may
    /// take (default 30 s). One call of `resolve_many` is one batch.
    pub fn deadline(mut self, t: Duration) -> Self {
        self.settings.deadline = t;
        self
    }

    /// The largest reply accepted, in bytes (default 4 MiB).
    pub fn max_reply_bytes(mut self, n: usize) -> Self {
        self.settings.max_reply = n;
        self
    }

    /// Addresses per Cymru bulk query (default 1000).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.settings.batch = n;
        self
    }

    /// Concurrent connections for RIS and RADB, which take one address per query (default 4).
    pub fn parallel(mut self, n: usize) -> Self {
        self.settings.parallel = n;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`AsnError::BadServer`] for a server that is not `HOST[:PORT]`; [`AsnError::Config`] for
    /// zero timeouts, a reply bound under 1 KiB, or a batch or parallelism of 0 (or over 64
    /// connections).
    pub fn build(self) -> Result<WhoisResolver, AsnError> {
        let server = self
            .server
            .unwrap_or_else(|| self.service.default_server().to_owned());
        let (host, port) = split_host_port(&server)?;
        if self.settings.connect_timeout.is_zero()
            || self.settings.read_timeout.is_zero()
            || self.settings.deadline.is_zero()
        {
            return Err(AsnError::Config("whois timeouts must be positive".into()));
        }
        if self.settings.max_reply < 1024 {
            return Err(AsnError::Config(
                "the reply bound must be at least 1024 bytes".into(),
            ));
        }
        if self.settings.batch == 0 || !(1..=64).contains(&self.settings.parallel) {
            return Err(AsnError::Config(
                "batch size must be positive and parallelism 1 to 64".into(),
            ));
        }
        Ok(WhoisResolver {
            service: self.service,
            server,
            host,
            port,
            settings: self.settings,
        })
    }
}

fn split_host_port(s: &str) -> Result<(String, u16), AsnError> {
    let bad = |reason: &str| AsnError::BadServer {
        server: s.chars().take(128).collect(),
        reason: reason.into(),
    };
    let s = s.trim();
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None if after.is_empty() => 43,
            None => return Err(bad("text after ]")),
        };
        host.parse::<std::net::Ipv6Addr>()
            .map_err(|_| bad("bad IPv6 literal"))?;
        return Ok((host.to_owned(), port));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => return Err(bad("write IPv6 literals as [addr]:port")),
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
        None => (s, 43),
    };
    if port == 0 {
        return Err(bad("port 0"));
    }
    if host.is_empty()
        || host.len() > 253
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(bad("bad host name"));
    }
    Ok((host.to_owned(), port))
}

/// An online AS resolver over whois (TCP port 43).
///
/// Team Cymru gets one bulk query per batch of addresses; RIS and RADB get one query per
/// address, over up to [`WhoisBuilder::parallel`] connections at once. Every exchange has a
/// connect timeout, a read (silence) timeout and a reply size bound; one deadline covers the
/// whole batch, and the first failed exchange ends it. A reply cut by a reset is an error.
/// Special-purpose addresses are answered locally and never sent. A server given by name is
/// looked up with the system resolver within the batch's deadline.
///
/// ```no_run
/// use std::time::Duration;
/// use asn_lookup::{AsnResolver, WhoisResolver, WhoisService};
///
/// # fn main() -> Result<(), asn_lookup::AsnError> {
/// let cymru = WhoisResolver::builder(WhoisService::Cymru).deadline(Duration::from_secs(10)).build()?;
/// let answers = cymru.resolve_many(&["8.8.8.8".parse().unwrap(), "10.0.0.1".parse().unwrap()])?;
/// println!("{answers:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WhoisResolver {
    service: WhoisService,
    server: String,
    host: String,
    port: u16,
    settings: Settings,
}

impl WhoisResolver {
    /// A builder with the service's public server and default timeouts.
    pub fn builder(service: WhoisService) -> WhoisBuilder {
        WhoisBuilder {
            service,
            server: None,
            settings: Settings::default(),
        }
    }

    /// The service.
    pub fn service(&self) -> WhoisService {
        self.service
    }

    /// The server as configured (`HOST:PORT`).
    pub fn server(&self) -> &str {
        &self.server
    }

    fn timeout(&self) -> AsnError {
        AsnError::Timeout {
            server: self.server.clone(),
            deadline: self.settings.deadline,
        }
    }

    fn protocol(&self, reason: String) -> AsnError {
        AsnError::Protocol {
            server: self.server.clone(),
            reason,
        }
    }

    /// The server's addresses. A name is looked up on a helper thread so that a slow system
    /// resolver cannot outlive the batch's deadline `until`.
    fn server_addrs(&self, until: Instant) -> Result<Vec<SocketAddr>, AsnError> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (host, port) = (self.host.clone(), self.port);
        std::thread::spawn(move || {
            let _ = tx.send(
                (host.as_str(), port)
                    .to_socket_addrs()
                    .map(Iterator::collect),
            );
        });
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(Ok(addrs)) => Ok(addrs),
            Ok(Err(e)) => Err(AsnError::BadServer {
                server: self.server.clone(),
                reason: e.to_string(),
            }),
            Err(_) => Err(self.timeout()),
        }
    }

    /// Connects to the server by `until` at the latest.
    fn connect(&self, until: Instant) -> Result<TcpStream, AsnError> {
        let addrs = self.server_addrs(until)?;
        let mut last_err =
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the server");
        for addr in addrs {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timeout());
            }
            match TcpStream::connect_timeout(&addr, self.settings.connect_timeout.min(left)) {
                Ok(s) => return Ok(s),
                Err(e) => last_err = e,
            }
        }
        Err(AsnError::Connect {
            server: self.server.clone(),
            source: last_err,
        })
    }

    /// One exchange: connect, then move bytes and time between the socket and the sans-IO
    /// [`WhoisExchange`] until it gives its event. This loop knows nothing of whois.
    fn exchange(&self, query: WhoisQuery, until: Instant) -> Result<WhoisEvent, AsnError> {
        let mut stream = self.connect(until)?;
        let limits = WhoisLimits {
            read_timeout: self.settings.read_timeout,
            max_reply: self.settings.max_reply,
        };
        let mut core = WhoisExchange::new(
            query,
            &self.server,
            limits,
            Instant::now(),
            until,
            self.settings.deadline,
        );
        let mut buf = [0u8; 16 * 1024];
        loop {
            if let Some(event) = core.poll_event() {
                return match event {
                    WhoisEvent::Failed(e) => Err(e),
                    done => Ok(done),
                };
            }
            let now = Instant::now();
            let Some(at) = core.poll_timeout() else {
                return Err(self.protocol("the exchange ended without an answer".into()));
            };
            let left = at.saturating_duration_since(now);
            if left.is_zero() {
                core.handle_timeout(now);
                continue;
            }
            let io = if let Some(out) = core.poll_transmit() {
                stream
                    .set_write_timeout(Some(left))
                    .and_then(|()| stream.write(out))
                    .map(Io::Sent)
            } else {
                stream
                    .set_read_timeout(Some(left))
                    .and_then(|()| stream.read(&mut buf))
                    .map(Io::Read)
            };
            let now = Instant::now();
            match io {
                Ok(Io::Sent(0)) => core.handle_reset(now, std::io::ErrorKind::WriteZero.into()),
                Ok(Io::Sent(n)) => core.handle_sent(now, n),
                Ok(Io::Read(0)) => core.handle_eof(now),
                Ok(Io::Read(n)) => core.handle_input(now, &buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    core.handle_timeout(now);
                }
                Err(e) => core.handle_reset(now, e),
            }
        }
    }

    /// The answers of an address query.
    fn answers(&self, query: WhoisQuery, until: Instant) -> Result<Vec<Resolution>, AsnError> {
        match self.exchange(query, until)? {
            WhoisEvent::Answers(a) => Ok(a),
            other => Err(self.protocol(format!("expected answers, got {other:?}"))),
        }
    }

    fn query_one(&self, ip: IpAddr, until: Instant) -> Result<Resolution, AsnError> {
        let query = match self.service {
            WhoisService::Ris => WhoisQuery::Ris(ip),
            WhoisService::Radb => WhoisQuery::Radb(ip),
            WhoisService::Cymru => WhoisQuery::CymruBulk(vec![ip]),
        };
        self.answers(query, until)
            .map(|mut v| v.pop().unwrap_or(Resolution::Unknown))
    }

    /// Resolves `ips` (distinct, none special-purpose) under one deadline for the whole
    /// batch, one outcome per address in order. The first failed exchange ends the batch: a
    /// server that is unreachable or silent for one address is so for the rest, and waiting on
    /// each in turn would take hours for a large batch. The addresses of the failed exchange
    /// carry its error; those never sent are [`UnresolvedReason::NotAsked`] with it.
    fn query_batch(&self, ips: &[IpAddr]) -> Vec<Outcome> {
        let until = Instant::now() + self.settings.deadline;
        // Per address: its answer, its exchange's error, or nothing when it was never sent.
        let mut results: Vec<Option<Result<Resolution, Arc<AsnError>>>> = Vec::new();
        match self.service {
            WhoisService::Cymru => {
                for chunk in ips.chunks(self.settings.batch) {
                    if results.iter().any(|r| matches!(r, Some(Err(_)))) {
                        results.extend(chunk.iter().map(|_| None));
                        continue;
                    }
                    let answers = self.answers(WhoisQuery::CymruBulk(chunk.to_vec()), until);
                    match answers {
                        Ok(a) => results.extend(a.into_iter().map(|r| Some(Ok(r)))),
                        Err(e) => {
                            let e = Arc::new(e);
                            results.extend(chunk.iter().map(|_| Some(Err(Arc::clone(&e)))));
                        }
                    }
                }
            }
            WhoisService::Ris | WhoisService::Radb => {
                let failed = AtomicBool::new(false);
                let failed = &failed;
                // Each worker takes a share of the addresses, one query each, and stops at the
                // first failure anywhere in the batch.
                let work = |chunk: &[IpAddr]| {
                    let mut part = Vec::with_capacity(chunk.len());
                    for &ip in chunk {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let r = self.query_one(ip, until).map_err(Arc::new);
                        let stop = r.is_err();
                        part.push(r);
                        if stop {
                            failed.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                    part
                };
                let per = ips.len().div_ceil(self.settings.parallel).max(1);
                let parts: Vec<Vec<Result<Resolution, Arc<AsnError>>>> = if ips.len() <= per {
                    vec![work(ips)]
                } else {
                    std::thread::scope(|s| {
                        let handles: Vec<_> = ips
                            .chunks(per)
                            .map(|chunk| s.spawn(move || work(chunk)))
                            .collect();
                        handles
                            .into_iter()
                            .map(|h| {
                                h.join().unwrap_or_else(|_| {
                                    vec![Err(Arc::new(self.protocol("worker panicked".into())))]
                                })
                            })
                            .collect()
                    })
                };
                for (chunk, part) in ips.chunks(per).zip(parts) {
                    let n = part.len();
                    results.extend(part.into_iter().map(Some));
                    results.extend(chunk.iter().skip(n).map(|_| None));
                }
            }
        }
        let stop = results
            .iter()
            .find_map(|r| match r {
                Some(Err(e)) => Some(Arc::clone(e)),
                _ => None,
            })
            .unwrap_or_else(|| Arc::new(self.timeout()));
        results
            .into_iter()
            .map(|r| match r {
                Some(Ok(answer)) => Outcome::of_resolution(answer),
                Some(Err(e)) => Outcome::failed(UnresolvedReason::of_error(&e), &e),
                None => Outcome::failed(UnresolvedReason::NotAsked, &stop),
            })
            .collect()
    }
}

impl AsnResolver for WhoisResolver {
    /// As [`WhoisResolver::resolve_batch`], failing when any address failed (with the first
    /// failed exchange's error).
    fn resolve_many(&self, ips: &[IpAddr]) -> Result<Vec<Resolution>, AsnError> {
        self.resolve_batch(ips).into_result()
    }

    /// Special-purpose addresses are answered locally; the others are asked once each
    /// (duplicates and IPv4-mapped forms share one query) under the batch's one deadline.
    /// Answers that came before a failure are kept; the addresses of the failed exchange carry
    /// its reason (deadline, unreachable, reset, bad reply), and those never sent because the
    /// batch stopped are [`UnresolvedReason::NotAsked`].
    fn resolve_batch(&self, ips: &[IpAddr]) -> BatchReport {
        let local: Vec<Option<Resolution>> =
            ips.iter().map(|&ip| super::local_answer(ip)).collect();
        let mut todo: Vec<IpAddr> = ips
            .iter()
            .zip(&local)
            .filter(|(_, r)| r.is_none())
            .map(|(ip, _)| ip.to_canonical())
            .collect();
        todo.sort_unstable();
        todo.dedup();
        let answers: HashMap<IpAddr, Outcome> = if todo.is_empty() {
            HashMap::new()
        } else {
            todo.iter().copied().zip(self.query_batch(&todo)).collect()
        };
        let outcomes = ips
            .iter()
            .zip(local)
            .map(|(ip, local)| match local {
                Some(r) => Outcome::of_resolution(r),
                None => answers
                    .get(&ip.to_canonical())
                    .cloned()
                    .unwrap_or_else(|| Outcome::answered(UnresolvedReason::NotAsked)),
            })
            .collect();
        BatchReport::new(ips, outcomes)
    }

    fn as_name(&self, asn: u32) -> Result<Option<AsName>, AsnError> {
        match self.service {
            WhoisService::Cymru | WhoisService::Radb => {
                let until = Instant::now() + self.settings.deadline;
                let query = if self.service == WhoisService::Cymru {
                    WhoisQuery::CymruName(asn)
                } else {
                    WhoisQuery::AutNum(asn)
                };
                match self.exchange(query, until)? {
                    WhoisEvent::Name(name) => Ok(name),
                    other => Err(self.protocol(format!("expected a name, got {other:?}"))),
                }
            }
            // RIS has routes only, no AS objects.
            WhoisService::Ris => Ok(None),
        }
    }
}

/// An online resolver by service name (`cymru`, `ris` or `radb`), optionally at another
/// `HOST:PORT`, with default timeouts. This is what `opskit trace --asn-whois` uses.
///
/// # Errors
///
/// [`AsnError::UnknownService`] or [`AsnError::BadServer`].
pub fn online_resolver(name: &str, server: Option<&str>) -> Result<WhoisResolver, AsnError> {
    let mut b = WhoisResolver::builder(name.parse()?);
    if let Some(s) = server {
        b = b.server(s);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("whois.cymru.com:43").unwrap(),
            ("whois.cymru.com".into(), 43)
        );
        assert_eq!(
            split_host_port("127.0.0.1:4343").unwrap(),
            ("127.0.0.1".into(), 4343)
        );
        assert_eq!(
            split_host_port("example.net").unwrap(),
            ("example.net".into(), 43)
        );
        assert_eq!(split_host_port("[::1]:99").unwrap(), ("::1".into(), 99));
        for bad in [
            "", "::1:43", "host:0", "host:x", "ho st:43", "[::1", "[zz]:1",
        ] {
            assert!(split_host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn services_by_name() {
        assert_eq!(
            "CYMRU".parse::<WhoisService>().unwrap(),
            WhoisService::Cymru
        );
        assert_eq!("ris".parse::<WhoisService>().unwrap(), WhoisService::Ris);
        assert_eq!("radb".parse::<WhoisService>().unwrap(), WhoisService::Radb);
        assert!(matches!(
            "x".parse::<WhoisService>(),
            Err(AsnError::UnknownService { .. })
        ));
        assert!(online_resolver("ris", Some("bad host:1")).is_err());
        let r = online_resolver("radb", None).unwrap();
        assert_eq!(r.server(), "whois.radb.net:43");
    }

    #[test]
    fn builder_checks() {
        let b = || WhoisResolver::builder(WhoisService::Cymru);
        assert!(matches!(
            b().deadline(Duration::ZERO).build(),
            Err(AsnError::Config(_))
        ));
        assert!(matches!(
            b().max_reply_bytes(10).build(),
            Err(AsnError::Config(_))
        ));
        assert!(matches!(b().parallel(0).build(), Err(AsnError::Config(_))));
        assert!(matches!(
            b().batch_size(0).build(),
            Err(AsnError::Config(_))
        ));
    }

    #[test]
    fn special_addresses_are_never_sent() {
        // Nothing listens on loopback port 1: any query would fail the call.
        let r = WhoisResolver::builder(WhoisService::Cymru)
            .server("127.0.0.1:1")
            .build()
            .unwrap();
        let answers = r
            .resolve_many(&["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()])
            .unwrap();
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Resolution::NotRouted { special: Some(_) }))
        );
    }
}
