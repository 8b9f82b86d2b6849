//! What one trace saw of one node: the detail the HTML report shows per trace.

use tcptrace::Reply;

/// RTTs above this (about three hours) are treated as unknown, as on the map's edges.
const MAX_RTT_MS: f64 = 1e7;

/// What one trace saw of a node at one TTL: how many replies came from its address, their
/// round-trip times and the hop's loss. [`Node::visits`](crate::Node::visits) lists them in
/// trace order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Visit {
    /// The trace, an index into [`RouteGraph::traces`](crate::RouteGraph::traces).
    pub trace: usize,
    /// The TTL the replies came back at.
    pub ttl: u16,
    /// How many replies came from the node's address at that TTL (late ones included).
    pub replies: u32,
    /// The fastest round-trip time of the replies that came in time, in milliseconds.
    pub rtt_min_ms: Option<f64>,
    /// The slowest round-trip time of the replies that came in time, in milliseconds.
    pub rtt_max_ms: Option<f64>,
    /// The loss of the hop, in percent: measured over rounds when the tracer kept statistics
    /// ([`tcptrace::Hop::measured`]), else from the probe count when it is known
    /// ([`tcptrace::Hop::loss`]); `None` when neither is.
    pub loss_pct: Option<f64>,
    rtt_sum: f64,
    timed: u32,
}

impl Visit {
    pub(crate) fn new(trace: usize, ttl: u16, loss_pct: Option<f64>) -> Self {
        Self {
            trace,
            ttl,
            replies: 0,
            rtt_min_ms: None,
            rtt_max_ms: None,
            loss_pct,
            rtt_sum: 0.0,
            timed: 0,
        }
    }

    /// Counts `r`, and its RTT when it came in time and is plausible.
    pub(crate) fn add(&mut self, r: &Reply) {
        self.replies = self.replies.saturating_add(1);
        if r.late || !(0.0..=MAX_RTT_MS).contains(&r.rtt_ms) {
            return;
        }
        self.rtt_min_ms = Some(self.rtt_min_ms.map_or(r.rtt_ms, |m| m.min(r.rtt_ms)));
        self.rtt_max_ms = Some(self.rtt_max_ms.map_or(r.rtt_ms, |m| m.max(r.rtt_ms)));
        self.rtt_sum += r.rtt_ms;
        self.timed += 1;
    }

    /// The mean round-trip time of the replies that came in time, in milliseconds.
    pub fn rtt_avg_ms(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.rtt_sum / f64::from(self.timed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tcptrace::ReplyKind;

    #[test]
    fn min_avg_max_of_timely_replies() {
        let r = |ms: f64| {
            Reply::new(
                "192.0.2.1".parse().unwrap(),
                Duration::ZERO,
                ReplyKind::TimeExceeded,
            )
            .with_rtt_ms(ms)
        };
        let mut v = Visit::new(0, 3, Some(25.0));
        v.add(&r(1.0));
        v.add(&r(3.0));
        let mut late = r(100.0);
        late.late = true;
        v.add(&late);
        v.add(&r(f64::NAN));
        assert_eq!(v.replies, 4);
        assert_eq!((v.rtt_min_ms, v.rtt_max_ms), (Some(1.0), Some(3.0)));
        assert_eq!(v.rtt_avg_ms(), Some(2.0));
        assert_eq!(Visit::new(0, 1, None).rtt_avg_ms(), None);
    }
}
