//! Multipath discovery: a sans-IO planner of the Multipath Detection Algorithm (MDA) with
//! MDA-Lite's shortcuts, for one trace.
//!
//! The planner names probes as (TTL, flow number); the engine turns a flow number into the
//! probe's flow identifier (TCP source port, and IPv6 flow label) and reports back which
//! interface each probe reached, or that it was lost. It never sees a packet or a clock.
//!
//! # Call order
//!
//! 1. [`Planner::new`].
//! 2. Until [`Planner::end`] is `Some`: send what [`Planner::poll_probe`] gives until it gives
//!    `None`; report each probe's fate once with [`Planner::handle_answer`] or
//!    [`Planner::handle_loss`].
//! 3. Read [`Planner::links`].
//!
//! # The algorithm
//!
//! Hop by hop, from the first TTL. The first TTL (and a TTL past a silent hop, whose flows
//! cannot be told apart) takes fresh flows until the stopping rule holds: `n_k` answers for
//! the `k` interfaces seen ([`stopping::n_k`]).
//!
//! Past a hop that answered, the question is not how many interfaces the next hop has but
//! how many successors each router of the hop before has, and the next hop's probes reuse
//! the flows known to cross each router ([`successors`]):
//! - a router whose flows reached `s` successors hides one more with chance
//!   [`stopping::miss`]`(s, m)` after `m` of them answered;
//! - under MDA-Lite's model (uniform, unmeshed load balancing) the routers of one hop have
//!   as many successors as each other, so the hop hides an interface only if each of its
//!   routers does: the chances multiply. Each router also keeps its own chance, weighted by
//!   its share of the flows, under `1 - confidence` (with fresh flows for a router that
//!   showed one successor, with the flows at hand for one that showed a split): a router
//!   with half the flows that hides a split (the model's blind spot) hides much. Eight routers of
//!   one successor each take 24 answers (13 for the product, three each for the floor)
//!   instead of the hop-level rule's 44;
//! - a hop with a single router before it counts every flow probed here as crossing it: its
//!   test is `n_k` for its successors, as the hop-level rule;
//! - when the links show meshing (an interface with two successors and one with two
//!   predecessors between the same two hops) or routers with different numbers of
//!   successors, the hop falls back to the full MDA: each router passes on its own. Paths
//!   that converge unevenly (different numbers of predecessors) do not: the test counts
//!   successors, whatever share of the flows each router gets;
//! - where a router has too few flows, fresh flows at the hop before find more (node
//!   control); an interface that no flow ties to the hop before gets one of its flows probed
//!   there (link completion).
//!
//! A hop starts with one flow through each router of the hop before; where all of them reach
//! the destination, the hop holds nothing else (the destination is where the paths meet), so
//! the last hop costs one probe per router before it instead of `n_k`.
//!
//! The trace ends where every answer of a hop is final (the destination, an unreachable), at
//! the gap limit of silent hops, or at the maximum TTL.
//!
//! # Limits
//!
//! A hop gets at most [`MAX_PROBES_PER_HOP`] probes in at most [`MAX_STEPS_PER_HOP`]
//! planning steps (each waits for the answers of the one before); a trace uses at most
//! [`MAX_FLOWS`] flows.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;

pub(crate) mod stopping;
mod successors;

pub(crate) use stopping::MAX_PROBES_PER_HOP;
/// The most planning steps of one hop: each sends a batch and waits for its answers.
pub(crate) const MAX_STEPS_PER_HOP: u32 = 16;
/// The most flows (source ports) one trace uses.
pub(crate) const MAX_FLOWS: u32 = 16_384;
/// Losses after which a hop with no answer at all counts as silent.
const SILENT_AFTER: u32 = 3;

/// A count of flows as `u32` (a trace has at most [`MAX_FLOWS`]).
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Why a multipath trace ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Every answer of the last hop was final: the destination's, or an unreachable.
    Final,
    /// The gap limit of silent hops in a row.
    GapLimit,
    /// The maximum TTL.
    MaxTtl,
}

/// What became of one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Pending,
    Lost,
    /// Answered from this address; `true` when the answer is final (nothing lies beyond).
    At(IpAddr, bool),
}

