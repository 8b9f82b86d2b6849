//! Per-hop statistics (mtr's columns) and the engine's counters of a run.

use serde::{Deserialize, Serialize};

/// mtr's per-hop columns for one TTL: how many probes were sent and answered in time, and the
/// spread of their round-trip times. In JSON, a hop's `stats`.
///
/// Only replies that came before their probe's timeout count as received and enter the RTT
/// figures: a late reply is kept in the hop's `replies` (flagged `late`), but a probe answered
/// after the wait is lost to whoever waited, as it is to mtr.
///
/// `jitter_ms` is mtr's jitter: the mean absolute difference between the RTTs of consecutive
/// answered probes, in the order they were sent (mtr's `Javg`). `stdev_ms` is the sample
/// standard deviation (dividing by n − 1, as mtr does). With one answer both are 0; with none,
/// every RTT figure is absent.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HopStats {
    /// Probes sent with this TTL (every round, retries included).
    pub sent: u32,
    /// Probes answered before their timeout.
    pub received: u32,
    /// The share of probes not answered in time, in percent (0 to 100).
    #[serde(serialize_with = "round_ms")]
    pub loss_pct: f64,
    /// The lowest RTT, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "round_opt"
    )]
    pub best_ms: Option<f64>,
    /// The mean RTT, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "round_opt"
    )]
    pub avg_ms: Option<f64>,
    /// The highest RTT, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "round_opt"
    )]
    pub worst_ms: Option<f64>,
    /// The sample standard deviation of the RTTs, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "round_opt"
    )]
    pub stdev_ms: Option<f64>,
    /// The mean absolute difference of consecutive RTTs, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "round_opt"
    )]
    pub jitter_ms: Option<f64>,
}

impl HopStats {
    /// The statistics another tool reports for a hop, such as `mtr --json`'s `Snt`, `Loss%`,
    /// `Best`, `Avg`, `Wrst` and `StDev` (RTTs in milliseconds); the received count is derived
    /// from the loss, and the jitter is unknown.
    pub fn reported(
        sent: u32,
        loss_pct: f64,
        best_ms: f64,
        avg_ms: f64,
        worst_ms: f64,
        stdev_ms: f64,
    ) -> Self {
        let loss_pct = loss_pct.clamp(0.0, 100.0);
        let lost = (f64::from(sent) * loss_pct / 100.0).round();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "0 <= lost <= sent"
        )]
        let received = sent.saturating_sub(lost as u32);
        let answered = received > 0;
        Self {
            sent,
            received,
            loss_pct,
            best_ms: answered.then_some(best_ms),
            avg_ms: answered.then_some(avg_ms),
            worst_ms: answered.then_some(worst_ms),
            stdev_ms: answered.then_some(stdev_ms),
            jitter_ms: None,
        }
    }

    /// The statistics of `sent` probes of which those answered in time took `rtts_ms`, in
    /// the order the probes were sent. More RTTs than probes (a hand-built hop) count as
    /// `sent` answers.
    pub fn from_rtts(sent: u32, rtts_ms: &[f64]) -> Self {
        let n = rtts_ms.len();
        let sent = sent.max(u32::try_from(n).unwrap_or(u32::MAX));
        let received = u32::try_from(n).unwrap_or(u32::MAX);
        let loss_pct = if sent == 0 {
            0.0
        } else {
            100.0 * (1.0 - f64::from(received) / f64::from(sent))
        };
        let mut s = Self {
            sent,
            received,
            loss_pct,
            best_ms: None,
            avg_ms: None,
            worst_ms: None,
            stdev_ms: None,
            jitter_ms: None,
        };
        if n == 0 {
            return s;
        }
        let count = f64::from(received);
        let avg = rtts_ms.iter().sum::<f64>() / count;
        let ss: f64 = rtts_ms.iter().map(|r| (r - avg).powi(2)).sum();
        let jitter: f64 = rtts_ms.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
        s.best_ms = Some(rtts_ms.iter().copied().fold(f64::INFINITY, f64::min));
        s.worst_ms = Some(rtts_ms.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        s.avg_ms = Some(avg);
        s.stdev_ms = Some(if n > 1 {
            (ss / (count - 1.0)).sqrt()
        } else {
            0.0
        });
        s.jitter_ms = Some(if n > 1 { jitter / (count - 1.0) } else { 0.0 });
        s
    }
}

/// The engine's counters of a run: what was sent, and what came back that is not in any
/// hop. In JSON, the report's `engine_stats`; the summary prints them after the traces.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EngineStats {
    /// Probes sent, retries and rounds included.
    pub sent: u64,
    /// Of which retries.
    pub retries: u64,
    /// Replies recorded (late ones included).
    pub replies: u64,
    /// Of which late: they came after their probe's timeout.
    pub late: u64,
    /// Duplicate replies dropped.
    pub duplicates: u64,
    /// Replies dropped because they answer probes beyond where their trace stopped.
    pub ignored: u64,
    /// Packets dropped because they match no probe (another program's traffic, a spoof, a
    /// stale run).
    pub unmatched: u64,
    /// Packets dropped because they could not be parsed or never answer a probe.
    pub malformed: u64,
    /// Traces ended because a probe could not be sent.
    pub send_errors: u64,
    /// ICMP errors matched by the IPv4 ID because the quoted sequence number was not ours (a
    /// middlebox rewrote it).
    pub by_ident: u64,
    /// Replies whose quoted probe shows that a middlebox rewrote it on the way.
    pub rewritten: u64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with signature"
)]
fn round_ms<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((v * 1000.0).round() / 1000.0)
}

#[expect(clippy::ref_option, reason = "serde's serialize_with signature")]
fn round_opt<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => round_ms(v, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtr_columns() {
        let s = HopStats::from_rtts(5, &[10.0, 12.0, 11.0, 15.0]);
        assert_eq!((s.sent, s.received), (5, 4));
        assert!((s.loss_pct - 20.0).abs() < 1e-9);
        assert_eq!(s.best_ms, Some(10.0));
        assert_eq!(s.worst_ms, Some(15.0));
        assert_eq!(s.avg_ms, Some(12.0));
        // Deviations -2, 0, -1, 3: squares sum to 14, over n - 1 = 3.
        assert!((s.stdev_ms.unwrap() - (14.0f64 / 3.0).sqrt()).abs() < 1e-9);
        // |12-10| + |11-12| + |15-11| = 7 over 3 pairs.
        assert!((s.jitter_ms.unwrap() - 7.0 / 3.0).abs() < 1e-9);

        let one = HopStats::from_rtts(1, &[3.0]);
        assert_eq!(
            (one.stdev_ms, one.jitter_ms, one.loss_pct),
            (Some(0.0), Some(0.0), 0.0)
        );
        let none = HopStats::from_rtts(3, &[]);
        assert_eq!(
            (none.received, none.loss_pct, none.avg_ms),
            (0, 100.0, None)
        );
        assert!(HopStats::from_rtts(0, &[]).loss_pct.abs() < f64::EPSILON);
        let json = serde_json::to_value(none).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sent": 3, "received": 0, "loss_pct": 100.0})
        );
    }
}
