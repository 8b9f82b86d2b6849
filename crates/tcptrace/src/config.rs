//! The configuration of a run, built with a validating builder.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use crate::error::ConfigError;
use crate::model::{TargetError, TraceParams};

/// The largest plan (flows × TTLs) one run may schedule.
pub(crate) const MAX_SLOTS: u64 = 1 << 20;
/// The most attempts (first send + retries) per (flow, TTL).
pub(crate) const MAX_ATTEMPTS: u32 = 64;
/// The most rounds one run may have: each (flow, TTL) numbers its probes in 8 bits.
pub(crate) const MAX_ROUNDS: u32 = 256;
/// What the default deadline adds for the driver loop itself.
pub(crate) const DEADLINE_SLACK: Duration = Duration::from_secs(1);

/// What to trace and how. Build it with [`TraceConfig::builder`].
///
/// The defaults are scapy's where scapy has one: TTLs 1 to 30, port 80, a 2 s timeout and no
/// retry. On top of that: stop at the first TTL where the destination answers, a gap limit of 5
/// silent TTLs, at most 256 probes in flight and no pacing.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceConfig {
    pub(crate) targets: Vec<String>,
    pub(crate) ports: Vec<u16>,
    pub(crate) min_ttl: u8,
    pub(crate) max_ttl: u8,
    pub(crate) timeout: Duration,
    pub(crate) retry: i32,
    pub(crate) pps: Option<u32>,
    pub(crate) max_in_flight: u32,
    pub(crate) all_ttls: bool,
    pub(crate) gap_limit: Option<u8>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) rounds: u32,
    pub(crate) mda: Option<u8>,
    pub(crate) key: Option<u64>,
    pub(crate) interval: Duration,
    pub(crate) source_pool: Vec<IpAddr>,
    pub(crate) depth_first: bool,
    /// Per-router pacing: (interval, burst).
    pub(crate) router_pacing: Option<(Duration, u32)>,
}

impl TraceConfig {
    /// A builder with the defaults.
    pub fn builder() -> TraceConfigBuilder {
        TraceConfigBuilder::default()
    }

    /// The targets, as given.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// The destination ports.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The first TTL probed.
    pub fn min_ttl(&self) -> u8 {
        self.min_ttl
    }

    /// The last TTL probed.
    pub fn max_ttl(&self) -> u8 {
        self.max_ttl
    }

    /// How long to wait for the answer to one probe.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// scapy's `retry` value.
    pub fn retry(&self) -> i32 {
        self.retry
    }

    /// The pace in packets per second, if any.
    pub fn pps(&self) -> Option<u32> {
        self.pps
    }

    /// The most probes in flight at once.
    pub fn max_in_flight(&self) -> u32 {
        self.max_in_flight
    }

    /// Whether every TTL up to the maximum is probed.
    pub fn all_ttls(&self) -> bool {
        self.all_ttls
    }

    /// The gap limit, if any.
    pub fn gap_limit(&self) -> Option<u8> {
        self.gap_limit
    }

    /// How many probes each hop gets, one per round (mtr's `-c`; default 1).
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// The key of the run's probe identities when one was fixed
    /// ([`TraceConfigBuilder::key`]); `None` draws a random one per run.
    pub fn key(&self) -> Option<u64> {
        self.key
    }

    /// The confidence of multipath discovery in percent, or `None` when it is off
    /// ([`TraceConfigBuilder::mda`]).
    pub fn mda(&self) -> Option<u8> {
        self.mda
    }

    /// The time between the starts of consecutive rounds of a trace (default 1 s).
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The addresses that traces take turns to send from, each trace from one of its family
    /// ([`TraceConfigBuilder::source_pool`]); empty for the kernel's choice per target.
    pub fn source_pool(&self) -> &[IpAddr] {
        &self.source_pool
    }

    /// Whether each trace sends its TTLs back to back ([`TraceConfigBuilder::depth_first`]).
    pub fn depth_first(&self) -> bool {
        self.depth_first
    }

