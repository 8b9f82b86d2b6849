//! The result model of a run: [`TraceReport`] → [`Trace`] → [`Hop`] → [`Reply`].
//!
//! This is the project's one model of traces. Every producer fills it (the tracer, and
//! importers of other tools' output through the constructors) and every consumer reads it
//! (the table and summary, `opskit trace --json`, routeviz's maps, AS annotation); routeviz has
//! no trace types of its own. Everything here is plain data with public fields and serde
//! support both ways, so `opskit routemap` reads `opskit trace --json` back into these types.
//! Optional fields are skipped in JSON when they are empty or absent and read as absent when
//! missing.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

mod multipath;
mod stats;
mod unreachable;

use crate::Geo;
use crate::rewrite::{Middlebox, Rewrite};
pub use multipath::{Diamond, Link};
pub use stats::{EngineStats, HopStats};
pub use unreachable::Unreachable;

/// The result of one run: its parameters, when it started, one [`Trace`] per (target, port)
/// and the targets that could not be traced at all, each list in the order the targets and
/// ports were given. Every (target, port) of the run is in exactly one of the two lists.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceReport {
    /// The parameters the run used.
    pub params: TraceParams,
    /// When the run started, as RFC 3339 UTC (`2026-01-02T03:04:05.678Z`).
    pub started_at: String,
    /// One trace per (target, port) of every target that has an address.
    pub traces: Vec<Trace>,
    /// The targets without a trace: their name did not resolve, or their address is one no
    /// trace can reach. Absent from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_targets: Vec<FailedTarget>,
    /// The engine's counters of the run (probes sent, replies dropped as unmatched, late or
    /// rewritten...), or absent in reports the tracer did not write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_stats: Option<EngineStats>,
}

impl TraceReport {
    /// A report of `traces` run with `params`, started at `started_at` (RFC 3339 UTC), with no
    /// failed target: what an importer of another tool's output builds
    /// ([`TraceConfig::params`](crate::TraceConfig::params) gives the parameters of a
    /// configuration).
    pub fn new(params: TraceParams, started_at: impl Into<String>, traces: Vec<Trace>) -> Self {
        Self {
            params,
            started_at: started_at.into(),
            traces,
            failed_targets: Vec::new(),
            engine_stats: None,
        }
    }

