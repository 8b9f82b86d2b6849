//! How the table and the summary mark middleboxes.

use std::fmt::Write as _;

use crate::model::{Trace, TraceReport};

/// The mark of a cell of scapy's table: `*` at the TTL where a middlebox's change first
/// shows, nothing elsewhere (so a table without middleboxes stays scapy's, byte for byte).
pub(crate) fn cell_mark(trace: &Trace, ttl: u8) -> &'static str {
    if trace.middleboxes.iter().any(|m| m.ttl == ttl) {
        " *"
    } else {
        ""
    }
}

/// The lines under scapy's table that say what each `*` stands for:
/// `* ADDR:tcpPORT TTL 3: mss 1460→1300`.
pub(crate) fn middlebox_lines(report: &TraceReport) -> String {
    let mut s = String::new();
    for t in &report.traces {
        for m in &t.middleboxes {
            let _ = writeln!(s, "* {}:tcp{} middlebox before {m}", t.addr, t.port);
        }
    }
    s
}

/// The summary's lines under the hop at `ttl`: one per middlebox whose change first shows
/// there, `     * middlebox before TTL 3: mss 1460→1300`.
pub(crate) fn summary_lines(trace: &Trace, ttl: u8) -> String {
    let mut s = String::new();
    for m in trace.middleboxes.iter().filter(|m| m.ttl == ttl) {
        let _ = writeln!(s, "     * middlebox before {m}");
    }
    s
}
