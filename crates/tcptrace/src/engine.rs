//! The sans-IO probe engine: what to send, when, and what the replies mean.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::{MAX_ATTEMPTS, TraceConfig};
use crate::error::ConfigError;
use crate::mda::{End, Planner};
use crate::model::{
    EngineStats, FailedTarget, Hop, HopStats, Link, Reply, ReplyKind, StopReason, Trace,
};
use crate::rewrite::{Rewrite, SentProbe, compare_answer, compare_quote};
use crate::wire::{
    Ipv4Repr, Ipv6Repr, ParsedReply, ReplyBody, TcpFlags, TcpRepr, parse_reply,
    parse_reply_v6_payload, proto,
};

mod matching;
mod pacing;

use pacing::RouterPacer;

/// One (target, port) to trace, with the addresses to use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Flow {
    /// The target as the user gave it (kept for the report).
    pub target: String,
    /// Our source address towards `dst`.
    pub src: IpAddr,
    /// The destination address.
    pub dst: IpAddr,
    /// The destination TCP port.
    pub port: u16,
}

impl Flow {
    /// The flow to `dst` on `port` from `src`, for `target` as the user gave it.
    pub fn new(target: impl Into<String>, src: IpAddr, dst: IpAddr, port: u16) -> Self {
        Self {
            target: target.into(),
            src,
            dst,
            port,
        }
    }
}

/// A probe to send, written by [`Engine::poll_transmit`] into the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The index of the flow (in the order given to [`Engine::new`]).
    pub flow: usize,
    /// The destination address.
    pub dst: IpAddr,
    /// The TTL or hop limit the probe carries (already written in the IP header).
    pub ttl: u8,
    /// The length of the whole IP packet in the buffer.
    pub len: usize,
    /// Where the TCP header starts in the buffer: a transport that lets the kernel write the IP
    /// header (a raw socket without header inclusion) sends `buf[l4_offset..len]`, and the
    /// kernel must then pick the source address the TCP checksum was computed for.
    pub l4_offset: usize,
}

/// Something that happened, returned by [`Engine::poll_event`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A reply was accepted.
    Reply {
        /// The flow index.
        flow: usize,
        /// The TTL of the probe it answers.
        ttl: u8,
        /// The reply.
        reply: Reply,
    },
    /// A flow finished.
    Done {
        /// The flow index.
        flow: usize,
        /// Why it stopped.
        reason: StopReason,
    },
    /// A flow finished a round: every probe of it is answered or timed out. With
    /// [`TraceConfig::rounds`] above 1 only; the first round ends where the path is known.
    RoundDone {
        /// The flow index.
        flow: usize,
        /// How many rounds the flow has finished (1 for the first).
        round: u32,
    },
    /// A target has no address to trace, so none of its flows is traced. Only
    /// [`trace_with`](crate::trace_with) reports it; an engine is given flows, never targets.
    TargetFailed {
        /// The target, its ports and why.
        target: FailedTarget,
    },
}

/// What [`Engine::handle_packet`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disposition {
    /// It answered a probe and was recorded.
    Matched,
    /// It answered a probe after the probe's timeout and was recorded as late.
    Late,
    /// It answered a probe that was already answered; dropped.
    Duplicate,
    /// It answered a probe beyond where its trace stopped (past the destination or the gap);
    /// dropped.
    Ignored,
    /// It is well formed but answers none of our probes (another program's traffic, a spoof,
    /// a stale run); dropped.
    Unmatched,
    /// It could not be parsed, or is of a kind that never answers a probe; dropped.
    Malformed,
}

/// Counters of a run: the model's [`EngineStats`], which the report records.
pub type Stats = EngineStats;

#[derive(Clone, Copy, Debug)]
struct Send {
    at: Instant,
    answered: bool,
    expired: bool,
    /// The RTT of an answer that came in time, in milliseconds.
    rtt_ms: Option<f64>,
    /// The probe's flow number under multipath discovery (0 otherwise).
    mda_flow: u16,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    sends: Vec<Send>,
    answered: bool,
    /// Answered, or every attempt timed out.
    resolved: bool,
    /// Beyond where the trace stopped: never (re)sent.
    cancelled: bool,
    budget: u32,
    answers_at_send: u64,
}

/// What a matched reply carries besides its sender and kind.
#[derive(Debug)]
struct Detail {
    mpls: Vec<crate::MplsLabel>,
    rewrites: Vec<Rewrite>,
    quoted_tcp: Option<u16>,
}

#[derive(Clone, Debug)]
struct FlowState {
    flow: Flow,
    sport: u16,
    label: u32,
    /// The next TTL never sent (u16 so that it can pass 255).
    next_ttl: u16,
    highest_answered: Option<u8>,
    reached_ttl: Option<u8>,
    /// The lowest TTL an ICMP unreachable came from (a router's or the destination's).
    unreachable_ttl: Option<u8>,
    stop_ttl: u8,
    gap_stopped: bool,
    done: Option<StopReason>,
    in_ready: bool,
    slots: Vec<Slot>,
    replies: Vec<Vec<Reply>>,
    rounds: FlowRounds,
    /// The multipath planner, under multipath discovery.
    mda: Option<Planner>,
}

/// Where a flow is in its rounds ([`TraceConfig::rounds`]).
#[derive(Clone, Debug, Default)]
struct FlowRounds {
    /// How the path ended in the first round, once known: later rounds probe up to it.
    discovered: Option<StopReason>,
    /// Rounds finished.
    done: u32,
    /// When the current round started (its first probe, for the first round).
    started_at: Option<Instant>,
    /// Probes of the current later round neither answered nor timed out (queued included).
    outstanding: u32,
}

