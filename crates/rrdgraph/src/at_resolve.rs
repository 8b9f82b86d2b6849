//! Resolving a graph's `--start` and `--end` to seconds as librrd 1.7.2 does: its whole
//! at-style grammar (`rrd_parsetime`: references, dates, times of day, offsets in calendar
//! units, the `m` guess) in the clock's zone, then `rrd_proc_start_end` for specs relative to
//! each other, with glibc's `mktime` semantics (DST gaps and repeats, `tm_isdst`).

mod parse_time;
mod scan;
mod tm;

use crate::eval::Clock;
use crate::eval_error::EvalError;
use parse_time::{Kind, TimeValue, parse_time};
use tm::Tm;

fn refuse(spec: &str, why: impl Into<String>) -> EvalError {
    EvalError::Time {
        spec: spec.chars().take(80).collect(),
        reason: why.into(),
    }
}

/// `mktime(tm) + offset`, as `rrd_proc_start_end` adds them.
fn instant(
    spec: &str,
    tm: &Tm,
    offset: i64,
    clock: &Clock,
    guess: &mut i64,
) -> Result<i64, EvalError> {
    tm.mktime(clock.zone(), guess)
        .and_then(|t| t.checked_add(offset))
        .ok_or_else(|| refuse(spec, "the specified time is incorrect (out of range?)"))
}

/// `rrd_proc_start_end`: the time `other` is relative to, with `rel`'s calendar fields added
/// to its broken-down local time (whose `tm_isdst` stays as `localtime_r` set it).
fn relative(
    spec: &str,
    base: i64,
    rel: &TimeValue,
    clock: &Clock,
    guess: &mut i64,
) -> Result<i64, EvalError> {
    let mut tm = Tm::local(base, clock.zone());
    tm.mday = tm.mday.saturating_add(rel.tm.mday);
    tm.mon = tm.mon.saturating_add(rel.tm.mon);
    tm.year = tm.year.saturating_add(rel.tm.year);
    instant(spec, &tm, rel.offset, clock, guess)
}