#[derive(Clone, Debug, Default)]
struct HopPlan {
    fates: BTreeMap<u16, Fate>,
    steps: u32,
    /// Meshing or non-uniformity was seen with the hop before: the full MDA applies.
    full: bool,
}

impl HopPlan {
    fn sent(&self) -> u32 {
        self.fates.len() as u32
    }

    fn answered(&self) -> u32 {
        self.fates
            .values()
            .filter(|f| matches!(f, Fate::At(..)))
            .count() as u32
    }

    fn lost(&self) -> u32 {
        self.fates.values().filter(|f| **f == Fate::Lost).count() as u32
    }

    fn at(&self, flow: u16) -> Option<(IpAddr, bool)> {
        match self.fates.get(&flow) {
            Some(Fate::At(a, fin)) => Some((*a, *fin)),
            _ => None,
        }
    }

    /// The interfaces that answered, with their flows.
    fn interfaces(&self) -> BTreeMap<IpAddr, Vec<u16>> {
        self.grouped(|_| true)
    }

    /// Interfaces whose answers are not final: routers a flow goes on from.
    fn routers(&self) -> BTreeMap<IpAddr, Vec<u16>> {
        self.grouped(|fin| !fin)
    }

    /// The answers whose finality `keep` accepts, grouped by address.
    fn grouped(&self, keep: impl Fn(bool) -> bool) -> BTreeMap<IpAddr, Vec<u16>> {
        let mut out: BTreeMap<IpAddr, Vec<u16>> = BTreeMap::new();
        for (&flow, fate) in &self.fates {
            if let Fate::At(a, fin) = fate
                && keep(*fin)
            {
                out.entry(*a).or_default().push(flow);
            }
        }
        out
    }

    /// The hop's one interface, when it answered from one only and that is a router.
    fn sole_router(&self) -> Option<IpAddr> {
        let mut found = None;
        for fate in self.fates.values() {
            match fate {
                Fate::At(_, true) => return None,
                Fate::At(a, false) if found.is_some_and(|f| f != *a) => return None,
                Fate::At(a, false) => found = Some(*a),
                _ => {}
            }
        }
        found
    }

    fn has_final_only(&self) -> bool {
        let mut any = false;
        for fate in self.fates.values() {
            match fate {
                Fate::At(_, false) => return false,
                Fate::At(_, true) => any = true,
                _ => {}
            }
        }
        any
    }
}

/// The MDA planner of one trace. See the [module docs](self) for the call order.
#[derive(Clone, Debug)]
pub(crate) struct Planner {
    min_ttl: u8,
    max_ttl: u8,
    gap_limit: Option<u8>,
    confidence: f64,
    /// One per TTL from `min_ttl`, as far as explored.
    hops: Vec<HopPlan>,
    /// The TTL being completed.
    cur: u8,
    queue: VecDeque<(u8, u16)>,
    /// Probes planned whose fate is not known yet (queued ones included).
    pending: u32,
    next_flow: u32,
    silent_run: u8,
    end: Option<End>,
}

impl Planner {
    /// A planner for TTLs `min_ttl..=max_ttl` at `confidence` (0.5 to 0.999...), that stops
    /// after `gap_limit` silent hops in a row.
    pub(crate) fn new(min_ttl: u8, max_ttl: u8, gap_limit: Option<u8>, confidence: f64) -> Self {
        let mut p = Self {
            min_ttl,
            max_ttl: max_ttl.max(min_ttl),
            gap_limit,
            confidence,
            hops: vec![HopPlan::default()],
            cur: min_ttl,
            queue: VecDeque::new(),
            pending: 0,
            next_flow: 0,
            silent_run: 0,
            end: None,
        };
        p.plan();
        p
    }

    /// How the trace ended, once it has.
    pub(crate) fn end(&self) -> Option<End> {
        self.end
    }

    /// The highest TTL probed.
    pub(crate) fn last_ttl(&self) -> u8 {
        self.min_ttl + (self.hops.len() - 1) as u8
    }

