//! scapy as the oracle of TCP SYN tracing: its `traceroute` (IPv4) or `traceroute6` (IPv6), run
//! in the source namespace of a test network, and the network the oracle test and the trace
//! benchmark both trace.
//!
//! ```no_run
//! # fn main() -> Result<(), testbed::scapy::Error> {
//! use std::time::Duration;
//! use testbed::netns::Family;
//! use testbed::scapy::{Network, Traceroute};
//!
//! // Needs root (namespaces) and scapy (`cargo xtask setup` installs it).
//! let shape = Network::new().routers(3).silent(2);
//! let net = shape.build()?;
//! let targets = Network::targets(&net, Family::V4)?;
//! let run = Traceroute::new()
//!     .max_ttl(8)
//!     .timeout(Duration::from_secs(1))
//!     .run(&net, &targets)?;
//! for a in &run.answers {
//!     println!("{}:{} TTL {}: {} {:?}", a.target, a.port, a.ttl, a.from, a.kind);
//! }
//! // Every probe is answered or unanswered (the silent r2 leaves some unanswered).
//! assert!(run.tally().is_complete());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::netns::{self, Destination, Family, Topology};

/// scapy's `traceroute` or `traceroute6` over every target and port at once (the family is the
/// first target's), printing one line per answered probe, `A dst dport ttl from kind`, and one
/// per probe still unanswered after the retries, `U dst dport ttl`. ICMPv6 kinds are written
/// with ICMPv4's numbers (`11`, `3`) so that one parser reads both.
const SCRIPT: &str = r#"
import sys
from scapy.all import conf, traceroute, ICMP, IP, TCP
from scapy.layers.inet6 import traceroute6, IPv6, ICMPv6TimeExceeded, ICMPv6DestUnreach
conf.verb = 0
targets = sys.argv[1].split(",")
ports = [int(p) for p in sys.argv[2].split(",")]
v6 = ":" in targets[0]
run = traceroute6 if v6 else traceroute
res, unans = run(targets, dport=ports, minttl=1, maxttl=int(sys.argv[3]),
             timeout=float(sys.argv[4]), retry=int(sys.argv[5]), verbose=0)
for snd, rcv in res:
    if v6 and rcv.haslayer(ICMPv6TimeExceeded):
        kind = "11"
    elif v6 and rcv.haslayer(ICMPv6DestUnreach):
        kind = "3"
    elif not v6 and rcv.haslayer(ICMP):
        kind = str(rcv[ICMP].type)
    elif rcv.haslayer(TCP):
        f = int(rcv[TCP].flags)
        kind = "SA" if f & 0x12 == 0x12 else ("RA" if f & 0x04 else "flags-%d" % f)
    else:
        kind = "?"
    ip_s, ip_r = (snd[IPv6], rcv[IPv6]) if v6 else (snd[IP], rcv[IP])
    ttl = ip_s.hlim if v6 else ip_s.ttl
    print("A", ip_s.dst, snd[TCP].dport, ttl, ip_r.src, kind)
for snd in unans:
    ip_s = snd[IPv6] if v6 else snd[IP]
    print("U", ip_s.dst, snd[TCP].dport, ip_s.hlim if v6 else ip_s.ttl)
"#;

/// The variable naming the Python interpreter that has scapy, as for `cargo xtask setup`, which
/// installs scapy with it; `python3` when unset.
pub const PYTHON_ENV: &str = "OPSKIT_PYTHON";

/// Why scapy could not be run or its output not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The test network failed: building it, or entering the source's namespace.
    Network(netns::Error),
    /// What was asked cannot be traced (no target, no port, mixed families, a shape whose
    /// hops do not exist).
    Invalid(String),
    /// The Python interpreter ([`PYTHON_ENV`], or `python3`) could not be started.
    Spawn(String),
    /// scapy exited with an error: its exit status and stderr.
    Failed {
        /// The exit status.
        status: String,
        /// What scapy wrote on stderr.
        stderr: String,
    },
    /// A line of scapy's output is not an answer.
    Output {
        /// The line.
        line: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(e) => write!(f, "scapy's test network: {e}"),
            Self::Invalid(m) => write!(f, "scapy traceroute: {m}"),
            Self::Spawn(m) => write!(
                f,
                "cannot run Python for scapy (`cargo xtask setup` installs it): {m}"
            ),
            Self::Failed { status, stderr } => write!(
                f,
                "scapy failed ({status}; `pip install scapy` is part of `cargo xtask setup`): {stderr}"
            ),
            Self::Output { line, reason } => write!(f, "scapy printed {line:?}: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Network(e) => Some(e),
            _ => None,
        }
    }
}