    /// Serializes the report as pretty JSON, with the field names of the documented schema.
    ///
    /// # Errors
    ///
    /// Never fails in practice (the model has only JSON-representable data); the `Result` is
    /// serde's.
    pub fn to_json_pretty(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// Parses a report from JSON written by [`TraceReport::to_json_pretty`] or `opskit trace --json`.
    ///
    /// # Errors
    ///
    /// Returns serde's error when the text is not a report.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// How every (target, port) of the run ended: `planned == complete + cut + failed` always
    /// holds. Each port of a failed target counts as planned and failed.
    pub fn tally(&self) -> Tally {
        let untraced = self.failed_targets.iter().map(|t| t.ports.len()).sum();
        let mut t = Tally {
            planned: self.traces.len() + untraced,
            failed: untraced,
            ..Tally::default()
        };
        for trace in &self.traces {
            match trace.stop_reason {
                StopReason::Deadline => t.cut += 1,
                StopReason::Failed { .. } => t.failed += 1,
                _ => t.complete += 1,
            }
        }
        t
    }

    /// The traces cut short by the deadline, in report order.
    pub fn cut_traces(&self) -> impl Iterator<Item = &Trace> {
        self.traces
            .iter()
            .filter(|t| t.stop_reason == StopReason::Deadline)
    }
}

/// The parameters of a run, recorded in its report. [`Default`] gives the defaults of
/// [`TraceConfig`](crate::TraceConfig); change its public fields to describe another run.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceParams {
    /// The first TTL (hop limit) probed.
    pub min_ttl: u8,
    /// The last TTL probed.
    pub max_ttl: u8,
    /// How long to wait for the answer to one probe, in seconds.
    pub timeout_s: f64,
    /// scapy's `retry`: a positive value resends unanswered probes that many times; a negative
    /// value `-n` keeps resending until `n` rounds in a row bring no new answer.
    pub retry: i32,
    /// The sending pace in packets per second, or absent when pacing is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pps: Option<u32>,
    /// The most probes in flight at once.
    pub max_in_flight: u32,
    /// Whether every TTL up to `max_ttl` was probed (scapy's behaviour) instead of stopping at
    /// the first TTL where the destination answered.
    pub all_ttls: bool,
    /// Stop a trace after this many silent TTLs in a row, or absent for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_limit: Option<u8>,
    /// The deadline of the whole run, in seconds: the one given, or the default derived from
    /// the plan ([`TraceConfig::plan_deadline`](crate::TraceConfig::plan_deadline)). Traces
    /// still unfinished then end with [`StopReason::Deadline`]. Absent in reports written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_s: Option<f64>,
    /// Whether the deadline was given rather than derived from the plan.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deadline_given: bool,
    /// How many probes each hop got, one per round (mtr's `-c`); 1 when absent.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub rounds: u32,
    /// The time between the starts of consecutive rounds of a trace, in seconds; absent
    /// with one round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<f64>,
    /// The confidence of multipath discovery in percent (`--mda --confidence`), or absent
    /// when it was off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mda_confidence: Option<u8>,
    /// The addresses the traces took turns to send from (`--source-pool`), in order: the
    /// traces of each family take the pool's addresses of that family in turn, target by
    /// target, in the order of `traces`; a family without any in the pool sent from the
    /// kernel's choice. Absent when every trace sent from the kernel's choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addrs"))]
    pub source_pool: Vec<IpAddr>,
    /// Whether each trace sent its TTLs back to back before the next trace's turn
    /// (`--depth-first`) instead of every trace taking turns one TTL at a time.
    #[serde(default, skip_serializing_if = "is_false")]
    pub depth_first: bool,
    /// The key of the probe identities when it was fixed rather than drawn at random (runs
    /// with the same key send the same flows, so ECMP takes them on the same paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u64>,
    /// The nameserver the reverse DNS names came from (`--rdns`), as `address:port`, or
    /// absent when no names were looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdns_server: Option<String>,
    /// Per-router pacing (`--router-interval`): at most one probe per this many seconds from
    /// each source address expired at each TTL, after a burst of `router_burst`; absent
    /// when it was off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_interval_s: Option<f64>,
    /// The burst of per-router pacing; absent when it was off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_burst: Option<u32>,
}

/// The route to one (target, port).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The target as it was given (a name or an address).
    pub target: String,
    /// The address the target resolved to.
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub addr: IpAddr,
    /// The TCP destination port (of an imported trace: the UDP or TCP destination port its
    /// tool recorded, or 0 when it records none, as for Atlas results and ICMP traces).
    pub port: u16,
    /// Whether the destination itself answered (SYN-ACK, RST or an unreachable from it).
    pub reached: bool,
    /// Why probing this trace stopped.
    pub stop_reason: StopReason,
    /// The probed TTLs, in increasing order, up to where the trace stopped. A hop with no
    /// replies is a silent one (`-` in the table, `???` in the summary).
    pub hops: Vec<Hop>,
    /// The middleboxes that rewrote the probes on the way, where their changes first show
    /// ([`Trace::locate_middleboxes`] of the replies' [`rewrites`](Reply::rewrites)). Absent
    /// from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middleboxes: Vec<Middlebox>,
    /// With multipath discovery (`--mda`): every link found between the interfaces of
    /// consecutive TTLs, in TTL then address order. Absent from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// With multipath discovery: where load-balanced paths diverge and converge
    /// ([`Trace::find_diamonds`]). Absent from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diamonds: Vec<Diamond>,
    /// Where the trace was measured from and how, when it was imported from another tool
    /// (a RIPE Atlas probe, scamper, mtr). Absent for opskit's own traces, which are all
    /// TCP SYN traces from the host that ran them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<TraceSource>,
}

