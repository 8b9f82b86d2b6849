//! The time operators' view of a row: its time in the clock's zone (the offset in effect at
//! that time, as `localtime_r` gives it), and librrd's tests for the first step of a day, week,
//! month and year.

use crate::zone::Zone;

/// Where and when a CDEF is evaluated: what `NOW` reads, the time zone `LTIME`, `NEWDAY`,
/// `NEWWEEK`, `NEWMONTH`, `NEWYEAR`, `:strftime` and calendar `--start`/`--end` times use
/// (librrd asks the process's `localtime_r` and `mktime`; here the zone is explicit, so
/// evaluations in one process need not share it), and the locale's first day of the week
/// (librrd reads `nl_langinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Clock {
    now: i64,
    zone: Zone,
    first_weekday: u8,
}

impl Clock {
    /// A clock whose `NOW` is `now` (seconds since the epoch), in UTC, with weeks starting on
    /// Sunday (librrd 1.7.2 under glibc's C locale, as the tests measure).
    pub fn at(now: i64) -> Self {
        Self {
            now,
            zone: Zone::utc(),
            first_weekday: 0,
        }
    }

    /// Local time is `seconds` east of UTC (negative west), all year, with no zone name (so
    /// `%Z` is refused).
    pub fn utc_offset(mut self, seconds: i64) -> Self {
        self.zone = Zone::fixed(seconds);
        self
    }

    /// Local time is `zone`'s ([`Zone::from_env`] for what librrd would use).
    pub fn in_zone(mut self, zone: Zone) -> Self {
        self.zone = zone;
        self
    }

    /// The zone local times are in.
    #[must_use]
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The first day of the week for `NEWWEEK`, 0 = Sunday … 6 = Saturday (taken modulo 7).
    pub fn first_weekday(mut self, day: u8) -> Self {
        self.first_weekday = day % 7;
        self
    }

    /// What `NOW` pushes, and what relative graph times count from.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.now
    }

    /// `LTIME` at `t`: librrd's `tzoffset(t) + t`.
    pub(super) fn local(&self, t: i64) -> i64 {
        t.saturating_add(self.zone.offset_at(t))
    }

    fn civil(&self, t: i64) -> Civil {
        Civil::of(self.local(t))
    }

    /// `NEWDAY`, `NEWWEEK`, `NEWMONTH` or `NEWYEAR` at `t` for a step of `step` seconds: the
    /// field differs between `t` and `t - step` (for a week: `t` is on the first weekday and
    /// the day before it was not the same weekday).
    pub(super) fn new_period(&self, t: i64, step: i64, period: Period) -> bool {
        let now = self.civil(t);
        let before = self.civil(t.saturating_sub(step));
        match period {
            Period::Day => now.mday != before.mday,
            Period::Week => now.wday == self.first_weekday && now.wday != before.wday,
            Period::Month => now.month != before.month,
            Period::Year => now.year != before.year,
        }
    }
}

/// The calendar periods of the `NEW…` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// The fields of `struct tm` the operators compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u8,
    mday: u8,
    wday: u8,
}

impl Civil {
    /// The proleptic Gregorian date of `t` seconds since the epoch (an era-based day count, so
    /// it is exact for negative times too).
    fn of(t: i64) -> Self {
        let days = t.div_euclid(86_400);
        // 1970-01-01 was a Thursday.
        let wday = u8::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        let (year, month, mday) = crate::civil::civil_from_days(days);
        Civil {
            year,
            month: u8::try_from(month).unwrap_or(0),
            mday: u8::try_from(mday).unwrap_or(0),
            wday,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_of_known_times() {
        let c = Civil::of(0);
        assert_eq!((c.year, c.month, c.mday, c.wday), (1970, 1, 1, 4));
        // 2024-02-29 12:00:00 UTC, a Thursday.
        let c = Civil::of(1_709_208_000);
        assert_eq!((c.year, c.month, c.mday, c.wday), (2024, 2, 29, 4));
        // 2026-01-01 00:00:00 UTC, a Thursday; one second earlier is 2025-12-31.
        let c = Civil::of(1_767_225_600);
        assert_eq!((c.year, c.month, c.mday), (2026, 1, 1));
        let c = Civil::of(1_767_225_599);
        assert_eq!((c.year, c.month, c.mday, c.wday), (2025, 12, 31, 3));
    }

    #[test]
    fn new_periods_at_midnight() {
        let clock = Clock::at(0);
        let t = 1_767_225_600;
        for p in [Period::Day, Period::Month, Period::Year] {
            assert!(clock.new_period(t, 300, p));
            assert!(!clock.new_period(t + 300, 300, p));
        }
        // A Thursday is no Sunday.
        assert!(!clock.new_period(t, 300, Period::Week));
        assert!(clock.new_period(t + 3 * 86_400, 300, Period::Week));
        assert!(
            clock
                .clone()
                .first_weekday(1)
                .new_period(t + 4 * 86_400, 300, Period::Week)
        );
        // An hour east, midnight is an hour earlier in UTC.
        let east = clock.clone().utc_offset(3600);
        assert!(east.new_period(t - 3600, 300, Period::Day));
        assert!(!east.new_period(t, 300, Period::Day));
        // Berlin's midnight is 23:00 UTC in winter, 22:00 in summer.
        let berlin = clock.in_zone(Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap());
        assert!(berlin.new_period(t - 3600, 300, Period::Day));
        // 2026-06-21 00:00 UTC.
        let june = 1_782_000_000;
        assert!(berlin.new_period(june - 7200, 300, Period::Day));
        assert!(!berlin.new_period(june - 3600, 300, Period::Day));
        assert_eq!(berlin.local(june), june + 7200);
    }
}
