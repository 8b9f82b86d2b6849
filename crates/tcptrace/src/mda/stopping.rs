//! The MDA's stopping rule: how many probes rule out one more load-balanced interface.

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
    let m = u32::try_from(k.max(1) + 1).unwrap_or(u32::MAX - 1);
    let target = confidence.clamp(0.5, 1.0 - 1e-9);
    // p[j]: the probability of having seen exactly j of the m interfaces so far.
    let mut p = vec![0.0f64; m as usize + 1];
    p[0] = 1.0;
    for n in 1..=MAX_N {
        for j in (1..=m).rev() {
            let stay = f64::from(j) / f64::from(m);
            let come = f64::from(m - j + 1) / f64::from(m);
            let j = j as usize;
            p[j] = p[j] * stay + p[j - 1] * come;
        }
        p[0] = 0.0;
        if p[m as usize] >= target {
            return n;
        }
    }
    MAX_N
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
}
