//! When an environment runs: `every = "6h"` or `cron = "0 3 * * *"`, computed without I/O
//! from a time the caller gives.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::calendar::civil_from_days;

/// An environment's schedule.
///
/// - `every = SPAN`: once when the daemon starts, then each SPAN after the previous run
///   *started*. A run that takes longer than SPAN is followed at once by the next; missed
///   slots are not caught up one by one (see [`next_after`](Self::next_after)).
/// - `cron = "MIN HOUR DOM MONTH DOW"`: at the matching minutes, **in UTC**. The subset
///   understood: each field is `*`, a number, a range `A-B`, a step `*/S` or `A-B/S`, or a
///   comma list of those; minutes 0-59, hours 0-23, days of month 1-31, months 1-12, days of
///   week 0-7 (0 and 7 are Sunday). Names (`MON`, `JAN`), `@daily`-style shortcuts, `L`, `W`
///   and `#` are refused. As in Vixie cron, when both day fields are restricted a day matches
///   if either does. A cron expression that never matches (`0 0 31 2 *`) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schedule {
    /// Runs at start, then at this interval.
    Every(Duration),
    /// Runs at the cron times.
    Cron(Cron),
}

impl Schedule {
    /// The first run of a daemon started at `now`: `now` itself for `every`, the first cron
    /// time after `now` for `cron`.
    pub fn first(&self, now: SystemTime) -> SystemTime {
        match self {
            Schedule::Every(_) => now,
            Schedule::Cron(c) => c.next_after(now),
        }
    }

    /// The run after one that started at `started`, for a caller whose clock says `now`
    /// (after the run ended). For `every`: `started + interval`, or `now` when that has
    /// already passed (a long run is followed at once, never by a burst of missed runs). For
    /// `cron`: the first cron time after both.
    pub fn next_after(&self, started: SystemTime, now: SystemTime) -> SystemTime {
        match self {
            Schedule::Every(d) => (started + *d).max(now),
            Schedule::Cron(c) => c.next_after(started.max(now)),
        }
    }
}

/// A parsed cron expression (the subset documented on [`Schedule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    dom_star: bool,
    dow_star: bool,
    text: String,
}

/// Days in the longest cycle of the Gregorian calendar that matters here: 28 years covers
/// every weekday of every date, including 29 February.
const SEARCH_DAYS: i64 = 28 * 366;

impl Cron {
    /// Parses `MIN HOUR DOM MONTH DOW`.
    ///
    /// # Errors
    ///
    /// A message naming the field and what is wrong with it, or that the expression never
    /// matches.
    pub fn parse(text: &str) -> Result<Self, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [min, hour, dom, mon, dow] = fields[..] else {
            return Err(format!(
                "cron {text:?} has {} fields; it needs 5: minute hour day-of-month month \
                 day-of-week",
                fields.len()
            ));
        };
        let minutes = field("minute", min, 0, 59)?;
        let hours = field("hour", hour, 0, 23)?;
        let days = field("day of month", dom, 1, 31)?;
        let months = field("month", mon, 1, 12)?;
        let mut weekdays = field("day of week", dow, 0, 7)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        let cron = Self {
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            dom_star: dom == "*" || dom.starts_with("*/"),
            dow_star: dow == "*" || dow.starts_with("*/"),
            text: fields.join(" "),
        };
        if cron.next_day(0).is_none() {
            return Err(format!("cron {text:?} never matches a date"));
        }
        Ok(cron)
    }

    /// The expression as given, its fields separated by one space.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn day_matches(&self, day: i64) -> bool {
        let (_, month, dom) = civil_from_days(day);
        // 1970-01-01 was a Thursday (4).
        let dow = (day + 4).rem_euclid(7);
        if self.months & (1 << month) == 0 {
            return false;
        }
        let dom_ok = self.days & (1 << dom) != 0;
        let dow_ok = self.weekdays & (1 << dow) != 0;
        match (self.dom_star, self.dow_star) {
            (false, false) => dom_ok || dow_ok,
            _ => dom_ok && dow_ok,
        }
    }

    /// The first matching day at or after `day` (days since 1970-01-01), within 28 years.
    fn next_day(&self, day: i64) -> Option<i64> {
        (day..day + SEARCH_DAYS).find(|&d| self.day_matches(d))
    }

    /// The first matching minute strictly after `after` (UTC).
    pub fn next_after(&self, after: SystemTime) -> SystemTime {
        let secs = match after.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX / 2),
        };
        // The next whole minute after `after`.
        let start = (secs.div_euclid(60) + 1) * 60;
        let mut day = start.div_euclid(86_400);
        let mut from_minute = start.rem_euclid(86_400) / 60;
        loop {
            // Always some: parse checked that a day matches within every 28-year window.
            let Some(d) = self.next_day(day) else {
                return after;
            };
            if d != day {
                from_minute = 0;
            }
            if let Some(m) = (from_minute..1440)
                .find(|&m| self.hours & (1 << (m / 60)) != 0 && self.minutes & (1 << (m % 60)) != 0)
            {
                let t = d * 86_400 + m * 60;
                return UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap_or(0));
            }
            day = d + 1;
            from_minute = 0;
        }
    }
}

