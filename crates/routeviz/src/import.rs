//! Importers of other tools' traceroute output into tcptrace's one trace model.
//!
//! Three formats are read, each detected from the content ([`detect`]) or named
//! ([`ImportFormat`]):
//!
//! - **RIPE Atlas** traceroute results, as the Atlas API and its downloads serve them: one
//!   JSON array, or one result per line. Each result is one [`Trace`](tcptrace::Trace) whose
//!   [`TraceSource`](tcptrace::TraceSource) names its probe (`probe 6021`, the vantage
//!   point), the measurement, the protocol and the Paris ID. Timeouts (`{"x": "*"}`) count as
//!   probes without a reply; `icmpext` MPLS label stacks are kept; `late` packets (no RTT)
//!   are counted in [`TraceSource::late_replies`](tcptrace::TraceSource::late_replies).
//!   Atlas results do not record the destination port: the traces have port 0.
//! - **scamper** JSON, as `sc_warts2json` (or `scamper -O json`) writes it: `trace` and
//!   `tracelb` objects, one per line; the `cycle-*` and `list` lines are skipped.
//! - **`mtr --json`**: one report per run (several may follow each other). mtr reports
//!   statistics, not each reply: each hop gets one reply with mtr's last RTT and a
//!   [`HopStats`](tcptrace::HopStats) (the hop's `stats`) with the received count and the RTT
//!   statistics.
//!
//! opskit's own `opskit trace --json` is recognised too, so that one reader takes them all.
//!
//! # Strictness and limits
//!
//! Unknown fields are ignored (the tools add fields over time), but every field that is read
//! must have its documented type: a bad address, a negative RTT, an MPLS label over 20 bits or
//! a hop index outside 1..=255 is an [`ImportError`] that names the record and the line it
//! starts on. Nothing is dropped silently: a result without a destination address becomes a
//! [`FailedTarget`](tcptrace::FailedTarget) and a result whose probing failed a trace with
//! [`StopReason::Failed`](tcptrace::StopReason::Failed).
//!
//! The importers work on text in memory: memory is linear in the input, and at most
//! [`MAX_RECORDS`] records with at most [`MAX_PACKETS`] packets per hop are read (the CLI
//! also caps its input at 64 MiB). JSON nesting is bounded by `serde_json`'s recursion limit.
//!
//! ```
//! use routeviz::import::{import, ImportFormat};
//!
//! let line = r#"{"type":"traceroute","af":4,"dst_addr":"192.0.2.1","dst_name":"192.0.2.1",
//!   "from":"198.51.100.7","src_addr":"10.0.0.2","prb_id":6021,"msm_id":5001,"paris_id":3,
//!   "proto":"ICMP","timestamp":1700000000,"result":[
//!   {"hop":1,"result":[{"from":"10.0.0.1","rtt":0.5,"ttl":64},{"x":"*"}]},
//!   {"hop":2,"result":[{"from":"192.0.2.1","rtt":9.25,"ttl":62}]}]}"#;
//! let report = import(&line.replace('\n', ""), None)?;
//! let trace = &report.traces[0];
//! assert_eq!(trace.vantage(), Some("probe 6021"));
//! assert!(trace.reached);
//! assert_eq!(trace.hops[0].probes, 2);
//! assert_eq!(routeviz::import::detect(&line.replace('\n', "")), Some(ImportFormat::Atlas));
//! # Ok::<(), routeviz::import::ImportError>(())
//! ```

mod atlas;
mod detect;
mod error;
mod merge;
mod mtr;
mod records;
mod report;
mod scamper;

use tcptrace::TraceReport;

pub use detect::{ImportFormat, detect};
pub use error::ImportError;
pub use merge::merge;
pub use report::{MAX_PACKETS, MAX_RECORDS};

/// Reads `text` as `format`, or as the format [`detect`] finds when `format` is `None`, into
/// one report with a trace per traceroute of the input, in input order.
///
/// # Errors
///
/// [`ImportError::UnknownFormat`] when the format is not given and not recognised; otherwise
/// the first record that is not valid, with its number and line.
pub fn import(text: &str, format: Option<ImportFormat>) -> Result<TraceReport, ImportError> {
    let format = match format {
        Some(f) => f,
        None => detect(text).ok_or_else(|| ImportError::UnknownFormat(detect::describe(text)))?,
    };
    match format {
        ImportFormat::Atlas => atlas::import(text),
        ImportFormat::Scamper => scamper::import(text),
        ImportFormat::Mtr => mtr::import(text),
        ImportFormat::Opskit => TraceReport::from_json(text).map_err(|e| ImportError::Record {
            format,
            record: 1,
            line: e.line(),
            message: e.to_string(),
        }),
    }
}
