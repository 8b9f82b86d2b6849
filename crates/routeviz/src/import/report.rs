//! What every importer shares: its limits and the report it builds.

use tcptrace::{TraceParams, TraceReport};

/// The most records (results, trace objects, reports) one input may hold.
pub const MAX_RECORDS: usize = 200_000;
/// The most packets (probes, timeouts and late replies) one hop of one record may hold.
pub const MAX_PACKETS: usize = 64;

/// The report of imported traces: the parameters say only what the traces show (their first
/// and last TTL); the rest are tcptrace's defaults, as the importers cannot know them.
pub(super) fn imported_report(
    traces: Vec<tcptrace::Trace>,
    failed: Vec<tcptrace::FailedTarget>,
    started: Option<i64>,
) -> TraceReport {
    let mut params = TraceParams::default();
    let ttls = traces.iter().flat_map(|t| t.hops.iter().map(|h| h.ttl));
    let (lo, hi) = ttls.fold((u8::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if lo <= hi {
        (params.min_ttl, params.max_ttl) = (lo, hi);
    }
    let mut report = TraceReport::new(params, rfc3339(started.unwrap_or(0)), traces);
    report.failed_targets = failed;
    report
}

/// A Unix time in seconds as RFC 3339 UTC, clamped to what RFC 3339 can write.
pub(super) fn rfc3339(secs: i64) -> String {
    const LAST: i64 = 253_402_300_799;
    let secs = secs.clamp(0, LAST).unsigned_abs();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_millis(t).to_string()
}