/// One cron field as a bit set of the values it allows.
fn field(name: &str, text: &str, lo: u32, hi: u32) -> Result<u64, String> {
    let bad = |why: String| Err(format!("cron {name} field {text:?}: {why}"));
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => match s.parse::<u32>() {
                Ok(s) if s > 0 => (r, s),
                _ => return bad(format!("step {s:?} is not a positive number")),
            },
            None => (part, 1),
        };
        let num = |v: &str| match v.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n),
            _ => Err(format!(
                "cron {name} field {text:?}: {v:?} is not a number {lo}-{hi}"
            )),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if step > 1 => return bad("a step needs * or a range before it".into()),
                None => {
                    let n = num(r)?;
                    (n, n)
                }
            },
        };
        if a > b {
            return bad(format!("the range {a}-{b} is backwards"));
        }
        let mut v = a;
        while v <= b {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::days_from_civil;

    /// Seconds since the epoch of a UTC date and time.
    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> SystemTime {
        let t = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60;
        UNIX_EPOCH + Duration::from_secs(t.cast_unsigned())
    }

    fn next(expr: &str, from: SystemTime) -> SystemTime {
        Cron::parse(expr).unwrap().next_after(from)
    }

    #[test]
    fn next_fire_times() {
        let now = at(2026, 12, 2, 5, 45);
        // Daily at 03:00: tomorrow, since today's has passed.
        assert_eq!(next("0 3 * * *", now), at(2026, 12, 3, 3, 0));
        // Strictly after: a run at 03:00 is followed by the next day's.
        assert_eq!(
            next("0 3 * * *", at(2026, 12, 3, 3, 0)),
            at(2026, 12, 4, 3, 0)
        );
        // Every 15 minutes.
        assert_eq!(next("*/15 * * * *", now), at(2026, 12, 2, 6, 0));
        assert_eq!(
            next("*/15 * * * *", at(2026, 12, 2, 6, 0)),
            at(2026, 12, 2, 6, 15)
        );
        // Lists and ranges: 08:30 and 17:30 on weekdays (2026-12-05 is a Saturday).
        let f = at(2026, 12, 4, 18, 0);
        assert_eq!(next("30 8,17 * * 1-5", f), at(2026, 12, 7, 8, 30));
        // Sunday as 0 and as 7.
        assert_eq!(next("0 0 * * 0", now), at(2026, 12, 6, 0, 0));
        assert_eq!(next("0 0 * * 7", now), at(2026, 12, 6, 0, 0));
        // Month and year boundaries.
        assert_eq!(next("0 0 1 * *", now), at(2027, 1, 1, 0, 0));
        assert_eq!(next("59 23 31 12 *", now), at(2026, 12, 31, 23, 59));
        // 29 February: the next leap year.
        assert_eq!(next("0 12 29 2 *", now), at(2028, 2, 29, 12, 0));
        // Both day fields restricted: either matches (the 13th, or any Friday).
        assert_eq!(next("0 0 13 * 5", now), at(2026, 12, 4, 0, 0));
        assert_eq!(
            next("0 0 13 * 5", at(2026, 12, 11, 0, 0)),
            at(2026, 12, 13, 0, 0)
        );
    }

    #[test]
    fn every_runs_at_start_then_at_its_interval() {
        let s = Schedule::Every(Duration::from_secs(6 * 3600));
        let t0 = at(2026, 12, 2, 0, 0);
        assert_eq!(s.first(t0), t0);
        // A run that took 10 minutes: the next starts 6 h after the first started.
        assert_eq!(
            s.next_after(t0, at(2026, 12, 2, 0, 10)),
            at(2026, 12, 2, 6, 0)
        );
        // A run that overran: the next starts at once, not a burst of missed ones.
        let late = at(2026, 12, 2, 13, 0);
        assert_eq!(s.next_after(t0, late), late);
        let c = Schedule::Cron(Cron::parse("0 3 * * *").unwrap());
        assert_eq!(c.first(t0), at(2026, 12, 2, 3, 0));
    }

    #[test]
    fn bad_cron_expressions_say_what_is_wrong() {
        for (expr, says) in [
            ("0 3 * *", "needs 5"),
            ("60 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"),
            ("* * * * 8", "day of week"),
            ("*/0 * * * *", "step"),
            ("5/2 * * * *", "step needs"),
            ("10-5 * * * *", "backwards"),
            ("0 0 * JAN *", "month"),
            ("@daily", "fields"),
            ("0 0 31 2 *", "never matches"),
            ("0 0 30 2 *", "never matches"),
        ] {
            let err = Cron::parse(expr).unwrap_err();
            assert!(err.contains(says), "{expr}: {err}");
        }
    }
}