impl Trace {
    /// A trace of `target` (as given) at `addr`, `port`, that ended by `stop_reason`, with no
    /// hops yet and not reached. Producers (the tracer, importers of other tools' output) fill
    /// `hops` and `reached` as they learn them.
    pub fn new(
        target: impl Into<String>,
        addr: IpAddr,
        port: u16,
        stop_reason: StopReason,
    ) -> Self {
        Self {
            target: target.into(),
            addr,
            port,
            reached: false,
            stop_reason,
            hops: Vec::new(),
            middleboxes: Vec::new(),
            links: Vec::new(),
            diamonds: Vec::new(),
            source: None,
        }
    }

    /// Sets where and how the trace was measured (see [`Trace::source`]).
    #[must_use]
    pub fn with_source(mut self, source: TraceSource) -> Self {
        self.source = Some(source);
        self
    }

    /// The vantage point the trace was measured from, when known: the `vantage` of its
    /// [`source`](Self::source).
    pub fn vantage(&self) -> Option<&str> {
        self.source.as_ref().and_then(|s| s.vantage.as_deref())
    }

    /// The hop at `ttl`, if any reply came back at that TTL.
    pub fn hop(&self, ttl: u8) -> Option<&Hop> {
        self.hops.iter().find(|h| h.ttl == ttl)
    }

    /// The first (lowest) TTL at which the destination answered.
    pub fn destination_ttl(&self) -> Option<u8> {
        self.hops
            .iter()
            .find(|h| {
                h.replies
                    .iter()
                    .any(|r| r.from == self.addr && r.kind.is_final())
            })
            .map(|h| h.ttl)
    }
}

/// Where and how an imported trace was measured: the tool, the vantage point and the probing
/// method, as the tool recorded them. Build it with [`TraceSource::new`] and the setters.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceSource {
    /// The tool or platform that measured it: `atlas`, `scamper` or `mtr`.
    pub tool: String,
    /// The vantage point, as the tool names it: `probe 6021` for an Atlas probe, the source
    /// address for scamper, the host name for mtr. Traces of one vantage point share a colour
    /// group and a legend section in a merged map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vantage: Option<String>,
    /// The RIPE Atlas probe id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_id: Option<u64>,
    /// The RIPE Atlas measurement id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_id: Option<u64>,
    /// The address the probes were sent from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub src_addr: Option<IpAddr>,
    /// The vantage point's public address, when it is not `src_addr` (Atlas `from`: a probe
    /// behind NAT sends from a private address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub public_addr: Option<IpAddr>,
    /// The probe protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The Paris traceroute flow identifier (Atlas `paris_id`; 0 is classic traceroute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paris_id: Option<u32>,
    /// When the trace started, as RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Replies the tool saw but matched to no probe in time and recorded without an RTT
    /// (Atlas `late` packets): counted here, not drawn, as RIPE's own parser does.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub late_replies: u32,
    /// Probes the tool failed to send or whose result it recorded only as an error, with
    /// the tool's text (Atlas per-packet `error`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probe_errors: Vec<String>,
}

impl TraceSource {
    /// The source of a trace measured by `tool`, with nothing else known yet.
    pub fn new(tool: impl Into<String>) -> Self {
        Self {
            tool: tool.into(),
            ..Self::default()
        }
    }

    /// Sets the vantage point.
    #[must_use]
    pub fn vantage(mut self, vantage: impl Into<String>) -> Self {
        self.vantage = Some(vantage.into());
        self
    }

    /// Sets the probe protocol.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Sets the Paris traceroute flow identifier.
    #[must_use]
    pub fn paris_id(mut self, id: u32) -> Self {
        self.paris_id = Some(id);
        self
    }

    /// Sets the source address of the probes.
    #[must_use]
    pub fn src_addr(mut self, addr: IpAddr) -> Self {
        self.src_addr = Some(addr);
        self
    }
}

