//! The proleptic Gregorian calendar in UTC, for cron times and clamd's database dates.

/// Year, month (1-12) and day (1-31) of a day number (days since 1970-01-01), in the
/// proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
// Cron times (feature `policy`) need it; a database date only the other way.
#[cfg(any(feature = "policy", feature = "history", test))]
#[expect(
    clippy::cast_sign_loss,
    reason = "day of month and month are 1-31 and 1-12 by construction"
)]
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The day number (days since 1970-01-01) of a date; the inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch of a UTC date and time written as clamd's VERSION writes it
/// (C `ctime`: `Mon Nov 25 08:31:22 2024`, the day padded with a space). The weekday is not
/// checked against the date.
pub(crate) fn parse_ctime(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut words = text.split_whitespace();
    let _weekday = words.next()?;
    let name = words.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as u32 + 1;
    let day: u32 = words.next()?.parse().ok()?;
    let mut hms = words.next()?.split(':').map(str::parse::<i64>);
    let (h, m, s) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    let year: i64 = words.next()?.parse().ok()?;
    let in_range = (1..=31).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&m)
        && (0..=60).contains(&s);
    if words.next().is_some() || hms.next().is_some() || !in_range {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_round_trips() {
        for z in [-1, 0, 59, 60, 365, 10_957, 19_782, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z, "{z}: {y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn ctime_dates() {
        assert_eq!(parse_ctime("Thu Jan  1 00:00:00 1970"), Some(0));
        assert_eq!(
            parse_ctime("Mon Nov 25 08:31:22 2024"),
            Some(days_from_civil(2024, 11, 25) * 86_400 + 8 * 3600 + 31 * 60 + 22)
        );
        for bad in [
            "",
            "Mon Foo 25 08:31:22 2024",
            "Mon Nov 25 25:00:00 2024",
            "Mon Nov 25 08:31 2024",
            "Mon Nov 25 08:31:22 2024 x",
        ] {
            assert_eq!(parse_ctime(bad), None, "{bad}");
        }
    }
}