    /// The next probe to send, as (TTL, flow number), or `None` while the planner waits for
    /// answers (or has ended).
    #[must_use]
    pub(crate) fn poll_probe(&mut self) -> Option<(u8, u16)> {
        self.queue.pop_front()
    }

    /// The probe (TTL, flow) reached `from`; `fin` when the answer is final (the destination's,
    /// or an unreachable). A fate reported twice, or for a probe never planned, is ignored,
    /// except that an answer replaces a loss (a late answer).
    pub(crate) fn handle_answer(&mut self, ttl: u8, flow: u16, from: IpAddr, fin: bool) {
        let Some(fate) = self.fate_mut(ttl, flow) else {
            return;
        };
        let was = *fate;
        match was {
            Fate::Pending => {
                *fate = Fate::At(from, fin);
                self.pending -= 1;
                self.plan();
            }
            // A late answer: the hop's plan already moved on, but the interface is real.
            Fate::Lost => *fate = Fate::At(from, fin),
            Fate::At(..) => {}
        }
    }

    /// The probe (TTL, flow) got no answer in time.
    pub(crate) fn handle_loss(&mut self, ttl: u8, flow: u16) {
        if let Some(fate) = self.fate_mut(ttl, flow)
            && *fate == Fate::Pending
        {
            *fate = Fate::Lost;
            self.pending -= 1;
            self.plan();
        }
    }

    fn fate_mut(&mut self, ttl: u8, flow: u16) -> Option<&mut Fate> {
        let i = usize::from(ttl.checked_sub(self.min_ttl)?);
        self.hops.get_mut(i)?.fates.get_mut(&flow)
    }

    /// The links found: (TTL of `from`, `from`, `to` at the next TTL), each once, in TTL
    /// then address order. A link joins the interfaces one flow reached at consecutive TTLs.
    pub(crate) fn links(&self) -> Vec<(u8, IpAddr, IpAddr)> {
        let mut out = BTreeSet::new();
        for i in 0..self.hops.len().saturating_sub(1) {
            let ttl = self.min_ttl + i as u8;
            out.extend(
                self.links_between(ttl)
                    .into_iter()
                    .map(|(a, b)| (ttl, a, b)),
            );
        }
        out.into_iter().collect()
    }

    fn hop(&self, ttl: u8) -> &HopPlan {
        &self.hops[usize::from(ttl - self.min_ttl)]
    }

    fn fresh_flow(&mut self) -> Option<u16> {
        (self.next_flow < MAX_FLOWS).then(|| {
            self.next_flow += 1;
            (self.next_flow - 1) as u16
        })
    }

    /// Queues (ttl, flow) unless already probed there or the hop's budget is spent.
    fn request(&mut self, ttl: u8, flow: u16) -> bool {
        let i = usize::from(ttl - self.min_ttl);
        let hop = &mut self.hops[i];
        if hop.fates.contains_key(&flow) || hop.sent() >= MAX_PROBES_PER_HOP {
            return false;
        }
        hop.fates.insert(flow, Fate::Pending);
        self.queue.push_back((ttl, flow));
        self.pending += 1;
        true
    }

    /// Queues `n` fresh flows at `ttl`; how many it could.
    fn request_fresh(&mut self, ttl: u8, n: u32) -> u32 {
        let mut done = 0;
        while done < n {
            let Some(flow) = self.fresh_flow() else { break };
            if !self.request(ttl, flow) {
                break;
            }
            done += 1;
        }
        done
    }

    /// Plans the next batch once every planned probe has its fate; ends the trace when there
    /// is nothing left to learn.
    fn plan(&mut self) {
        while self.pending == 0 && self.end.is_none() {
            let i = usize::from(self.cur - self.min_ttl);
            if self.hops[i].steps >= MAX_STEPS_PER_HOP || !self.step() {
                self.advance();
            } else {
                self.hops[i].steps += 1;
                if self.pending == 0 {
                    // Nothing could be queued (budgets spent): the hop is as done as it gets.
                    self.hops[i].steps = MAX_STEPS_PER_HOP;
                }
            }
        }
    }

