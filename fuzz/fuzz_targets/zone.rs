//! Fuzzes the time-zone readers (TZif bytes, POSIX TZ strings): no panic, and every zone
//! accepted answers for any instant, with `resolve_local` landing within a day of the local
//! time it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rrdgraph::Zone;

fn exercise(zone: &Zone) {
    for t in [i64::MIN, -2_208_988_800, 0, 1_774_746_000, 4_102_444_800, i64::MAX] {
        let _ = zone.at(t).abbreviation();
    }
    for local in [0, 1_774_749_600, 1_792_893_600, 4_102_444_800] {
        let t = zone.resolve_local(local);
        assert!((local - t).abs() <= 2 * 86_400, "{local} -> {t}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(zone) = Zone::from_tzif(data) {
        exercise(&zone);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(zone) = Zone::from_posix(text)
    {
        exercise(&zone);
    }
});