/// The protocol of a trace's probes. In JSON: `"tcp"`, `"udp"` or `"icmp"`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Protocol {
    /// TCP SYN probes (opskit's own, Atlas `TCP`, scamper `tcp`).
    Tcp,
    /// UDP probes (classic and Paris traceroute).
    Udp,
    /// ICMP echo requests.
    Icmp,
}

/// `tcp`, `udp` or `icmp`.
impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
        })
    }
}

/// Why a trace ended. Every trace of a report has one: a stop condition
/// ([`StopReason::is_stop_condition`]), the run's deadline, or a failure that kept its probes
/// from being sent.
/// In JSON: `"reached"`, `"unreachable"`, `"max_ttl"`, `"gap_limit"`, `"deadline"` or
/// `{"failed": {"error": "..."}}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// The destination answered with a SYN-ACK or a RST (the default stop condition).
    Reached,
    /// An ICMP destination unreachable, from the destination or from a router on the way,
    /// ended the path.
    Unreachable,
    /// Every TTL up to the maximum was probed.
    MaxTtl,
    /// The gap limit of silent TTLs in a row was hit.
    GapLimit,
    /// The run's overall deadline passed before the trace reached a stop condition: the TTLs
    /// it had not probed yet were never sent.
    Deadline,
    /// The trace could not go on: there is no route to the target (nothing was sent), or a
    /// probe could not be sent (a local firewall) and the trace sent nothing more.
    Failed {
        /// What failed, with the operating system's error.
        error: String,
    },
}

impl StopReason {
    /// True for the stop conditions of a completed trace: [`Reached`](Self::Reached),
    /// [`Unreachable`](Self::Unreachable), [`MaxTtl`](Self::MaxTtl) and
    /// [`GapLimit`](Self::GapLimit); false for [`Deadline`](Self::Deadline) and
    /// [`Failed`](Self::Failed).
    pub fn is_stop_condition(&self) -> bool {
        matches!(
            self,
            Self::Reached | Self::Unreachable | Self::MaxTtl | Self::GapLimit
        )
    }
}

/// How a trace ended, as the summary says it: `stopped at the destination`, `stopped by an
/// unreachable`, `stopped at max TTL`, `stopped at the gap limit`, `cut short by the deadline`
/// or `failed: ERROR`.
impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reached => f.write_str("stopped at the destination"),
            Self::Unreachable => f.write_str("stopped by an unreachable"),
            Self::MaxTtl => f.write_str("stopped at max TTL"),
            Self::GapLimit => f.write_str("stopped at the gap limit"),
            Self::Deadline => f.write_str("cut short by the deadline"),
            Self::Failed { error } => write!(f, "failed: {error}"),
        }
    }
}

/// A target given to the run that has no trace: each of its ports counts as failed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedTarget {
    /// The target as it was given.
    pub target: String,
    /// The ports it was to be traced on, none of which was probed.
    pub ports: Vec<u16>,
    /// Why it has no trace.
    pub reason: TargetError,
}

impl FailedTarget {
    /// The failure of `target` on `ports`.
    pub fn new(target: impl Into<String>, ports: Vec<u16>, reason: TargetError) -> Self {
        Self {
            target: target.into(),
            ports,
            reason,
        }
    }
}

/// `"TARGET": REASON`, as the warnings and the summary say it.
impl std::fmt::Display for FailedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.target, self.reason)
    }
}

/// Why a target has no address to trace. In JSON: `{"resolve": {"error": "..."}}`,
/// `"no_address"` or `{"unusable": {"addr": "224.0.0.1", "kind": "multicast"}}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TargetError {
    /// The system resolver failed for the name.
    #[error("cannot resolve it: {error}")]
    Resolve {
        /// The resolver's error.
        error: String,
    },
    /// The name resolved to no address.
    #[error("it resolved to no address")]
    NoAddress,
    /// The target's address is one no trace can reach.
    #[error("{addr} is {} address, which no trace can reach", article(kind))]
    Unusable {
        /// The address, as given or resolved.
        #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
        addr: IpAddr,
        /// What kind of address it is: `unspecified` (`0.0.0.0`, `::`), `multicast`
        /// (`224.0.0.0/4`, `ff00::/8`) or `broadcast` (`255.255.255.255`).
        kind: String,
    },
}