    /// Per-router pacing, (interval, burst), or `None` when it is off
    /// ([`TraceConfigBuilder::router_pacing`]).
    pub fn router_pacing(&self) -> Option<(Duration, u32)> {
        self.router_pacing
    }

    /// The overall deadline of a blocking run: the one given to
    /// [`TraceConfigBuilder::deadline`], or else [`TraceConfig::plan_deadline`].
    pub fn deadline(&self) -> Duration {
        self.deadline.unwrap_or_else(|| self.plan_deadline())
    }

    /// Whether the deadline was given ([`TraceConfigBuilder::deadline`]) rather than derived
    /// from the plan.
    pub fn has_explicit_deadline(&self) -> bool {
        self.deadline.is_some()
    }

    /// The default deadline, derived from the plan so that it covers every planned probe even
    /// when the answers are lost or come late. With `F` = targets × ports, `N` = TTLs
    /// (`max_ttl - min_ttl + 1`), `A` = attempts per (flow, TTL) (`1 + retry`; 64, the most
    /// there can be, for a negative retry, which keeps resending while answers come),
    /// `R` = rounds, `P = F × N × A × R` probes, `W` = the in-flight window, `T` = the probe
    /// timeout and `I` = the interval between rounds:
    ///
    /// ```text
    /// deadline = ceil(P / W) × T      every probe through the window, each holding its slot
    ///                                 for at most T
    ///          + N × A × T            one flow's longest chain: each TTL it reaches may wait
    ///                                 for the answer of the one before, every attempt
    ///          + (R - 1) × (I + T)    the later rounds, each started I after the one before
    ///                                 and waiting up to T for its last answer
    ///          + P / pps              the pace, when pacing is on
    ///          + F × A × R × D        per-router pacing at one probe per D, when on: the
    ///                                 probes of one TTL through one router's turns
    ///          + 1 s                  slack for the loop
    /// ```
    ///
    /// The defaults (one target, one port, TTLs 1 to 30, T = 2 s, no retry, W = 256) give
    /// 1 × 2 s + 30 × 2 s + 1 s = 63 s; 10,000 targets on one port give
    /// 1172 × 2 s + 60 s + 1 s = 2405 s. A run normally ends long before it, when every
    /// trace has reached a stop condition: a dead target, for one, stops at the gap limit
    /// after one probe timeout.
    ///
    /// With multipath discovery, `A` is 255 for the probe count (the most one hop gets) and 16
    /// for the chain (the most planning steps of one hop, each waiting for the answers of the
    /// one before).
    pub fn plan_deadline(&self) -> Duration {
        let ttls = u32::from(self.max_ttl - self.min_ttl) + 1;
        let n = self.retry.unsigned_abs().min(MAX_ATTEMPTS - 1);
        let (attempts, chain) = if self.mda.is_some() {
            (
                crate::mda::MAX_PROBES_PER_HOP,
                crate::mda::MAX_STEPS_PER_HOP,
            )
        } else if self.retry < 0 {
            (MAX_ATTEMPTS, MAX_ATTEMPTS)
        } else {
            (1 + n, 1 + n)
        };
        let probes = self.targets.len() as u64
            * self.ports.len() as u64
            * u64::from(ttls)
            * u64::from(attempts)
            * u64::from(self.rounds);
        let rounds = probes.div_ceil(u64::from(self.max_in_flight));
        let window = self
            .timeout
            .saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX));
        let path = self.timeout.saturating_mul(ttls * chain);
        let pacing = self.pps.map_or(Duration::ZERO, |pps| {
            let nanos = u128::from(probes) * 1_000_000_000 / u128::from(pps);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        });
        let rounds = (self.interval.saturating_add(self.timeout)).saturating_mul(self.rounds - 1);
        let per_router = self.router_pacing.map_or(Duration::ZERO, |(every, _)| {
            let one_ttl = probes / u64::from(ttls);
            every.saturating_mul(u32::try_from(one_ttl).unwrap_or(u32::MAX))
        });
        window
            .saturating_add(path)
            .saturating_add(rounds)
            .saturating_add(pacing)
            .saturating_add(per_router)
            .saturating_add(DEADLINE_SLACK)
    }

    /// The parameters as recorded in a [`TraceReport`](crate::TraceReport).
    pub fn params(&self) -> TraceParams {
        TraceParams {
            min_ttl: self.min_ttl,
            max_ttl: self.max_ttl,
            timeout_s: self.timeout.as_secs_f64(),
            retry: self.retry,
            pps: self.pps,
            max_in_flight: self.max_in_flight,
            all_ttls: self.all_ttls,
            gap_limit: self.gap_limit,
            deadline_s: Some(self.deadline().as_secs_f64()),
            deadline_given: self.has_explicit_deadline(),
            rounds: self.rounds,
            interval_s: (self.rounds > 1).then_some(self.interval.as_secs_f64()),
            mda_confidence: self.mda,
            source_pool: self.source_pool.clone(),
            depth_first: self.depth_first,
            key: self.key,
            rdns_server: None,
            router_interval_s: self.router_pacing.map(|(d, _)| d.as_secs_f64()),
            router_burst: self.router_pacing.map(|(_, b)| b),
        }
    }
}

