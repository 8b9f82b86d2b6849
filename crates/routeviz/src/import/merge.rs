//! Several reports (runs, vantage points, tools) as one.

use tcptrace::TraceReport;

/// Merges `reports` into one, for one map or one converted file: every trace and failed
/// target of each, in the order given. The first TTL is the lowest of them and the last the
/// highest; the start is the earliest; the other parameters are the first report's (they
/// describe opskit's own runs, and each imported trace keeps how it was measured in its
/// [`source`](tcptrace::Trace::source)). `None` for no report.
pub fn merge(reports: Vec<TraceReport>) -> Option<TraceReport> {
    let mut it = reports.into_iter();
    let mut out = it.next()?;
    for r in it {
        out.params.min_ttl = out.params.min_ttl.min(r.params.min_ttl);
        out.params.max_ttl = out.params.max_ttl.max(r.params.max_ttl);
        // RFC 3339 UTC with the same precision sorts as text.
        if r.started_at < out.started_at {
            out.started_at = r.started_at;
        }
        out.traces.extend(r.traces);
        out.failed_targets.extend(r.failed_targets);
    }
    Some(out)
}
