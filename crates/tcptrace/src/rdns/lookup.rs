//! The sans-IO core of a batch of PTR lookups: which query to send when, what each datagram
//! answers, and when the batch is over. It never touches a socket or a clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::message::{Answer, NotOurs, parse_answer, query};

/// How one address's lookup ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Its name.
    Name(String),
    /// It has none (NXDOMAIN, or no PTR).
    NoName,
    /// The server failed to answer (its RCODE, or a truncated answer as 255).
    Failed(u8),
    /// No answer came before the deadline.
    TimedOut,
}

#[derive(Debug)]
struct Query {
    addr: IpAddr,
    id: u16,
    sends: u32,
    next_send: Option<Instant>,
    outcome: Option<Outcome>,
}

/// A batch of PTR lookups to one server under one deadline.
///
/// Call order: [`Lookups::poll_transmit`] until `None` (send each query), wait for a datagram
/// or [`Lookups::poll_timeout`], give datagrams to [`Lookups::handle_datagram`], call
/// [`Lookups::handle_timeout`]; repeat until [`Lookups::is_done`], then
/// [`Lookups::outcomes`].
#[derive(Debug)]
pub(crate) struct Lookups {
    queries: Vec<Query>,
    by_id: HashMap<u16, usize>,
    deadline: Instant,
    retransmit: Duration,
    max_in_flight: usize,
    in_flight: usize,
    next: usize,
    pending: usize,
}

impl Lookups {
    /// Lookups of `addrs` (distinct) started at `now`, all over by `now + deadline`, each
    /// query resent every `retransmit` while unanswered, at most `max_in_flight` at once. The
    /// query IDs come from `key` and are distinct within the batch (at most 65,536 addresses).
    pub(crate) fn new(
        addrs: Vec<IpAddr>,
        now: Instant,
        deadline: Duration,
        retransmit: Duration,
        max_in_flight: usize,
        key: u64,
    ) -> Self {
        let mut by_id = HashMap::new();
        let queries: Vec<Query> = addrs
            .into_iter()
            .take(usize::from(u16::MAX) + 1)
            .enumerate()
            .map(|(i, addr)| {
                // Distinct and unpredictable: an odd multiplier is a bijection on u16.
                let id = ((i as u64).wrapping_mul(0x9e37_79b9) ^ key) as u16;
                let id = id.wrapping_mul(0x2c1b | 1);
                by_id.insert(id, i);
                Query {
                    addr,
                    id,
                    sends: 0,
                    next_send: None,
                    outcome: None,
                }
            })
            .collect();
        let pending = queries.len();
        Self {
            queries,
            by_id,
            deadline: now + deadline,
            retransmit,
            max_in_flight: max_in_flight.max(1),
            in_flight: 0,
            next: 0,
            pending,
        }
    }