    /// Queues what the current hop still needs; false when it needs nothing.
    fn step(&mut self) -> bool {
        let ttl = self.cur;
        let hop = self.hop(ttl);
        if hop.sent() == 0 && ttl > self.min_ttl && self.hop(ttl - 1).answered() > 0 {
            // One flow through each router of the hop before first: where they all reach
            // the destination, that is all the hop holds.
            let firsts: Vec<u16> = self
                .hop(ttl - 1)
                .routers()
                .values()
                .map(|flows| flows[0])
                .collect();
            let mut queued = false;
            for f in firsts {
                queued |= self.request(ttl, f);
            }
            return queued;
        }
        let (answered, lost) = (hop.answered(), hop.lost());
        if answered == 0 {
            if lost >= SILENT_AFTER {
                return false;
            }
            let want = SILENT_AFTER.max(stopping::n_k(1, self.confidence)) - lost;
            let n = self.reuse_then_fresh(ttl, want);
            return n > 0;
        }
        if hop.has_final_only() && ttl > self.min_ttl && self.every_router_linked(ttl) {
            return false;
        }
        if ttl == self.min_ttl || self.hop(ttl - 1).answered() == 0 {
            // No hop before to tell the flows apart: the hop's own stopping rule.
            let need = stopping::n_k(hop.interfaces().len(), self.confidence);
            if answered < need && lost < need {
                return self.reuse_then_fresh(ttl, need - answered) > 0;
            }
            return false;
        }
        if self.complete_preds(ttl) || self.complete_preds(ttl - 1) {
            return true;
        }
        if !self.hop(ttl).full && self.meshed_or_uneven(ttl) {
            let i = usize::from(ttl - self.min_ttl);
            self.hops[i].full = true;
        }
        self.successor_test(ttl)
    }

    /// Queues up to `n` probes at `ttl`: flows that reached a router at the TTL before, then
    /// fresh ones.
    fn reuse_then_fresh(&mut self, ttl: u8, n: u32) -> u32 {
        let mut done = 0;
        if ttl > self.min_ttl {
            let prev = self.hop(ttl - 1);
            let mut reuse: Vec<u16> = prev
                .fates
                .iter()
                .filter(|(_, f)| matches!(f, Fate::At(_, false)))
                .map(|(&flow, _)| flow)
                .collect();
            if prev.answered() == 0 {
                // Beyond a silent hop the flows that were lost there carry on.
                reuse = prev.fates.keys().copied().collect();
            }
            for flow in reuse {
                if done == n {
                    return done;
                }
                if self.request(ttl, flow) {
                    done += 1;
                }
            }
        }
        done + self.request_fresh(ttl, n - done)
    }

    /// Link completion for the interfaces at `ttl` that no flow ties to the hop before:
    /// one flow through each gets probed at `ttl - 1`. True when it queued probes.
    fn complete_preds(&mut self, ttl: u8) -> bool {
        if ttl == self.min_ttl || self.hop(ttl - 1).answered() == 0 {
            return false;
        }
        let (prev, here) = (self.hop(ttl - 1), self.hop(ttl));
        let links = self.links_between(ttl - 1);
        let asks: Vec<u16> = here
            .interfaces()
            .into_iter()
            .filter(|(c, _)| !links.iter().any(|(_, b)| b == c))
            .filter_map(|(_, flows)| flows.into_iter().find(|f| !prev.fates.contains_key(f)))
            .collect();
        let mut queued = false;
        for f in asks {
            queued |= self.request(ttl - 1, f);
        }
        queued
    }

    /// Whether every router of `ttl - 1` has a known successor at `ttl`.
    fn every_router_linked(&self, ttl: u8) -> bool {
        let links = self.links_between(ttl - 1);
        self.hop(ttl - 1)
            .routers()
            .keys()
            .all(|p| links.iter().any(|(a, _)| a == p))
    }

    /// The (from, to) links between `ttl` and `ttl + 1`.
    fn links_between(&self, ttl: u8) -> BTreeSet<(IpAddr, IpAddr)> {
        let (a, b) = (self.hop(ttl), self.hop(ttl + 1));
        a.fates
            .iter()
            .filter_map(|(&flow, fate)| match fate {
                Fate::At(x, false) => b.at(flow).map(|(y, _)| (*x, y)),
                _ => None,
            })
            .collect()
    }