fn article(kind: &str) -> String {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {kind}")
    } else if kind == "broadcast" {
        "the broadcast".to_owned()
    } else {
        format!("a {kind}")
    }
}

/// How the (target, port) pairs of a report ended: every planned one is counted once, as
/// complete, cut short by the deadline, or failed. From [`TraceReport::tally`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tally {
    /// Every (target, port) of the run: the traces and the ports of the failed targets.
    pub planned: usize,
    /// Traces that ended by a stop condition ([`StopReason::is_stop_condition`]).
    pub complete: usize,
    /// Traces cut short by the deadline ([`StopReason::Deadline`]): skipped probes, with
    /// their reason.
    pub cut: usize,
    /// Pairs that failed: the target has no address ([`TraceReport::failed_targets`], with
    /// the reason), there is no route to it, or a probe could not be sent
    /// ([`StopReason::Failed`], with the error).
    pub failed: usize,
}

/// The replies that came back for the probes sent with one TTL.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Hop {
    /// The TTL (IPv6 hop limit) of the probes.
    pub ttl: u8,
    /// How many probes were sent with this TTL (0 when unknown, as in hand-built reports).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub probes: u32,
    /// Every accepted reply, in arrival order. Under ECMP or per-packet load balancing there can
    /// be several, from different addresses.
    pub replies: Vec<Reply>,
    /// mtr's statistics of the hop, as the tracer measured them (RTTs in the order the
    /// probes were sent); absent in hand-built hops, for which [`Hop::stats`] computes them
    /// from the replies.
    #[serde(default, rename = "stats", skip_serializing_if = "Option::is_none")]
    pub measured: Option<HopStats>,
}

impl Hop {
    /// A hop with its replies and an unknown probe count.
    pub fn new(ttl: u8, replies: Vec<Reply>) -> Self {
        Self {
            ttl,
            probes: 0,
            replies,
            measured: None,
        }
    }

    /// A hop of `probes` probes with its replies and the statistics measured by the tracer.
    pub fn measured(ttl: u8, probes: u32, replies: Vec<Reply>, stats: HopStats) -> Self {
        Self {
            ttl,
            probes,
            replies,
            measured: Some(stats),
        }
    }

    /// mtr's statistics of the hop: the ones measured, or else computed from the replies in
    /// arrival order (those before their timeout) and the probe count.
    pub fn stats(&self) -> HopStats {
        self.measured.unwrap_or_else(|| {
            let rtts: Vec<f64> = self
                .replies
                .iter()
                .filter(|r| !r.late)
                .map(|r| r.rtt_ms)
                .collect();
            HopStats::from_rtts(self.probes, &rtts)
        })
    }

    /// The fraction of probes that got no reply, when the probe count is known (from the
    /// measured [`stats`](Self::stats)' received count when there are any: a tool such as
    /// mtr reports one reply per address and counts the rest).
    pub fn loss(&self) -> Option<f64> {
        if self.probes == 0 {
            return None;
        }
        let received = self
            .measured
            .map_or(self.replies.len() as u32, |s| s.received);
        let answered = f64::from(received.min(self.probes));
        Some(1.0 - answered / f64::from(self.probes))
    }

    /// The distinct addresses that answered at this TTL, in order of first appearance.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for r in &self.replies {
            if !out.contains(&r.from) {
                out.push(r.from);
            }
        }
        out
    }
}