    /// True when every lookup has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.pending == 0
    }

    /// The next query to send, written into `buf`, or `None` for now.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<()> {
        if now >= self.deadline {
            return None;
        }
        // A resend of the oldest query that is due.
        let due = self
            .queries
            .iter()
            .position(|q| q.outcome.is_none() && q.next_send.is_some_and(|t| t <= now));
        let i = match due {
            Some(i) => i,
            None if self.in_flight < self.max_in_flight && self.next < self.queries.len() => {
                self.in_flight += 1;
                self.next += 1;
                self.next - 1
            }
            None => return None,
        };
        let q = &mut self.queries[i];
        q.sends += 1;
        q.next_send = Some(now + self.retransmit);
        query(q.id, q.addr, buf);
        Some(())
    }

    /// When to call [`Lookups::handle_timeout`] next.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.is_done() {
            return None;
        }
        let resend = self
            .queries
            .iter()
            .filter(|q| q.outcome.is_none())
            .filter_map(|q| q.next_send)
            .min();
        Some(resend.map_or(self.deadline, |t| t.min(self.deadline)))
    }

    /// Ends every lookup still open at the deadline.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if now >= self.deadline {
            for i in 0..self.queries.len() {
                self.end(i, Outcome::TimedOut);
            }
        }
    }

    /// Ends every lookup still open with `outcome` (the server is unreachable).
    pub(crate) fn fail_all(&mut self, outcome: &Outcome) {
        for i in 0..self.queries.len() {
            self.end(i, outcome.clone());
        }
    }

    fn end(&mut self, i: usize, outcome: Outcome) {
        let q = &mut self.queries[i];
        if q.outcome.is_some() {
            return;
        }
        if q.sends > 0 {
            self.in_flight -= 1;
        }
        q.outcome = Some(outcome);
        self.pending -= 1;
    }

    /// Handles a datagram from the server: an answer to one of the queries ends its lookup;
    /// anything else (another ID, another question, garbage) is ignored. Returns whether it
    /// was an answer.
    pub(crate) fn handle_datagram(&mut self, bytes: &[u8]) -> bool {
        let Some(id) = bytes.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
            return false;
        };
        let Some(&i) = self.by_id.get(&id) else {
            return false;
        };
        let q = &self.queries[i];
        if q.outcome.is_some() || q.sends == 0 {
            return false;
        }
        let outcome = match parse_answer(bytes, id, q.addr) {
            Ok(Answer::Name(n)) => Outcome::Name(n),
            Ok(Answer::NoName) => Outcome::NoName,
            Ok(Answer::Failed(rcode)) => Outcome::Failed(rcode),
            Err(NotOurs::Truncated) => Outcome::Failed(u8::MAX),
            Err(NotOurs::Malformed | NotOurs::Mismatch) => return false,
        };
        self.end(i, outcome);
        true
    }

    /// Every address with how its lookup ended (`TimedOut` for one still open), in the
    /// order given.
    pub(crate) fn outcomes(self) -> Vec<(IpAddr, Outcome)> {
        self.queries
            .into_iter()
            .map(|q| (q.addr, q.outcome.unwrap_or(Outcome::TimedOut)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(n: u8) -> Vec<IpAddr> {
        (1..=n).map(|i| IpAddr::from([198, 18, 0, i])).collect()
    }

    /// The answer to query `q` naming `name` (one label under `.test`), as a server writes it.
    fn answer(q: &[u8], name: &str) -> Vec<u8> {
        let mut m = q.to_vec();
        (m[2], m[3], m[7]) = (0x81, 0x80, 1);
        m.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60]);
        let rdata = [&[name.len() as u8], name.as_bytes(), b"\x04test\x00"].concat();
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
        m
    }

    #[test]
    fn window_retransmits_and_deadline() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut l = Lookups::new(addrs(3), t0, 3 * second, second, 2, 42);
        let mut buf = Vec::new();
        let mut sent = Vec::new();
        while l.poll_transmit(t0, &mut buf).is_some() {
            sent.push(buf.clone());
        }
        assert_eq!(sent.len(), 2, "two in flight at most");
        assert_ne!(sent[0][..2], sent[1][..2], "distinct IDs");
        // The first answer frees a place for the third address.
        assert!(!l.handle_datagram(&answer(&sent[1], "r1")[..20]), "garbage");
        assert!(l.handle_datagram(&answer(&sent[0], "r1")));
        assert!(!l.handle_datagram(&answer(&sent[0], "r1")), "a duplicate");
        assert!(l.poll_transmit(t0, &mut buf).is_some());
        assert!(l.poll_transmit(t0, &mut buf).is_none());
        assert_eq!(l.poll_timeout(), Some(t0 + second));
        // One second on, both open queries are resent.
        let t1 = t0 + second;
        l.handle_timeout(t1);
        let mut resent = 0;
        while l.poll_transmit(t1, &mut buf).is_some() {
            resent += 1;
        }
        assert_eq!(resent, 2);
        // At the deadline the rest time out; nothing is sent after it.
        let t3 = t0 + 3 * second;
        assert_eq!(l.poll_timeout(), Some(t0 + 2 * second));
        l.handle_timeout(t3);
        assert!(l.is_done());
        assert!(l.poll_transmit(t3, &mut buf).is_none());
        assert_eq!(l.poll_timeout(), None);
        let out = l.outcomes();
        assert_eq!(out[0].1, Outcome::Name("r1.test".into()));
        assert_eq!(out[1].1, Outcome::TimedOut);
        assert_eq!(out[2].1, Outcome::TimedOut);
    }

    #[test]
    fn ids_are_distinct_in_a_full_batch() {
        let many: Vec<IpAddr> = (0..=u16::MAX)
            .map(|i| IpAddr::from([10, 0, (i >> 8) as u8, i as u8]))
            .collect();
        let l = Lookups::new(many, Instant::now(), Duration::ZERO, Duration::ZERO, 1, 7);
        assert_eq!(l.by_id.len(), 65_536);
    }
}