    /// Whether the links between `ttl - 1` and `ttl` break the model of the successor test:
    /// meshing, or interfaces with different numbers of successors. (Paths that converge
    /// unevenly, interfaces with different numbers of predecessors, leave it whole: the test
    /// counts successors per router, whatever share of the flows each router gets.)
    fn meshed_or_uneven(&self, ttl: u8) -> bool {
        let links = self.links_between(ttl - 1);
        let mut succ: BTreeMap<IpAddr, u32> = BTreeMap::new();
        let mut pred: BTreeMap<IpAddr, u32> = BTreeMap::new();
        for (a, b) in &links {
            *succ.entry(*a).or_default() += 1;
            *pred.entry(*b).or_default() += 1;
        }
        let meshed = succ.values().any(|&n| n > 1) && pred.values().any(|&n| n > 1);
        let uneven = |m: &BTreeMap<IpAddr, u32>| {
            let mut v = m.values();
            v.next().is_some_and(|first| v.any(|n| n != first))
        };
        meshed || uneven(&succ)
    }

    /// The stopping rule between `ttl - 1` and `ttl` ([`successors`]): queues the flows
    /// through the routers of the hop before that it still needs; true when it queued any.
    fn successor_test(&mut self, ttl: u8) -> bool {
        let eps = 1.0 - self.confidence;
        let (prev, here) = (self.hop(ttl - 1), self.hop(ttl));
        let mut by_router = prev.routers();
        let single = prev.sole_router().is_some();
        if single {
            // Every flow crosses the hop's one interface: the flows tried here count too.
            if let Some(flows) = by_router.values_mut().next() {
                for &f in here.fates.keys() {
                    if !flows.contains(&f) {
                        flows.push(f);
                    }
                }
            }
        }
        let total: usize = by_router.values().map(Vec::len).sum();
        let mut branches = Vec::new();
        for flows in by_router.values() {
            let mut succ = BTreeSet::new();
            let (mut answered, mut lost) = (0u32, 0u32);
            let mut untried = Vec::new();
            for &f in flows {
                match here.fates.get(&f) {
                    Some(Fate::At(b, _)) => {
                        succ.insert(*b);
                        answered += 1;
                    }
                    Some(Fate::Lost) => lost += 1,
                    Some(Fate::Pending) => {}
                    None => untried.push(f),
                }
            }
            if answered == 0 && lost >= SILENT_AFTER {
                // What lies beyond it does not answer.
                continue;
            }
            untried.reverse();
            branches.push(successors::Branch {
                succ: succ.len(),
                answered,
                untried,
                share: f64::from(len32(flows.len())) / f64::from(len32(total).max(1)),
            });
        }
        let plan = successors::plan(branches, eps, self.hop(ttl).full);
        let mut queued = false;
        for f in plan.asks {
            queued |= self.request(ttl, f);
        }
        if plan.short && single {
            // Fresh flows here cross the one interface before.
            queued |= self.request_fresh(ttl, plan.more) > 0;
        } else if plan.short && !queued {
            // Node control: fresh flows at the hop before land on each of its routers with
            // probability about 1 / width.
            let width = by_router.len() as u32;
            queued |= self.request_fresh(ttl - 1, width.max(1)) > 0;
        }
        queued
    }

    /// The current hop is done: end the trace or move to the next TTL.
    fn advance(&mut self) {
        let hop = self.hop(self.cur);
        let (silent, fin) = (hop.answered() == 0, hop.has_final_only());
        self.silent_run = if silent { self.silent_run + 1 } else { 0 };
        if fin {
            self.end = Some(End::Final);
            return;
        }
        if self.gap_limit.is_some_and(|g| self.silent_run >= g) {
            self.end = Some(End::GapLimit);
            return;
        }
        if self.cur >= self.max_ttl {
            self.end = Some(End::MaxTtl);
            return;
        }
        self.cur += 1;
        self.hops.push(HopPlan::default());
    }
}

#[cfg(test)]
mod tests;