/// The parameters of a run of one target on port 80 with the builder's defaults.
impl Default for TraceParams {
    fn default() -> Self {
        let mut c = TraceConfigBuilder::default().cfg;
        c.targets.push(String::new());
        c.ports.push(80);
        c.params()
    }
}

/// Builds a [`TraceConfig`]. Setters never fail; [`TraceConfigBuilder::build`] reports the
/// first problem.
#[derive(Clone, Debug)]
#[must_use]
pub struct TraceConfigBuilder {
    cfg: TraceConfig,
    error: Option<ConfigError>,
}

impl Default for TraceConfigBuilder {
    fn default() -> Self {
        Self {
            cfg: TraceConfig {
                targets: Vec::new(),
                ports: Vec::new(),
                min_ttl: 1,
                max_ttl: 30,
                timeout: Duration::from_secs(2),
                retry: 0,
                pps: None,
                max_in_flight: 256,
                all_ttls: false,
                gap_limit: Some(5),
                deadline: None,
                rounds: 1,
                interval: Duration::from_secs(1),
                mda: None,
                key: None,
                source_pool: Vec::new(),
                depth_first: false,
                router_pacing: None,
            },
            error: None,
        }
    }
}

impl TraceConfigBuilder {
    fn fail(mut self, e: ConfigError) -> Self {
        self.error.get_or_insert(e);
        self
    }

