//! Times of the history as UTC text, and back: `2026-12-02T15:04:05Z`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::calendar::{civil_from_days, days_from_civil};

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC).
#[must_use]
pub fn utc_text(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Reads `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS]Z` or the same with a space
/// for `T` and without `Z` (UTC either way). `None` for anything else.
#[must_use]
pub fn parse_utc(text: &str) -> Option<SystemTime> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((day, time)) => (day, Some(time)),
        None => (text, None),
    };
    let mut ymd = date.split('-');
    let y: i64 = ymd.next()?.parse().ok()?;
    let m: u32 = ymd.next()?.parse().ok()?;
    let d: u32 = ymd.next()?.parse().ok()?;
    if ymd.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.len() != 10
    {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(clock) = clock {
        let parts: Vec<&str> = clock.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
            return None;
        }
        let fields: Vec<i64> = parts
            .iter()
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let (hour, minute) = (fields[0], fields[1]);
        let second = fields.get(2).copied().unwrap_or(0);
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
    }
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

#[cfg(test)]
mod tests {
    use super::{parse_utc, utc_text};
    use std::time::UNIX_EPOCH;

    #[test]
    fn utc_round_trip() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(1_764_687_845), "2025-12-02T15:04:05Z");
        let t = parse_utc("2025-12-02T15:04:05Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_764_687_845
        );
        let t = parse_utc("2025-12-02 15:04").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_764_687_840
        );
        let t = parse_utc("2025-12-02").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_764_633_600
        );
        for bad in [
            "2025-13-01",
            "2025-12-02T25:00",
            "yesterday",
            "2025-1-02",
            "2025-12-02T1:2",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