/// One reply to one probe.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reply {
    /// The address the reply came from.
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::ip_addr"))]
    pub from: IpAddr,
    /// The round-trip time, from the probe's send timestamp, in milliseconds. JSON carries it
    /// to the microsecond (3 decimals), the precision of the timestamps.
    #[serde(serialize_with = "serialize_ms")]
    #[cfg_attr(feature = "schema", schemars(schema_with = "crate::schema::rtt_ms"))]
    pub rtt_ms: f64,
    /// What kind of reply it was.
    pub kind: ReplyKind,
    /// For an ICMP unreachable, what it says, decoded from the code in `kind` for the
    /// reply's family ([`Reply::new`] fills it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Unreachable>,
    /// True when the reply came after the probe's timeout.
    #[serde(default, skip_serializing_if = "is_false")]
    pub late: bool,
    /// MPLS label stack entries quoted in an RFC 4950 ICMP extension, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mpls: Vec<MplsLabel>,
    /// The origin AS of `from`, when an AS resolver was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The name of that AS, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_name: Option<String>,
    /// The fields of the probe that arrived changed, as the ICMP error's quote (or the
    /// destination's answer) shows them: a middlebox before this hop rewrote them. Absent from
    /// JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrites: Vec<Rewrite>,
    /// For an ICMP error, how many bytes of the probe's TCP header it quoted: 8 from a router
    /// that quotes what RFC 792 asks for (ports and sequence number), the whole header from one
    /// that quotes more, as Linux does. The fields past it could not be compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_tcp: Option<u16>,
    /// The name of `from` (its PTR record), when reverse DNS was asked for and found one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where a geolocation database places `from`, when one was given and knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Box<Geo>>,
    /// With multipath discovery (`--mda`): the flow of the probe it answers, as its TCP
    /// source port (an IPv6 probe's flow label follows it). Absent otherwise: a plain trace
    /// keeps one flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<u16>,
}

impl Reply {
    /// A reply with no MPLS labels and no AS data.
    pub fn new(from: IpAddr, rtt: Duration, kind: ReplyKind) -> Self {
        Self {
            from,
            rtt_ms: rtt.as_secs_f64() * 1000.0,
            kind,
            unreachable: match kind {
                ReplyKind::Unreachable(code) => Some(Unreachable::from_code(from.is_ipv6(), code)),
                _ => None,
            },
            late: false,
            mpls: Vec::new(),
            asn: None,
            as_name: None,
            rewrites: Vec::new(),
            quoted_tcp: None,
            name: None,
            geo: None,
            flow: None,
        }
    }

    /// Sets the round-trip time in milliseconds, as tools that print RTTs (`1.234 ms`) give it.
    #[must_use]
    pub fn with_rtt_ms(mut self, rtt_ms: f64) -> Self {
        self.rtt_ms = rtt_ms;
        self
    }

    /// Sets where `from` is, as a geolocation database places it.
    #[must_use]
    pub fn with_geo(mut self, geo: Option<Geo>) -> Self {
        self.geo = geo.map(Box::new);
        self
    }

    /// Sets the origin AS of `from` and the AS's name, when known.
    #[must_use]
    pub fn with_asn(mut self, asn: u32, name: Option<&str>) -> Self {
        self.asn = Some(asn);
        self.as_name = name.map(str::to_owned);
        self
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with signature"
)]
fn serialize_ms<S: serde::Serializer>(ms: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((ms * 1000.0).round() / 1000.0)
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> u32 {
    1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The kind of a reply. In JSON: `"time_exceeded"`, `"syn_ack"`, `"rst"`, `"echo_reply"` or
/// `{"unreachable": CODE}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// ICMP time exceeded in transit (ICMPv6 type 3, ICMP type 11): a router on the way.
    TimeExceeded,
    /// A TCP SYN-ACK from the destination: the port is open.
    SynAck,
    /// A TCP RST(-ACK) from the destination: the port is closed.
    Rst,
    /// ICMP destination unreachable (ICMP type 3 or ICMPv6 type 1) with its code.
    Unreachable(u8),
    /// An ICMP echo reply from the destination, to the echo requests of ICMP traces (imported
    /// from Atlas, scamper or mtr; opskit's own traces are TCP).
    EchoReply,
}

impl ReplyKind {
    /// True for replies that end a path (everything except time exceeded).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::TimeExceeded)
    }
}