    /// Adds a target: a host name or an IPv4 or IPv6 address.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.cfg.targets.push(target.into());
        self
    }

    /// Adds several targets.
    pub fn targets<I, S>(mut self, targets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cfg.targets.extend(targets.into_iter().map(Into::into));
        self
    }

    /// Adds a destination port (the default, when none is added, is 80).
    pub fn port(mut self, port: u16) -> Self {
        if port == 0 {
            return self.fail(ConfigError::ZeroPort);
        }
        self.cfg.ports.push(port);
        self
    }

    /// Adds several destination ports.
    pub fn ports(self, ports: impl IntoIterator<Item = u16>) -> Self {
        ports.into_iter().fold(self, Self::port)
    }

    /// Adds ports from a list like `80,443,8000-8003`.
    pub fn port_list(self, list: &str) -> Self {
        match parse_port_list(list) {
            Ok(ports) => self.ports(ports),
            Err(e) => self.fail(e),
        }
    }

    /// The first TTL to probe (default 1).
    pub fn min_ttl(mut self, ttl: u8) -> Self {
        self.cfg.min_ttl = ttl;
        self
    }

    /// The last TTL to probe (default 30).
    pub fn max_ttl(mut self, ttl: u8) -> Self {
        self.cfg.max_ttl = ttl;
        self
    }

    /// How long to wait for each probe's answer (default 2 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.cfg.timeout = timeout;
        self
    }

    /// The timeout in seconds, as the CLI takes it.
    pub fn timeout_secs(self, secs: f64) -> Self {
        match Duration::try_from_secs_f64(secs) {
            Ok(d) if secs > 0.0 => self.timeout(d),
            _ => self.fail(ConfigError::BadTimeout),
        }
    }

    /// scapy's `retry` (default 0): `n > 0` resends each unanswered probe up to `n` times;
    /// `-n` keeps resending while answers keep coming, and gives up on a probe after `n`
    /// resends in a row during which the run got no new answer. At most 63 either way.
    pub fn retry(mut self, retry: i32) -> Self {
        self.cfg.retry = retry;
        self
    }

    /// Paces sending to at most `pps` packets per second (default: no pacing).
    pub fn pps(mut self, pps: u32) -> Self {
        self.cfg.pps = Some(pps);
        self
    }

    /// Turns pacing off (the default).
    pub fn no_pacing(mut self) -> Self {
        self.cfg.pps = None;
        self
    }

    /// The most probes in flight at once (default 256).
    pub fn max_in_flight(mut self, n: u32) -> Self {
        self.cfg.max_in_flight = n;
        self
    }

    /// Probe every TTL up to the maximum, as scapy does, instead of stopping at the first TTL
    /// where the destination answered (default false).
    pub fn all_ttls(mut self, all: bool) -> Self {
        self.cfg.all_ttls = all;
        self
    }

    /// Stop a trace after this many silent TTLs in a row; `None` for no limit (default 5).
    /// A trace never probes further than this many TTLs beyond its highest answered TTL.
    pub fn gap_limit(mut self, limit: Option<u8>) -> Self {
        self.cfg.gap_limit = limit;
        self
    }

    /// The overall deadline of a blocking run (default: derived from the plan, see
    /// [`TraceConfig::plan_deadline`]).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.cfg.deadline = Some(deadline);
        self
    }

    /// Sends `n` probes to each hop, one per round, as mtr's `-c` does (default 1). The first
    /// round finds the path as a single probe would (where it stops: the destination, an
    /// unreachable, the gap limit); each later round probes every TTL of that path once,
    /// [`interval`](Self::interval) after the start of the one before. A probe unanswered
    /// within the timeout is a loss: rounds cannot be combined with retries, which would
    /// hide the loss they measure. At most 256.
    pub fn rounds(mut self, n: u32) -> Self {
        self.cfg.rounds = n;
        self
    }

    /// The time between the starts of consecutive rounds of a trace (default 1 s, mtr's
    /// `-i`). A round whose replies take longer delays the next one until they are in
    /// or timed out.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.cfg.interval = interval;
        self
    }

    /// Turns on multipath discovery at `confidence` percent (scamper's and Paris traceroute's
    /// default is 95): per hop, probes vary their flow (TCP source port, and an IPv6
    /// probe's flow label with it) to
    /// find every load-balanced interface and the links between consecutive hops, with the MDA's stopping rule at that confidence and MDA-Lite's shortcuts. Each
    /// hop gets at most 255 probes. Retries are not used (lost probes are made up with other
    /// flows), and multipath discovery cannot be combined with rounds. 50 to 99.
    pub fn mda(mut self, confidence: u8) -> Self {
        self.cfg.mda = Some(confidence);
        self
    }

    /// Fixes the key of the run's probe identities (sequence numbers, IP IDs and source
    /// ports); by default each run draws a random one. Runs with the same key send the same
    /// flows, so under ECMP they take the same paths again (for tests, and for re-tracing one
    /// load-balanced path), but whoever knows the key can forge replies that match.
    pub fn key(mut self, key: u64) -> Self {
        self.cfg.key = Some(key);
        self
    }

    /// Traces take turns, target by target, to send from these addresses instead of the one
    /// the kernel picks (default: none, the kernel's): IPv4 traces from the IPv4 addresses
    /// in turn, IPv6 traces from the IPv6 ones; the traces of a family the pool has no
    /// address of send from the kernel's choice, and the report records the pool
    /// ([`TraceParams::source_pool`]). Linux routers limit the ICMP errors
    /// they send to each host (`icmp_ratelimit`, one a second after a burst of 6), so a router
    /// that every trace crosses answers about one probe a second towards one source address;
    /// spread over `n` addresses that the host owns and routes back (an `AnyIP` route such as
    /// `ip route add local 192.0.2.0/24 dev lo` takes in a whole prefix), it answers up to
    /// `n` a second, up to its overall limit (`icmp_msgs_per_sec`, 1000 by default; IPv6
    /// routers limit per host alike, `net.ipv6.icmp.ratelimit`). For IPv6 the host must
    /// have each address on an interface (Linux binds IPv6 sockets only to those). A run
    /// checks that the host owns each address before it sends anything
    /// ([`Error::NotLocal`](crate::Error::NotLocal)).
    pub fn source_pool<I: IntoIterator<Item = IpAddr>>(mut self, addrs: I) -> Self {
        self.cfg.source_pool = addrs.into_iter().collect();
        self
    }

    /// Each trace sends its TTLs up to its frontier (the gap limit beyond its highest answer)
    /// back to back before the next trace's turn, instead of every trace taking turns one TTL
    /// at a time (default false). Taking turns sends the first TTL of every trace before any
    /// second one, so the router next to the source gets all of the first `traces` probes;
    /// back to back, consecutive probes expire at different hops and that router gets one
    /// probe in the frontier's length. With [`pps`](Self::pps), that paces each router near
    /// the source at about `pps / (gap limit)` a second, below the overall ICMP limit of a
    /// Linux router (1000 a second) when `pps` is below 5000 with the default gap limit.
    pub fn depth_first(mut self, on: bool) -> Self {
        self.cfg.depth_first = on;
        self
    }

    /// Paces the probes per expected router (default: off): after a burst of `burst` (at
    /// least 1), at most one probe per `interval` from each source address expires at each
    /// TTL. A Linux router sends each host at most one ICMP error a second after a burst of
    /// 6 (`icmp_ratelimit`; for IPv6 `net.ipv6.icmp.ratelimit`, shorter towards hosts it
    /// reaches by a wider route), and under shortest-path routing a router is at one TTL on
    /// every path through it; so with `interval` at or above the router's limit and `burst`
    /// below its burst, a single source address gets every hop behind such routers, at the
    /// cost of time (with `F` traces, about `(F - burst) × interval`). Routers that share a
    /// TTL share its turns. Combines with [`pps`](Self::pps), a source pool (each address
    /// has turns of its own) and rounds; not with multipath discovery.
    pub fn router_pacing(mut self, interval: Duration, burst: u32) -> Self {
        self.cfg.router_pacing = Some((interval, burst.max(1)));
        self
    }

    /// Checks the settings and builds the configuration.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`]: no target, a bad port or port list, TTL 0 or min above max,
    /// a bad timeout, zero pace, window or gap limit, retry outside -63..=63, rounds outside
    /// 1..=256 or combined with retries, an MDA confidence outside 50..=99 or multipath
    /// discovery combined with rounds, a zero per-router interval or per-router pacing combined
    /// with multipath discovery, or a plan above 2^20 (flows × TTLs) probes.
    pub fn build(self) -> Result<TraceConfig, ConfigError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut c = self.cfg;
        if c.targets.is_empty() {
            return Err(ConfigError::NoTargets);
        }
        // An address no trace can reach is not refused here: it fails alone, in the report.
        for target in &mut c.targets {
            // An IPv4-mapped IPv6 address is traced as the IPv4 address it maps.
            if let Some(IpAddr::V4(v4)) = parse_literal(target).map(|a| a.to_canonical())
                && target.contains(':')
            {
                *target = v4.to_string();
            }
        }
        if c.ports.is_empty() {
            c.ports.push(80);
        }
        if c.min_ttl == 0 || c.max_ttl == 0 {
            return Err(ConfigError::ZeroTtl);
        }
        if c.min_ttl > c.max_ttl {
            return Err(ConfigError::TtlRange {
                min: c.min_ttl,
                max: c.max_ttl,
            });
        }
        if c.timeout.is_zero() {
            return Err(ConfigError::BadTimeout);
        }
        if c.pps == Some(0) {
            return Err(ConfigError::ZeroPps);
        }
        if let Some((interval, _)) = c.router_pacing {
            if interval.is_zero() {
                return Err(ConfigError::ZeroRouterInterval);
            }
            if c.mda.is_some() {
                return Err(ConfigError::RouterPacingWithMda);
            }
        }
        if c.max_in_flight == 0 {
            return Err(ConfigError::ZeroInFlight);
        }
        if c.gap_limit == Some(0) {
            return Err(ConfigError::ZeroGapLimit);
        }
        if c.retry.unsigned_abs() >= MAX_ATTEMPTS {
            return Err(ConfigError::RetryRange(c.retry));
        }
        if c.rounds == 0 || c.rounds > MAX_ROUNDS {
            return Err(ConfigError::RoundsRange(c.rounds));
        }
        if c.rounds > 1 && c.retry != 0 {
            return Err(ConfigError::RoundsWithRetry);
        }
        if let Some(conf) = c.mda {
            if !(50..=99).contains(&conf) {
                return Err(ConfigError::ConfidenceRange(conf));
            }
            if c.rounds > 1 {
                return Err(ConfigError::MdaWithRounds);
            }
        }
        let slots =
            c.targets.len() as u64 * c.ports.len() as u64 * u64::from(c.max_ttl - c.min_ttl + 1);
        if slots > MAX_SLOTS {
            return Err(ConfigError::TooManyProbes(slots));
        }
        Ok(c)
    }
}

