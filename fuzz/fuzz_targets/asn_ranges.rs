//! The range-file parser of `asn-lookup`'s AS tables: ip-location-db CSV, iptoasn TSV and pyasn
//! `.dat`. The first byte picks the format; the rest is the file. Loading must never panic,
//! and a table that loads must be sorted, disjoint and find each of its rows at both ends.
#![no_main]

use std::net::IpAddr;

use asn_lookup::{RangeFormat, RangeTable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let format = match selector % 3 {
        0 => RangeFormat::Csv,
        1 => RangeFormat::IptoasnTsv,
        _ => RangeFormat::Pyasn,
    };
    let Ok(table) = RangeTable::from_reader(text, format) else {
        return;
    };
    let mut prev: Option<IpAddr> = None;
    for row in table.rows() {
        let (first, last) = (row.range.first(), row.range.last());
        assert!(first <= last);
        if let Some(p) = prev {
            if p.is_ipv4() == first.is_ipv4() {
                assert!(p < first, "rows overlap or are out of order");
            }
        }
        prev = Some(last);
        assert_eq!(table.lookup(first).map(|e| e.asn), Some(row.asn));
        assert_eq!(table.lookup(last).map(|e| e.asn), Some(row.asn));
        assert_ne!(row.asn, 0, "AS 0 rows are holes");
    }
});