/// One MPLS label stack entry (RFC 3032) as quoted in an RFC 4950 extension.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MplsLabel {
    /// The 20-bit label.
    #[cfg_attr(feature = "schema", schemars(range(max = MplsLabel::MAX_LABEL)))]
    pub label: u32,
    /// The 3-bit traffic class (formerly EXP).
    #[cfg_attr(feature = "schema", schemars(range(max = MplsLabel::MAX_TC)))]
    pub tc: u8,
    /// The bottom-of-stack bit.
    pub bottom: bool,
    /// The label's TTL.
    pub ttl: u8,
}

impl MplsLabel {
    /// The largest label: labels have 20 bits.
    pub const MAX_LABEL: u32 = 0xF_FFFF;
    /// The largest traffic class: it has 3 bits.
    pub const MAX_TC: u8 = 7;

    /// A label stack entry, or `None` when `label` is above [`MAX_LABEL`](Self::MAX_LABEL) or
    /// `tc` above [`MAX_TC`](Self::MAX_TC): such an entry has no wire form.
    pub fn new(label: u32, tc: u8, bottom: bool, ttl: u8) -> Option<Self> {
        (label <= Self::MAX_LABEL && tc <= Self::MAX_TC).then_some(Self {
            label,
            tc,
            bottom,
            ttl,
        })
    }

    /// Decodes a 32-bit label stack entry (RFC 3032 section 2.1), which always fits.
    pub(crate) fn from_entry(v: u32) -> Self {
        Self {
            label: v >> 12,
            tc: ((v >> 9) & 0x7) as u8,
            bottom: v & 0x100 != 0,
            ttl: (v & 0xff) as u8,
        }
    }
}

/// The last millisecond RFC 3339 can write: 9999-12-31T23:59:59.999Z.
const LAST_RFC3339: Duration = Duration::from_millis(253_402_300_799_999);