/// Parses an address literal, IPv6 literals with or without brackets.
pub(crate) fn parse_literal(target: &str) -> Option<IpAddr> {
    target.parse().ok().or_else(|| {
        target
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse::<Ipv6Addr>().ok())
            .map(IpAddr::V6)
    })
}

/// Maps an IPv4-mapped IPv6 address to IPv4, and refuses addresses no trace can reach.
///
/// # Errors
///
/// [`TargetError::Unusable`] for unspecified, multicast and limited broadcast addresses.
pub(crate) fn check_target(addr: IpAddr) -> Result<IpAddr, TargetError> {
    let addr = addr.to_canonical();
    let kind = if addr.is_unspecified() {
        "unspecified"
    } else if addr.is_multicast() {
        "multicast"
    } else if matches!(addr, IpAddr::V4(a) if a.is_broadcast()) {
        "broadcast"
    } else {
        return Ok(addr);
    };
    Err(TargetError::Unusable {
        addr,
        kind: kind.to_owned(),
    })
}

/// Parses `80,443,8000-8003` into ports.
///
/// # Errors
///
/// [`ConfigError::BadPortList`] for anything else, including port 0 and reversed ranges.
pub fn parse_port_list(list: &str) -> Result<Vec<u16>, ConfigError> {
    let bad = || ConfigError::BadPortList(list.to_owned());
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let a: u16 = a.parse().map_err(|_| bad())?;
        let b: u16 = b.parse().map_err(|_| bad())?;
        if a == 0 || a > b || out.len() + usize::from(b - a) >= 65_536 {
            return Err(bad());
        }
        out.extend(a..=b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = TraceConfig::builder().target("192.0.2.1").build().unwrap();
        assert_eq!(c.ports(), [80]);
        assert_eq!((c.min_ttl(), c.max_ttl()), (1, 30));
        assert_eq!(c.timeout(), Duration::from_secs(2));
        assert_eq!(c.gap_limit(), Some(5));
        // 30 probes through a window of 256 (2 s), a chain of 30 TTLs (2 s each), a second.
        assert_eq!(c.deadline(), Duration::from_secs(63));
        assert!(!c.has_explicit_deadline());
        let c = TraceConfig::builder()
            .target("x")
            .deadline(Duration::from_secs(3))
            .build()
            .unwrap();
        assert_eq!(c.deadline(), Duration::from_secs(3));
    }

    #[test]
    fn params_record_what_the_run_used() {
        let c = TraceConfig::builder()
            .targets(["192.0.2.1", "192.0.2.2"])
            .timeout(Duration::from_millis(250))
            .retry(-2)
            .build()
            .unwrap();
        let p = c.params();
        assert_eq!((p.timeout_s, p.retry), (0.25, -2));
        assert_eq!(p.deadline_s, Some(c.plan_deadline().as_secs_f64()));
        assert!(!p.deadline_given);
        let c = TraceConfig::builder()
            .target("192.0.2.1")
            .deadline(Duration::from_millis(1500))
            .build()
            .unwrap();
        assert_eq!(
            (c.params().deadline_s, c.params().deadline_given),
            (Some(1.5), true)
        );
        // The default parameters are those of one target with the builder's defaults.
        let one = TraceConfig::builder().target("192.0.2.1").build().unwrap();
        assert_eq!(TraceParams::default(), one.params());
        assert_eq!(TraceParams::default().deadline_s, Some(63.0));
        // A report written before the deadline was recorded still reads, without one.
        let old: TraceParams = serde_json::from_str(
            r#"{"min_ttl":1,"max_ttl":30,"timeout_s":2.0,"retry":0,"max_in_flight":256,"all_ttls":false}"#,
        )
        .unwrap();
        assert_eq!((old.deadline_s, old.deadline_given), (None, false));
        assert!(old.source_pool.is_empty() && !old.depth_first && old.key.is_none());
    }

    #[test]
    fn params_record_the_options_that_change_what_is_measured() {
        let pool: Vec<IpAddr> = vec!["192.0.2.7".parse().unwrap(), "2001:db8::7".parse().unwrap()];
        let c = TraceConfig::builder()
            .target("192.0.2.1")
            .source_pool(pool.iter().copied())
            .depth_first(true)
            .key(0xfeed)
            .pps(500)
            .build()
            .unwrap();
        let p = c.params();
        assert_eq!(p.source_pool, pool);
        assert!(p.depth_first);
        assert_eq!((p.key, p.pps), (Some(0xfeed), Some(500)));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json["source_pool"],
            serde_json::json!(["192.0.2.7", "2001:db8::7"])
        );
        assert_eq!(json["depth_first"], true);
        assert_eq!(json["key"], 0xfeed);
        let back: TraceParams = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        // Left at their defaults, they are absent from the JSON.
        let json = serde_json::to_value(TraceParams::default()).unwrap();
        for field in ["source_pool", "depth_first", "key", "rdns_server"] {
            assert!(json.get(field).is_none(), "{field}: {json}");
        }
    }

    #[test]
    fn the_default_deadline_grows_with_the_plan() {
        let targets = |n: u32| (0..n).map(|i| format!("198.19.{}.{}", i / 250, i % 250 + 1));
        let c = TraceConfig::builder()
            .targets(targets(10_000))
            .build()
            .unwrap();
        // 300,000 probes through 256 slots: 1172 rounds of 2 s, 30 TTLs of 2 s, a second.
        assert_eq!(c.deadline(), Duration::from_secs(1172 * 2 + 60 + 1));
        let c = TraceConfig::builder()
            .targets(targets(3_000))
            .max_ttl(12)
            .timeout(Duration::from_millis(300))
            .max_in_flight(2048)
            .retry(1)
            .pps(100_000)
            .build()
            .unwrap();
        // P = 3000 × 12 × 2 = 72,000: 36 rounds, 12 TTLs × 2 attempts, 0.72 s of pacing.
        let ms = 36 * 300 + 12 * 2 * 300 + 720 + 1000;
        assert_eq!(c.deadline(), Duration::from_millis(ms));
        // A negative retry may take all 64 attempts: 30 × 64 probes in 8 rounds.
        let c = TraceConfig::builder()
            .target("x")
            .retry(-2)
            .build()
            .unwrap();
        assert_eq!(c.deadline(), Duration::from_secs(8 * 2 + 30 * 64 * 2 + 1));
        // Given, it is kept.
        let c = TraceConfig::builder()
            .targets(targets(10_000))
            .deadline(Duration::from_millis(5))
            .build()
            .unwrap();
        assert_eq!(c.deadline(), Duration::from_millis(5));
        assert!(c.has_explicit_deadline());
    }

    #[test]
    fn errors() {
        let b = || TraceConfig::builder().target("x");
        assert_eq!(
            TraceConfig::builder().build().unwrap_err(),
            ConfigError::NoTargets
        );
        assert_eq!(
            b().min_ttl(5).max_ttl(4).build().unwrap_err(),
            ConfigError::TtlRange { min: 5, max: 4 }
        );
        assert_eq!(b().min_ttl(0).build().unwrap_err(), ConfigError::ZeroTtl);
        assert_eq!(
            b().port(0).port(80).build().unwrap_err(),
            ConfigError::ZeroPort
        );
        assert_eq!(
            b().timeout_secs(-1.0).build().unwrap_err(),
            ConfigError::BadTimeout
        );
        assert_eq!(
            b().timeout_secs(f64::NAN).build().unwrap_err(),
            ConfigError::BadTimeout
        );
        assert_eq!(b().pps(0).build().unwrap_err(), ConfigError::ZeroPps);
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            b().source_pool([v4, v6]).build().unwrap().source_pool(),
            [v4, v6]
        );
        assert_eq!(
            b().retry(64).build().unwrap_err(),
            ConfigError::RetryRange(64)
        );
        assert_eq!(
            b().gap_limit(Some(0)).build().unwrap_err(),
            ConfigError::ZeroGapLimit
        );
        assert!(matches!(
            b().port_list("80,x").build().unwrap_err(),
            ConfigError::BadPortList(_)
        ));
    }

    #[test]
    fn odd_targets() {
        let c = TraceConfig::builder()
            .targets(["::ffff:192.0.2.7", "[::ffff:198.51.100.1]", "2001:db8::1"])
            .build()
            .unwrap();
        assert_eq!(c.targets(), ["192.0.2.7", "198.51.100.1", "2001:db8::1"]);
        for (target, addr, kind) in [
            ("0.0.0.0", "0.0.0.0", "an unspecified"),
            ("::", "::", "an unspecified"),
            ("[::]", "::", "an unspecified"),
            ("::ffff:0.0.0.0", "0.0.0.0", "an unspecified"),
            ("224.0.0.1", "224.0.0.1", "a multicast"),
            ("239.255.255.250", "239.255.255.250", "a multicast"),
            ("ff02::1", "ff02::1", "a multicast"),
            ("::ffff:224.0.0.5", "224.0.0.5", "a multicast"),
            ("255.255.255.255", "255.255.255.255", "the broadcast"),
        ] {
            // Built, so that it fails alone in the report.
            TraceConfig::builder()
                .targets(["192.0.2.1", target])
                .build()
                .unwrap();
            let e = check_target(parse_literal(target).unwrap()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{addr} is {kind} address, which no trace can reach")
            );
        }
        // Near misses are fine.
        for target in ["223.255.255.255", "240.0.0.1", "255.255.255.254", "fe80::1"] {
            let a = parse_literal(target).unwrap();
            assert_eq!(check_target(a), Ok(a));
        }
    }

    #[test]
    fn port_lists() {
        assert_eq!(parse_port_list("80,443").unwrap(), [80, 443]);
        assert_eq!(parse_port_list("1-3, 9").unwrap(), [1, 2, 3, 9]);
        assert!(parse_port_list("0").is_err());
        assert!(parse_port_list("5-3").is_err());
        assert!(parse_port_list("").is_err());
        assert!(parse_port_list("65536").is_err());
    }
}