/// librrd's `--start`/`--end` handling: `--start` defaults to `end-24h`, `--end` to `now`;
/// one may be relative to the other, not both; the start must be after 1980 and not after
/// the end. The specs are read in `rrd_graph`'s order (its defaults, then `--start` and
/// `--end` as they come, `end_first` when `--end` came first), since each `mktime` starts
/// from the offset the one before found.
pub(crate) fn resolve_window(
    start: Option<&str>,
    end: Option<&str>,
    end_first: bool,
    clock: &Clock,
) -> Result<(i64, i64), EvalError> {
    let start_spec = start.unwrap_or("end-24h");
    let end_spec = end.unwrap_or("now");
    let now = clock.now();
    let zone = clock.zone();
    let mut guess = 0;
    let parse = |spec: &str, guess: &mut i64| {
        parse_time(spec, now, zone, guess).map_err(|e| refuse(spec, e))
    };
    // rrd_graph parses its defaults first.
    let mut st = parse("end-24h", &mut guess)?;
    let mut et = parse("now", &mut guess)?;
    let specs = [(start, false), (end, true)];
    let order = if end_first {
        [specs[1], specs[0]]
    } else {
        specs
    };
    for (spec, is_end) in order {
        if let Some(spec) = spec {
            let tv = parse(spec, &mut guess)?;
            if is_end { et = tv } else { st = tv }
        }
    }
    if st.kind == Kind::End && et.kind == Kind::Start {
        return Err(refuse(
            start_spec,
            "the start and end times cannot be specified relative to each other",
        ));
    }
    if st.kind == Kind::Start {
        return Err(refuse(
            start_spec,
            "the start time cannot be specified relative to itself",
        ));
    }
    if et.kind == Kind::End {
        return Err(refuse(
            end_spec,
            "the end time cannot be specified relative to itself",
        ));
    }
    let (s, e) = if st.kind == Kind::End {
        let e = instant(end_spec, &et.tm, et.offset, clock, &mut guess)?;
        (relative(start_spec, e, &st, clock, &mut guess)?, e)
    } else if et.kind == Kind::Start {
        let s = instant(start_spec, &st.tm, st.offset, clock, &mut guess)?;
        (s, relative(end_spec, s, &et, clock, &mut guess)?)
    } else {
        let s = instant(start_spec, &st.tm, st.offset, clock, &mut guess)?;
        (s, instant(end_spec, &et.tm, et.offset, clock, &mut guess)?)
    };
    if s < 315_360_000 {
        return Err(refuse(
            start_spec,
            "the first entry to fetch should be after 1980",
        ));
    }
    if e < s {
        return Err(refuse(start_spec, "the start should be before the end"));
    }
    Ok((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Zone;

    const NOW: i64 = 1_767_225_600;

    fn utc(start: &str, end: &str) -> Result<(i64, i64), EvalError> {
        resolve_window(Some(start), Some(end), false, &Clock::at(NOW))
    }

    #[test]
    fn relative_and_absolute_windows() {
        let clock = Clock::at(NOW);
        assert_eq!(
            resolve_window(None, None, false, &clock),
            Ok((NOW - 86_400, NOW))
        );
        assert_eq!(utc("-1d", "now-2h"), Ok((NOW - 86_400, NOW - 7200)));
        assert_eq!(
            utc("end-8h30min", "1767000000"),
            Ok((1_767_000_000 - 30_600, 1_767_000_000))
        );
        assert_eq!(
            utc("1767000000", "s+1w"),
            Ok((1_767_000_000, 1_767_000_000 + 604_800))
        );
        assert!(utc("-1 day", "e").is_err());
        assert_eq!(utc("-1d2h", "now"), Ok((NOW - 93_600, NOW)));
    }

    #[test]
    fn calendar_times() {
        // NOW is 2026-01-01 00:00 UTC, a Thursday.
        assert_eq!(utc("-1month", "now").unwrap().0, NOW - 31 * 86_400);
        assert_eq!(utc("-1m", "now").unwrap().0, NOW - 31 * 86_400);
        assert_eq!(utc("-6m", "now").unwrap().0, NOW - 360);
        assert_eq!(utc("noon yesterday", "now").unwrap().0, NOW - 12 * 3600);
        assert_eq!(utc("20251231", "now").unwrap().0, NOW - 86_400);
        assert_eq!(utc("-1y", "now").unwrap().0, NOW - 365 * 86_400);
        assert_eq!(utc("Dec 1 2025", "now").unwrap().0, NOW - 31 * 86_400);
        assert_eq!(utc("12/31/2025 12:00", "now").unwrap().0, NOW - 12 * 3600);
        assert_eq!(utc("31.12.2025", "now").unwrap().0, NOW - 86_400);
        assert_eq!(utc("9pm Dec 31 2025", "now").unwrap().0, NOW - 3 * 3600);
        assert!(utc("13/31/2025", "now").is_err());
        assert!(utc("now junk", "now").is_err());
    }

    #[test]
    fn days_are_calendar_days_in_the_zone() {
        // 2026-03-30 00:00 CEST: a day earlier is 23 hours earlier.
        let berlin = Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let now = 1_774_821_600;
        let clock = Clock::at(now).in_zone(berlin);
        assert_eq!(
            resolve_window(Some("-1d"), None, false, &clock),
            Ok((now - 23 * 3600, now))
        );
    }

    proptest::proptest! {
        /// Any text resolves or is refused with a reason: librrd's grammar never panics here.
        #[test]
        fn any_text_resolves_or_is_refused(spec in "[0-9a-zA-Z:./+ _,-]{0,40}", now in 0..4_000_000_000i64) {
            let zone = Zone::from_posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0").unwrap();
            let _ = resolve_window(Some(&spec), None, false, &Clock::at(now).in_zone(zone.clone()));
            let _ = resolve_window(Some("end-1d"), Some(&spec), true, &Clock::at(now).in_zone(zone));
        }
    }
}