impl From<netns::Error> for Error {
    fn from(e: netns::Error) -> Self {
        Self::Network(e)
    }
}

/// What answered one of scapy's probes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnswerKind {
    /// ICMP time exceeded (ICMPv6 type 3).
    TimeExceeded,
    /// ICMP destination unreachable (ICMPv6 type 1).
    Unreachable,
    /// The destination's SYN-ACK: the port is open.
    SynAck,
    /// The destination's RST: the port is closed.
    Rst,
    /// Anything else, as the script names it (another ICMP type, other TCP flags).
    Other(String),
}

impl AnswerKind {
    fn parse(word: &str) -> Self {
        match word {
            "11" => Self::TimeExceeded,
            "3" => Self::Unreachable,
            "SA" => Self::SynAck,
            "RA" => Self::Rst,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One answer scapy received: to which probe (target, port, TTL), from whom, of what kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Answer {
    /// The probe's destination.
    pub target: IpAddr,
    /// The probe's destination port.
    pub port: u16,
    /// The probe's TTL (hop limit).
    pub ttl: u8,
    /// The answer's source.
    pub from: IpAddr,
    /// What the answer was.
    pub kind: AnswerKind,
}

/// A probe scapy sent: to which target and port, with which TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probe {
    /// The probe's destination.
    pub target: IpAddr,
    /// The probe's destination port.
    pub port: u16,
    /// The probe's TTL (hop limit).
    pub ttl: u8,
}

/// What one run of scapy gave: every probe it sent, answered or not.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Run {
    /// The answers, in the order scapy printed them.
    pub answers: Vec<Answer>,
    /// The probes still unanswered after scapy's retries.
    pub unanswered: Vec<Probe>,
    /// How many probes were asked for: targets × ports × TTLs.
    given: usize,
}

/// How a [`Run`] accounts for the probes it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Probes asked for: targets × ports × TTLs 1 to the maximum.
    pub given: usize,
    /// Probes that got an answer.
    pub answered: usize,
    /// Probes without one after the retries.
    pub unanswered: usize,
}

impl Tally {
    /// Whether every probe given is answered or unanswered, once.
    pub const fn is_complete(&self) -> bool {
        self.given == self.answered + self.unanswered
    }
}

impl Run {
    /// The run's tally: a complete run has `given == answered + unanswered`.
    pub fn tally(&self) -> Tally {
        Tally {
            given: self.given,
            answered: self.answers.len(),
            unanswered: self.unanswered.len(),
        }
    }

    /// Reads the script's output for a run of `given` probes.
    fn parse(stdout: &str, given: usize) -> Result<Self, Error> {
        let mut run = Self {
            answers: Vec::new(),
            unanswered: Vec::new(),
            given,
        };
        for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
            let bad = |reason| Error::Output {
                line: line.to_owned(),
                reason,
            };
            let w: Vec<&str> = line.split_whitespace().collect();
            let probe = |target: &str, port: &str, ttl: &str| {
                Ok::<_, Error>(Probe {
                    target: target.parse().map_err(|_| bad("bad target address"))?,
                    port: port.parse().map_err(|_| bad("bad port"))?,
                    ttl: ttl.parse().map_err(|_| bad("bad TTL"))?,
                })
            };
            match w[..] {
                ["A", target, port, ttl, from, kind] => {
                    let Probe { target, port, ttl } = probe(target, port, ttl)?;
                    run.answers.push(Answer {
                        target,
                        port,
                        ttl,
                        from: from.parse().map_err(|_| bad("bad source address"))?,
                        kind: AnswerKind::parse(kind),
                    });
                }
                ["U", target, port, ttl] => run.unanswered.push(probe(target, port, ttl)?),
                _ => return Err(bad("neither an answer nor an unanswered probe")),
            }
        }
        Ok(run)
    }
}

/// A run of scapy's `traceroute(targets, dport=ports, minttl=1, maxttl, timeout, retry)`.
///
/// Defaults are scapy's own where scapy has one (timeout 2 s, retry 0) and
/// [`Network::PORTS`] with a maximum TTL of 30 otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Traceroute {
    ports: Vec<u16>,
    max_ttl: u8,
    timeout: Duration,
    retry: i32,
}