/// Formats a wall-clock time as RFC 3339 UTC with milliseconds. A clock set before 1970 or
/// past 9999 (which humantime refuses, by a panic or an error) is written as the nearest
/// time it can write.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let t = t.clamp(UNIX_EPOCH, UNIX_EPOCH + LAST_RFC3339);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TraceReport {
        TraceReport {
            params: TraceParams::default(),
            failed_targets: Vec::new(),
            engine_stats: None,
            started_at: "2026-01-02T03:04:05.678Z".into(),
            traces: vec![Trace {
                target: "example".into(),
                addr: "192.0.2.1".parse().unwrap(),
                port: 80,
                reached: true,
                stop_reason: StopReason::Reached,
                hops: vec![
                    Hop {
                        ttl: 1,
                        probes: 1,
                        measured: None,
                        replies: vec![Reply {
                            from: "198.51.100.1".parse().unwrap(),
                            rtt_ms: 0.1,
                            kind: ReplyKind::TimeExceeded,
                            unreachable: None,
                            late: false,
                            mpls: vec![],
                            asn: None,
                            as_name: None,
                            rewrites: vec![],
                            quoted_tcp: None,
                            name: None,
                            geo: None,
                            flow: None,
                        }],
                    },
                    Hop {
                        ttl: 2,
                        probes: 2,
                        measured: None,
                        replies: vec![Reply {
                            from: "192.0.2.1".parse().unwrap(),
                            rtt_ms: 0.2,
                            kind: ReplyKind::Unreachable(3),
                            unreachable: Some(Unreachable::Port),
                            late: true,
                            mpls: vec![MplsLabel::new(16, 0, true, 1).unwrap()],
                            asn: Some(64500),
                            as_name: Some("EXAMPLE".into()),
                            rewrites: vec![],
                            quoted_tcp: None,
                            name: None,
                            geo: None,
                            flow: None,
                        }],
                    },
                ],
                middleboxes: vec![],
                links: vec![],
                diamonds: vec![],
                source: None,
            }],
        }
    }

    #[test]
    fn json_field_names() {
        let v: serde_json::Value = serde_json::to_value(sample()).unwrap();
        let t = &v["traces"][0];
        assert_eq!(t["target"], "example");
        assert_eq!(t["port"], 80);
        assert_eq!(t["reached"], true);
        assert_eq!(t["stop_reason"], "reached");
        let r0 = &t["hops"][0]["replies"][0];
        assert_eq!(t["hops"][0]["ttl"], 1);
        assert_eq!(r0["from"], "198.51.100.1");
        assert_eq!(r0["rtt_ms"], 0.1);
        assert_eq!(r0["kind"], "time_exceeded");
        let mut keys: Vec<_> = r0.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["from", "kind", "rtt_ms"],
            "optional fields are skipped"
        );
        let r1 = &t["hops"][1]["replies"][0];
        assert_eq!(r1["kind"], serde_json::json!({"unreachable": 3}));
        assert_eq!(r1["late"], true);
        assert_eq!(r1["asn"], 64500);
        assert_eq!(r1["mpls"][0]["label"], 16);
        assert!(v["params"].get("pps").is_none());

        // RTTs are written to the microsecond, not with float noise.
        let mut r = sample();
        r.traces[0].hops[0].replies[0].rtt_ms = 0.168_190_999_999_999_98;
        r.traces[0].hops[1].replies[0].rtt_ms = 12.345_6;
        let text = r.to_json_pretty().unwrap();
        assert!(text.contains("\"rtt_ms\": 0.168,"), "{text}");
        assert!(text.contains("\"rtt_ms\": 12.346,"), "{text}");
        assert!(!text.contains("0.16819"), "{text}");
    }

    #[test]
    fn json_round_trip() {
        let r = sample();
        let back = TraceReport::from_json(&r.to_json_pretty().unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn imported_fields_round_trip_and_summary_loss() {
        let mut r = sample();
        let src = TraceSource::new("atlas")
            .vantage("probe 6021")
            .protocol(Protocol::Udp)
            .paris_id(3)
            .src_addr("192.0.2.9".parse().unwrap());
        r.traces[0] = r.traces[0].clone().with_source(src);
        r.traces[0].hops[0].replies[0].kind = ReplyKind::EchoReply;
        r.traces[0].hops[0].probes = 10;
        r.traces[0].hops[0].measured = Some(HopStats::reported(10, 30.0, 0.1, 0.2, 0.3, 0.05));
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        let t = &v["traces"][0];
        assert_eq!(t["source"]["protocol"], "udp");
        assert_eq!(t["source"]["paris_id"], 3);
        assert_eq!(t["hops"][0]["replies"][0]["kind"], "echo_reply");
        assert!(t["source"].get("late_replies").is_none());
        let back = TraceReport::from_json(&r.to_json_pretty().unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.traces[0].vantage(), Some("probe 6021"));
        // Seven of ten answered, though one reply stands for them.
        let loss = back.traces[0].hops[0].loss().unwrap();
        assert!((loss - 0.3).abs() < 1e-9, "{loss}");
    }

    #[test]
    fn destination_ttl() {
        assert_eq!(sample().traces[0].destination_ttl(), Some(2));
        assert_eq!(sample().traces[0].hop(1).unwrap().addrs().len(), 1);
    }

    #[test]
    fn mpls_label_new_refuses_what_has_no_wire_form() {
        let max = MplsLabel::new(MplsLabel::MAX_LABEL, MplsLabel::MAX_TC, true, 255).unwrap();
        assert_eq!(
            (max.label, max.tc, max.bottom, max.ttl),
            (0xF_FFFF, 7, true, 255)
        );
        assert_eq!(MplsLabel::new(0x10_0000, 0, true, 1), None);
        assert_eq!(MplsLabel::new(16, 8, true, 1), None);
        assert_eq!(
            MplsLabel::from_entry(0x0001_0b01),
            MplsLabel::new(16, 5, true, 1).unwrap()
        );
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_123);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.123Z");
        // Clocks set wrong are written, not refused.
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339(before), "1970-01-01T00:00:00.000Z");
        let after = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        assert_eq!(rfc3339(after), "9999-12-31T23:59:59.999Z");
    }
}
