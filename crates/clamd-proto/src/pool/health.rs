//! One host's health during a pool run, without I/O: up, down until its next retry, being
//! probed, or given up for the run. Time comes in as arguments, so the transitions are the
//! same under a test's clock as under the run's.

use std::time::{Duration, Instant};

/// When a host that failed is tried again: the first wait, the cap of the doubling waits,
/// and how many probes in a row may fail before the host is given up for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retry {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
    /// Failed probes in a row before the host is out for the run; 0: never probed.
    pub(crate) probes: usize,
}

impl Retry {
    /// The wait after `last`: the first one, else twice the last, at most the cap.
    fn next(&self, last: Option<Duration>) -> Duration {
        last.map_or(self.first, |d| d.saturating_mul(2))
            .min(self.max)
    }
}

/// Where a host stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    /// It takes files.
    Up,
    /// It failed; it is probed at `retry_at`, `backoff` after the failure.
    Down {
        retry_at: Instant,
        backoff: Duration,
    },
    /// A probe is on its way; its answer decides.
    Probing { backoff: Duration },
    /// Its probes ran out (or retries are off): no more files or probes this run.
    Gone,
}

/// What a probe's answer did to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probed {
    /// It answered: it takes files again.
    Rejoined,
    /// It did not: it is probed again at this time.
    StillDown(Instant),
    /// It did not, for the last allowed time.
    GaveUp,
}

/// One host's health and the memory of its failures.
#[derive(Debug, Clone)]
pub(crate) struct HostHealth {
    health: Health,
    /// The last wait used, kept across a rejoin until the host answers a file: a host that
    /// answers PING and then fails every scan waits longer each time.
    backoff: Option<Duration>,
    failed_probes: usize,
    /// Rejoins so far. A file sent before the last rejoin that fails now says nothing about
    /// the host as it is.
    epoch: u32,
}

impl Default for HostHealth {
    fn default() -> Self {
        Self {
            health: Health::Up,
            backoff: None,
            failed_probes: 0,
            epoch: 0,
        }
    }
}

impl HostHealth {
    pub(crate) fn health(&self) -> Health {
        self.health
    }

    pub(crate) fn is_up(&self) -> bool {
        self.health == Health::Up
    }

    pub(crate) fn is_gone(&self) -> bool {
        self.health == Health::Gone
    }

    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The time of the next probe, while down.
    pub(crate) fn retry_at(&self) -> Option<Instant> {
        match self.health {
            Health::Down { retry_at, .. } => Some(retry_at),
            _ => None,
        }
    }

    /// A file sent in `epoch` failed at `now`. Returns whether this took the host down: only
    /// an up host goes down, and only for a file sent since its last rejoin.
    pub(crate) fn fail(&mut self, epoch: u32, now: Instant, retry: &Retry) -> bool {
        if self.health != Health::Up || epoch != self.epoch {
            return false;
        }
        self.down(now, retry);
        true
    }

    fn down(&mut self, now: Instant, retry: &Retry) {
        if retry.probes == 0 {
            self.health = Health::Gone;
            return;
        }
        let backoff = retry.next(self.backoff);
        self.backoff = Some(backoff);
        self.health = Health::Down {
            // Saturating: a huge wait must not overflow the clock.
            retry_at: now.checked_add(backoff).unwrap_or(now),
            backoff,
        };
    }

    /// A file sent in `epoch` was answered: the host works, and its next failure starts
    /// from the first wait again.
    pub(crate) fn answered(&mut self, epoch: u32) {
        if self.health == Health::Up && epoch == self.epoch {
            self.backoff = None;
        }
    }