impl Default for Traceroute {
    fn default() -> Self {
        Self::new()
    }
}

impl Traceroute {
    /// Ports 80 and 443, TTLs 1 to 30, scapy's 2 s timeout and no retry.
    pub fn new() -> Self {
        Self {
            ports: Network::PORTS.to_vec(),
            max_ttl: 30,
            timeout: Duration::from_secs(2),
            retry: 0,
        }
    }

    /// The destination ports (scapy's `dport`).
    pub fn ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.ports = ports.into_iter().collect();
        self
    }

    /// The highest TTL probed (scapy's `maxttl`).
    pub fn max_ttl(mut self, ttl: u8) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// How long scapy waits for answers after its last probe (scapy's `timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// scapy's `retry`: `n > 0` resends unanswered probes `n` times, `-n` until `n` rounds in a
    /// row bring nothing new.
    pub fn retry(mut self, retry: i32) -> Self {
        self.retry = retry;
        self
    }

    /// Runs scapy in `net`'s source namespace, from a thread that entered it (so that a
    /// benchmark's figures hold no `ip netns exec`), over every target at once, and returns
    /// every probe it sent, answered or not ([`Run::tally`]). Blocks until scapy is done: its
    /// own timeout bounds the run.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for no target, no port, a TTL of 0 or targets of both families;
    /// [`Error::Network`], [`Error::Spawn`], [`Error::Failed`] or [`Error::Output`] when the
    /// run or its output goes wrong.
    pub fn run(&self, net: &Topology, targets: &[IpAddr]) -> Result<Run, Error> {
        let Some(first) = targets.first() else {
            return Err(Error::Invalid("no target".to_owned()));
        };
        if targets.iter().any(|t| t.is_ipv6() != first.is_ipv6()) {
            return Err(Error::Invalid(
                "targets of both families: scapy's traceroute takes one".to_owned(),
            ));
        }
        if self.ports.is_empty() || self.max_ttl == 0 {
            return Err(Error::Invalid("no port, or a maximum TTL of 0".to_owned()));
        }
        let join = |items: Vec<String>| items.join(",");
        let python = std::env::var_os(PYTHON_ENV).unwrap_or_else(|| "python3".into());
        let mut cmd = Command::new(&python);
        cmd.args(["-c", SCRIPT])
            .arg(join(targets.iter().map(ToString::to_string).collect()))
            .arg(join(self.ports.iter().map(ToString::to_string).collect()))
            .arg(self.max_ttl.to_string())
            .arg(self.timeout.as_secs_f64().to_string())
            .arg(self.retry.to_string())
            .stdin(Stdio::null());
        let out = net
            .run_in(net.source(), move || cmd.output())?
            .map_err(|e| Error::Spawn(format!("{}: {e}", python.to_string_lossy())))?;
        if !out.status.success() {
            return Err(Error::Failed {
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        let given = targets.len() * self.ports.len() * usize::from(self.max_ttl);
        Run::parse(&String::from_utf8_lossy(&out.stdout), given)
    }
}

/// The network the oracle traces: `src - r1 - … - rN - web` and a branch
/// `rK - r(N+1) - db`. web listens on 80 (443 is closed), db on 443 (80 is closed), so that
/// [`Network::PORTS`] get a SYN-ACK and a RST from each destination, and a silent router
/// (optional) leaves a gap on web's path.
///
/// Defaults: 3 routers on web's path, the branch at r1, one address each, no silent router.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Network {
    routers: usize,
    silent: Option<usize>,
    branch_at: usize,
    web_addresses: u16,
    db_addresses: u16,
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

impl Network {
    /// The ports the network answers on: web's open 80 and db's open 443.
    pub const PORTS: [u16; 2] = [80, 443];

    /// The default shape (see [`Network`]).
    pub fn new() -> Self {
        Self {
            routers: 3,
            silent: None,
            branch_at: 1,
            web_addresses: 1,
            db_addresses: 1,
        }
    }

    /// How many routers are on web's path (r1 to rN).
    pub fn routers(mut self, n: usize) -> Self {
        self.routers = n;
        self
    }

    /// Makes router `r{hop}` of web's path silent (it forwards, but never answers).
    pub fn silent(mut self, hop: usize) -> Self {
        self.silent = Some(hop);
        self
    }

    /// The router of web's path where db's branch starts.
    pub fn branch_at(mut self, hop: usize) -> Self {
        self.branch_at = hop;
        self
    }

    /// How many addresses web has (each one a target).
    pub fn web_addresses(mut self, n: u16) -> Self {
        self.web_addresses = n;
        self
    }

    /// How many addresses db has (each one a target).
    pub fn db_addresses(mut self, n: u16) -> Self {
        self.db_addresses = n;
        self
    }

    /// Builds the network.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for no router, or a silent router or branch beyond web's path;
    /// [`Error::Network`] when the namespaces cannot be built.
    pub fn build(&self) -> Result<Topology, Error> {
        let hops = 1..=self.routers;
        if !hops.contains(&self.branch_at) || self.silent.is_some_and(|s| !hops.contains(&s)) {
            return Err(Error::Invalid(format!(
                "{} routers, branch at {}, silent {:?}: every hop must be one of the routers",
                self.routers, self.branch_at, self.silent
            )));
        }
        let name = |i: usize| format!("r{i}");
        let branch = name(self.routers + 1);
        let mut b = Topology::builder().source("src");
        for i in hops.clone() {
            b = if Some(i) == self.silent {
                b.silent_router(&name(i))
            } else {
                b.router(&name(i))
            };
        }
        let path = std::iter::once("src".to_owned())
            .chain(hops.map(name))
            .chain(std::iter::once("web".to_owned()));
        Ok(b.router(&branch)
            .destination(
                "web",
                Destination::new()
                    .listen(Self::PORTS[0])
                    .addresses(self.web_addresses),
            )
            .destination(
                "db",
                Destination::new()
                    .listen(Self::PORTS[1])
                    .addresses(self.db_addresses),
            )
            .chain(path)
            .chain([name(self.branch_at), branch, "db".to_owned()])
            .build()?)
    }

    /// Every address of web, then every address of db, in `family`.
    ///
    /// # Errors
    ///
    /// [`Error::Network`] when `net` is not a network of this shape.
    pub fn targets(net: &Topology, family: Family) -> Result<Vec<IpAddr>, Error> {
        let mut t = net.targets("web", family)?;
        t.extend(net.targets("db", family)?);
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_parse_from_the_script_lines() {
        let out = "A 2001:db8::1 443 3 2001:db8:0:1::1 11\n\
                   A 198.19.0.1 80 4 198.19.0.1 flags-20\n\
                   U 198.19.0.1 80 2\n";
        let run = Run::parse(out, 3).unwrap();
        let a = &run.answers[0];
        assert_eq!(
            (a.target, a.port, a.ttl, &a.kind),
            (
                "2001:db8::1".parse().unwrap(),
                443,
                3,
                &AnswerKind::TimeExceeded
            )
        );
        assert_eq!(
            run.answers[1].kind,
            AnswerKind::Other("flags-20".to_owned())
        );
        assert_eq!(
            run.unanswered,
            vec![Probe {
                target: "198.19.0.1".parse().unwrap(),
                port: 80,
                ttl: 2
            }]
        );
        let t = run.tally();
        assert_eq!((t.given, t.answered, t.unanswered), (3, 2, 1));
        assert!(t.is_complete());
        // A probe missing from the output shows in the tally.
        assert!(!Run::parse(out, 4).unwrap().tally().is_complete());
        for (line, reason) in [
            (
                "A 198.19.0.1 80 4 198.19.0.1",
                "neither an answer nor an unanswered probe",
            ),
            ("U 198.19.0.1 80 300", "bad TTL"),
            ("A www 80 3 198.19.0.1 SA", "bad target address"),
            ("A 198.19.0.1 80 3 r1 SA", "bad source address"),
        ] {
            assert_eq!(
                Run::parse(line, 1).unwrap_err(),
                Error::Output {
                    line: line.to_owned(),
                    reason
                }
            );
        }
    }

    #[test]
    fn shapes_beyond_the_path_are_refused_before_any_namespace() {
        for shape in [
            Network::new().routers(0),
            Network::new().branch_at(4),
            Network::new().silent(0),
        ] {
            assert!(matches!(shape.build(), Err(Error::Invalid(_))), "{shape:?}");
        }
    }
}