/// The TCP SYN probe engine. It never touches a socket or a clock: every input carries `now`.
///
/// # Call order
///
/// 1. [`Engine::new`] with the configuration, the flows (resolved targets with their source
///    addresses) and a random key for the run.
/// 2. Loop until [`Engine::is_done`]:
///    - call [`Engine::poll_transmit`] until it returns `None`, sending each probe; when a
///      send fails, tell the engine with [`Engine::handle_send_error`];
///    - call [`Engine::poll_event`] until it returns `None`;
///    - wait for a packet or until [`Engine::poll_timeout`], whichever comes first;
///    - give each received packet to [`Engine::handle_packet`] (whole IP datagrams) or
///      [`Engine::handle_ipv6_payload`] (IPv6 payloads from raw sockets);
///    - call [`Engine::handle_timeout`] with the current time.
/// 3. Read the result with [`Engine::traces`] (also possible before the end, for a run cut
///    short by a deadline: unfinished traces report [`StopReason::Deadline`]).
///
/// # Probes
///
/// Each (flow, TTL, attempt) has an index; the TCP sequence number is that index under a keyed
/// 32-bit permutation, so that a reply is matched to exactly one probe and a forged reply must
/// guess the key. The IPv4 ID is the probe's index within its flow under a keyed 16-bit
/// permutation: it alone identifies the probe when a middlebox has rewritten the sequence
/// number (counted in [`Stats::by_ident`]). A quote whose source address, source port, IPv4
/// ID or other fields differ from the probe's is matched all the same and carries the
/// differences ([`Reply::rewrites`], counted in [`Stats::rewritten`]). The 5-tuple is constant
/// per flow (Paris traceroute), and so is the IPv6 flow label, so that ECMP keeps a flow on one
/// path. Under multipath discovery ([`TraceConfig::mda`]) each trace's planner picks a flow
/// number per probe instead, which the engine turns into the probe's source port (and IPv6
/// flow label); the probe's identity still names it, so matching is unchanged.
#[derive(Debug)]
pub struct Engine {
    flows: Vec<FlowState>,
    min_ttl: u8,
    max_ttl: u8,
    nttl: usize,
    timeout: Duration,
    retry: i32,
    interval: Option<Duration>,
    next_send_at: Option<Instant>,
    max_in_flight: u32,
    all_ttls: bool,
    gap_limit: Option<u8>,
    depth_first: bool,
    keys: [u32; 4],
    id_key: u32,
    /// (source port, destination port, destination) → flow, for the IPv4 ID fallback.
    by_ports: HashMap<(u16, u16, IpAddr), usize>,
    /// (destination, destination port) → flows, for the IPv4 ID fallback when a middlebox
    /// rewrote the source port too.
    by_dest: HashMap<(IpAddr, u16), Vec<usize>>,
    in_flight: u32,
    ready: VecDeque<u32>,
    retries: VecDeque<(u32, u8)>,
    timeouts: VecDeque<(Instant, u32, u8, u8)>,
    events: VecDeque<Event>,
    answers: u64,
    flows_done: usize,
    stats: Stats,
    rounds: u32,
    round_interval: Duration,
    /// When each flow waiting for its next round starts it.
    rounds_due: BinaryHeap<Reverse<(Instant, u32)>>,
    /// Probes of later rounds waiting for the window.
    round_probes: VecDeque<(u32, u8)>,
    /// Per-router pacing ([`TraceConfig::router_pacing`]).
    router_pacer: Option<RouterPacer>,
    /// When the earliest probe that per-router pacing held back may go.
    router_wake: Option<Instant>,
}

/// How many probes one (flow, TTL) may send, rounds and retries together: a probe's number
/// within its (flow, TTL) takes 8 bits of its IP ID and sequence number.
const SENDS_PER_SLOT: u32 = 256;

/// How many intervals of sending a late caller may catch up on at once when pacing.
const PACING_BURST: u32 = 4;
/// The TCP window of probes (scapy's default).
const PROBE_WINDOW: u16 = 8192;
/// The MSS option of probes: what a 1500-byte Ethernet MTU gives (1500 − 40 for IPv4, − 60
/// for IPv6), the value MSS clamping lowers.
const PROBE_MSS_V4: u16 = 1460;
const PROBE_MSS_V6: u16 = 1440;
/// The window scale of probes (Linux's for its default buffers).
const PROBE_WINDOW_SCALE: u8 = 7;