    /// Whether its retry time has come at `now`; if so it is now being probed.
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        match self.health {
            Health::Down { retry_at, backoff } if retry_at <= now => {
                self.health = Health::Probing { backoff };
                true
            }
            _ => false,
        }
    }

    /// The probe's answer at `now`; `None` if no probe was on its way.
    pub(crate) fn probed(&mut self, ok: bool, now: Instant, retry: &Retry) -> Option<Probed> {
        if !matches!(self.health, Health::Probing { .. }) {
            return None;
        }
        if ok {
            self.health = Health::Up;
            self.failed_probes = 0;
            self.epoch += 1;
            return Some(Probed::Rejoined);
        }
        self.failed_probes += 1;
        if self.failed_probes >= retry.probes {
            self.health = Health::Gone;
            return Some(Probed::GaveUp);
        }
        self.down(now, retry);
        Some(Probed::StillDown(self.retry_at().unwrap_or(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn retry(probes: usize) -> Retry {
        Retry {
            first: S,
            max: 5 * S,
            probes,
        }
    }

    #[test]
    fn a_failed_host_waits_doubling_capped_backoffs_then_is_given_up() {
        let (r, t0) = (retry(5), Instant::now());
        let mut h = HostHealth::default();
        assert!(h.fail(0, t0, &r));
        assert_eq!(
            h.health(),
            Health::Down {
                retry_at: t0 + S,
                backoff: S
            }
        );
        // A second failure while down (another connection) changes nothing.
        assert!(!h.fail(0, t0, &r));
        assert!(!h.due(t0 + S / 2), "not yet");
        let mut now = t0 + S;
        let mut waits = Vec::new();
        for _ in 0..4 {
            assert!(h.due(now));
            assert!(!h.due(now), "one probe at a time");
            let Some(Probed::StillDown(at)) = h.probed(false, now, &r) else {
                panic!("{h:?}");
            };
            waits.push((at - now).as_secs());
            now = at;
        }
        assert_eq!(waits, [2, 4, 5, 5]);
        assert!(h.due(now));
        assert_eq!(h.probed(false, now, &r), Some(Probed::GaveUp));
        assert!(h.is_gone());
        assert_eq!((h.retry_at(), h.due(now + 60 * S)), (None, false));
        assert_eq!(h.probed(true, now, &r), None, "no probe was asked for");
    }

    #[test]
    fn a_host_that_answers_its_probe_rejoins_in_a_new_epoch() {
        let (r, t0) = (retry(3), Instant::now());
        let mut h = HostHealth::default();
        h.fail(0, t0, &r);
        assert!(h.due(t0 + S));
        assert_eq!(
            h.probed(false, t0 + S, &r),
            Some(Probed::StillDown(t0 + 3 * S))
        );
        assert!(h.due(t0 + 3 * S));
        assert_eq!(h.probed(true, t0 + 3 * S, &r), Some(Probed::Rejoined));
        assert!(h.is_up());
        assert_eq!(h.epoch(), 1);
        // A late failure of a file sent before the rejoin leaves the host up.
        assert!(!h.fail(0, t0 + 4 * S, &r));
        assert!(h.is_up());
        // A new failure, without a file answered since: the wait goes on doubling, and the
        // failed probes count again from zero.
        assert!(h.fail(1, t0 + 4 * S, &r));
        assert_eq!(h.retry_at(), Some(t0 + 8 * S));
        h.due(t0 + 8 * S);
        assert!(matches!(
            h.probed(false, t0 + 8 * S, &r),
            Some(Probed::StillDown(_))
        ));
    }

    #[test]
    fn an_answered_file_resets_the_backoff() {
        let (r, t0) = (retry(3), Instant::now());
        let mut h = HostHealth::default();
        h.fail(0, t0, &r);
        h.due(t0 + S);
        h.probed(true, t0 + S, &r);
        // An answer for a file of the old epoch proves nothing.
        h.answered(0);
        h.fail(1, t0 + S, &r);
        assert_eq!(h.retry_at(), Some(t0 + 3 * S));
        h.due(t0 + 3 * S);
        h.probed(true, t0 + 3 * S, &r);
        h.answered(2);
        h.fail(2, t0 + 4 * S, &r);
        assert_eq!(h.retry_at(), Some(t0 + 5 * S), "the first wait again");
    }

    #[test]
    fn without_probes_a_failed_host_is_gone_at_once() {
        let (r, t0) = (retry(0), Instant::now());
        let mut h = HostHealth::default();
        assert!(h.fail(0, t0, &r));
        assert!(h.is_gone());
        assert_eq!(h.retry_at(), None);
    }
}
