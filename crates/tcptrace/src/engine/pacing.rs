//! Per-router pacing: at most a burst, then one probe per interval, of the probes that expire
//! at each expected router.
//!
//! A Linux router limits the ICMP errors it sends to each host (a token bucket: one error a
//! second after a burst of 6), and every error it sends us goes to the probe's source
//! address. Under shortest-path routing a router is at the same distance from the source on
//! every path through it, so the probes that expire at it are those of one TTL: pacing per
//! (source address, TTL) keeps each router within its limit towards each of our addresses.
//! Routers that share a TTL share a bucket too, which costs time, never answers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The buckets of a run, one per (source address, TTL) that has sent, as GCRA keeps them: a
/// probe may go when its bucket's theoretical arrival time is at most `(burst - 1)`
/// intervals ahead of now.
#[derive(Clone, Debug)]
pub(crate) struct RouterPacer {
    interval: Duration,
    /// How far ahead of now a bucket's next time may be: `(burst - 1) × interval`.
    slack: Duration,
    next: HashMap<(IpAddr, u8), Instant>,
}

impl RouterPacer {
    /// A pacer of one probe per `interval` after a burst of `burst` (at least 1), per bucket.
    pub(crate) fn new(interval: Duration, burst: u32) -> Self {
        Self {
            interval,
            slack: interval.saturating_mul(burst.max(1) - 1),
            next: HashMap::new(),
        }
    }

    /// When a probe from `src` at `ttl` may go: `now` or earlier when it may go now.
    pub(crate) fn ready_at(&self, src: IpAddr, ttl: u8, now: Instant) -> Instant {
        // A time too early to represent has long passed.
        self.next
            .get(&(src, ttl))
            .map_or(now, |&at| at.checked_sub(self.slack).unwrap_or(now).min(at))
    }

    /// Takes the bucket's turn when a probe from `src` at `ttl` may go at `now`; `false`
    /// (and nothing taken) when it must wait until [`RouterPacer::ready_at`].
    pub(crate) fn try_take(&mut self, src: IpAddr, ttl: u8, now: Instant) -> bool {
        if self.ready_at(src, ttl, now) > now {
            return false;
        }
        let at = self.next.entry((src, ttl)).or_insert(now);
        *at = (*at).max(now) + self.interval;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval_per_source_and_ttl() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let mut p = RouterPacer::new(ms(1000), 3);
        // The burst.
        for _ in 0..3 {
            assert!(p.try_take(a, 1, t0));
        }
        assert!(!p.try_take(a, 1, t0));
        assert_eq!(p.ready_at(a, 1, t0), t0 + ms(1000));
        // Another TTL and another address have buckets of their own.
        assert!(p.try_take(a, 2, t0));
        assert!(p.try_take(b, 1, t0));
        // Then one per interval, never two.
        assert!(!p.try_take(a, 1, t0 + ms(999)));
        assert!(p.try_take(a, 1, t0 + ms(1000)));
        assert!(!p.try_take(a, 1, t0 + ms(1999)));
        assert!(p.try_take(a, 1, t0 + ms(2000)));
        // Idle time refills the burst, no more.
        let later = t0 + ms(60_000);
        for _ in 0..3 {
            assert!(p.try_take(a, 1, later));
        }
        assert!(!p.try_take(a, 1, later));
    }

    #[test]
    fn a_burst_of_one_spaces_every_probe() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let mut p = RouterPacer::new(ms(250), 0);
        assert!(p.try_take(a, 3, t0));
        assert!(!p.try_take(a, 3, t0 + ms(249)));
        assert_eq!(p.ready_at(a, 3, t0), t0 + ms(250));
        assert!(p.try_take(a, 3, t0 + ms(250)));
    }
}
