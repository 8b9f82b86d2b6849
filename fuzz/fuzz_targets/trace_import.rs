//! Other tools' traceroute output (untrusted: Atlas downloads, scamper and mtr JSON from
//! anywhere) through routeviz's importers, detected and in each named format. Must never
//! panic; what imports must be a report that serializes and reads back as trace JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use routeviz::import::{ImportFormat, import};
use tcptrace::TraceReport;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [
        None,
        Some(ImportFormat::Atlas),
        Some(ImportFormat::Scamper),
        Some(ImportFormat::Mtr),
    ] {
        if let Ok(report) = import(text, format) {
            let json = report.to_json_pretty().unwrap();
            let back = TraceReport::from_json(&json).unwrap();
            assert_eq!(back.traces.len(), report.traces.len());
            assert_eq!(back.failed_targets.len(), report.failed_targets.len());
        }
    }
});
