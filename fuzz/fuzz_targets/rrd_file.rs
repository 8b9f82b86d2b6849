//! Fuzzes the pure-Rust RRD reader: any bytes as a file, then fetches of every CF over windows
//! around its last update. A typed error or an answer, never a panic, and an answer always has
//! the shape librrd's has (`(end - start) / step` rows of every data source).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rrdgraph::{Cf, RrdFile};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = RrdFile::from_bytes("fuzz.rrd", data.to_vec()) else {
        return;
    };
    let Ok(last) = file.last_update() else {
        return;
    };
    let step = i64::try_from(file.step()).unwrap_or(i64::MAX);
    for cf in Cf::ALL {
        for (back, len, res) in [
            (0, 0, 1),
            (10, 10, 1),
            (1000, 900, 300),
            (100_000, 100_000, 3600),
        ] {
            let start = last.saturating_sub(step.saturating_mul(back));
            let end = start.saturating_add(step.saturating_mul(len));
            if let Ok(s) = file.fetch(cf, start, end, res) {
                let rows = (s.end() - s.start()) / i64::try_from(s.step()).unwrap_or(i64::MAX);
                assert_eq!(usize::try_from(rows).ok(), Some(s.len()));
                assert_eq!(s.names().len(), file.ds_names().len());
            }
        }
    }
});
