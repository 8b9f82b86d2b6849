//! The MDA's stopping rule: how many probes rule out one more load-balanced interface.

/// The most probes one hop of one trace gets (the engine numbers a TTL's probes in 8 bits).
pub(crate) const MAX_PROBES_PER_HOP: u32 = 255;

/// The most probes the rule ever asks for.
const MAX_N: u32 = 1 << 12;

/// `n_k`: how many answered probes through a load balancer with `k` interfaces found so far
/// make it unlikely (at most `1 - confidence`) that a `k+1`-th interface exists and was missed.
///
/// It is the least `n` for which `n` probes spread uniformly over `k+1` interfaces reach all
/// of them with probability `confidence` (the coupon collector's chain of Veitch et al.,
/// "Failure control in multipath route tracing", INFOCOM 2009). At 95% this is 6, 11, 16, 21,
/// 27, 33, 38, 44 for k = 1 to 8, the table of the MDA papers and of scamper's `tracelb`.
/// `k = 0` (nothing found yet) counts as 1.
pub(crate) fn n_k(k: usize, confidence: f64) -> u32 {
    let eps = 1.0 - confidence.clamp(0.5, 1.0 - 1e-9);
    let mut chain = Chain::new(k);
    for n in 1..=MAX_N {
        chain.step();
        if chain.miss() <= eps {
            return n;
        }
    }
    MAX_N
}

/// The chance that `n` probes spread uniformly over `k+1` interfaces miss at least one of
/// them: how likely a `k+1`-th interface stays unseen after `n` answers showed `k` (`k = 0`
/// counts as 1). [`n_k`] is the least `n` that brings it to `1 - confidence`.
pub(crate) fn miss(k: usize, n: u32) -> f64 {
    let mut chain = Chain::new(k);
    for _ in 0..n.min(MAX_N) {
        chain.step();
    }
    chain.miss()
}

/// The coupon collector's chain over `k+1` interfaces: `p[j]` is the probability of having
/// seen exactly `j` of them after the probes so far.
struct Chain {
    p: Vec<f64>,
}

impl Chain {
    fn new(k: usize) -> Self {
        let mut p = vec![0.0f64; k.max(1) + 2];
        p[0] = 1.0;
        Self { p }
    }

    /// One more probe.
    fn step(&mut self) {
        let m = self.p.len() - 1;
        // k + 1 interfaces, k from a hop's interface count: far below 2^32.
        let mf = f64::from(u32::try_from(m).unwrap_or(u32::MAX));
        for j in (1..=m).rev() {
            let jf = f64::from(u32::try_from(j).unwrap_or(u32::MAX));
            self.p[j] = self.p[j] * (jf / mf) + self.p[j - 1] * ((mf - jf + 1.0) / mf);
        }
        self.p[0] = 0.0;
    }

    fn miss(&self) -> f64 {
        (1.0 - self.p[self.p.len() - 1]).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::n_k;

    #[test]
    fn the_95_percent_table() {
        let got: Vec<u32> = (1..=8).map(|k| n_k(k, 0.95)).collect();
        assert_eq!(got, [6, 11, 16, 21, 27, 33, 38, 44]);
        assert_eq!(n_k(10, 0.95), 57);
        assert_eq!(n_k(0, 0.95), 6);
    }

    #[test]
    fn more_confidence_asks_for_more_probes() {
        for k in 1..=16 {
            assert!(n_k(k, 0.99) > n_k(k, 0.95));
            assert!(n_k(k + 1, 0.95) > n_k(k, 0.95));
        }
        assert!(n_k(1, 0.5) >= 1);
    }

    #[test]
    fn the_miss_chance_falls_with_each_answer() {
        use super::miss;
        assert!((miss(1, 0) - 1.0).abs() < 1e-12);
        assert!((miss(1, 1) - 1.0).abs() < 1e-12);
        // Two interfaces, n probes: all on the same one with chance 2 / 2^n.
        for n in 1..10 {
            assert!((miss(1, n) - 2.0 / f64::from(1u32 << n)).abs() < 1e-12);
        }
        for k in 1..=8 {
            assert!(miss(k, n_k(k, 0.95)) <= 0.05);
            assert!(miss(k, n_k(k, 0.95) - 1) > 0.05);
        }
    }
}