fn mix(x: u64) -> u64 {
    // splitmix64's finalizer.
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The TCP source port of flow number `m` of a trace whose own port is `base` (both in
/// 32768..=65535): consecutive ports, so that a trace's flows never repeat a port.
fn mda_sport(base: u16, m: u16) -> u16 {
    32_768 + ((u32::from(base - 32_768) + u32::from(m)) % 32_768) as u16
}

/// The IPv6 flow label of flow number `m` of a trace whose own label is `base`.
fn mda_label(base: u32, m: u16) -> u32 {
    (base ^ (mix(u64::from(m)) as u32)) & 0xf_ffff
}

fn round(r: u16, k: u32) -> u16 {
    let x = (u32::from(r) ^ k).wrapping_mul(0x9e37_79b1);
    ((x >> 16) ^ x) as u16
}

impl FlowState {
    /// Records where a reply from `from` at `ttl` shows the path ending: (the destination
    /// answered, an unreachable came back).
    fn note_end(&mut self, ttl: u8, from: IpAddr, kind: ReplyKind) -> (bool, bool) {
        let reached = from == self.flow.dst && kind.is_final();
        let unreachable = matches!(kind, ReplyKind::Unreachable(_));
        if reached {
            self.reached_ttl = Some(self.reached_ttl.map_or(ttl, |r| r.min(ttl)));
        }
        if unreachable {
            self.unreachable_ttl = Some(self.unreachable_ttl.map_or(ttl, |r| r.min(ttl)));
        }
        (reached, unreachable)
    }

    /// Past the search for the path: finished, or in its later rounds.
    fn settled(&self) -> bool {
        self.done.is_some() || self.rounds.discovered.is_some()
    }
}

impl Engine {
    /// An engine for `flows` under `config` (its targets and ports are not used: `flows` says
    /// what to trace). `key` should be random for each run; it keys probe identities.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoTargets`] without flows, [`ConfigError::FamilyMismatch`] when a flow's
    /// source and destination families differ, [`ConfigError::ZeroPort`] for port 0, and
    /// [`ConfigError::TooManyProbes`] for a plan above 2^20 (flow, TTL) slots.
    pub fn new(config: &TraceConfig, flows: Vec<Flow>, key: u64) -> Result<Self, ConfigError> {
        if flows.is_empty() {
            return Err(ConfigError::NoTargets);
        }
        let nttl = usize::from(config.max_ttl - config.min_ttl) + 1;
        let slots = flows.len() as u64 * nttl as u64;
        if slots > crate::config::MAX_SLOTS {
            return Err(ConfigError::TooManyProbes(slots));
        }
        let keys = [0u64, 1, 2, 3].map(|i| mix(key ^ mix(i)) as u32);
        let sport_base = (mix(key ^ 0x5eed) % 32_768) as usize;
        let mut states = Vec::with_capacity(flows.len());
        for (i, flow) in flows.into_iter().enumerate() {
            if flow.src.is_ipv4() != flow.dst.is_ipv4() {
                return Err(ConfigError::FamilyMismatch {
                    src: flow.src,
                    dst: flow.dst,
                });
            }
            if flow.port == 0 {
                return Err(ConfigError::ZeroPort);
            }
            states.push(FlowState {
                sport: 32_768 + ((sport_base + i) % 32_768) as u16,
                label: (mix(key ^ (i as u64).rotate_left(32)) & 0xf_ffff) as u32,
                next_ttl: u16::from(config.min_ttl),
                highest_answered: None,
                reached_ttl: None,
                unreachable_ttl: None,
                stop_ttl: config.max_ttl,
                gap_stopped: false,
                done: None,
                in_ready: true,
                slots: vec![Slot::default(); nttl],
                replies: vec![Vec::new(); nttl],
                rounds: FlowRounds::default(),
                mda: config.mda.map(|c| {
                    Planner::new(
                        config.min_ttl,
                        config.max_ttl,
                        config.gap_limit,
                        f64::from(c) / 100.0,
                    )
                }),
                flow,
            });
        }
        let ready = (0..states.len() as u32).collect();
        let by_ports = states
            .iter()
            .enumerate()
            .map(|(i, st)| ((st.sport, st.flow.port, st.flow.dst), i))
            .collect();
        let mut by_dest: HashMap<(IpAddr, u16), Vec<usize>> = HashMap::new();
        for (i, st) in states.iter().enumerate() {
            by_dest
                .entry((st.flow.dst, st.flow.port))
                .or_default()
                .push(i);
        }
        Ok(Self {
            flows: states,
            min_ttl: config.min_ttl,
            max_ttl: config.max_ttl,
            nttl,
            timeout: config.timeout,
            retry: config.retry,
            interval: config.pps.map(|p| Duration::from_secs(1) / p),
            next_send_at: None,
            max_in_flight: config.max_in_flight,
            all_ttls: config.all_ttls,
            gap_limit: config.gap_limit,
            depth_first: config.depth_first,
            keys,
            id_key: mix(key ^ 0x1d) as u32,
            by_ports,
            by_dest,
            in_flight: 0,
            ready,
            retries: VecDeque::new(),
            timeouts: VecDeque::new(),
            events: VecDeque::new(),
            answers: 0,
            flows_done: 0,
            stats: Stats::default(),
            rounds: config.rounds,
            round_interval: config.interval,
            rounds_due: BinaryHeap::new(),
            round_probes: VecDeque::new(),
            router_pacer: config
                .router_pacing
                .map(|(interval, burst)| RouterPacer::new(interval, burst)),
            router_wake: None,
        })
    }

    /// The flows, in the order given.
    pub fn flows(&self) -> impl ExactSizeIterator<Item = &Flow> {
        self.flows.iter().map(|f| &f.flow)
    }

    /// The TCP source port of a flow (constant for the run).
    pub fn source_port(&self, flow: usize) -> Option<u16> {
        self.flows.get(flow).map(|f| f.sport)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Probes sent whose answer is still awaited (neither answered nor timed out).
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    fn flow_by_ports(&self, sport: u16, dport: u16, dst: IpAddr) -> Option<usize> {
        self.by_ports.get(&(sport, dport, dst)).copied()
    }

    /// True when every flow has finished.
    pub fn is_done(&self) -> bool {
        self.flows_done == self.flows.len()
    }

    fn permute(&self, id: u32) -> u32 {
        let (mut l, mut r) = ((id >> 16) as u16, id as u16);
        for k in self.keys {
            (l, r) = (r, l ^ round(r, k));
        }
        (u32::from(l) << 16) | u32::from(r)
    }

    fn unpermute(&self, seq: u32) -> u32 {
        let (mut l, mut r) = ((seq >> 16) as u16, seq as u16);
        for k in self.keys.iter().rev() {
            (l, r) = (r ^ round(l, *k), l);
        }
        (u32::from(l) << 16) | u32::from(r)
    }

    /// The IPv4 ID of a probe: a keyed 16-bit permutation of its index within its flow
    /// (TTL index × 256 + attempt < 2^16), so that it is unique within the flow and names the
    /// probe on its own when a middlebox rewrites the sequence number.
    fn ident(&self, flow: usize, ttl_idx: usize, attempt: usize) -> u16 {
        let x = (ttl_idx * SENDS_PER_SLOT as usize + attempt) as u16;
        let k = self.id_key ^ (mix(flow as u64) as u32);
        let (mut l, mut r) = ((x >> 8) as u8, x as u8);
        for i in 0..4u32 {
            (l, r) = (r, l ^ round(u16::from(r), k.rotate_left(8 * i)) as u8);
        }
        (u16::from(l) << 8) | u16::from(r)
    }

    /// Inverts [`Engine::ident`] into (TTL index, attempt) when they name a probe sent.
    fn decode_ident(&self, flow: usize, ident: u16) -> Option<(usize, usize)> {
        let k = self.id_key ^ (mix(flow as u64) as u32);
        let (mut l, mut r) = ((ident >> 8) as u8, ident as u8);
        for i in (0..4u32).rev() {
            (l, r) = (r ^ round(u16::from(l), k.rotate_left(8 * i)) as u8, l);
        }
        let x = (usize::from(l) << 8) | usize::from(r);
        let (ttl_idx, attempt) = (x / SENDS_PER_SLOT as usize, x % SENDS_PER_SLOT as usize);
        let slot = self.flows[flow].slots.get(ttl_idx)?;
        (attempt < slot.sends.len()).then_some((ttl_idx, attempt))
    }

    /// The headers of the probe (flow, TTL index, attempt) with sequence number `seq`: what
    /// [`Engine::poll_transmit`] sends, and what a quote is compared with. A SYN with the
    /// options of a Linux SYN (MSS, SACK permitted, timestamps with the sequence number as
    /// `TSval`, window scale), so that a middlebox that rewrites or strips options shows it.
    fn sent_probe(&self, f: usize, ttl_idx: usize, attempt: usize, seq: u32) -> SentProbe {
        let mda_flow = self.flows[f].slots[ttl_idx]
            .sends
            .get(attempt)
            .map_or(0, |s| s.mda_flow);
        self.probe_of(f, ttl_idx, attempt, seq, mda_flow)
    }

    /// The TCP source port and IPv6 flow label of a flow's probes of flow number `m`.
    fn flow_id(&self, f: usize, m: u16) -> (u16, u32) {
        let st = &self.flows[f];
        if st.mda.is_some() {
            (mda_sport(st.sport, m), mda_label(st.label, m))
        } else {
            (st.sport, st.label)
        }
    }

    /// [`Engine::sent_probe`] of a probe of flow number `mda_flow`, sent or about to be.
    fn probe_of(
        &self,
        f: usize,
        ttl_idx: usize,
        attempt: usize,
        seq: u32,
        mda_flow: u16,
    ) -> SentProbe {
        let st = &self.flows[f];
        let v4 = st.flow.dst.is_ipv4();
        let (sport, label) = self.flow_id(f, mda_flow);
        let mut tcp = TcpRepr::new(sport, st.flow.port, TcpFlags::SYN);
        tcp.seq_number = seq;
        tcp.window = PROBE_WINDOW;
        tcp.mss = Some(if v4 { PROBE_MSS_V4 } else { PROBE_MSS_V6 });
        tcp.sack_permitted = true;
        tcp.timestamp = Some((seq, 0));
        tcp.window_scale = Some(PROBE_WINDOW_SCALE);
        SentProbe {
            src: st.flow.src,
            dst: st.flow.dst,
            ident: v4.then(|| self.ident(f, ttl_idx, attempt)),
            // The engine writes the whole IPv6 header (the transport sends it as is), so the
            // label a quote shows can be compared with the one the probe left with.
            flow_label: (!v4).then_some(label),
            tos: 0,
            tcp,
        }
    }

    fn probe_id(&self, flow: usize, ttl: u8, attempt: u8) -> u32 {
        let slot = flow * self.nttl + usize::from(ttl - self.min_ttl);
        (slot as u32) * SENDS_PER_SLOT + u32::from(attempt)
    }

    /// Decodes a probe id into (flow, ttl index, attempt) when it is one of ours.
    fn decode(&self, seq: u32) -> Option<(usize, usize, usize)> {
        let id = self.unpermute(seq);
        let slot = (id / SENDS_PER_SLOT) as usize;
        let attempt = (id % SENDS_PER_SLOT) as usize;
        let flow = slot / self.nttl;
        if flow >= self.flows.len() {
            return None;
        }
        let ttl_idx = slot % self.nttl;
        (attempt < self.flows[flow].slots[ttl_idx].sends.len()).then_some((flow, ttl_idx, attempt))
    }

    fn cap(&self, f: &FlowState) -> u16 {
        let stop = u16::from(f.stop_ttl);
        match self.gap_limit {
            Some(g) => {
                let base = f
                    .highest_answered
                    .map_or(u16::from(self.min_ttl) - 1, u16::from);
                stop.min(base + u16::from(g))
            }
            None => stop,
        }
    }

    fn maybe_ready(&mut self, f: usize) {
        let cap = self.cap(&self.flows[f]);
        let st = &mut self.flows[f];
        if !st.in_ready && !st.settled() && st.next_ttl <= cap {
            st.in_ready = true;
            self.ready.push_back(f as u32);
        }
    }

    /// Whether per-router pacing lets flow `f` send at `ttl` now; if so, the probe takes its
    /// bucket's turn, else [`Engine::router_wake`] learns when it may go.
    fn router_allows(&mut self, f: usize, ttl: u8, now: Instant) -> bool {
        let Some(p) = self.router_pacer.as_mut() else {
            return true;
        };
        let src = self.flows[f].flow.src;
        if p.try_take(src, ttl, now) {
            return true;
        }
        let at = p.ready_at(src, ttl, now);
        self.router_wake = Some(self.router_wake.map_or(at, |w| w.min(at)));
        false
    }

    /// The next (flow, TTL, MDA flow number) to probe. Under per-router pacing, a probe whose
    /// router is not due yet goes back to the end of its queue and the next one is tried, so
    /// that one busy router does not hold up the traces past others.
    fn next_probe(&mut self, now: Instant) -> Option<(usize, u8, u16)> {
        self.router_wake = None;
        for _ in 0..self.retries.len() {
            let Some((f, ttl)) = self.retries.pop_front() else {
                break;
            };
            let st = &self.flows[f as usize];
            let slot = &st.slots[usize::from(ttl - self.min_ttl)];
            if !st.settled() && !slot.answered && !slot.cancelled && !slot.resolved {
                if self.router_allows(f as usize, ttl, now) {
                    return Some((f as usize, ttl, 0));
                }
                self.retries.push_back((f, ttl));
            }
        }
        for _ in 0..self.round_probes.len() {
            let Some((f, ttl)) = self.round_probes.pop_front() else {
                break;
            };
            if self.flows[f as usize].done.is_none() {
                if self.router_allows(f as usize, ttl, now) {
                    return Some((f as usize, ttl, 0));
                }
                self.round_probes.push_back((f, ttl));
            }
        }
        // Flows held back by per-router pacing, to requeue after the search.
        let mut held = Vec::new();
        let found = self.next_ready(now, &mut held);
        for f in held {
            self.ready.push_back(f);
        }
        found
    }

    /// The next probe of the flows in `ready`, setting aside in `held` those that
    /// per-router pacing holds back (still marked ready).
    fn next_ready(&mut self, now: Instant, held: &mut Vec<u32>) -> Option<(usize, u8, u16)> {
        while let Some(f) = self.ready.pop_front() {
            let f = f as usize;
            if self.flows[f].mda.is_some() {
                let st = &mut self.flows[f];
                st.in_ready = false;
                let next = match (&st.done, st.mda.as_mut()) {
                    (None, Some(p)) => p.poll_probe(),
                    _ => None,
                };
                if let Some((ttl, m)) = next {
                    // Flows take turns, one probe each.
                    st.in_ready = true;
                    st.next_ttl = st.next_ttl.max(u16::from(ttl) + 1);
                    self.ready.push_back(f as u32);
                    return Some((f, ttl, m));
                }
                continue;
            }
            let cap = self.cap(&self.flows[f]);
            let st = &mut self.flows[f];
            st.in_ready = false;
            if st.settled() || st.next_ttl > cap {
                continue;
            }
            let ttl = st.next_ttl as u8;
            if !self.router_allows(f, ttl, now) {
                self.flows[f].in_ready = true;
                held.push(f as u32);
                continue;
            }
            let st = &mut self.flows[f];
            st.next_ttl += 1;
            if st.next_ttl <= cap {
                st.in_ready = true;
                if self.depth_first {
                    self.ready.push_front(f as u32);
                } else {
                    self.ready.push_back(f as u32);
                }
            }
            return Some((f, ttl, 0));
        }
        None
    }

    /// The next probe to send, written into `buf` (cleared first) as a whole IP packet, or
    /// `None` when nothing may be sent now (window full, pacing, or nothing left).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if self.in_flight >= self.max_in_flight {
            return None;
        }
        if self.interval.is_some() && self.next_send_at.is_some_and(|at| now < at) {
            return None;
        }
        self.start_due_rounds(now);
        let (f, ttl, mda_flow) = self.next_probe(now)?;
        let ttl_idx = usize::from(ttl - self.min_ttl);
        let attempt = self.flows[f].slots[ttl_idx].sends.len() as u8;
        let id = self.probe_id(f, ttl, attempt);
        let seq = self.permute(id);
        let probe = self.probe_of(f, ttl_idx, usize::from(attempt), seq, mda_flow);
        let (tcp, src, dst) = (probe.tcp, probe.src, probe.dst);
        let l4_offset = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let ip = Ipv4Repr {
                    src_addr: s,
                    dst_addr: d,
                    protocol: proto::TCP,
                    ttl,
                    ident: probe.ident.unwrap_or_default(),
                    tos: probe.tos,
                    dont_frag: false,
                    payload_len: tcp.header_len(),
                };
                buf.clear();
                buf.resize(ip.buffer_len(), 0);
                ip.emit(buf).ok()?;
                ip.header_len()
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let ip = Ipv6Repr {
                    src_addr: s,
                    dst_addr: d,
                    next_header: proto::TCP,
                    hop_limit: ttl,
                    traffic_class: probe.tos,
                    flow_label: self.flow_id(f, mda_flow).1,
                    payload_len: tcp.header_len(),
                };
                buf.clear();
                buf.resize(ip.buffer_len(), 0);
                ip.emit(buf).ok()?;
                ip.header_len()
            }
            _ => return None,
        };
        tcp.emit(&mut buf[l4_offset..], src, dst).ok()?;

        let answers = self.answers;
        let retry = self.retry;
        let st = &mut self.flows[f];
        st.rounds.started_at.get_or_insert(now);
        let slot = &mut st.slots[ttl_idx];
        if attempt == 0 {
            slot.budget = retry.unsigned_abs();
        }
        slot.sends.push(Send {
            at: now,
            answered: false,
            expired: false,
            rtt_ms: None,
            mda_flow,
        });
        slot.answers_at_send = answers;
        self.timeouts
            .push_back((now + self.timeout, f as u32, ttl, attempt));
        self.in_flight += 1;
        self.stats.sent += 1;
        if attempt > 0 && self.rounds == 1 {
            self.stats.retries += 1;
        }
        if let Some(interval) = self.interval {
            let floor = now.checked_sub(interval * PACING_BURST).unwrap_or(now);
            let base = self.next_send_at.map_or(now, |at| at.max(floor));
            self.next_send_at = Some(base + interval);
        }
        Some(Transmit {
            flow: f,
            dst,
            ttl,
            len: buf.len(),
            l4_offset,
        })
    }

    /// When [`Engine::handle_timeout`] should next be called (or when pacing allows the next
    /// send), or `None` when nothing is pending.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timeout = self.timeouts.front().map(|t| t.0);
        let pending =
            !self.retries.is_empty() || !self.ready.is_empty() || !self.round_probes.is_empty();
        let send = match self.next_send_at {
            Some(at) if pending && self.in_flight < self.max_in_flight => Some(at),
            _ => None,
        };
        let round = self.rounds_due.peek().map(|Reverse((at, _))| *at);
        let router = self
            .router_wake
            .filter(|_| pending && self.in_flight < self.max_in_flight);
        [timeout, send, round, router].into_iter().flatten().min()
    }

    /// The next event, if any. Call until `None` after each `handle_*` call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Expires probes whose timeout has passed at `now`, scheduling retries or giving up.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.start_due_rounds(now);
        while let Some(&(at, f, ttl, attempt)) = self.timeouts.front() {
            if at > now {
                break;
            }
            self.timeouts.pop_front();
            let (f, ttl_idx, attempt) = (
                f as usize,
                usize::from(ttl - self.min_ttl),
                usize::from(attempt),
            );
            let answers = self.answers;
            let negative = self.retry < 0;
            let n = self.retry.unsigned_abs();
            let st = &mut self.flows[f];
            let settled = st.settled();
            let slot = &mut st.slots[ttl_idx];
            let Some(send) = slot.sends.get_mut(attempt) else {
                // Taken back by handle_send_error.
                continue;
            };
            if send.answered || send.expired {
                continue;
            }
            send.expired = true;
            self.in_flight -= 1;
            let mda_flow = send.mda_flow;
            if let Some(p) = st.mda.as_mut() {
                p.handle_loss(ttl, mda_flow);
                self.mda_progress(f);
                continue;
            }
            if self.rounds > 1 && attempt > 0 {
                self.round_probe_resolved(f);
                continue;
            }
            if settled
                || slot.answered
                || slot.cancelled
                || slot.resolved
                || attempt + 1 != slot.sends.len()
            {
                continue;
            }
            if negative && answers > slot.answers_at_send {
                slot.budget = n;
            }
            if slot.budget > 0 && (slot.sends.len() as u32) < MAX_ATTEMPTS.min(SENDS_PER_SLOT) {
                slot.budget -= 1;
                self.retries.push_back((f as u32, ttl));
            } else {
                slot.resolved = true;
                self.check_flow(f);
            }
        }
    }

    /// Handles a received IPv4 or IPv6 datagram (with its IP header).
    pub fn handle_packet(&mut self, now: Instant, packet: &[u8]) -> Disposition {
        if let Ok(reply) = parse_reply(packet) {
            self.handle_reply(now, reply)
        } else {
            self.stats.malformed += 1;
            Disposition::Malformed
        }
    }

    /// Handles the payload of an IPv6 packet from `from` with next header `next_header`, as
    /// raw IPv6 sockets deliver it (without the IPv6 header).
    pub fn handle_ipv6_payload(
        &mut self,
        now: Instant,
        from: std::net::Ipv6Addr,
        next_header: u8,
        payload: &[u8],
    ) -> Disposition {
        if let Ok(reply) = parse_reply_v6_payload(from, next_header, payload) {
            self.handle_reply(now, reply)
        } else {
            self.stats.malformed += 1;
            Disposition::Malformed
        }
    }

    /// Handles an already parsed reply.
    pub fn handle_reply(&mut self, now: Instant, reply: ParsedReply) -> Disposition {
        let found = match &reply.body {
            ReplyBody::IcmpError { kind, probe, .. } => {
                self.match_quote(reply.to, probe).map(|(f, t, a)| {
                    let sent = self.sent_probe(f, t, a, self.seq_of(f, t, a));
                    (f, t, a, *kind, compare_quote(&sent, probe))
                })
            }
            ReplyBody::Tcp {
                src_port,
                dst_port,
                ack_number,
                flags,
                ..
            } => {
                let answer = flags.contains(TcpFlags::ACK)
                    && (flags.contains(TcpFlags::SYN) || flags.contains(TcpFlags::RST));
                let kind = if flags.contains(TcpFlags::SYN) {
                    ReplyKind::SynAck
                } else {
                    ReplyKind::Rst
                };
                answer
                    .then(|| self.decode(ack_number.wrapping_sub(1)))
                    .flatten()
                    .and_then(|(f, t, a)| {
                        let st = &self.flows[f];
                        // A destination port other than ours: a NAT on the way rewrote our
                        // source port and did not translate the answer back. The
                        // acknowledgment names the probe all the same.
                        let ok = reply.from == st.flow.dst
                            && *src_port == st.flow.port
                            && reply.to.is_none_or(|to| to == st.flow.src);
                        let seq = ack_number.wrapping_sub(1);
                        ok.then(|| {
                            let sent = self.sent_probe(f, t, a, seq);
                            (f, t, a, kind, compare_answer(&sent, *src_port, *dst_port))
                        })
                    })
            }
        };
        let Some((f, ttl_idx, attempt, kind, rewrites)) = found else {
            self.stats.unmatched += 1;
            return Disposition::Unmatched;
        };
        let detail = match reply.body {
            ReplyBody::IcmpError { mpls, probe, .. } => Detail {
                mpls,
                rewrites,
                quoted_tcp: Some(probe.tcp.len() as u16),
            },
            ReplyBody::Tcp { .. } => Detail {
                mpls: Vec::new(),
                rewrites,
                quoted_tcp: None,
            },
        };
        self.record(now, f, ttl_idx, attempt, reply.from, kind, detail)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "an internal step with its natural inputs"
    )]
    fn record(
        &mut self,
        now: Instant,
        f: usize,
        ttl_idx: usize,
        attempt: usize,
        from: IpAddr,
        kind: ReplyKind,
        detail: Detail,
    ) -> Disposition {
        let ttl = self.min_ttl + ttl_idx as u8;
        let timeout = self.timeout;
        let st = &mut self.flows[f];
        let slot = &mut st.slots[ttl_idx];
        let send = &mut slot.sends[attempt];
        let mda_flow = send.mda_flow;
        if send.answered {
            self.stats.duplicates += 1;
            return Disposition::Duplicate;
        }
        send.answered = true;
        let rtt = now.saturating_duration_since(send.at);
        let late = send.expired || rtt > timeout;
        if !late {
            send.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
        }
        // A probe of a later round that is answered in time ends its wait; the round may end
        // with it, after the reply is recorded.
        let round_probe = !send.expired && self.rounds > 1 && attempt > 0;
        if !send.expired {
            self.in_flight -= 1;
        }
        // Beyond where the trace stopped: not part of it. Within it, a late reply is recorded
        // even after the trace finished (while the run goes on for other traces).
        if ttl > st.stop_ttl || slot.cancelled {
            slot.sends[attempt].rtt_ms = None;
            self.stats.ignored += 1;
            if round_probe {
                self.round_probe_resolved(f);
            }
            return Disposition::Ignored;
        }
        let mut reply = Reply::new(from, rtt, kind);
        reply.late = late;
        reply.mpls = detail.mpls;
        if !detail.rewrites.is_empty() {
            self.stats.rewritten += 1;
        }
        reply.rewrites = detail.rewrites;
        reply.quoted_tcp = detail.quoted_tcp;
        if st.mda.is_some() {
            reply.flow = Some(mda_sport(st.sport, mda_flow));
        }
        st.replies[ttl_idx].push(reply.clone());
        self.events.push_back(Event::Reply {
            flow: f,
            ttl,
            reply,
        });
        self.stats.replies += 1;
        if late {
            self.stats.late += 1;
        }
        if !slot.answered {
            slot.answered = true;
            slot.resolved = true;
            self.answers += 1;
        }
        if st.mda.is_some() {
            self.mda_answer(f, ttl, mda_flow, from, kind);
            return if late {
                Disposition::Late
            } else {
                Disposition::Matched
            };
        }
        if st.settled() {
            if round_probe {
                self.round_probe_resolved(f);
            }
            return if late {
                Disposition::Late
            } else {
                Disposition::Matched
            };
        }
        st.highest_answered = Some(st.highest_answered.map_or(ttl, |h| h.max(ttl)));
        let (reached, unreachable) = st.note_end(ttl, from, kind);
        // The path ends where the destination answers or an unreachable comes back (from the
        // destination or a router: nothing beyond it gets through).
        if (reached || unreachable) && !self.all_ttls && ttl < st.stop_ttl {
            st.stop_ttl = ttl;
            self.cancel_above(f, ttl);
        }
        self.maybe_ready(f);
        self.check_flow(f);
        if late {
            Disposition::Late
        } else {
            Disposition::Matched
        }
    }

    /// A multipath probe (flow number `m`) was answered by `from` with `kind`.
    fn mda_answer(&mut self, f: usize, ttl: u8, m: u16, from: IpAddr, kind: ReplyKind) {
        let st = &mut self.flows[f];
        let (reached, unreachable) = st.note_end(ttl, from, kind);
        if st.done.is_none()
            && let Some(p) = st.mda.as_mut()
        {
            p.handle_answer(ttl, m, from, reached || unreachable);
        }
        self.mda_progress(f);
    }

    /// After a multipath probe's fate: ends the flow when its planner has, or puts it back in
    /// turn when the planner has probes to send.
    fn mda_progress(&mut self, f: usize) {
        let st = &mut self.flows[f];
        let Some(p) = &st.mda else { return };
        if st.done.is_some() {
            return;
        }
        match p.end() {
            Some(end) => {
                st.stop_ttl = p.last_ttl();
                let reason = match end {
                    End::Final if st.reached_ttl.is_none() && st.unreachable_ttl.is_some() => {
                        StopReason::Unreachable
                    }
                    End::Final => StopReason::Reached,
                    End::GapLimit => {
                        st.gap_stopped = true;
                        StopReason::GapLimit
                    }
                    End::MaxTtl => StopReason::MaxTtl,
                };
                self.finish(f, reason);
            }
            None if !st.in_ready => {
                st.in_ready = true;
                self.ready.push_back(f as u32);
            }
            None => {}
        }
    }

    fn cancel_above(&mut self, f: usize, ttl: u8) {
        let from = usize::from(ttl - self.min_ttl) + 1;
        for slot in &mut self.flows[f].slots[from..] {
            slot.cancelled = true;
        }
    }

    fn check_flow(&mut self, f: usize) {
        let min = self.min_ttl;
        if self.flows[f].settled() {
            return;
        }
        if let Some(g) = self.gap_limit {
            let st = &self.flows[f];
            let start = st
                .highest_answered
                .map_or(u16::from(min), |h| u16::from(h) + 1);
            let mut run = 0u8;
            let mut stop_at = None;
            for t in start..=u16::from(st.stop_ttl) {
                let slot = &st.slots[usize::from(t - u16::from(min))];
                if slot.resolved && !slot.answered {
                    run += 1;
                    if run == g {
                        stop_at = Some(t as u8);
                        break;
                    }
                } else {
                    break;
                }
            }
            if let Some(t) = stop_at {
                let st = &mut self.flows[f];
                st.gap_stopped = true;
                st.stop_ttl = t;
                self.cancel_above(f, t);
            }
        }
        let st = &mut self.flows[f];
        let end = usize::from(st.stop_ttl - min);
        if st.slots[..=end].iter().all(|s| s.resolved || s.cancelled) {
            let at_stop = |t: Option<u8>| t == Some(st.stop_ttl);
            let reason = if st.gap_stopped {
                StopReason::GapLimit
            } else if self.all_ttls {
                StopReason::MaxTtl
            } else if at_stop(st.unreachable_ttl) {
                StopReason::Unreachable
            } else if at_stop(st.reached_ttl) {
                StopReason::Reached
            } else {
                StopReason::MaxTtl
            };
            self.finish(f, reason);
        }
    }

    fn finish(&mut self, f: usize, reason: StopReason) {
        let st = &mut self.flows[f];
        if self.rounds > 1 && reason.is_stop_condition() && st.rounds.discovered.is_none() {
            // The first round found the path; the others probe it.
            st.rounds.discovered = Some(reason);
            self.cancel_above(f, self.flows[f].stop_ttl);
            self.end_round(f);
            return;
        }
        st.done = Some(reason.clone());
        self.flows_done += 1;
        self.cancel_above(f, self.flows[f].stop_ttl);
        self.events.push_back(Event::Done { flow: f, reason });
    }

    /// Counts a flow's round finished, then schedules its next round or ends the flow.
    fn end_round(&mut self, f: usize) {
        let interval = self.round_interval;
        let st = &mut self.flows[f];
        st.rounds.done += 1;
        let round = st.rounds.done;
        self.events.push_back(Event::RoundDone { flow: f, round });
        // A round has begun with its first send, so it has a start time.
        if round < self.rounds
            && let Some(started) = st.rounds.started_at
        {
            self.rounds_due
                .push(Reverse((started + interval, f as u32)));
        } else if let Some(reason) = st.rounds.discovered.clone() {
            self.finish(f, reason);
        }
    }

    /// A probe of a later round was answered or timed out.
    fn round_probe_resolved(&mut self, f: usize) {
        let r = &mut self.flows[f].rounds;
        r.outstanding = r.outstanding.saturating_sub(1);
        if r.outstanding == 0 && self.flows[f].done.is_none() {
            self.end_round(f);
        }
    }

    /// Queues one probe per TTL of the path for every flow whose next round is due.
    fn start_due_rounds(&mut self, now: Instant) {
        while let Some(&Reverse((at, f))) = self.rounds_due.peek() {
            if at > now {
                break;
            }
            self.rounds_due.pop();
            let st = &mut self.flows[f as usize];
            if st.done.is_some() {
                continue;
            }
            st.rounds.started_at = Some(now);
            st.rounds.outstanding = u32::from(st.stop_ttl - self.min_ttl) + 1;
            for ttl in self.min_ttl..=st.stop_ttl {
                self.round_probes.push_back((f, ttl));
            }
        }
    }

    /// How many rounds the flows have finished, all together, and how many there are.
    pub fn rounds_progress(&self) -> (u64, u64) {
        let done = self.flows.iter().map(|f| u64::from(f.rounds.done)).sum();
        (done, self.flows.len() as u64 * u64::from(self.rounds))
    }

    /// How many flows have finished.
    pub fn flows_done(&self) -> usize {
        self.flows_done
    }

    /// Reports that the probe `tx`, the last one [`Engine::poll_transmit`] returned, could not
    /// be sent, with the transport's error. The probe is taken back (it is neither in flight
    /// nor counted as sent), and its trace ends at once with [`StopReason::Failed`] and
    /// that error: a failed send (no route, a local firewall) would fail again, and its
    /// silence must not be read as a silent hop.
    pub fn handle_send_error(&mut self, tx: &Transmit, error: &str) {
        let Some(ttl_idx) = tx.ttl.checked_sub(self.min_ttl).map(usize::from) else {
            return;
        };
        let Some(st) = self.flows.get_mut(tx.flow).filter(|st| st.done.is_none()) else {
            return;
        };
        let Some(slot) = st.slots.get_mut(ttl_idx) else {
            return;
        };
        // Its timeout entry finds no send at its attempt index and is skipped.
        if let Some(send) = slot.sends.pop() {
            if !send.answered && !send.expired {
                self.in_flight -= 1;
            }
            self.stats.sent -= 1;
            if !slot.sends.is_empty() && self.rounds == 1 {
                self.stats.retries -= 1;
            }
        }
        self.stats.send_errors += 1;
        self.finish(
            tx.flow,
            StopReason::Failed {
                error: error.to_owned(),
            },
        );
    }

    /// The traces so far, one per flow in the order given. A trace that has not finished
    /// reports [`StopReason::Deadline`] and the TTLs probed so far.
    pub fn traces(&self) -> Vec<Trace> {
        self.flows
            .iter()
            .map(|st| {
                let end = if st.settled() {
                    u16::from(st.stop_ttl)
                } else {
                    u16::from(st.stop_ttl).min(st.next_ttl.saturating_sub(1))
                };
                let hops = (u16::from(self.min_ttl)..=end)
                    .filter_map(|t| {
                        let i = usize::from(t - u16::from(self.min_ttl));
                        let slot = &st.slots[i];
                        (!slot.sends.is_empty()).then(|| {
                            let rtts: Vec<f64> =
                                slot.sends.iter().filter_map(|s| s.rtt_ms).collect();
                            let probes = slot.sends.len() as u32;
                            let stats = HopStats::from_rtts(probes, &rtts);
                            Hop::measured(t as u8, probes, st.replies[i].clone(), stats)
                        })
                    })
                    .collect();
                let mut trace = Trace {
                    target: st.flow.target.clone(),
                    addr: st.flow.dst,
                    port: st.flow.port,
                    reached: st.reached_ttl.is_some_and(|r| u16::from(r) <= end),
                    stop_reason: st.done.clone().unwrap_or(StopReason::Deadline),
                    hops,
                    middleboxes: Vec::new(),
                    links: st.mda.as_ref().map_or_else(Vec::new, |p| {
                        p.links()
                            .into_iter()
                            .map(|(t, a, b)| Link::new(t, a, b))
                            .collect()
                    }),
                    diamonds: Vec::new(),
                    source: None,
                };
                trace.middleboxes = trace.locate_middleboxes();
                trace.diamonds = trace.find_diamonds();
                trace
            })
            .collect()
    }

    /// The maximum TTL of the run.
    pub fn max_ttl(&self) -> u8 {
        self.max_ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(retry: i32) -> Engine {
        let cfg = TraceConfig::builder()
            .target("t")
            .retry(retry)
            .max_ttl(8)
            .build()
            .unwrap();
        let flow = Flow::new(
            "t",
            "198.18.0.2".parse().unwrap(),
            "198.19.0.1".parse().unwrap(),
            80,
        );
        Engine::new(&cfg, vec![flow], 42).unwrap()
    }

    #[test]
    fn permutation_is_a_bijection_on_samples() {
        let e = engine(0);
        for id in (0..1_000_000u32)
            .step_by(997)
            .chain([u32::MAX, 0x8000_0000])
        {
            assert_eq!(e.unpermute(e.permute(id)), id);
        }
        assert_ne!(e.permute(1), 1);
    }

    #[test]
    fn ip_ids_are_unique_within_a_flow() {
        let e = engine(0);
        let mut seen = std::collections::HashSet::new();
        for ttl_idx in 0..255 {
            for attempt in 0..64 {
                assert!(seen.insert(e.ident(0, ttl_idx, attempt)));
            }
        }
        assert_ne!(
            e.ident(0, 0, 0),
            e.ident(1, 0, 0),
            "flows use different keys"
        );
    }

    #[test]
    fn sends_syns_in_ttl_order_up_to_gap_frontier() {
        let mut e = engine(0);
        let now = Instant::now();
        let mut buf = Vec::new();
        let mut ttls = Vec::new();
        while let Some(t) = e.poll_transmit(now, &mut buf) {
            ttls.push(t.ttl);
            let r = parse_reply(&buf[..t.len]);
            // Our own SYN is not a reply.
            assert!(matches!(
                r,
                Ok(ParsedReply {
                    body: ReplyBody::Tcp { .. },
                    ..
                })
            ));
        }
        // Gap limit 5: nothing answered yet, so TTLs 1..=5 only.
        assert_eq!(ttls, [1, 2, 3, 4, 5]);
        assert_eq!(e.in_flight(), 5);
        // All time out: the gap limit stops the trace.
        e.handle_timeout(now + Duration::from_secs(3));
        assert!(e.is_done());
        assert_eq!(e.traces()[0].stop_reason, StopReason::GapLimit);
        assert_eq!(e.traces()[0].hops.len(), 5);
    }

    /// Two flows, gap limit 3: in turns, or each flow's TTLs back to back.
    fn send_order(depth_first: bool) -> Vec<(usize, u8)> {
        let cfg = TraceConfig::builder()
            .target("t")
            .gap_limit(Some(3))
            .depth_first(depth_first)
            .build()
            .unwrap();
        let flows = ["198.19.0.1", "198.19.0.2"]
            .map(|d| Flow::new(d, "198.18.0.2".parse().unwrap(), d.parse().unwrap(), 80))
            .to_vec();
        let mut e = Engine::new(&cfg, flows, 9).unwrap();
        let mut buf = Vec::new();
        std::iter::from_fn(|| e.poll_transmit(Instant::now(), &mut buf))
            .map(|t| (t.flow, t.ttl))
            .collect()
    }

    #[test]
    fn depth_first_sends_each_flows_ttls_back_to_back() {
        assert_eq!(
            send_order(false),
            [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3), (1, 3)]
        );
        assert_eq!(
            send_order(true),
            [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
        );
    }

    #[test]
    fn positive_retry_resends_n_times() {
        let mut e = engine(2);
        let mut now = Instant::now();
        let mut buf = Vec::new();
        for _ in 0..3 {
            while e.poll_transmit(now, &mut buf).is_some() {}
            now += Duration::from_secs(3);
            e.handle_timeout(now);
        }
        assert!(e.poll_transmit(now, &mut buf).is_none());
        assert!(e.is_done());
        assert_eq!(e.stats().sent, 15);
        assert_eq!(e.stats().retries, 10);
    }

    fn three_flows(retry: i32) -> Engine {
        let cfg = TraceConfig::builder()
            .target("t")
            .retry(retry)
            .max_ttl(1)
            .gap_limit(None)
            .build()
            .unwrap();
        let flows = ["198.19.0.1", "198.19.0.2", "198.19.0.3"]
            .map(|d| Flow::new(d, "198.18.0.2".parse().unwrap(), d.parse().unwrap(), 80))
            .to_vec();
        Engine::new(&cfg, flows, 9).unwrap()
    }

    /// A SYN-ACK to the probe in `buf` (as written by `poll_transmit`).
    fn syn_ack(e: &Engine, flow: usize, probe: &[u8]) -> Vec<u8> {
        let seq = u32::from_be_bytes(probe[24..28].try_into().unwrap());
        let st = &e.flows[flow];
        let tcp = TcpRepr {
            src_port: st.flow.port,
            dst_port: st.sport,
            seq_number: 1,
            ack_number: seq.wrapping_add(1),
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: 1000,
            mss: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
        };
        let (IpAddr::V4(s), IpAddr::V4(d)) = (st.flow.dst, st.flow.src) else {
            unreachable!()
        };
        let ip = Ipv4Repr {
            src_addr: s,
            dst_addr: d,
            protocol: proto::TCP,
            ttl: 64,
            ident: 0,
            tos: 0,
            dont_frag: false,
            payload_len: 20,
        };
        let mut out = vec![0; 40];
        ip.emit(&mut out).unwrap();
        tcp.emit(&mut out[20..], st.flow.dst, st.flow.src).unwrap();
        out
    }

    #[test]
    fn negative_retry_keeps_going_while_the_run_progresses() {
        let mut e = three_flows(-1);
        let t0 = Instant::now();
        let mut buf = Vec::new();
        let mut probes = Vec::new();
        while let Some(tx) = e.poll_transmit(t0, &mut buf) {
            probes.push((tx.flow, buf.clone()));
        }
        assert_eq!(probes.len(), 3);
        // Flow 1 answers: a new answer since flows 0 and 2 were sent.
        let sa = syn_ack(&e, 1, &probes[1].1);
        assert_eq!(
            e.handle_packet(t0 + Duration::from_millis(5), &sa),
            Disposition::Matched
        );
        let t1 = t0 + Duration::from_secs(2);
        e.handle_timeout(t1);
        let mut again = Vec::new();
        while let Some(tx) = e.poll_transmit(t1, &mut buf) {
            again.push((tx.flow, buf.clone()));
        }
        assert_eq!(again.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 2]);
        // Flow 2's retry answers: progress again, so flow 0 gets a third probe.
        let sa = syn_ack(&e, 2, &again[1].1);
        assert_eq!(
            e.handle_packet(t1 + Duration::from_millis(5), &sa),
            Disposition::Matched
        );
        let t2 = t1 + Duration::from_secs(2);
        e.handle_timeout(t2);
        let tx = e.poll_transmit(t2, &mut buf).unwrap();
        assert_eq!(tx.flow, 0);
        assert!(e.poll_transmit(t2, &mut buf).is_none());
        // Nothing new after that: flow 0 gives up.
        e.handle_timeout(t2 + Duration::from_secs(2));
        assert!(e.is_done());
        assert_eq!(e.traces()[0].hops[0].probes, 3);
        assert_eq!(e.stats().retries, 3);
    }

    #[test]
    fn pacing_and_window_drive_poll_timeout() {
        let cfg = TraceConfig::builder()
            .target("t")
            .pps(1000)
            .max_in_flight(2)
            .build()
            .unwrap();
        let flow = Flow::new(
            "t",
            "198.18.0.2".parse().unwrap(),
            "198.19.0.1".parse().unwrap(),
            80,
        );
        let mut e = Engine::new(&cfg, vec![flow], 3).unwrap();
        let t0 = Instant::now();
        let mut buf = Vec::new();
        assert!(e.poll_transmit(t0, &mut buf).is_some());
        // Paced: the next send is 1 ms later.
        assert!(e.poll_transmit(t0, &mut buf).is_none());
        assert_eq!(e.poll_timeout(), Some(t0 + Duration::from_millis(1)));
        let t1 = t0 + Duration::from_millis(1);
        assert!(e.poll_transmit(t1, &mut buf).is_some());
        // Window full: only the first probe's timeout is pending.
        assert!(
            e.poll_transmit(t1 + Duration::from_millis(5), &mut buf)
                .is_none()
        );
        assert_eq!(e.poll_timeout(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(e.in_flight(), 2);
    }

    #[test]
    fn router_pacing_gives_each_source_and_ttl_a_burst_then_one_probe_per_interval() {
        let secs = Duration::from_secs;
        let cfg = TraceConfig::builder()
            .target("t")
            .max_ttl(2)
            .timeout(secs(10))
            .router_pacing(secs(1), 2)
            .build()
            .unwrap();
        let one: IpAddr = "198.18.0.2".parse().unwrap();
        let other: IpAddr = "198.18.0.3".parse().unwrap();
        let flows: Vec<Flow> = [one, one, one, other]
            .iter()
            .enumerate()
            .map(|(i, &src)| {
                Flow::new("t", src, format!("198.19.0.{}", i + 1).parse().unwrap(), 80)
            })
            .collect();
        let mut e = Engine::new(&cfg, flows, 7).unwrap();
        let t0 = Instant::now();
        let mut buf = Vec::new();
        let mut sent = |e: &mut Engine, now| {
            let mut out = Vec::new();
            while let Some(tx) = e.poll_transmit(now, &mut buf) {
                out.push((tx.flow, tx.ttl));
            }
            out.sort_unstable();
            out
        };
        // At once: a burst of two per TTL from the shared address, and everything from the
        // address of its own.
        assert_eq!(
            sent(&mut e, t0),
            [(0, 1), (0, 2), (1, 1), (1, 2), (3, 1), (3, 2)]
        );
        // The third trace waits for the next turn of both TTLs, a second later.
        assert_eq!(e.poll_timeout(), Some(t0 + secs(1)));
        assert!(sent(&mut e, t0 + Duration::from_millis(999)).is_empty());
        assert_eq!(sent(&mut e, t0 + secs(1)), [(2, 1), (2, 2)]);
        assert_eq!(e.stats().sent, 8);
        // The plan's deadline covers the turns: 4 traces × 1 attempt per TTL, 1 s each.
        let plain = TraceConfig::builder()
            .target("t")
            .max_ttl(2)
            .timeout(secs(10));
        let paced = plain.clone().router_pacing(secs(1), 2).build().unwrap();
        let plain = plain.build().unwrap();
        assert_eq!(paced.plan_deadline(), plain.plan_deadline() + secs(1));
        assert_eq!(
            TraceConfig::builder()
                .target("t")
                .router_pacing(Duration::ZERO, 1)
                .build()
                .unwrap_err(),
            ConfigError::ZeroRouterInterval
        );
        assert_eq!(
            TraceConfig::builder()
                .target("t")
                .mda(95)
                .router_pacing(secs(1), 1)
                .build()
                .unwrap_err(),
            ConfigError::RouterPacingWithMda
        );
    }
}
